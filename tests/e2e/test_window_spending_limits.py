"""Spending limits in the real window: the app's composition root, the Pipecat engine on its own thread and the
loopback simulator (only the sound card is the engine's in-memory device).

Priced at $1 a character spoken (nothing else charged), with a $100 budget per conversation set to stop: the first
reply (about 95 characters) puts a warning on the banner; the second uses the budget up, and once it has been said
whole the session stops with one sentence of why and how to go on. No new session starts until the budget is raised
(Settings > Prices, which the banner's button opens) or a new conversation begins; both replies stay in the
transcript."""

from __future__ import annotations

import time

import pytest

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import AgentState, ErrorKind
from desktop_agent.ui.error_banner import BannerAction
from desktop_agent.ui.session_phase import SessionPhase
from desktop_agent.ui.settings import SettingsPage
from tests.conftest import run_async
from tests.e2e.conftest import desktop_app

pytestmark = pytest.mark.e2e


def replies_asked_for(simulator) -> list[dict]:
    """The language model requests for replies (not the summary asked for when a conversation ends)."""
    return [request for request in simulator.llm_requests() if "response_format" not in request]

REPLIES = [
    "Bring your notes, the latest sales figures and a pen, and be there ten minutes before it starts.",
    "It starts at ten o'clock in the small meeting room on the second floor, next to the kitchen area.",
]


@pytest.fixture
def desktop(qtbot, qloop, isolated_user_dirs, monkeypatch):
    monkeypatch.setenv("DESKTOP_AGENT_PRICES__TTS_PER_THOUSAND_CHARACTERS", "1000")
    monkeypatch.setenv("DESKTOP_AGENT_PRICES__LLM_PER_MILLION_TOKENS", "0")
    monkeypatch.setenv("DESKTOP_AGENT_PRICES__STT_PER_AUDIO_HOUR", "0")
    monkeypatch.setenv("DESKTOP_AGENT_SPENDING__PER_CONVERSATION_USD", "100")
    monkeypatch.setenv("DESKTOP_AGENT_SPENDING__AT_LIMIT", "stop")
    with desktop_app(qtbot, "instant") as (app, simulator):
        yield app, simulator


def test_a_conversation_budget_warns_at_80_percent_and_stops_at_100(desktop, qtbot):
    app, simulator = desktop
    window, conversation, controller = app.window, app.bridge.conversation, app.controller
    run_async(qtbot, app.start(), timeout_ms=60_000)
    qtbot.waitUntil(lambda: conversation.agent_state is AgentState.LISTENING, timeout=30_000)
    qtbot.waitUntil(lambda: window.typed_turn.available, timeout=5_000)
    simulator.llm.script(REPLIES)

    def replies() -> list[tuple[str, bool]]:
        return [(t.text, t.interrupted) for t in conversation.turns if t.role is Role.ASSISTANT and t.finished]

    assert controller.send_typed_turn("What should I bring?")
    qtbot.waitUntil(lambda: replies() == [(REPLIES[0], False)], timeout=30_000)
    banner = window.banner
    assert banner.isVisible()
    assert banner.message.startswith("This conversation has cost $") and banner.message.endswith(
        "% of its $100.0000 budget."
    ), banner.message
    assert (banner.kind, banner.action) == (ErrorKind.BUDGET, BannerAction.OPEN_SETTINGS)
    assert controller.phase is SessionPhase.RUNNING

    qtbot.waitUntil(lambda: conversation.agent_state is AgentState.LISTENING, timeout=20_000)
    qtbot.waitUntil(lambda: app.audio_backend.audible()[-1].ends < time.monotonic() - 0.1, timeout=5_000)
    assert controller.send_typed_turn("When does it start?")
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.STOPPED, timeout=30_000)
    stop = (
        "To go on, raise the budget in Settings > Prices, or start a new conversation (Ctrl+N), then start the "
        "session again (Ctrl+Return); everything said so far is kept."
    )
    assert banner.message.startswith("The assistant stopped taking turns: this conversation has cost $")
    assert banner.message.endswith(stop), banner.message
    assert replies() == [(REPLIES[0], False), (REPLIES[1], False)], "the second reply was said whole, then it stopped"
    assert len(replies_asked_for(simulator)) == 2, "no turn after the stop"

    # Still over the budget: no new session, the same sentence again.
    banner.dismiss()
    assert controller.start() is False
    assert controller.phase is SessionPhase.STOPPED and banner.isVisible() and banner.message.endswith(stop)

    # The banner's button opens Settings > Prices; a raised budget lets the session start again.
    banner._action_button.click()
    dialog = app.settings_dialog
    assert dialog is not None and dialog.current_page() is SettingsPage.PRICES
    box = dialog.prices_page.spending
    assert (box.per_conversation.value(), box.at_limit.currentText()) == (100.0, "Stop taking turns")
    box.per_conversation.setValue(1000.0)
    box.per_conversation.editingFinished.emit()
    assert app.settings.spending.per_conversation_usd == 1000.0
    assert controller.start() is True
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.RUNNING, timeout=30_000)
    assert [t.text for t in conversation.turns if t.role is Role.ASSISTANT] == REPLIES


def test_a_new_conversation_lets_the_session_start_again(desktop, qtbot):
    app, simulator = desktop
    conversation, controller = app.bridge.conversation, app.controller
    run_async(qtbot, app.start(), timeout_ms=60_000)
    qtbot.waitUntil(lambda: conversation.agent_state is AgentState.LISTENING, timeout=30_000)
    simulator.llm.script([REPLIES[0] + " " + REPLIES[1]])  # one reply over the budget
    assert controller.send_typed_turn("Tell me everything.")
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.STOPPED, timeout=30_000)
    assert app.window.banner.message.startswith("The assistant stopped taking turns")
    assert controller.start() is False
    app.window.new_conversation_requested.emit()  # Ctrl+N
    qtbot.waitUntil(lambda: not conversation.turns, timeout=5_000)
    assert controller.start() is True
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.RUNNING, timeout=30_000)
    assert app.spending.watch.day_spent(conversation.cost_usd) >= 100, "the first conversation counts for the day"
