"""Push-to-talk from another app, through the real app: the composition root, the Pipecat engine on its thread and
the loopback simulator (prd profile), with the global shortcut grabbed on a private X server (Xvfb) while another X
window has the keyboard focus. Keys are pressed through XTEST, so the X server's own auto-repeat runs during a hold.
Qt itself renders offscreen: the grab is the listener's own X connection, as it is beside a real window.

Held F8 (hold style) is one full turn however long the server auto-repeats it; in toggle style a press starts the
turn and the next press ends it; a shortcut another app grabbed first is one sentence in the status bar, and Space
in the window is still a full turn.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from desktop_agent.global_shortcut.shortcut import parse_shortcut
from desktop_agent.global_shortcut.x11 import taken_sentence
from desktop_agent.state.conversation import Role
from desktop_agent.state.events import AgentState
from tests.conftest import run_async
from tests.e2e.conftest import desktop_app
from tests.ui.conftest import send_key
from tests.x_display import KeyThief

# Scripted replies (tests/conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("replies_start_on_the_final")]

QUESTION = "What is the weather like in Paris today?"
REPLY = "It is sunny and twenty two degrees in Paris, with a light breeze from the west."


@pytest.fixture
def desktop_on_x(qtbot, qloop, isolated_user_dirs, x_server, monkeypatch):
    """Starts the app with the global shortcut on (F8), on the private X server; ``style`` is "hold" or "toggle"."""
    monkeypatch.setenv("DISPLAY", x_server)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DESKTOP_AGENT_DESKTOP__GLOBAL_TALK", "true")
    monkeypatch.setenv("DESKTOP_AGENT_DESKTOP__GLOBAL_TALK_SHORTCUT", "F8")

    def start(style: str = "hold"):
        monkeypatch.setenv("DESKTOP_AGENT_DESKTOP__GLOBAL_TALK_STYLE", style)
        context = desktop_app(qtbot, "prd")
        app, simulator = context.__enter__()
        opened.append(context)
        run_async(qtbot, app.start(), timeout_ms=60_000)
        qtbot.waitUntil(lambda: app.bridge.conversation.agent_state is AgentState.LISTENING, timeout=30_000)
        qtbot.waitUntil(lambda: bool(app.global_talk.status), timeout=20_000)
        simulator.stt.script([QUESTION])
        simulator.llm.script([REPLY])
        return app

    opened: list = []
    yield start
    for context in opened:
        context.__exit__(None, None, None)


def speak_into(app, qtbot, audio) -> None:
    app.audio_backend.push_input(audio)
    qtbot.waitUntil(lambda: app.audio_backend.pending_input_secs() == 0, timeout=20_000)
    qtbot.wait(150)  # the end of the speech reaches the engine before the key goes up, as a person's would


def assert_one_full_turn(app, qtbot, since: float) -> None:
    conversation = app.bridge.conversation

    def reply_done() -> bool:
        replies = [t for t in conversation.turns if t.role is Role.ASSISTANT and t.finished]
        return bool(replies) and bool(replies[-1].latencies)

    qtbot.waitUntil(reply_done, timeout=45_000)
    qtbot.waitUntil(lambda: conversation.agent_state is AgentState.LISTENING, timeout=20_000)
    assert [t.text for t in conversation.turns if t.role is Role.USER] == [QUESTION]
    assert [t.text for t in conversation.turns if t.role is Role.ASSISTANT] == [REPLY]
    audible = [chunk for chunk in app.audio_backend.audible() if chunk.starts >= since]
    assert sum(chunk.ends - chunk.starts for chunk in audible) > 1.0  # the reply was played
    assert not app.window.banner.isVisible(), app.window.banner.text


def test_holding_f8_in_another_app_is_one_full_turn_through_auto_repeat(desktop_on_x, x_driver, qtbot, speech):
    app = desktop_on_x("hold")
    assert app.global_talk.registered, app.global_talk.status
    question = speech(QUESTION)
    other = x_driver.other_app()
    x_driver.press("F8")
    qtbot.waitUntil(lambda: app.window.controls.talk_button.held, timeout=10_000)
    # The server auto-repeats the held key; the hold (and the turn) goes on through the repeats.
    qtbot.waitUntil(lambda: app.global_talk.listener.folded_repeats >= 5, timeout=20_000)
    assert app.window.controls.talk_button.held
    speak_into(app, qtbot, question)
    assert app.window.controls.talk_button.held
    x_driver.release("F8")
    released_at = time.monotonic()
    qtbot.waitUntil(lambda: not app.window.controls.talk_button.held, timeout=10_000)
    assert_one_full_turn(app, qtbot, released_at)
    assert other.has_focus()
    assert all(code != x_driver.keycode("F8") for _kind, code in other.drain())  # F8 never reached the other app


def test_toggle_style_starts_with_one_press_and_ends_with_the_next(desktop_on_x, x_driver, qtbot, speech):
    app = desktop_on_x("toggle")
    question = speech(QUESTION)
    x_driver.other_app()
    x_driver.tap("F8")
    qtbot.waitUntil(lambda: app.window.controls.talk_button.held, timeout=10_000)
    qtbot.waitUntil(lambda: not app.global_talk.key_held, timeout=10_000)  # the key is up (release confirmed) …
    assert app.window.controls.talk_button.held  # … and the turn goes on
    speak_into(app, qtbot, question)
    assert not [t for t in app.bridge.conversation.turns if t.role is Role.ASSISTANT]  # no reply while talking
    x_driver.tap("F8")
    ended_at = time.monotonic()
    qtbot.waitUntil(lambda: not app.window.controls.talk_button.held, timeout=10_000)
    assert_one_full_turn(app, qtbot, ended_at)


def test_a_shortcut_taken_by_another_app_is_one_sentence_and_space_still_talks(desktop_on_x, x_server, qtbot, speech):
    thief = KeyThief(x_server, "F8")
    try:
        app = desktop_on_x("hold")
        sentence = taken_sentence(parse_shortcut("F8"))
        assert app.global_talk.status == sentence and not app.global_talk.registered
        assert app.window.status.currentMessage() == sentence
        question = speech(QUESTION)
        target = app.window.transcript
        target.setFocus()
        send_key(target, Qt.Key.Key_Space, press=True)
        assert app.window.controls.talk_button.held
        speak_into(app, qtbot, question)
        send_key(target, Qt.Key.Key_Space, press=False)
        released_at = time.monotonic()
        assert_one_full_turn(app, qtbot, released_at)
    finally:
        thief.close()
