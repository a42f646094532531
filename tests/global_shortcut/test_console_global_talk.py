"""The console with push-to-talk from any app on: F8, held on the private X server while another X window has the
focus, is one full turn through the real console, engine and simulator (the only fake: the in-memory sound card, as
in the other console tests); a shortcut another app holds is one printed sentence, and Enter still talks."""

from __future__ import annotations

import asyncio
import time

import pytest

from desktop_agent.global_shortcut.shortcut import parse_shortcut
from desktop_agent.global_shortcut.x11 import taken_sentence
from desktop_agent.simulator import Simulator
from desktop_agent.state.conversation import Role
from tests.console.test_console_faults import TypedConsole
from tests.x_display import KeyThief

# Scripted replies (tests/conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("replies_start_on_the_final")]

QUESTION = "What should I bring to the meeting?"
REPLY = "Bring your notes and the latest figures."


@pytest.fixture
def global_talk_on(isolated_user_dirs, x_server, monkeypatch):
    monkeypatch.setenv("DISPLAY", x_server)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DESKTOP_AGENT_DESKTOP__GLOBAL_TALK", "true")
    monkeypatch.setenv("DESKTOP_AGENT_DESKTOP__GLOBAL_TALK_SHORTCUT", "F8")
    return x_server


async def speak(console: TypedConsole, audio) -> None:
    backend = console.app.audio_backend
    backend.push_input(audio)
    await asyncio.to_thread(backend.wait_input_drained)
    await asyncio.sleep(0.06)  # the last 20 ms blocks reach the engine before the release (not a wait for a result)


def turns(console: TypedConsole) -> list[tuple[Role, str]]:
    return [(t.role, t.text) for t in console.app.printer.conversation.turns]


@pytest.mark.asyncio
async def test_holding_f8_in_another_app_is_one_turn_in_the_console(global_talk_on, x_driver, speech):
    question = speech(QUESTION)
    async with Simulator(profile="instant") as sim:
        sim.stt.script([QUESTION])
        sim.llm.script([REPLY])
        console = TypedConsole(sim, simulate=False)
        await console.wait_for("Push-to-talk: press Enter")
        await console.wait_for("F8 works in every app (X11 key grab).")
        other = x_driver.other_app()
        x_driver.press("F8")
        await console.wait_for("Listening ... release F8 when you are done.")
        deadline = time.monotonic() + 20
        while console.app.global_talk.folded_repeats < 5:  # the server auto-repeats the held key meanwhile
            assert time.monotonic() < deadline, "no auto-repeat"
            await asyncio.sleep(0.05)
        await speak(console, question)
        x_driver.release("F8")
        await console.wait_for(f"Assistant: {REPLY}\n")
        await console.wait_for("  latency:")
        code = await console.quit()
    printed = console.out.getvalue()
    assert code == 0, printed
    assert turns(console) == [(Role.USER, QUESTION), (Role.ASSISTANT, REPLY)]
    assert printed.count("Listening ...") == 1
    assert all(code != x_driver.keycode("F8") for _kind, code in other.drain())
    assert "Traceback" not in printed


@pytest.mark.asyncio
async def test_a_taken_shortcut_is_one_sentence_and_enter_still_talks(global_talk_on, speech):
    question = speech(QUESTION)
    thief = KeyThief(global_talk_on, "F8")
    try:
        async with Simulator(profile="instant") as sim:
            sim.stt.script([QUESTION])
            sim.llm.script([REPLY])
            console = TypedConsole(sim, simulate=False)
            await console.wait_for("Push-to-talk: press Enter")
            await console.wait_for(f"! {taken_sentence(parse_shortcut('F8'))}\n")
            console.type("")
            await console.wait_for("Listening ... press Enter when you are done.")
            await speak(console, question)
            console.type("")
            await console.wait_for(f"Assistant: {REPLY}\n")
            code = await console.quit()
    finally:
        thief.close()
    assert code == 0, console.out.getvalue()
    assert turns(console) == [(Role.USER, QUESTION), (Role.ASSISTANT, REPLY)]
