"""Settings > Latency budgets: the target for each stage of a turn, which the latency gauges measure against."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_agent.config.settings import BUDGET_RULE, AppSettings
from desktop_agent.state.events import Stage
from desktop_agent.state.latency import DEFAULT_BUDGETS

STAGE_LABELS = {
    Stage.ENDPOINTING: "End of your turn detected",
    Stage.STT_FINAL: "Final transcript",
    Stage.LLM_FIRST_TOKEN: "First word from the model",
    Stage.TTS_FIRST_AUDIO: "First audio from the voice",
    Stage.VOICE_TO_VOICE: "Voice to voice (you stop, it starts)",
    Stage.TOOLS: "Tools the assistant called",
}


class BudgetsPage(QWidget):
    """Emits ``budgets_changed(dict[Stage, seconds])``."""

    budgets_changed = Signal(object)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.fields: dict[Stage, QDoubleSpinBox] = {}
        form = QFormLayout()
        for stage in Stage:
            field = QDoubleSpinBox()
            assert BUDGET_RULE.minimum is not None and BUDGET_RULE.maximum is not None
            field.setRange(BUDGET_RULE.minimum * 1000, BUDGET_RULE.maximum * 1000)
            field.setDecimals(0)
            field.setSingleStep(10)
            field.setSuffix(" ms")
            field.setValue(settings.budgets[stage] * 1000)
            field.setAccessibleName(f"{STAGE_LABELS[stage]} budget")
            field.editingFinished.connect(self._edited)
            self.fields[stage] = field
            form.addRow(STAGE_LABELS[stage], field)
        self.defaults_button = QPushButton("Restore the product targets")
        self.defaults_button.clicked.connect(self.restore_defaults)
        explanation = QLabel("A gauge turns amber when a stage takes longer than its budget.")
        explanation.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.defaults_button)
        layout.addStretch(1)

    def _edited(self) -> None:
        budgets = {stage: round(field.value() / 1000, 3) for stage, field in self.fields.items()}
        if budgets == self._settings.budgets:
            return
        self._settings.budgets = budgets
        self.budgets_changed.emit(dict(budgets))

    def restore_defaults(self) -> None:
        for stage, field in self.fields.items():
            field.setValue(DEFAULT_BUDGETS[stage] * 1000)
        self._edited()
