"""The latency panel: one gauge per stage and the per-turn chart, refreshed from the conversation's latency data."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from desktop_agent.state.conversation import Conversation, Role
from desktop_agent.state.events import Stage
from desktop_agent.state.latency import DEFAULT_BUDGETS
from desktop_agent.ui.latency_chart import LatencyChart
from desktop_agent.ui.latency_gauge import LatencyGauge

CHART_TURNS = 120  # the chart never shows more bars than fit; this bounds the work per refresh


class LatencyPanel(QWidget):
    def __init__(self, budgets: Mapping[Stage, float] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Latency")
        self._budgets = dict(budgets or DEFAULT_BUDGETS)
        self.gauges: dict[Stage, LatencyGauge] = {}
        rows = [QHBoxLayout(), QHBoxLayout()]
        for position, stage in enumerate(Stage):
            gauge = LatencyGauge(stage, self._budgets.get(stage), self)
            self.gauges[stage] = gauge
            rows[position // 3].addWidget(gauge, 2)
        rows[1].insertStretch(0, 1)
        rows[1].addStretch(1)
        self.chart = LatencyChart(self)
        self.chart.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for row in rows:
            row.setSpacing(6)
            layout.addLayout(row)
        layout.addWidget(self.chart, 1)

    @property
    def budgets(self) -> dict[Stage, float]:
        return dict(self._budgets)

    def set_budgets(self, budgets: Mapping[Stage, float]) -> None:
        """New budgets (from settings); gauges recolour at once."""
        self._budgets = dict(budgets)
        for stage, gauge in self.gauges.items():
            gauge.set_budget(self._budgets.get(stage))

    def refresh(self, conversation: Conversation) -> None:
        history = conversation.latency
        for stage, gauge in self.gauges.items():
            gauge.set_summary(history.summary(stage))
        measured: list[dict[Stage, float]] = []
        numbers: list[int] = []
        ordinal = 0
        for turn in conversation.turns:
            if turn.role is Role.ASSISTANT:
                ordinal += 1
                if turn.latencies:
                    measured.append(dict(turn.latencies))
                    numbers.append(ordinal)
        v2v = history.summary(Stage.VOICE_TO_VOICE)
        self.chart.set_data(
            measured[-CHART_TURNS:],
            v2v.p50,
            v2v.p95,
            self._budgets.get(Stage.VOICE_TO_VOICE),
            numbers=numbers[-CHART_TURNS:],
        )
