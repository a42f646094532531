"""The speaker's reply path: the engine loop hands a reply's chunks to the speaker thread ahead of the device (a
reserve), the thread writes what has queued up in larger pieces, and each write's echo reference reaches the
canceller on the capture thread as it plays. Correctness only (timing belongs in the benchmark): every sample of a
reply plays once and in order, an interruption stops what was handed over but not yet written, uninterruptible
audio outlives an interruption, and every write reaches the echo canceller, in order, a microphone block's worth at
a time as the device plays it.

Real transport in a real Pipecat pipeline, the real WebRTC canceller (wrapped only to record what it is given), the
in-memory sound card (the only fake: it records every write).
"""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
import pytest_asyncio
from pipecat.frames.frames import InterruptionFrame, InterruptionWorkerFrame, TTSAudioRawFrame
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.workers.runner import WorkerRunner

from desktop_agent.engine.audio import MAX_WRITE_SECS, LocalAudioTransport
from desktop_agent.engine.echo import EchoCanceller
from desktop_agent.engine.memory_audio import MemoryAudioBackend

RATE = 24000
CHUNK = RATE // 50  # the transport's 20 ms output chunks


def reply_samples(seconds: float, offset: int = 0) -> np.ndarray:
    """A reply whose every sample tells its position: 1, 2, ... (never 0, so the silence in between stands out)."""
    count = round(seconds * RATE) // CHUNK * CHUNK
    return ((np.arange(offset, offset + count) % 30000) + 1).astype(np.int16)


def tts_frames(samples: np.ndarray, *, interruptible: bool = True) -> list[TTSAudioRawFrame]:
    """Cut like a text-to-speech service's stream: pieces of uneven length."""
    frames, start = [], 0
    sizes = [1234, 4801, 777, 2400, 9000]
    while start < len(samples):
        piece = samples[start:start + sizes[len(frames) % len(sizes)]]
        frame = TTSAudioRawFrame(piece.tobytes(), sample_rate=RATE, num_channels=1)
        frame.interruptible = interruptible
        frames.append(frame)
        start += len(piece)
    return frames


def played(backend: MemoryAudioBackend) -> np.ndarray:
    with backend._lock:
        chunks = list(backend.played)
    return np.frombuffer(b"".join(c.pcm for c in chunks), np.int16)


def reply_played(backend: MemoryAudioBackend) -> np.ndarray:
    """The reply's samples as written to the device, without the silence written around them."""
    audio = played(backend)
    return audio[audio != 0]


class RecordingCanceller:
    """The real :class:`EchoCanceller`; notes what it is handed, in order, on one shared log."""

    def __init__(self, log: list, lock: threading.Lock):
        self.canceller = EchoCanceller(capture_rate=16000)
        self.log = log
        self.lock = lock

    @property
    def failure(self) -> str | None:
        return self.canceller.failure

    def push_reference(self, pcm: bytes, sample_rate: int) -> None:
        with self.lock:
            self.log.append(("fed", bytes(pcm)))
        self.canceller.push_reference(pcm, sample_rate)

    def process_capture(self, pcm: bytes) -> bytes:
        with self.lock:
            self.log.append(("capture", b""))
        return self.canceller.process_capture(pcm)

    def set_enabled(self, enabled: bool) -> None:
        self.canceller.set_enabled(enabled)

    def set_noise_suppression(self, enabled: bool) -> None:
        self.canceller.set_noise_suppression(enabled)


class InterruptionSeen(BaseObserver):
    """Counts the reply samples written by the time the output transport passes an interruption on."""

    def __init__(self, transport: LocalAudioTransport, backend: MemoryAudioBackend):
        super().__init__()
        self.output = transport.output()
        self.backend = backend
        self.written_then: int | None = None

    async def on_push_frame(self, data: FramePushed):
        if data.source is self.output and isinstance(data.frame, InterruptionFrame) and self.written_then is None:
            self.written_then = len(reply_played(self.backend))


class Speaker:
    """A pipeline of just the transport (microphone and speaker), running on the test's loop."""

    def __init__(self, *, canceller: RecordingCanceller | None = None):
        self.backend = MemoryAudioBackend()
        self.transport = LocalAudioTransport(self.backend, echo_canceller=canceller)
        self.seen = InterruptionSeen(self.transport, self.backend)
        self.worker = PipelineWorker(
            Pipeline([self.transport.input(), self.transport.output()]),
            params=PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=RATE),
            observers=[self.seen],
            enable_rtvi=False,
            idle_timeout_secs=None,
        )
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(self.worker)
        self._task = asyncio.ensure_future(runner.run())
        await until(lambda: self.transport.ready, "the speaker and microphone to open")

    async def stop(self) -> None:
        if self._task is None:
            return
        await self.worker.cancel(reason="test finished")
        await asyncio.wait_for(self._task, 15)

    async def send(self, frames) -> None:
        await self.worker.queue_frames(list(frames))


async def until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


async def settled(backend: MemoryAudioBackend, quiet: float = 0.4, timeout: float = 30.0) -> None:
    """Wait until no reply sample has been written for ``quiet`` seconds."""
    last, since = -1, time.monotonic()
    deadline = since + timeout
    while time.monotonic() - since < quiet:
        count = len(reply_played(backend))
        if count != last:
            last, since = count, time.monotonic()
        assert time.monotonic() < deadline, "the speaker never went quiet"
        await asyncio.sleep(0.02)


