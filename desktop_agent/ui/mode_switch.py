"""Push-to-talk / hands-free switch: two exclusive segments; the user's choice is emitted, never echoed back."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QSizePolicy, QToolButton, QWidget

from desktop_agent.state.events import TurnMode
from desktop_agent.ui.icons import themed_icon


class ModeSwitch(QWidget):
    mode_selected = Signal(object)  # TurnMode chosen by the user

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Turn mode")
        self._mode = TurnMode.PUSH_TO_TALK
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[TurnMode, QToolButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for mode, text, icon, description in (
            (
                TurnMode.PUSH_TO_TALK,
                "Push to talk",
                "push-to-talk",
                "The assistant listens only while you hold the key or button.",
            ),
            (
                TurnMode.HANDS_FREE,
                "Hands-free",
                "hands-free",
                "The assistant listens all the time and answers when you pause.",
            ),
        ):
            button = QToolButton(self)
            button.setText(text)
            button.setIcon(themed_icon(icon))
            button.setIconSize(QSize(18, 18))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setCheckable(True)
            button.setAutoRaise(False)
            button.setAccessibleName(f"{text} mode")
            button.setAccessibleDescription(description)
            button.setToolTip(description)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self._group.addButton(button)
            layout.addWidget(button)
            self.buttons[mode] = button
        self.buttons[self._mode].setChecked(True)
        self._group.buttonClicked.connect(self._on_clicked)

    @property
    def mode(self) -> TurnMode:
        return self._mode

    def set_mode(self, mode: TurnMode) -> None:
        """Show ``mode`` (as the engine reports it) without emitting ``mode_selected``."""
        if mode is self._mode and self.buttons[mode].isChecked():
            return
        self._mode = mode
        self._group.blockSignals(True)
        self.buttons[mode].setChecked(True)
        self._group.blockSignals(False)

    def set_shortcut_hint(self, hint: str) -> None:
        for button in self.buttons.values():
            button.setToolTip(f"{button.accessibleDescription()} Switch with {hint}.")

    def _on_clicked(self, button: QToolButton) -> None:
        for mode, candidate in self.buttons.items():
            if candidate is button and mode is not self._mode:
                self._mode = mode
                self.mode_selected.emit(mode)
