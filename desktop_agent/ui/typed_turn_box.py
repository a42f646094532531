"""Type instead of talk: a line for a turn typed when speaking is not possible (a meeting, a shared office).

Enter (or *Send*) hands the words to the window's sender (the session controller's ``send_typed_turn``); the line
clears only once the turn was taken, so words a session could not take stay to be sent again. *Reply in text*, while
ticked, asks for the replies to typed turns to be shown, not spoken. While no session is ready the line is disabled
and says why. The push-to-talk key types into the line like any other key (text fields keep their keys).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QToolButton, QWidget

#: Sends a typed turn (its text, and whether the reply is to be shown only); True when the session took it.
TypedTurnSender = Callable[[str, bool], bool]

READY_PLACEHOLDER = "Type instead of talking; Enter sends"
#: A typed turn longer than this is cut here (a pasted document is not a turn).
MAX_CHARACTERS = 4000


class TypedTurnBox(QWidget):
    refused = Signal()  # Enter was pressed with words, but no session took them; they stay in the line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Typed turn")
        self._sender: TypedTurnSender | None = None
        self.line = QLineEdit(self)
        self.line.setAccessibleName("Type to the assistant")
        self.line.setMaxLength(MAX_CHARACTERS)
        self.send_button = QToolButton(self)
        self.send_button.setText("Send")
        self.send_button.setAccessibleName("Send the typed turn")
        self.send_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.reply_in_text = QCheckBox("Reply in text", self)
        self.reply_in_text.setToolTip(
            "Show the assistant's replies to what you type without speaking them (for a meeting or a shared office)"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.send_button)
        layout.addWidget(self.reply_in_text)
        self.line.returnPressed.connect(self._send)
        self.line.textChanged.connect(self._update_send_button)
        self.send_button.clicked.connect(self._send)
        self.set_available(False, "Start a session to type to the assistant.")

    @property
    def available(self) -> bool:
        return self.line.isEnabled()

    def set_sender(self, sender: TypedTurnSender) -> None:
        self._sender = sender

    def set_available(self, available: bool, reason: str = "") -> None:
        """Ready for a typed turn, or not and ``reason`` says why (the line's placeholder and tooltip)."""
        self.line.setEnabled(available)
        self.line.setPlaceholderText(READY_PLACEHOLDER if available else reason)
        self.line.setToolTip("" if available else reason)
        self._update_send_button()

    def _update_send_button(self) -> None:
        self.send_button.setEnabled(self.line.isEnabled() and bool(self.line.text().strip()))

    def _send(self) -> None:
        text = self.line.text().strip()
        if not text or not self.available or self._sender is None:
            return
        if self._sender(text, self.reply_in_text.isChecked()):
            self.line.clear()
        else:
            self.refused.emit()
