"""Echo cancellation end to end: a hands-free :class:`VoiceSession` in real time, on the in-memory sound card with a
simulated room (:class:`AcousticPath`) that feeds what the speaker plays back into the microphone, against the
loopback simulator. The user's speech is espeak-ng; the replies are the simulator's synthetic voice.

The canceller is the real WebRTC one, wrapped only to record each microphone block before and after it, so the
test can measure the echo return loss enhancement (ERLE) and the delay the canceller adds. The room is the only
simulated part.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import pytest_asyncio

from desktop_agent.engine.acoustic import AcousticPath
from desktop_agent.engine.echo import EchoCanceller
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.engine.session import VoiceSession
from desktop_agent.state.events import (
    AssistantSpeechStarted,
    AssistantTurnEnded,
    ErrorOccurred,
    Interrupted,
    TurnMode,
    UserSpeechStarted,
    UserTranscript,
)
from tests.engine.conftest import EngineHarness, config_for
from tests.engine.test_echo import delay_samples

MIC_RATE = 16000
QUESTION = "Tell me something."
REPLIES = (
    "Sure, the sky is blue today.",
    "Paris is the capital of France.",
    "Your meeting starts at three.",
    "I added milk to your list.",
    "The train leaves in ten minutes.",
    "Water boils at one hundred degrees.",
    "The museum opens at nine.",
    "Your package arrived this morning.",
    "I will remind you tomorrow.",
    "Berlin is a big city.",
)
LONG_REPLY = (
    "The Eiffel Tower was built for the world fair of eighteen eighty nine. "
    "Gustave Eiffel's company designed and built it in about two years. "
    "Many artists protested against it at first and called it useless."
)
INTERRUPTION = "Stop please that is enough."
FOLLOW_UP = "Okay."
ECHO_TAIL_S = 0.3  # the room's echo outlasts the reply's last chunk by its delay plus reverberation


class RecordingCanceller:
    """The real :class:`EchoCanceller`, recording every capture block (time, before, after) for measurement."""

    def __init__(self, canceller: EchoCanceller):
        self.canceller = canceller
        self.blocks: list[tuple[float, bytes, bytes]] = []
        self._lock = threading.Lock()

    @property
    def failure(self) -> str | None:
        return self.canceller.failure

    def push_reference(self, pcm: bytes, sample_rate: int) -> None:
        self.canceller.push_reference(pcm, sample_rate)

    def process_capture(self, pcm: bytes) -> bytes:
        clean = self.canceller.process_capture(pcm)
        with self._lock:
            self.blocks.append((time.monotonic(), bytes(pcm), clean))
        return clean

    def set_enabled(self, enabled: bool) -> None:
        self.canceller.set_enabled(enabled)

    def set_noise_suppression(self, enabled: bool) -> None:
        self.canceller.set_noise_suppression(enabled)

    def between(self, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        """(microphone, cleaned) int16 for the blocks captured between two monotonic times."""
        with self._lock:
            chosen = [(raw, clean) for at, raw, clean in self.blocks if start <= at <= end]
        if not chosen:
            return np.zeros(0, np.int16), np.zeros(0, np.int16)
        raw = np.frombuffer(b"".join(r for r, _ in chosen), np.int16)
        clean = np.frombuffer(b"".join(c for _, c in chosen), np.int16)
        return raw, clean


class EchoHarness(EngineHarness):
    def __init__(self, config, backend: MemoryAudioBackend, canceller: RecordingCanceller):
        super().__init__(config, backend)
        self.canceller = canceller
        self.session = VoiceSession(config, self.events.append, audio=backend, echo_canceller=canceller)


@pytest_asyncio.fixture
async def echo_harness(sim):
    made: list[EchoHarness] = []

    async def make(*, cancel: bool, delay_ms: float | None = 80) -> EchoHarness:
        room = None if delay_ms is None else AcousticPath(delay_ms=delay_ms, gain_db=-6, rt60_s=0.15, seed=int(delay_ms))
        backend = MemoryAudioBackend(acoustic=room)
        canceller = RecordingCanceller(EchoCanceller(capture_rate=MIC_RATE, enabled=cancel))
        harness = EchoHarness(config_for(sim, mode=TurnMode.HANDS_FREE, echo_cancellation=cancel), backend, canceller)
        made.append(harness)
        await harness.start()
        return harness

    yield make
    for harness in made:
        await harness.stop()


def energy(x: np.ndarray) -> float:
    return float(np.sum(x.astype(np.float64) ** 2))


def db(ratio: float) -> float:
    return float(10 * np.log10(max(ratio, 1e-12)))


async def ask(h: EchoHarness, speech, question: str = QUESTION) -> int:
    since = h.mark()
    await h.speak(speech(question), trailing_silence=0.3)
    return since


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_without_cancellation_the_reply_interrupts_itself(sim, echo_harness, speech):
    h = await echo_harness(cancel=False)
    sim.llm.script([LONG_REPLY])
    since = await ask(h, speech)
    await h.wait(AssistantSpeechStarted, since, timeout=20)
    interrupted = await h.wait(Interrupted, since, timeout=15)
    print(f"\nno cancellation: false barge-in {interrupted.at - h.of(AssistantSpeechStarted, since)[0].at:.2f} s "
          "into the reply")
    assert interrupted.by_user
    ended = await h.wait(AssistantTurnEnded, since, timeout=10)
    assert ended.interrupted, "the assistant's own echo cut its reply short"


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_with_cancellation_ten_replies_in_a_row_are_not_interrupted(sim, echo_harness, speech):
    h = await echo_harness(cancel=True)
    sim.llm.script(list(REPLIES))
    echo_in = echo_out = 0.0
    per_reply, lags = [], []
    for text in REPLIES:
        asked = time.monotonic()
        since = await ask(h, speech)
        spoken = time.monotonic()
        started = await h.wait(AssistantSpeechStarted, since, timeout=20)
        ended = await h.wait(AssistantTurnEnded, since, timeout=20)
        heard = [e for e in h.events[since:] if isinstance(e, (UserSpeechStarted, UserTranscript, Interrupted))]
        assert not ended.interrupted and ended.text == text, f"reply {text!r} was cut: {ended}; heard {heard}"
        false = [e for e in h.of(Interrupted, since) if started.at <= e.at <= ended.at]
        assert not false, f"the assistant's echo interrupted {text!r}"
        await h.until(lambda: time.monotonic() > ended.at + ECHO_TAIL_S, 2)

        raw, clean = h.canceller.between(started.at, ended.at + ECHO_TAIL_S)
        echo_in, echo_out = echo_in + energy(raw), echo_out + energy(clean)
        per_reply.append(db(energy(raw) / max(energy(clean), 1.0)))
        # The question is near-end speech alone: the canceller should only delay it by its algorithmic delay.
        raw, clean = h.canceller.between(asked, spoken)
        lags.append(1000 * delay_samples(raw, clean, max_lag=MIC_RATE // 20) / MIC_RATE)
    assert not h.of(ErrorOccurred)
    stats = h.canceller.canceller.stats
    erle = db(echo_in / max(echo_out, 1.0))
    print(
        f"\nten replies with cancellation: 0 false barge-ins; ERLE over all replies {erle:.1f} dB "
        f"(per reply {min(per_reply):.1f}..{max(per_reply):.1f} dB, median {float(np.median(per_reply)):.1f})"
        "; added latency on the user's speech "
        f"median {float(np.median(lags)):.1f} ms (per question {min(lags):.1f}..{max(lags):.1f} ms); capture {stats.mean_block_ms * 1000:.0f} us per 20 ms block "
        f"(max {stats.max_block_ms:.2f} ms), reference {stats.reference_ms / max(stats.reference_frames, 1) * 1000:.0f}"
        f" us per 10 ms frame"
    )
    # Most replies are well cancelled; on a loaded machine the in-memory speaker can run dry mid-reply, shifting the
    # echo against its reference while AEC3 re-adapts (engine/echo.py), and that one reply's residue then dominates
    # the energy-weighted figure (measured beside two busy processes: 10.2 dB overall, per reply 3.7..46.9 dB). The
    # median reply is what this test holds the canceller to; the overall figure is printed, and benchmarked.
    assert float(np.median(per_reply)) >= 20.0, f"ERLE per reply {[round(x, 1) for x in per_reply]}"
    # Cross-correlation finds the canceller's delay exactly on clean near-end speech; a question whose window still
    # holds some echo of the reply before it can read a few ms off, hence the median.
    assert float(np.median(lags)) <= 10.0


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.parametrize("delay_ms", [60, None], ids=["room", "no-echo-path"])
async def test_user_talking_over_a_reply_interrupts_it(sim, echo_harness, speech, delay_ms):
    """With a room (echo path) and without one (the plain in-memory device, as with headphones)."""
    h = await echo_harness(cancel=True, delay_ms=delay_ms)
    sim.stt.script([QUESTION, INTERRUPTION])
    sim.llm.script([LONG_REPLY, FOLLOW_UP])
    since = await ask(h, speech)
    started = await h.wait(AssistantSpeechStarted, since, timeout=20)
    await h.until(lambda: time.monotonic() > started.at + 1.5, 5)
    assert not h.of(Interrupted, since), "no barge-in before the user speaks"

    barge = h.mark()
    spoke_at = time.monotonic()
    await h.speak(speech(INTERRUPTION), trailing_silence=0.5)
    interrupted = await h.wait(Interrupted, barge, timeout=10)
    print(f"\ndouble talk ({'no echo path' if delay_ms is None else f'{delay_ms} ms room'}): "
          f"interrupted {interrupted.at - spoke_at:.2f} s after the user started")
    assert interrupted.by_user
    ended = await h.wait(AssistantTurnEnded, barge, timeout=10, where=lambda e: e.interrupted)
    assert LONG_REPLY.startswith(ended.text) and len(ended.text) < len(LONG_REPLY)
