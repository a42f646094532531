"""The console takes a turn while the session is still connecting: Enter, words, Enter before speech-to-text is
up (its handshake is held back by the simulator), and the turn is transcribed whole and answered once it is."""

from __future__ import annotations

import argparse
import asyncio
import io
import os

import pytest

from desktop_agent.console.app import ConsoleApp
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.simulator import Fault, Simulator
from tests.console.test_console_e2e import until

# Scripted replies (tests/conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("replies_start_on_the_final")]

QUESTION = "Are you there yet?"
REPLY = "I am here now."


@pytest.mark.asyncio
async def test_enter_before_the_session_is_ready_keeps_the_turn(isolated_user_dirs, speech):
    async with Simulator(profile="instant") as sim:
        sim.stt.script([QUESTION])
        sim.llm.script([REPLY])
        # Speech-to-text answers its handshake 5 s late: the whole turn is spoken before the session is ready.
        sim.fault("cartesia", Fault.slow_first_byte(5.0, times=1, path_contains="/stt/websocket"))
        backend = MemoryAudioBackend()
        read_fd, write_fd = os.pipe()
        out = io.StringIO()
        args = argparse.Namespace(simulate=False, profile="instant", no_audio=False, log_level="INFO")
        app = ConsoleApp(args, stdin=os.fdopen(read_fd, "r"), stdout=out, simulator=sim, audio_backend=backend)
        run = asyncio.ensure_future(app.run())
        try:
            await until(lambda: app.session is not None, 30, "the session to exist", out.getvalue)
            os.write(write_fd, b"\n")
            await until(lambda: "still connecting: your words are kept" in out.getvalue(), 10, "the press",
                        out.getvalue)
            backend.push_input(speech(QUESTION))
            await asyncio.to_thread(backend.wait_input_drained)
            assert "Push-to-talk: press Enter" not in out.getvalue(), "the words were said before the session was ready"
            os.write(write_fd, b"\n")
            await until(lambda: f"Assistant: {REPLY}" in out.getvalue(), 30, "the reply", out.getvalue)
            os.write(write_fd, b"q\n")
            code = await asyncio.wait_for(run, 20)
        finally:
            os.close(write_fd)
            if not run.done():
                run.cancel()
    printed = out.getvalue()
    assert code == 0, printed
    assert f"You: {QUESTION}" in printed.splitlines()
    assert "Still connecting; one moment." not in printed
