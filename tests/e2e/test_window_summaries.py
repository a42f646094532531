"""After a conversation, and continuing one, in the real window: the app's composition root, the Pipecat engine on
its own thread, the loopback simulator and the real history file (in a temporary home); only the sound card is the
engine's in-memory device.

Ending the session (the window's End button) gets the conversation a title, a summary and the default fields from
the simulated language model, saved in history: the History window lists and shows them, its search finds words
only the summary holds, and the JSON export carries them. History > Continue then starts a session whose first
request to the language model carries the past turns, the window's transcript shows those turns and "Continued from
<date>" before what is said next, and that is saved to the same conversation. New conversation then clears it all."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_agent.state.conversation import Role, Turn
from desktop_agent.state.events import AgentState
from desktop_agent.storage.history import HistoryStore, default_history_path
from desktop_agent.ui.history.conversation_list import local_time
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


_EXCHANGE = ((Role.USER, "Question"), (Role.ASSISTANT, "Answer"))


def _conversation_requests(simulator) -> list[dict]:
    return [r for r in simulator.llm_requests() if "response_format" not in r]


def _shown(app) -> list[tuple[Role, str, bool]]:
    """The window's transcript rows: role, text, and whether the turn is an earlier one of a continued conversation."""
    model = app.window.transcript.transcript_model()
    return [(turn.role, turn.text, turn.earlier) for turn in model.turns()]


def _dividers(app) -> list[tuple[int, str]]:
    model = app.window.transcript.transcript_model()
    return [(row, model.divider(row)) for row in range(model.rowCount()) if model.divider(row)]


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
    # The transcript shows what the assistant remembers, as it was, then the divider; new turns follow.
    assert _shown(app) == [(Role.USER, QUESTION, True), (Role.ASSISTANT, REPLY, True)]
    divider = f"Continued from {local_time(stored.started_at)}"
    assert _dividers(app) == [(1, divider)]
    simulator.llm.script([FOLLOW_UP_REPLY])
    _type(qtbot, app, FOLLOW_UP)
    qtbot.waitUntil(lambda: _replies(app) == [REPLY, FOLLOW_UP_REPLY], timeout=30_000)
    assert _shown(app) == [
        (Role.USER, QUESTION, True),
        (Role.ASSISTANT, REPLY, True),
        (Role.USER, FOLLOW_UP, False),
        (Role.ASSISTANT, FOLLOW_UP_REPLY, False),
    ]
    assert _dividers(app) == [(1, divider)]
    assert f"Assistant: {REPLY}\n— {divider} —\n" in app.window.transcript.all_text()
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


def _seed_conversation(store: HistoryStore, started_at: float, exchanges: int) -> int:
    """``exchanges`` stored exchanges ("Question n", "Answer n"); the last but one reply was interrupted and the last
    one not spoken (as the window stores them)."""
    conversation_id = store.begin_conversation(started_at=started_at)
    for n in range(1, exchanges + 1):
        at = started_at + 60 * n
        store.record_turn(conversation_id, Turn(2 * n - 1, Role.USER, at, f"Question {n}", ended_at=at + 5))
        reply = Turn(2 * n, Role.ASSISTANT, at + 6, f"Answer {n}", ended_at=at + 9)
        reply.interrupted, reply.spoken = n == exchanges - 1, n != exchanges
        store.record_turn(conversation_id, reply)
    return conversation_id


def test_a_continued_conversation_shows_what_is_remembered_and_new_conversation_clears_it(desktop, qtbot):
    app, simulator = desktop
    run_async(qtbot, app.start(), timeout_ms=60_000)
    qtbot.waitUntil(lambda: app.bridge.conversation.agent_state is AgentState.LISTENING, timeout=30_000)
    store = app.history_store
    started_at = 1_700_000_000.0
    past = _seed_conversation(store, started_at, exchanges=12)
    app.runtime.settings.conversation.max_history_exchanges = 10  # the assistant remembers the last ten exchanges

    assert run_async(qtbot, app.continue_conversation(past), timeout_ms=30_000)
    qtbot.waitUntil(lambda: app.bridge.conversation.agent_state is AgentState.LISTENING, timeout=30_000)
    remembered = [(role, f"{word} {n}") for n in range(3, 13) for role, word in _EXCHANGE]
    assert _shown(app) == [(role, text, True) for role, text in remembered]
    model = app.window.transcript.transcript_model()
    assert [(t.interrupted, t.spoken) for t in model.turns()[-3:]] == [(True, True), (False, True), (False, False)]
    divider = f"Continued from {local_time(started_at)}"
    assert _dividers(app) == [(19, divider)]
    accessible = model.index(19).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "Answer 12" in accessible and "not spoken" in accessible and accessible.endswith(f"{divider}.")

    simulator.llm.script([FOLLOW_UP_REPLY])
    _type(qtbot, app, FOLLOW_UP)
    qtbot.waitUntil(lambda: _replies(app)[-1] == FOLLOW_UP_REPLY, timeout=30_000)
    assert _shown(app)[20:] == [(Role.USER, FOLLOW_UP, False), (Role.ASSISTANT, FOLLOW_UP_REPLY, False)]
    assert _dividers(app) == [(19, divider)]
    (request,) = [r for r in _conversation_requests(simulator) if r["messages"][-1].get("content") == FOLLOW_UP]
    said = [m["content"] for m in request["messages"] if m["role"] != "system"]
    assert said == [text for _role, text in remembered] + [FOLLOW_UP]

    # New conversation clears the transcript, the earlier turns and the divider; what follows is a new conversation.
    app.window.new_conversation_action.trigger()
    qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=30_000)
    assert app.bridge.conversation.continued_from is None and _dividers(app) == []
    simulator.llm.script([REPLY])
    _type(qtbot, app, QUESTION)
    qtbot.waitUntil(lambda: _replies(app) == [REPLY], timeout=30_000)
    assert _shown(app) == [(Role.USER, QUESTION, False), (Role.ASSISTANT, REPLY, False)]
    assert app.recorder.flush(timeout=10)
    rows = store.list_conversations()
    assert len(rows) == 2
    assert [t.text for t in store.get_conversation(past).turns][-2:] == [FOLLOW_UP, FOLLOW_UP_REPLY]
    assert len(store.get_conversation(past).turns) == 26
    (new,) = [row for row in rows if row.id != past]
    assert [(t.role, t.text) for t in store.get_conversation(new.id).turns] == [
        (Role.USER, QUESTION),
        (Role.ASSISTANT, REPLY),
    ]
