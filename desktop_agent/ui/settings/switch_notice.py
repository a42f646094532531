"""A settings-page notice for a chosen model or voice the provider no longer offers: its sentence and a
"Switch to …" button that picks the available one the provider does offer. Hidden while there is nothing to say."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from desktop_agent.state import events as ev
from desktop_agent.ui.untrusted_text import plain_label, shown_name, shown_text


class SwitchNotice(QWidget):
    """Emits ``switch_requested(replacement_id, replacement_name)`` when its button is clicked."""

    switch_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._problem: ev.ChoiceUnavailable | None = None
        self.label = plain_label(QLabel())  # quotes model IDs and voice names the provider sent
        self.label.setWordWrap(True)
        self.button = QPushButton()
        self.button.setAutoDefault(False)
        self.button.clicked.connect(self._clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    @property
    def problem(self) -> ev.ChoiceUnavailable | None:
        return self._problem

    def show_problem(self, problem: ev.ChoiceUnavailable | None) -> None:
        """Say ``problem`` (None: hide the notice)."""
        self._problem = problem
        self.setVisible(problem is not None)
        if problem is None:
            return
        self.label.setText(shown_text(problem.message))
        self.button.setVisible(bool(problem.replacement))
        self.button.setText(f"Switch to {shown_name(problem.replacement_name or problem.replacement)}")

    def _clicked(self) -> None:
        problem = self._problem
        if problem is not None and problem.replacement:
            self.switch_requested.emit(problem.replacement, problem.replacement_name)
