"""Latency gauges coloured against their budgets, the per-turn stacked chart with p50/p95, exact figures on hover."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QToolTip

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation
from desktop_agent.state.latency import DEFAULT_BUDGETS, StageSummary
from desktop_agent.ui import theme
from desktop_agent.ui.latency_chart import OTHER, LatencyChart, segments
from desktop_agent.ui.latency_gauge import LatencyGauge
from desktop_agent.ui.latency_panel import LatencyPanel
from tests.ui.conftest import exchange, feed

S = ev.Stage
TURN = {S.ENDPOINTING: 0.21, S.STT_FINAL: 0.16, S.LLM_FIRST_TOKEN: 0.29, S.TTS_FIRST_AUDIO: 0.15, S.VOICE_TO_VOICE: 0.74}


def shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.mark.parametrize(("seconds", "tone"), [(None, theme.Tone.NEUTRAL), (0.25, theme.Tone.GOOD), (0.30, theme.Tone.GOOD),
                                               (0.40, theme.Tone.WARNING), (0.46, theme.Tone.BAD)])
def test_gauge_tone_against_a_300_ms_budget(qtbot, seconds, tone):
    gauge = LatencyGauge(S.LLM_FIRST_TOKEN, 0.300)
    qtbot.addWidget(gauge)
    gauge.set_summary(StageSummary(last=seconds, p50=seconds, p95=seconds, count=0 if seconds is None else 1))
    assert gauge.tone is tone


def test_gauge_tooltip_has_the_exact_figures(qtbot):
    gauge = LatencyGauge(S.VOICE_TO_VOICE, 0.800)
    qtbot.addWidget(gauge)
    assert "No measurement yet." in gauge.toolTip()
    gauge.set_summary(StageSummary(last=0.7423, p50=0.7011, p95=0.8125, count=12))
    assert gauge.toolTip().splitlines()[1:] == [
        "Last turn: 742.3 ms (budget 800 ms)",
        "p50 701.1 ms · p95 812.5 ms over 12 turns",
    ]
    assert "742.3 ms" in gauge.accessibleDescription()


def test_gauge_repaints_only_when_figures_or_budget_change(qtbot, paint_counter):
    gauge = shown(qtbot, LatencyGauge(S.STT_FINAL, 0.250))
    qtbot.wait(30)
    paint_counter.reset()
    summary = StageSummary(last=0.2, p50=0.2, p95=0.2, count=1)
    gauge.set_summary(summary)
    qtbot.waitUntil(lambda: paint_counter.of(gauge) == 1, timeout=1000)
    gauge.set_summary(StageSummary(last=0.2, p50=0.2, p95=0.2, count=1))
    gauge.set_budget(0.250)
    qtbot.wait(50)
    assert paint_counter.of(gauge) == 1
    gauge.set_budget(0.150)
    qtbot.waitUntil(lambda: paint_counter.of(gauge) == 2, timeout=1000)
    assert gauge.tone is theme.Tone.WARNING


def test_chart_stacks_sequential_stages_and_keeps_the_rest_of_voice_to_voice_as_other():
    parts = dict(segments(TURN))
    assert set(parts) == {S.ENDPOINTING, S.LLM_FIRST_TOKEN, S.TTS_FIRST_AUDIO, OTHER}
    assert sum(parts.values()) == pytest.approx(TURN[S.VOICE_TO_VOICE])
    assert S.STT_FINAL not in parts  # overlaps endpointing: drawn as a tick, not stacked


def test_chart_hover_shows_the_turns_exact_figures(qtbot):
    chart = shown(qtbot, LatencyChart())
    chart.resize(400, 200)
    second = {**TURN, S.LLM_FIRST_TOKEN: 0.41}
    chart.set_data([TURN, second], p50=0.70, p95=0.80, budget=0.8, numbers=[3, 4])
    rect = chart.bar_rect(1)
    assert chart.bar_at(rect.center().x()) == 1
    qtbot.mouseMove(chart, rect.center().toPoint())
    qtbot.waitUntil(lambda: QToolTip.isVisible(), timeout=2000)
    text = QToolTip.text()
    assert text.splitlines()[0] == "Turn 4"
    assert "LLM first token: 410.0 ms" in text and "Voice to voice: 740.0 ms" in text
    assert chart.bar_at(rect.right() + 200) is None
    qtbot.mouseMove(chart, QPoint(2, 2))


def test_chart_repaints_only_when_data_changes(qtbot, paint_counter):
    chart = shown(qtbot, LatencyChart())
    qtbot.wait(30)
    paint_counter.reset()
    chart.set_data([TURN], p50=0.74, p95=0.74, budget=0.8)
    qtbot.waitUntil(lambda: paint_counter.of(chart) == 1, timeout=1000)
    chart.set_data([dict(TURN)], p50=0.74, p95=0.74, budget=0.8)
    qtbot.wait(50)
    assert paint_counter.of(chart) == 1
    assert "p50 740 ms, p95 740 ms" in chart.accessibleDescription()


def test_panel_fills_gauges_and_chart_from_conversation_events(qtbot):
    panel = shown(qtbot, LatencyPanel())
    conversation = Conversation()
    feed(conversation, *exchange("one", ["reply"], TURN), *exchange("two", ["reply"], {**TURN, S.VOICE_TO_VOICE: 0.9}))
    panel.refresh(conversation)
    assert all(g.summary.count == 2 for stage, g in panel.gauges.items() if stage is not S.TOOLS)
    assert panel.gauges[S.TOOLS].summary.count == 0  # no tool was called
    assert panel.gauges[S.VOICE_TO_VOICE].summary.last == pytest.approx(0.9)
    assert panel.gauges[S.VOICE_TO_VOICE].tone is theme.Tone.WARNING
    assert panel.gauges[S.STT_FINAL].tone is theme.Tone.GOOD
    assert panel.chart.turn_count == 2
    assert panel.chart.turn_tooltip(1).startswith("Turn 2")


def test_panel_budgets_are_editable(qtbot):
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    assert panel.budgets == DEFAULT_BUDGETS
    panel.set_budgets({**DEFAULT_BUDGETS, S.LLM_FIRST_TOKEN: 0.5})
    assert panel.gauges[S.LLM_FIRST_TOKEN].budget == 0.5
