"""The console through provider trouble: ``r`` gives the last turn that got no reply again, and a connection that
goes down and comes back is said in a line each.

In-process: the real console, engine and simulator, faults switched with the console's own ``f``. The only fake is
the sound card (the in-memory one), so speech can be pushed into it, as in the other console tests.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import time

import pytest

from desktop_agent.console.app import ConsoleApp
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.simulator import Simulator
from desktop_agent.simulator.fault_presets import fault_presets
from tests.console.test_console_faults import TypedConsole

# Scripted replies (tests/conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("replies_start_on_the_final")]

QUESTION = "What is the capital of France?"
REPLY = "The capital of France is Paris."
NUMBER = {preset.key: n for n, preset in enumerate(fault_presets(), 1)}


@pytest.mark.asyncio
async def test_r_retries_a_turn_the_language_model_refused_and_says_when_there_is_nothing_to_retry(
    isolated_user_dirs, speech
):
    async with Simulator(profile="instant") as sim:
        sim.stt.script([QUESTION])
        sim.llm.script([REPLY])
        backend = MemoryAudioBackend()
        out = io.StringIO()
        read_fd, write_fd = os.pipe()
        args = argparse.Namespace(simulate=True, profile="instant", no_audio=False, log_level="INFO")
        app = ConsoleApp(args, stdin=os.fdopen(read_fd, "r"), stdout=out, simulator=sim, audio_backend=backend,
                         record_history=False)
        run = asyncio.ensure_future(app.run())

        def type_line(line: str) -> None:
            os.write(write_fd, line.encode() + b"\n")

        async def printed(text: str, timeout: float = 30.0) -> None:
            deadline = time.monotonic() + timeout
            while text not in out.getvalue():
                if time.monotonic() > deadline or run.done():
                    raise AssertionError(f"{text!r} never came; the console printed:\n{out.getvalue()}")
                await asyncio.sleep(0.02)

        try:
            await printed("Push-to-talk: press Enter")
            await sim.wait_for(lambda: sim.stt_connections() and sim.tts_connections(), timeout=10)
            type_line("r")
            await printed("There is nothing to retry: no turn is waiting for a reply.")

            type_line(f"f {NUMBER['llm.refuse']}")
            await printed("Refuse requests (503)")
            type_line("")
            await printed("Listening ...")
            backend.push_input(speech(QUESTION))
            await asyncio.to_thread(backend.wait_input_drained)
            await asyncio.sleep(0.06)  # the tail of the speech reaches the engine before the release
            type_line("")
            await printed(f"You: {QUESTION}")
            await printed("so this turn got no reply. Type r to ask again.", timeout=60)
            assert f"Assistant: {REPLY}" not in out.getvalue()

            type_line("f 0")
            await printed("All simulated faults are off.")
            type_line("r")
            await printed("Retrying the last turn ...")
            await printed(f"Assistant: {REPLY}", timeout=30)
            type_line("q")
            code = await asyncio.wait_for(run, 20)
        finally:
            os.close(write_fd)
            if not run.done():
                run.cancel()

    text = out.getvalue()
    assert code == 0, text
    assert "Traceback" not in text
    assert text.count(f"You: {QUESTION}") == 1, "the retry asks again without the user repeating themselves"


@pytest.mark.asyncio
async def test_a_speech_to_text_outage_is_a_line_when_it_starts_and_one_when_it_is_back(isolated_user_dirs):
    async with Simulator(profile="instant") as sim:
        console = TypedConsole(sim, simulate=True)
        await console.wait_for("Push-to-talk: press Enter")
        await sim.wait_for(lambda: sim.stt_connections() and sim.tts_connections(), timeout=10)
        console.type(f"f {NUMBER['stt.refuse']}")  # the connection is cut and reconnecting is refused (503)
        await console.wait_for("Speech-to-text connection lost at ")
        console.type("f 0")
        await console.wait_for("Speech-to-text is back")
        code = await console.quit()
    text = console.out.getvalue()
    assert code == 0, text
    lost = next(line for line in text.splitlines() if line.startswith("Speech-to-text connection lost at "))
    assert re.fullmatch(r"Speech-to-text connection lost at \d\d:\d\d:\d\d; reconnecting \(next attempt "
                        r"(now|in \d+ s)\)\.", lost), lost
    assert text.count("Speech-to-text connection lost") == 1, "one line per outage, not one per attempt"
    assert "dropped. Reconnecting" not in text and "(reconnecting ...)" not in text, "said once, by the outage line"
