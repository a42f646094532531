"""The app's presence on the desktop beyond its window: the tray icon and its menu, notifications of errors while the
window is out of sight, the sound cues, and push-to-talk from any app (the global shortcut).

One object wires them to the window, the engine bridge and the session controller, and applies the Desktop settings
to them; the app's composition root (``app.py``) only creates it, hands it the settings and closes it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QSystemTrayIcon

from desktop_agent.ui.desktop_notifier import DesktopNotifier
from desktop_agent.ui.global_talk_key import GlobalTalkKey
from desktop_agent.ui.hidden_error_notices import HiddenErrorNotices
from desktop_agent.ui.tray_icon import TrayIcon

if TYPE_CHECKING:
    from collections.abc import Callable

    from desktop_agent.config.settings import AppSettings
    from desktop_agent.engine.audio_backend import AudioBackend
    from desktop_agent.ui.bridge import EngineBridge
    from desktop_agent.ui.main_window import MainWindow
    from desktop_agent.ui.session_controller import SessionController
    from desktop_agent.ui.sound_cues import SoundCues


class DesktopPresence(QObject):
    def __init__(
        self,
        window: MainWindow,
        bridge: EngineBridge,
        controller: SessionController,
        *,
        tray_available: bool | None = None,
        show_status: Callable[[str], None],
    ) -> None:
        """``tray_available`` None asks Qt (which knows only once a tray host answers on the session bus);
        ``show_status`` shows the global shortcut's one sentence (registered, or why not)."""
        super().__init__(window)
        self._window = window
        self._bridge = bridge
        self._controller = controller
        self._show_status = show_status
        self._settings: AppSettings | None = None
        if tray_available is None:
            tray_available = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray = TrayIcon(window) if tray_available else None
        if self.tray is not None:
            self._wire_tray(self.tray)
        self.notifier = DesktopNotifier(self.tray, parent=window)
        self.error_notices = HiddenErrorNotices(window, self.notifier, parent=window)
        bridge.error_occurred.connect(self.error_notices.on_error)
        # Created once the settings ask for them: numpy and the audio backend load after first paint.
        self.cues: SoundCues | None = None
        self._speaker_backend: AudioBackend | None = None  # the sound card, for cues when no device was handed in
        # Push-to-talk from any app (off by default; registered once the settings ask for it).
        self.global_talk = GlobalTalkKey(parent=window)
        self._wire_global_talk(self.global_talk)

    def apply(self, settings: AppSettings) -> None:
        """Close-to-tray (only with a tray to come back from), the sound cues and the global push-to-talk shortcut."""
        self._settings = settings
        desktop = settings.desktop
        self.global_talk.configure(desktop.global_talk, desktop.global_talk_shortcut, desktop.global_talk_style)
        self._window.close_to_tray = desktop.close_to_tray and self.tray is not None
        if desktop.sound_cues and self.cues is None:
            self.cues = self._make_cues()
        if self.cues is not None:
            self.cues.enabled = desktop.sound_cues

    async def close(self) -> None:
        """Let go of the shortcut, hide the tray icon, and finish the sounds and notifications under way."""
        self.global_talk.stop()
        if self.tray is not None:
            self.tray.hide()
        if self.cues is not None:
            await asyncio.to_thread(self.cues.close)
        await asyncio.to_thread(self.notifier.wait)

    def stop_global_talk(self) -> None:
        self.global_talk.stop()

    # -- wiring ---------------------------------------------------------------------------------------------------

    def _wire_tray(self, tray: TrayIcon) -> None:
        """The tray's menu acts as the window's controls do; its icon and tooltip follow what the window's state
        indicator shows (connected after the window's own slots, so the indicator is up to date when it is read)."""
        tray.mode_requested.connect(self._window.request_mode)
        tray.mute_requested.connect(self._controller.set_muted)
        tray.new_conversation_requested.connect(self._controller.new_conversation)
        tray.show_window_requested.connect(self._window.show_from_tray)
        tray.quit_requested.connect(self._window.quit)
        for change in (self._bridge.agent_state_changed, self._bridge.mode_changed, self._controller.phase_changed):
            change.connect(self._show_state_in_tray)
        self._show_state_in_tray()
        tray.show()

    def _wire_global_talk(self, global_talk: GlobalTalkKey) -> None:
        """The global shortcut presses and releases the talk key as Space does in the window (the same checks: a
        session running, push-to-talk mode); the window's own talk gestures keep its toggle in step."""
        global_talk.pressed.connect(self._window.press_talk_key)
        global_talk.released.connect(self._window.release_talk_key)
        self._window.talk_pressed.connect(global_talk.note_talk_started)
        self._window.talk_released.connect(global_talk.note_talk_ended)
        global_talk.status_changed.connect(lambda sentence, _registered: self._show_status(sentence))

    def _show_state_in_tray(self) -> None:
        from desktop_agent.ui.session_phase import SessionPhase

        if self.tray is None:
            return
        conversation = self._bridge.conversation
        running = self._controller.phase is SessionPhase.RUNNING
        indicator = self._window.state_indicator
        self.tray.show_state(conversation.agent_state, indicator.text, conversation.mode, conversation.muted, running)

    def _make_cues(self) -> SoundCues:
        """Cues on the talk key's press and release and as a reply starts, through the session's sound device."""
        from desktop_agent.ui.sound_cues import Cue, SoundCues

        cues = SoundCues(self._cue_backend, lambda: self._settings.audio.output_device if self._settings else None)
        self._window.talk_pressed.connect(lambda: cues.play(Cue.PRESS))
        self._window.talk_released.connect(lambda: cues.play(Cue.RELEASE))
        self._bridge.agent_state_changed.connect(lambda: cues.follow(self._bridge.conversation.agent_state))
        return cues

    def _cue_backend(self) -> AudioBackend:
        """The sound device the sessions use (in memory with --no-audio), else the sound card."""
        if self._controller.audio_backend is not None:
            return self._controller.audio_backend
        if self._speaker_backend is None:
            from desktop_agent.engine.audio_backend import SoundDeviceBackend

            self._speaker_backend = SoundDeviceBackend()
        return self._speaker_backend
