"""The console's ``f`` command switches the simulator's faults, with --simulate only.

In-process: the real console, engine and simulator; lines typed into a pipe. The only fake is the sound card (the
in-memory one), as in the other console tests.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import time

import pytest

from desktop_agent.console.app import ConsoleApp
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.simulator import Simulator
from desktop_agent.simulator.fault_presets import fault_presets

pytestmark = pytest.mark.e2e

NUMBER = {preset.key: n for n, preset in enumerate(fault_presets(), 1)}


class TypedConsole:
    """A console app on this loop, fed through a pipe, its output collected."""

    def __init__(self, sim: Simulator, simulate: bool, *, record_history: bool = False, continue_last: bool = False):
        self.out = io.StringIO()
        read_fd, self._write_fd = os.pipe()
        args = argparse.Namespace(simulate=simulate, profile="instant", no_audio=True, log_level="INFO",
                                  continue_last=continue_last)
        self.app = ConsoleApp(args, stdin=os.fdopen(read_fd, "r"), stdout=self.out, simulator=sim,
                              audio_backend=MemoryAudioBackend(), record_history=record_history)
        self.run = asyncio.ensure_future(self.app.run())

    def type(self, line: str) -> None:
        os.write(self._write_fd, line.encode() + b"\n")

    async def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.out.getvalue():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never came; the console printed:\n{self.out.getvalue()}")
            await asyncio.sleep(0.02)

    async def quit(self) -> int:
        try:
            self.type("q")
            return await asyncio.wait_for(self.run, 20)
        finally:
            os.close(self._write_fd)
            if not self.run.done():
                self.run.cancel()


@pytest.mark.asyncio
async def test_f_lists_switches_on_and_clears_the_simulators_faults(isolated_user_dirs):
    async with Simulator(profile="instant") as sim:
        console = TypedConsole(sim, simulate=True)
        await console.wait_for("Push-to-talk: press Enter")
        await sim.wait_for(lambda: sim.stt_connections() and sim.tts_connections(), timeout=10)
        console.type("?")
        await console.wait_for("f N switches fault N on")
        console.type("f")
        await console.wait_for("Simulated faults:")
        console.type(f"f {NUMBER['llm.rate_limit']}")
        await console.wait_for("Language model: Rate-limit (429, retry-after 2 s) for 20 s: on.")
        assert [(f.kind, f.status) for f in sim.faults("cerebras")] == [("http", 429)]
        console.type("f")
        await console.wait_for(f"{NUMBER['llm.rate_limit']:>3}  Language model: Rate-limit (429, retry-after 2 s) "
                               "for 20 s  (on)")
        console.type(f"f {NUMBER['stt.drop']}")
        await console.wait_for("Speech-to-text: Drop the connection now: done.")
        await sim.wait_for(lambda: sim.select("cartesia", "connections_dropped"), timeout=10)
        assert sim.select("cartesia", "connections_dropped")[0].data == {"count": 1}
        console.type("f 99")
        await console.wait_for("There is no fault '99'")
        console.type("f clear")
        await console.wait_for("All simulated faults are off.")
        assert all(sim.faults(provider) == [] for provider in ("cartesia", "cerebras", "elevenlabs"))
        code = await console.quit()
    printed = console.out.getvalue()
    assert code == 0, printed
    assert "Traceback" not in printed
    listing = printed.split("Simulated faults:\n", 1)[1].split("f N switches", 1)[0].lower()
    assert len(listing.splitlines()) == len(NUMBER)
    assert not any(vendor in listing for vendor in ("cartesia", "cerebras", "elevenlabs"))


@pytest.mark.asyncio
async def test_without_simulate_f_says_it_needs_simulate_and_the_help_leaves_it_out(isolated_user_dirs):
    async with Simulator(profile="instant") as sim:  # the session needs providers; the flag is what is missing
        console = TypedConsole(sim, simulate=False)
        await console.wait_for("Push-to-talk: press Enter")
        console.type("f 3")
        await console.wait_for("Faults are only available with --simulate")
        console.type("?")
        await console.wait_for("q   quit")
        code = await console.quit()
    printed = console.out.getvalue()
    assert code == 0, printed
    assert "f N" not in printed and sim.faults("cerebras") == []
