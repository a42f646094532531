"""After a conversation, and continuing one, in the real window: the app's composition root, the Pipecat engine on
its own thread, the loopback simulator and the real history file (in a temporary home); only the sound card is the
engine's in-memory device.

Ending the session (the window's End button) gets the conversation a title, a summary and the default fields from
the simulated language model, saved in history: the History window lists and shows them, its search finds words
only the summary holds, and the JSON export carries them. History > Continue then starts a session whose first
request to the language model carries the past turns, and what is said next is saved to the same conversation."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import AgentState
from desktop_agent.storage.history import HistoryStore, default_history_path
from desktop_agent.ui.session_phase import SessionPhase
from tests.conftest import run_async
from tests.e2e.conftest import desktop_app

pytestmark = pytest.mark.e2e

QUESTION = "Please remind me to book the train to Lyon tomorrow"
REPLY = "I will remind you tomorrow morning."
FOLLOW_UP = "And the return trip?"
FOLLOW_UP_REPLY = "Sunday evening works well."


@pytest.fixture
def desktop(qtbot, qloop, isolated_user_dirs):
    with desktop_app(qtbot, "instant", record_history=True) as (app, simulator):
        yield app, simulator


def _type(qtbot, app, text: str) -> None:
    box = app.window.typed_turn
    qtbot.waitUntil(lambda: box.available, timeout=30_000)
    box.line.setFocus()
    QTest.keyClicks(box.line, text)
    QTest.keyClick(box.line, Qt.Key.Key_Return)


def _replies(app) -> list[str]:
    return [t.text for t in app.bridge.conversation.turns if t.role is Role.ASSISTANT and t.finished]


def _conversation_requests(simulator) -> list[dict]:
    return [r for r in simulator.llm_requests() if "response_format" not in r]


def test_an_ended_conversation_is_summarized_shown_found_exported_and_continued(desktop, qtbot, tmp_path):
    app, simulator = desktop
    run_async(qtbot, app.start(), timeout_ms=60_000)
    qtbot.waitUntil(lambda: app.bridge.conversation.agent_state is AgentState.LISTENING, timeout=30_000)
    simulator.llm.script([REPLY])
    _type(qtbot, app, QUESTION)
    qtbot.waitUntil(lambda: _replies(app) == [REPLY], timeout=30_000)

    QTest.mouseClick(app.window.session_button, Qt.MouseButton.LeftButton)  # End
    store = app.history_store
    qtbot.waitUntil(lambda: any(c.summary for c in store.list_conversations()), timeout=30_000)
    (row,) = store.list_conversations()
    stored = store.get_conversation(row.id)
    assert stored.title == "Please remind me to book the"  # the simulated model's title: the first words
    assert stored.summary == (
        "The user asked: Please remind me to book the train to Lyon tomorrow. The assistant answered: I will remind "
        "you tomorrow morning."
    )
    assert stored.fields == {"action_items": [QUESTION], "follow_up_date": "tomorrow"}
    assert app.controller.phase is SessionPhase.STOPPED

    app.open_history()
    history = app.history_window
    qtbot.waitUntil(lambda: history.conversation_list.count() == 1, timeout=10_000)
    assert stored.summary[:60] in history.conversation_list.item(0).text()
    history.conversation_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: history.reader.conversation is not None, timeout=10_000)
    shown = history.reader.toPlainText()
    assert "Summary" in shown and stored.summary in shown
    assert f"action items: {QUESTION}" in shown and "follow up date: tomorrow" in shown
    # "answered" is only in the summary: the search finds the conversation by it and quotes the summary.
    history.search_box.setText("answered")
    qtbot.waitUntil(lambda: "1 conversation matches" in history.status.text(), timeout=10_000)
    assert "The assistant answered" in history.conversation_list.item(0).text()
    history.search_box.setText("")
    qtbot.waitUntil(lambda: history.status.text() == "1 conversation.", timeout=10_000)
    exported = run_async(qtbot, history.export_to(tmp_path / "conversation.json"))
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert (document["summary"], document["fields"]) == (stored.summary, stored.fields)

    # Continue it: a new session whose language model remembers the past turns.
    history.conversation_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: history.continue_button.isEnabled(), timeout=10_000)
    requests_before = len(_conversation_requests(simulator))
    QTest.mouseClick(history.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.controller.phase is SessionPhase.RUNNING, timeout=30_000)
    qtbot.waitUntil(lambda: app.bridge.conversation.agent_state is AgentState.LISTENING, timeout=30_000)
    assert app.bridge.conversation.turns == []  # the window's transcript starts afresh
    simulator.llm.script([FOLLOW_UP_REPLY])
    _type(qtbot, app, FOLLOW_UP)
    qtbot.waitUntil(lambda: _replies(app) == [FOLLOW_UP_REPLY], timeout=30_000)
    (request,) = _conversation_requests(simulator)[requests_before:]
    said = [(m["role"], m["content"]) for m in request["messages"] if m["role"] != "system"]
    assert said == [("user", QUESTION), ("assistant", REPLY), ("user", FOLLOW_UP)]

    assert app.recorder.flush(timeout=10)
    (still_one,) = store.list_conversations()
    assert still_one.id == row.id
    assert [(t.role, t.text) for t in store.get_conversation(row.id).turns] == [
        (Role.USER, QUESTION),
        (Role.ASSISTANT, REPLY),
        (Role.USER, FOLLOW_UP),
        (Role.ASSISTANT, FOLLOW_UP_REPLY),
    ]

    # Closing the app ends the continued conversation: it is summarized again with what was said since (closing waits
    # 4 s at most for that; a summary not made by then is left due, for the next start).
    run_async(qtbot, app.shutdown(), timeout_ms=30_000)
    with HistoryStore(default_history_path()) as reopened:
        closed, due = reopened.get_conversation(row.id), reopened.summaries_due()
    assert closed.summary.endswith(f"The assistant answered: {FOLLOW_UP_REPLY}") or due == [row.id], (closed, due)
