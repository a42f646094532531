"""Holding Space and speaking the moment the window appears, while the engine is still loading: the words are
kept (the early microphone opens at the press) and the turn gets its reply once the session is up.

Real parts: the app's composition root, the engine on its own thread, the loopback simulator, espeak-ng speech,
pytest-qt key events. The sound card is the engine's in-memory device, so the speech can be fed in.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_agent.state.conversation import Role
from desktop_agent.ui.session_phase import SessionPhase
from tests.conftest import run_async
from tests.e2e.conftest import desktop_app
from tests.ui.conftest import send_key

# Scripted replies (tests/conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("replies_start_on_the_final")]

QUESTION = "Can you hear me already?"
REPLY = "Yes, I heard every word."


@pytest.fixture
def desktop(qtbot, qloop, isolated_user_dirs):
    with desktop_app(qtbot, "instant") as (app, simulator):
        yield app, simulator


def test_words_spoken_while_the_engine_loads_get_their_reply(desktop, qtbot, speech):
    app, simulator = desktop
    window, conversation = app.window, app.bridge.conversation
    simulator.stt.script([QUESTION])
    simulator.llm.script([REPLY])
    audio = speech(QUESTION)

    assert app.controller.phase is SessionPhase.LOADING and app.controller.session is None
    send_key(window.transcript, Qt.Key.Key_Space, press=True)
    assert window.controls.talk_button.held, "the press is taken while the engine loads"
    app.audio_backend.push_input(audio)
    qtbot.waitUntil(lambda: app.audio_backend.pending_input_secs() == 0, timeout=20_000)
    send_key(window.transcript, Qt.Key.Key_Space, press=False)
    assert app.controller.session is None, "the whole turn was spoken before any session existed"

    run_async(qtbot, app.start(), timeout_ms=60_000)

    def answered() -> bool:
        return any(t.role is Role.ASSISTANT and t.finished for t in conversation.turns)

    qtbot.waitUntil(answered, timeout=30_000)
    assert [t.text for t in conversation.turns if t.role is Role.USER] == [QUESTION]
    assert [t.text for t in conversation.turns if t.role is Role.ASSISTANT] == [REPLY]
    assert not window.banner.isVisible(), window.banner.text
