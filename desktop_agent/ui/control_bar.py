"""The row of talk controls under the transcript: mode switch, mute, stop speaking, new conversation, the big
push-to-talk button, and the microphone and assistant level meters. Buttons are views of the window's actions."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from desktop_agent.ui.level_meter import LevelMeter
from desktop_agent.ui.mode_switch import ModeSwitch
from desktop_agent.ui.push_to_talk_button import PushToTalkButton


def _action_button(action: QAction, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setDefaultAction(action)
    button.setIconSize(QSize(20, 20))
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(False)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    button.setAccessibleName(action.text().replace("&", ""))
    return button


class ControlBar(QWidget):
    def __init__(
        self, mute: QAction, stop_speaking: QAction, new_conversation: QAction, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Talk controls")
        self.mode_switch = ModeSwitch(self)
        self.mute_button = _action_button(mute, self)
        self.stop_button = _action_button(stop_speaking, self)
        self.new_button = _action_button(new_conversation, self)
        self.talk_button = PushToTalkButton(self)
        self.microphone_meter = LevelMeter("Microphone level", self)
        self.output_meter = LevelMeter("Assistant voice level", self)

        meters = QGridLayout()
        meters.setContentsMargins(0, 0, 0, 0)
        meters.setHorizontalSpacing(6)
        meters.setVerticalSpacing(6)
        for row, (text, meter) in enumerate((("Mic", self.microphone_meter), ("Voice", self.output_meter))):
            label = QLabel(text, self)
            label.setBuddy(meter)
            meters.addWidget(label, row, 0)
            meters.addWidget(meter, row, 1)
        meters_box = QWidget(self)
        meters_box.setLayout(meters)
        meters_box.setFixedWidth(170)

        left = QGridLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(6)
        left.addWidget(self.mode_switch, 0, 0, 1, 3)
        left.addWidget(self.mute_button, 1, 0)
        left.addWidget(self.stop_button, 1, 1)
        left.addWidget(self.new_button, 1, 2)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)
        layout.addLayout(left)
        layout.addWidget(self.talk_button, 1)
        layout.addWidget(meters_box)
