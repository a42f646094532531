"""Settings > Desktop > Push-to-talk from any app: on or off, the shortcut, hold or toggle, and what the desktop made
of it (registered, or why not, as one sentence from the app's :class:`~desktop_agent.ui.global_talk_key.GlobalTalkKey`).

Off by default: a global shortcut takes its key from every other app. A key that is typed (a letter, Space) is
refused here with the reason, and the last good shortcut stays.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QKeySequenceEdit, QLabel, QWidget

from desktop_agent.config.settings import AppSettings
from desktop_agent.global_shortcut.shortcut import TalkKeyStyle, shortcut_problem
from desktop_agent.ui.untrusted_text import plain_label

STYLES = (
    (TalkKeyStyle.HOLD, "Hold: talk while the shortcut is held"),
    (TalkKeyStyle.TOGGLE, "Toggle: press to start talking, press again to send"),
)


class GlobalTalkBox(QGroupBox):
    """Emits ``changed()`` after an edit was written to ``settings.desktop``."""

    changed = Signal()

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__("Push-to-talk from any app", parent)
        self._settings = settings
        desktop = settings.desktop
        self.active = QCheckBox("Talk with a shortcut while other apps have focus")
        self.active.setChecked(desktop.global_talk)
        self.active.setToolTip("The shortcut is taken from every other app while this option is on.")
        self.shortcut_edit = QKeySequenceEdit(QKeySequence(desktop.global_talk_shortcut))
        self.shortcut_edit.setMaximumSequenceLength(1)
        self.shortcut_edit.setAccessibleName("Push-to-talk shortcut")
        self.style_choice = QComboBox()
        for style, label in STYLES:
            self.style_choice.addItem(label, style)
        self.style_choice.setCurrentIndex(self.style_choice.findData(desktop.global_talk_style))
        self.style_choice.setAccessibleName("Push-to-talk shortcut style")
        self.status_label = plain_label(QLabel())
        self.status_label.setWordWrap(True)
        layout = QFormLayout(self)
        layout.addRow(self.active)
        layout.addRow("Shortcut", self.shortcut_edit)
        layout.addRow("Style", self.style_choice)
        layout.addRow(self.status_label)
        self.active.toggled.connect(self._edited)
        self.style_choice.currentIndexChanged.connect(self._edited)
        self.shortcut_edit.editingFinished.connect(self._shortcut_edited)

    def show_status(self, sentence: str) -> None:
        """What the desktop made of the shortcut (the app's word), or why an entered one was refused."""
        self.status_label.setText(sentence)

    def _shortcut_edited(self) -> None:
        desktop = self._settings.desktop
        text = self.shortcut_edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        problem = shortcut_problem(text) if text else "Press the key or combination to use."
        if problem is not None:
            self.show_status(problem)
            self.shortcut_edit.setKeySequence(QKeySequence(desktop.global_talk_shortcut))
            return
        if text != desktop.global_talk_shortcut:
            self._edited()

    def _edited(self) -> None:
        desktop = self._settings.desktop
        desktop.global_talk = self.active.isChecked()
        text = self.shortcut_edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        if text and shortcut_problem(text) is None:
            desktop.global_talk_shortcut = text
        desktop.global_talk_style = TalkKeyStyle(self.style_choice.currentData())
        if not desktop.global_talk:
            self.show_status("")
        self.changed.emit()
