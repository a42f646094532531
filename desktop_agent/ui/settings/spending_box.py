"""Settings > Prices > Spending limits: a budget per conversation and per day, and what happens when one is used up."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QWidget

from desktop_agent.config.schema import rule_of
from desktop_agent.config.settings import AppSettings, SpendingSettings
from desktop_agent.state.spending import AtLimit, SpendingLimits

AT_LIMIT_CHOICES = {
    AtLimit.WARN: "Warn and go on",
    AtLimit.STOP: "Stop taking turns",
}


class SpendingBox(QGroupBox):
    """Emits ``limits_changed(SpendingLimits)`` after the user changed a budget or the choice at the limit."""

    limits_changed = Signal(object)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__("Spending limits", parent)
        self._settings = settings
        self.per_conversation = self._budget_field("Budget per conversation", "per_conversation_usd")
        self.per_day = self._budget_field("Budget per day", "per_day_usd")
        self.at_limit = QComboBox()
        self.at_limit.setAccessibleName("At the limit")
        for choice, label in AT_LIMIT_CHOICES.items():
            self.at_limit.addItem(label, choice)
        self.at_limit.currentIndexChanged.connect(lambda _index: self._edited())
        explanation = QLabel(
            "A warning at 80 % of a budget; at 100 %, a warning or a stop. The day's spending counts what the "
            "replies in the history cost since midnight, and the current conversation. $0 sets no limit."
        )
        explanation.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(explanation)
        form.addRow("Per conversation", self.per_conversation)
        form.addRow("Per day", self.per_day)
        form.addRow("At the limit", self.at_limit)
        self.refresh()

    def _budget_field(self, name: str, setting_name: str) -> QDoubleSpinBox:
        rule = rule_of(next(f for f in dataclasses.fields(SpendingSettings) if f.name == setting_name))
        field = QDoubleSpinBox()
        assert rule.minimum is not None and rule.maximum is not None
        field.setRange(rule.minimum, rule.maximum)
        field.setDecimals(4)
        field.setSingleStep(0.01)
        field.setPrefix("$ ")
        field.setSpecialValueText("No limit")
        field.setAccessibleName(name)
        field.editingFinished.connect(self._edited)
        return field

    def refresh(self) -> None:
        """Show the limits now in the settings."""
        spending = self._settings.spending
        for field, value in (
            (self.per_conversation, spending.per_conversation_usd),
            (self.per_day, spending.per_day_usd),
        ):
            field.blockSignals(True)
            field.setValue(value)
            field.blockSignals(False)
        self.at_limit.blockSignals(True)
        self.at_limit.setCurrentIndex(self.at_limit.findData(spending.at_limit))
        self.at_limit.blockSignals(False)

    def _edited(self) -> None:
        spending = self._settings.spending
        limits = SpendingLimits(
            round(self.per_conversation.value(), 4),
            round(self.per_day.value(), 4),
            AtLimit(self.at_limit.currentData()),
        )
        if limits == spending.limits():
            return
        spending.per_conversation_usd, spending.per_day_usd, spending.at_limit = (
            limits.per_conversation_usd,
            limits.per_day_usd,
            limits.at_limit,
        )
        self.limits_changed.emit(limits)
