"""The question under the transcript while a tool call waits for the user's yes or no ("ask before running"):
the call in one line, and Yes / No buttons that answer as saying the word would (``answered``), once per call."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop_agent.state.tool_calls import ToolCallInfo, card_lines
from desktop_agent.ui.untrusted_text import plain_label


class ToolConfirmationBar(QFrame):
    answered = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Tool call waiting for your answer")
        self.question = plain_label(QLabel())
        self.question.setWordWrap(True)
        self.yes_button = QPushButton("Yes, run it")
        self.no_button = QPushButton("No")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.question, 1)
        layout.addWidget(self.yes_button)
        layout.addWidget(self.no_button)
        self.yes_button.clicked.connect(lambda: self._answer(True))
        self.no_button.clicked.connect(lambda: self._answer(False))
        self._call_id = ""
        self.hide()

    def show_call(self, call: ToolCallInfo | None) -> None:
        """Ask about ``call``, or hide when none waits."""
        if call is None:
            self._call_id = ""
            self.hide()
            return
        if call.call_id != self._call_id:
            self._call_id = call.call_id
            self.question.setText(f"Run {card_lines(call)[0]}? Say yes or no, or answer here.")
            self._set_answerable(True)
        self.show()

    def _answer(self, yes: bool) -> None:
        # One answer per call: the bar stays up until the answer reaches the session, and a second click would be
        # a stray "Yes." turn the assistant replies to again.
        self._set_answerable(False)
        self.answered.emit(yes)

    def _set_answerable(self, on: bool) -> None:
        self.yes_button.setEnabled(on)
        self.no_button.setEnabled(on)
