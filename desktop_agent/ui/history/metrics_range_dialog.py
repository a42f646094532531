"""The small date-range picker of the metrics export: from one local day to another, both included."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from desktop_agent.state.local_days import local_day_start


class MetricsRangeDialog(QDialog):
    """Asks for the first and the last day; :meth:`bounds` gives them as wall-clock seconds (the end excluded)."""

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export metrics of a date range")
        today = today or date.today()
        self.first_day = self._day_field("First day", today - timedelta(days=6))
        self.last_day = self._day_field("Last day", today)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Choose the file…")
        self.buttons.accepted.connect(self._accept_if_ordered)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("From", self.first_day)
        form.addRow("To (included)", self.last_day)
        form.addRow(self.problem)
        form.addRow(self.buttons)

    @staticmethod
    def _day_field(name: str, day: date) -> QDateEdit:
        field = QDateEdit(QDate(day.year, day.month, day.day))
        field.setCalendarPopup(True)
        field.setDisplayFormat("yyyy-MM-dd")
        field.setAccessibleName(name)
        return field

    def days(self) -> tuple[date, date]:
        first, last = self.first_day.date(), self.last_day.date()
        return date(first.year(), first.month(), first.day()), date(last.year(), last.month(), last.day())

    def bounds(self) -> tuple[float, float]:
        """The first day's start and the day after the last one's start, on this computer's clock."""
        first, last = self.days()
        return local_day_start(first), local_day_start(last + timedelta(days=1))

    def _accept_if_ordered(self) -> None:
        first, last = self.days()
        if last < first:
            self.problem.setText("The last day comes before the first; choose a last day on or after it.")
            self.problem.setVisible(True)
            return
        self.accept()
