"""Engine test rig: the loopback simulator, an engine config pointing at it, and a harness that runs a
:class:`VoiceSession` on the test's own loop with the in-memory sound card (real-time paced, see memory_audio.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pytest
import pytest_asyncio

from desktop_agent.engine.audio_backend import AudioBackend
from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.engine.session import VoiceSession
from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator
from desktop_agent.state.events import (
    AgentState,
    AssistantTurnEnded,
    AudioLevel,
    ErrorOccurred,
    Event,
    TurnMode,
)

E = TypeVar("E", bound=Event)


@pytest_asyncio.fixture
async def sim():
    async with Simulator(profile="instant") as simulator:
        yield simulator


def config_for(sim: Simulator, **changes) -> EngineConfig:
    """A session on the simulator. Speculative replies are off unless asked for: the simulated language model gives
    its scripted replies one per request, and a speculation the final transcript does not confirm (the simulated
    interims lag the final one by a word) makes a request of its own, which would take the reply scripted for the
    turn. tests/engine/test_speculation.py turns it on."""
    config = EngineConfig(
        stt=ProviderEndpoint(SIMULATOR_API_KEYS["cartesia"], sim.cartesia_url),
        llm=ProviderEndpoint(SIMULATOR_API_KEYS["cerebras"], sim.cerebras_url),
        tts=ProviderEndpoint(SIMULATOR_API_KEYS["elevenlabs"], sim.elevenlabs_url),
        speculative_replies=False,
    )
    for name, value in changes.items():
        setattr(config, name, value)
    return config


class EngineHarness:
    """A session on the current loop, with every event kept (in order) for the test to wait on and inspect."""

    def __init__(self, config: EngineConfig, backend: AudioBackend | None = None, **session_options):
        self.backend = backend or MemoryAudioBackend()
        self.events: list[Event] = []
        self.session = VoiceSession(config, self.events.append, audio=self.backend, **session_options)
        self.task: asyncio.Task | None = None

    async def start(self, timeout: float = 20.0) -> None:
        self.task = asyncio.ensure_future(self.session.run_in_loop())
        await self.until(lambda: self.session.ready or self.task.done(), timeout, "the session to become ready")
        assert self.session.ready, f"session did not start: {self.errors()}"
        assert self.session.state is AgentState.LISTENING

    async def stop(self) -> None:
        if self.task is None:
            return
        self.session.stop()
        await asyncio.wait_for(self.task, 15.0)

    async def until(self, condition: Callable[[], object], timeout: float = 10.0, what: str = "a condition"):
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                recent = "\n  ".join(repr(e) for e in self.quiet_events()[-25:])
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; recent events:\n  {recent}")
            await asyncio.sleep(0.01)

    def of(self, cls: type[E], since: int = 0) -> list[E]:
        return [e for e in self.events[since:] if isinstance(e, cls)]

    async def wait(self, cls: type[E], since: int = 0, timeout: float = 10.0, where=lambda e: True) -> E:
        return await self.until(
            lambda: next((e for e in self.of(cls, since) if where(e)), None), timeout, cls.__name__
        )

    def errors(self) -> list[ErrorOccurred]:
        return self.of(ErrorOccurred)

    def mark(self) -> int:
        """An index into ``events``: pass it as ``since`` to look only at what happens from now on."""
        return len(self.events)

    async def speak(self, pcm: np.ndarray, trailing_silence: float = 0.0) -> None:
        """Say ``pcm`` into the microphone, in real time; returns when the last sample has been captured."""
        self.backend.push_input(pcm)
        if trailing_silence:
            self.backend.push_input(np.zeros(int(16000 * trailing_silence), dtype=np.int16))
        await asyncio.to_thread(self.backend.wait_input_drained)

    async def push_to_talk(self, pcm: np.ndarray) -> float:
        """Hold the button, speak, let go; returns the monotonic time of the release."""
        assert self.session.mode is TurnMode.PUSH_TO_TALK
        self.session.press_talk()
        await asyncio.sleep(0.05)
        await self.speak(pcm)
        await asyncio.sleep(0.06)  # the release follows the last word, as with a person
        released = time.monotonic()
        self.session.release_talk()
        return released

    async def exchange(self, pcm: np.ndarray, timeout: float = 20.0) -> AssistantTurnEnded:
        """One push-to-talk exchange: speak, then wait until the assistant's reply has been spoken."""
        since = self.mark()
        await self.push_to_talk(pcm)
        return await self.wait(AssistantTurnEnded, since, timeout)

    def quiet_events(self) -> list[Event]:
        return [e for e in self.events if not isinstance(e, AudioLevel)]


@pytest_asyncio.fixture
async def harness_factory():
    """``await make(config, backend=None)`` -> a started :class:`EngineHarness`; all are stopped afterwards."""
    made: list[EngineHarness] = []

    async def make(config: EngineConfig, backend: MemoryAudioBackend | None = None) -> EngineHarness:
        harness = EngineHarness(config, backend)
        made.append(harness)
        await harness.start()
        return harness

    yield make
    for harness in made:
        await harness.stop()


@pytest.fixture
def assert_no_key_leak():
    """Checks that no simulator API key appears in any event text."""

    def check(events: list[Event]) -> None:
        keys = list(SIMULATOR_API_KEYS.values())
        for event in events:
            text = repr(event)
            for key in keys:
                assert key not in text, f"API key leaked into {type(event).__name__}"

    return check
