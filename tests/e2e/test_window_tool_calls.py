"""Tool calls in the real window: the app's composition root on the loopback simulator (the engine's in-memory sound
card the only stand-in), a webhook action the user saved in the tools file with its secret header in the real
keyring, and a webhook served by the test on 127.0.0.1.

A typed request makes the language model (the emulator, scripted) call the action: the transcript shows the call's
card (tool, arguments, result, duration) before the spoken reply, the latency panel shows the tool time as its own
stage, and the history holds the call (its row and its details) and exports it."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_agent.config import paths
from desktop_agent.config.tool_secrets import ToolSecrets
from desktop_agent.config.tools import TOOLS_FILE_NAME, ToolLibrary, WebhookHeader, WebhookTool
from desktop_agent.simulator import ToolCall
from desktop_agent.state.conversation import Role
from desktop_agent.state.events import AgentState, Stage
from desktop_agent.storage.export import to_json, to_markdown
from desktop_agent.ui.transcript_model import TranscriptModel
from tests.conftest import run_async
from tests.e2e.conftest import desktop_app
from tests.webhook_server import WebhookServer

pytestmark = pytest.mark.e2e

SECRET = "hook-secret-91d2e7"


@pytest.fixture
def webhook():
    with WebhookServer() as server:
        yield server


@pytest.fixture
def ask_first():
    return False


@pytest.fixture
def saved_action(isolated_user_dirs, secret_service_keyring, webhook, ask_first):
    library = ToolLibrary(paths.config_dir() / TOOLS_FILE_NAME)
    library.put_webhook(
        WebhookTool(
            name="create_ticket",
            description="Open a support ticket.",
            url=webhook.url,
            parameters={"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
            headers=[WebhookHeader("X-Api-Key", secret=True)],
            ask_first=ask_first,
        )
    )
    secrets = ToolSecrets()
    secrets.set("create_ticket", "X-Api-Key", SECRET)
    yield library
    secrets.delete("create_ticket", "X-Api-Key")


def test_a_tool_call_is_carded_timed_spoken_and_saved(qtbot, qloop, saved_action, webhook):
    with desktop_app(qtbot, "instant", record_history=True) as (app, simulator):
        window, conversation = app.window, app.bridge.conversation
        run_async(qtbot, app.start(), timeout_ms=60_000)
        qtbot.waitUntil(lambda: conversation.agent_state is AgentState.LISTENING, timeout=30_000)
        qtbot.waitUntil(lambda: window.typed_turn.available, timeout=5_000)
        simulator.llm.script([ToolCall("create_ticket", {"title": "Printer jam"})])

        QTest.keyClicks(window.typed_turn.line, "Open a ticket about the printer jam.")
        QTest.keyClick(window.typed_turn.line, Qt.Key.Key_Return)

        def finished(role: Role) -> list:
            return [t for t in conversation.turns if t.role is role and t.finished]

        qtbot.waitUntil(lambda: bool(finished(Role.ASSISTANT)), timeout=30_000)
        # The webhook got the arguments and the secret header.
        [request] = webhook.requests
        assert json.loads(request["body"]) == {"title": "Printer jam"}
        assert request["headers"]["X-Api-Key"] == SECRET
        # The transcript: the user's words, the call's card, then the reply quoting the tool's answer.
        roles = [t.role for t in conversation.turns]
        assert roles == [Role.USER, Role.TOOL, Role.ASSISTANT]
        model = window.transcript.transcript_model()
        card = model.data(model.index(1), Qt.ItemDataRole.DisplayRole)
        head, outcome = card.splitlines()
        assert head == 'create_ticket(title: "Printer jam")'
        assert outcome.startswith('→ {"ticket":"T-1042","status":"open"} · ') and outcome.endswith("ms")
        assert model.data(model.index(1), TranscriptModel.TurnRole).tool.name == "create_ticket"
        reply = finished(Role.ASSISTANT)[0]
        assert "T-1042" in reply.text and reply.spoken
        # The card is painted as a row of its own (taller than a one-line bubble: two lines of text).
        view = window.transcript
        assert view.visualRect(model.index(1)).height() > view.visualRect(model.index(0)).height()
        # The latency panel shows the tool time as its own stage, and the reply carries it.
        tool_seconds = finished(Role.TOOL)[0].tool.seconds
        assert reply.latencies[Stage.TOOLS] == pytest.approx(tool_seconds)
        gauge = window.latency_panel.gauges[Stage.TOOLS]
        qtbot.waitUntil(lambda: gauge.summary is not None and gauge.summary.last is not None, timeout=5_000)
        assert gauge.summary.last == pytest.approx(tool_seconds)

        # History: the call is a row of the conversation, with its details, and in both exports.
        assert app.recorder is not None and app.recorder.flush(10)
        [stored] = app.history_store.get_all_conversations()
        assert [t.role for t in stored.turns] == [Role.USER, Role.TOOL, Role.ASSISTANT]
        call = stored.turns[1].tool
        assert call is not None and call.name == "create_ticket"
        assert json.loads(call.arguments) == {"title": "Printer jam"}
        assert call.result == '{"ticket":"T-1042","status":"open"}' and not call.error
        assert call.seconds == pytest.approx(tool_seconds)
        assert stored.turns[2].latencies[Stage.TOOLS] == pytest.approx(tool_seconds)
        exported = json.loads(to_json(stored))
        assert exported["turns"][1]["tool_call"] == {
            "name": "create_ticket",
            "arguments": {"title": "Printer jam"},
            "result": '{"ticket":"T-1042","status":"open"}',
            "error": "",
            "seconds": round(tool_seconds, 3),
        }
        markdown = to_markdown(stored)
        assert "**Tool**" in markdown and 'create\\_ticket(title: "Printer jam")' in markdown
        assert SECRET not in markdown and SECRET not in json.dumps(exported)


@pytest.mark.parametrize("ask_first", [True])
def test_ask_before_running_is_answered_with_a_click(qtbot, qloop, saved_action, webhook):
    with desktop_app(qtbot, "instant") as (app, simulator):
        window, conversation = app.window, app.bridge.conversation
        run_async(qtbot, app.start(), timeout_ms=60_000)
        qtbot.waitUntil(lambda: conversation.agent_state is AgentState.LISTENING, timeout=30_000)
        qtbot.waitUntil(lambda: window.typed_turn.available, timeout=5_000)
        simulator.llm.script([ToolCall("create_ticket", {"title": "Printer jam"})])
        QTest.keyClicks(window.typed_turn.line, "Open a ticket about the printer jam.")
        QTest.keyClick(window.typed_turn.line, Qt.Key.Key_Return)

        bar = window.tool_confirmation
        qtbot.waitUntil(bar.isVisible, timeout=30_000)
        assert bar.question.text() == 'Run create_ticket(title: "Printer jam")? Say yes or no, or answer here.'
        card = next(t for t in conversation.turns if t.role is Role.TOOL)
        assert card.text.splitlines()[1] == "waiting for your yes or no…"
        qtbot.waitUntil(
            lambda: any(t.role is Role.ASSISTANT and t.finished for t in conversation.turns), timeout=30_000
        )
        assert [t.text for t in conversation.turns if t.role is Role.ASSISTANT] == [
            "Shall I run the create_ticket tool? Please say yes or no."
        ]
        assert webhook.requests == []

        qtbot.mouseClick(bar.yes_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(webhook.requests) == 1, timeout=30_000)
        qtbot.waitUntil(lambda: not bar.isVisible(), timeout=10_000)
        qtbot.waitUntil(
            lambda: len([t for t in conversation.turns if t.role is Role.ASSISTANT and t.finished]) == 2,
            timeout=30_000,
        )
        assert json.loads(webhook.requests[0]["body"]) == {"title": "Printer jam"}
        # The answer is the user's turn ("Yes."), the card shows the result, the reply is about it.
        assert [t.role for t in conversation.turns] == [Role.USER, Role.TOOL, Role.ASSISTANT, Role.USER, Role.ASSISTANT]
        assert conversation.turns[3].text == "Yes."
        assert conversation.turns[1].text.splitlines()[1].startswith('→ {"ticket":"T-1042","status":"open"} · ')
        assert "T-1042" in conversation.turns[4].text
