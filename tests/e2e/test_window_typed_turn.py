"""Type instead of talk in the real window: the app's composition root, the Pipecat engine on its own thread and the
loopback simulator; only the sound card is the engine's in-memory device, so the played audio can be inspected.

A line typed into the window's box and sent with Enter is the user's turn and gets a spoken reply; with *Reply in
text* ticked, the next reply is shown in the transcript and not played."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import AgentState
from tests.conftest import run_async
from tests.e2e.conftest import desktop_app

pytestmark = pytest.mark.e2e

QUESTION = "What should I bring to the meeting?"
REPLY = "Bring your notes and the latest figures."
FOLLOW_UP = "And what time does it start?"
FOLLOW_UP_REPLY = "It starts at ten o'clock."


@pytest.fixture
def desktop(qtbot, qloop, isolated_user_dirs):
    with desktop_app(qtbot, "instant") as (app, simulator):
        yield app, simulator


def test_a_typed_turn_is_answered_aloud_or_in_text(desktop, qtbot):
    app, simulator = desktop
    window, conversation = app.window, app.bridge.conversation
    run_async(qtbot, app.start(), timeout_ms=60_000)
    qtbot.waitUntil(lambda: conversation.agent_state is AgentState.LISTENING, timeout=30_000)
    qtbot.waitUntil(lambda: window.typed_turn.available, timeout=5_000)
    simulator.llm.script([REPLY, FOLLOW_UP_REPLY])

    def replies() -> list[tuple[str, bool]]:
        return [(t.text, t.spoken) for t in conversation.turns if t.role is Role.ASSISTANT and t.finished]

    box = window.typed_turn
    box.line.setFocus()
    sent = time.monotonic()
    QTest.keyClicks(box.line, QUESTION)
    QTest.keyClick(box.line, Qt.Key.Key_Return)
    assert box.line.text() == ""
    qtbot.waitUntil(lambda: replies() == [(REPLY, True)], timeout=30_000)
    assert sum(c.ends - c.starts for c in app.audio_backend.audible() if c.starts > sent) > 1.0

    qtbot.waitUntil(lambda: conversation.agent_state is AgentState.LISTENING, timeout=20_000)
    # The speaker's buffer plays the reply's last samples after the assistant is said to have stopped.
    qtbot.waitUntil(lambda: app.audio_backend.audible()[-1].ends < time.monotonic() - 0.1, timeout=5_000)
    box.reply_in_text.setChecked(True)
    sent = time.monotonic()
    QTest.keyClicks(box.line, FOLLOW_UP)
    QTest.keyClick(box.line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(replies()) == 2, timeout=30_000)
    assert replies()[-1] == (FOLLOW_UP_REPLY, False)
    assert not [c for c in app.audio_backend.audible() if c.starts > sent], "a reply asked for in text was played"
    assert [t.text for t in conversation.turns if t.role is Role.USER] == [QUESTION, FOLLOW_UP]
    model = window.transcript.transcript_model()
    shown = [model.data(model.index(row)) for row in range(model.rowCount())]
    assert shown == [QUESTION, REPLY, FOLLOW_UP, FOLLOW_UP_REPLY]
    assert not window.banner.isVisible(), window.banner.text