@pytest_asyncio.fixture
async def speaker_factory():
    made: list[Speaker] = []

    async def make(*, start: bool = True, **kwargs) -> Speaker:
        speaker = Speaker(**kwargs)
        made.append(speaker)
        if start:
            await speaker.start()
        return speaker

    yield make
    for speaker in made:
        await speaker.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.parametrize("with_canceller", [False, True], ids=["no-canceller", "canceller-fills-idle-time"])
async def test_every_sample_of_a_reply_plays_once_and_in_order(speaker_factory, with_canceller):
    lock, log = threading.Lock(), []
    s = await speaker_factory(canceller=RecordingCanceller(log, lock) if with_canceller else None)
    first, second = reply_samples(1.5), reply_samples(1.0, offset=40000)
    await s.send(tts_frames(first))
    await until(lambda: len(reply_played(s.backend)) > 0, "the reply to start playing")
    time.sleep(0.3)  # the engine loop stalls mid-reply (a busy machine); the reply must not lose or reorder a sample
    await s.send(tts_frames(second))
    expected = np.concatenate([first, second])
    await until(lambda: len(reply_played(s.backend)) >= len(expected), "the whole reply to be written")
    await settled(s.backend)
    np.testing.assert_array_equal(reply_played(s.backend), expected)
    assert s.transport.output().scheduling in ("real-time", "nice -10", "normal")  # whatever the OS allowed


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_an_interruption_drops_the_audio_handed_over_but_not_yet_written(speaker_factory):
    lock, log = threading.Lock(), []
    s = await speaker_factory(canceller=RecordingCanceller(log, lock))
    reply = reply_samples(3.0)
    await s.send(tts_frames(reply))  # text-to-speech is faster than real time: the reserve fills at once
    await until(lambda: len(reply_played(s.backend)) >= RATE // 2, "half a second of the reply to be written")
    await s.send([InterruptionWorkerFrame()])
    await until(lambda: s.seen.written_then is not None, "the speaker to see the interruption")
    await settled(s.backend)

    heard = reply_played(s.backend)
    np.testing.assert_array_equal(heard, reply[:len(heard)])  # a prefix: nothing reordered or skipped
    assert len(heard) < len(reply)
    after = len(heard) - s.seen.written_then
    # Only what the speaker thread had already taken for its next write may still go out.
    assert after <= MAX_WRITE_SECS * RATE, f"{after / RATE:.3f} s were written after the interruption"


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_uninterruptible_audio_plays_out_through_an_interruption(speaker_factory):
    s = await speaker_factory()
    reply = reply_samples(1.5)
    await s.send(tts_frames(reply, interruptible=False))
    await until(lambda: len(reply_played(s.backend)) > 0, "the reply to start playing")
    await s.send([InterruptionWorkerFrame()])
    await until(lambda: s.seen.written_then is not None, "the speaker to see the interruption")
    await until(lambda: len(reply_played(s.backend)) >= len(reply), "the whole reply to be written")
    await settled(s.backend)
    np.testing.assert_array_equal(reply_played(s.backend), reply)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_every_write_reaches_the_canceller_in_order_a_block_at_a_time_as_it_plays(speaker_factory):
    """The reference is handed over by playback position (engine/playback_reference.py): before each microphone
    block, what the device played during it, one block's worth (20 ms, 480 samples at 24 kHz), however far ahead
    the write was; the reply's samples all reach the canceller, once and in order, never before they are written."""
    lock, log = threading.Lock(), []
    s = await speaker_factory(canceller=RecordingCanceller(log, lock), start=False)
    transport = s.transport
    place_reference = transport.push_reference

    def noted(pcm: bytes, sample_rate: int, queued_secs: float = 0.0) -> None:  # speaker thread, before each write
        place_reference(pcm, sample_rate, queued_secs)
        with lock:
            log.append(("written", bytes(pcm)))

    transport.push_reference = noted
    await s.start()
    reply = reply_samples(1.0)
    await s.send(tts_frames(reply))

    def fed() -> np.ndarray:
        with lock:
            return np.frombuffer(b"".join(pcm for kind, pcm in log if kind == "fed"), np.int16)

    await until(lambda: np.count_nonzero(fed()) >= len(reply), "the reply's reference to reach the canceller")
    with lock:
        events = list(log)
    samples = fed()
    np.testing.assert_array_equal(samples[samples != 0], reply)
    per_block, handed, reply_written, reply_handed = [], 0, 0, 0
    for kind, pcm in events:
        audible = int(np.count_nonzero(np.frombuffer(pcm, np.int16)))
        if kind == "written":
            reply_written += audible
        elif kind == "fed":
            handed += len(pcm)
            reply_handed += audible
            assert reply_handed <= reply_written, "reply audio was handed over before it was written"
        else:
            per_block.append(handed)
            handed = 0
    per_block = per_block[2:]  # the first blocks come before the speaker has written anything, or start the count
    assert len(per_block) > 10
    # Device and microphone run on one clock here; a block on a busy machine may still differ (the writer late).
    assert sum(n == 2 * RATE // 50 for n in per_block) >= 0.8 * len(per_block), f"handed per block: {per_block}"
