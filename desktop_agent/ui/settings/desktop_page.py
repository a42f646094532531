"""Settings > Desktop: keep running in the tray when the window is closed, short sound cues, start on login, and
push-to-talk from any app (``global_talk_box.py``).

Close-to-tray needs a tray to come back from: without one (GNOME without its tray extension, a bare X server) the
box is disabled and one line says why, and the setting is left as it was for a desktop that has one.

Start on login writes or removes the desktop's login entry (see :mod:`desktop_agent.autostart`) as the box is ticked;
if that fails the box goes back and one line says why.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QSystemTrayIcon, QVBoxLayout, QWidget

from desktop_agent import autostart
from desktop_agent.config.local_files import error_words
from desktop_agent.config.settings import AppSettings
from desktop_agent.ui.settings.global_talk_box import GlobalTalkBox
from desktop_agent.ui.untrusted_text import plain_label

NO_TRAY_REASON = "This desktop shows no tray icons, so closing the window quits the app."


class DesktopPage(QWidget):
    """Emits ``desktop_changed(close_to_tray, sound_cues)`` after either box is changed. ``tray_available`` is what
    the app found (None: ask Qt)."""

    desktop_changed = Signal(bool, bool)

    def __init__(
        self, settings: AppSettings, tray_available: bool | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        desktop = settings.desktop
        if tray_available is None:
            tray_available = QSystemTrayIcon.isSystemTrayAvailable()
        self.close_to_tray = QCheckBox("Keep running in the tray when the window is closed")
        self.close_to_tray.setChecked(desktop.close_to_tray and tray_available)
        self.close_to_tray.setEnabled(tray_available)
        self.close_to_tray.setToolTip(
            "The session goes on in the background; the tray icon's menu shows the window again or quits the app."
        )
        self.tray_reason = plain_label(QLabel(NO_TRAY_REASON))
        self.tray_reason.setWordWrap(True)
        self.tray_reason.setVisible(not tray_available)
        self.sound_cues = QCheckBox("Play a short sound when I press and release the talk key and when a reply starts")
        self.sound_cues.setChecked(desktop.sound_cues)
        self.start_on_login = QCheckBox("Start Desktop Agent when I log in")
        self.start_on_login.setChecked(desktop.start_on_login)
        self.start_on_login.setToolTip(f"Written to {autostart.entry_location()}")
        self.login_problem = plain_label(QLabel())
        self.login_problem.setWordWrap(True)
        self.login_problem.setVisible(False)
        self.global_talk = GlobalTalkBox(settings)
        layout = QVBoxLayout(self)
        layout.addWidget(self.close_to_tray)
        layout.addWidget(self.tray_reason)
        layout.addWidget(self.sound_cues)
        layout.addWidget(self.start_on_login)
        layout.addWidget(self.login_problem)
        layout.addWidget(self.global_talk)
        layout.addStretch(1)
        self.close_to_tray.toggled.connect(self._edited)
        self.sound_cues.toggled.connect(self._edited)
        self.global_talk.changed.connect(self._edited)
        self.start_on_login.toggled.connect(self._start_on_login_toggled)

    def _start_on_login_toggled(self, enabled: bool) -> None:
        """Writes or removes the login entry; on failure the box shows what is really set and says why."""
        try:
            autostart.set_enabled(enabled)
        except OSError as exc:
            self.login_problem.setText(
                f"Start on login could not be {'turned on' if enabled else 'turned off'}: "
                f"{autostart.entry_location()} could not be changed ({error_words(exc)})."
            )
            self.login_problem.setVisible(True)
            self.start_on_login.blockSignals(True)
            self.start_on_login.setChecked(not enabled)
            self.start_on_login.blockSignals(False)
            return
        self.login_problem.setVisible(False)
        self._settings.desktop.start_on_login = enabled
        self._edited()

    def _edited(self) -> None:
        desktop = self._settings.desktop
        if self.close_to_tray.isEnabled():
            desktop.close_to_tray = self.close_to_tray.isChecked()
        desktop.sound_cues = self.sound_cues.isChecked()
        self.desktop_changed.emit(desktop.close_to_tray, desktop.sound_cues)
