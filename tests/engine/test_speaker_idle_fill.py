"""The speaker is fed silence while idle only when an echo canceller needs a continuous reference.

With echo cancellation on, the speaker must never run dry (see engine/echo.py), so idle time is filled with
silence, but only just before the device would run dry: a reply's first sample then waits behind a little silence,
not behind a full device buffer. With it off
(headphones) nothing is written between replies, so a reply starts into an empty buffer and plays at once.
Switching echo cancellation at run time starts and stops the filling. Real engine and canceller, in-memory sound
card (the only fake: it records every write with its play time).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from desktop_agent.engine.audio import IDLE_CHUNK_SECS, IDLE_LOW_WATER_MAX_SECS
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.state.events import AssistantTurnEnded
from tests.engine.conftest import config_for

BUFFER_SECS = 0.04


def writes_since(backend: MemoryAudioBackend, since: float):
    return [c for c in list(backend.played) if c.starts >= since]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_without_a_canceller_the_idle_speaker_gets_nothing_and_a_reply_plays_at_once(sim, harness_factory, speech):
    backend = MemoryAudioBackend(output_buffer_secs=BUFFER_SECS)
    h = await harness_factory(config_for(sim, echo_cancellation=False), backend)
    await asyncio.sleep(0.2)
    quiet_from = time.monotonic()
    await asyncio.sleep(0.4)
    assert writes_since(backend, quiet_from) == [], "the idle speaker was written to without a canceller"

    sim.stt.script(["Hello there."])
    sim.llm.script(["Hi! How can I help?"])
    since = h.mark()
    await h.push_to_talk(speech("Hello there."))
    await h.wait(AssistantTurnEnded, since, timeout=20)
    reply = [c for c in writes_since(backend, quiet_from) if c.rms > 0.001]
    assert reply, "the reply was not played"
    first = reply[0]
    before = [c for c in backend.played if c.ends <= first.starts and c.starts >= quiet_from]
    # Nothing stood in the device buffer: the previous write (if any) had finished playing long before.
    assert not before or first.starts - before[-1].ends > BUFFER_SECS

    await h.until(lambda: time.monotonic() > max(c.ends for c in backend.played) + 0.1, 15, "the reply to finish")
    settled = time.monotonic()
    await asyncio.sleep(0.4)
    assert writes_since(backend, settled) == [], "silence was written after the reply without a canceller"


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_switching_echo_cancellation_starts_and_stops_the_silence(sim, harness_factory):
    backend = MemoryAudioBackend(output_buffer_secs=BUFFER_SECS)
    h = await harness_factory(config_for(sim, echo_cancellation=True), backend)
    await asyncio.sleep(0.3)
    on_from = time.monotonic()
    await asyncio.sleep(0.5)
    filled = writes_since(backend, on_from)
    assert filled and all(c.rms == 0 for c in filled)
    played = sum(c.ends - c.starts for c in filled)
    assert played > 0.4, f"only {played:.3f} s of silence in 0.5 s: the speaker ran dry"

    h.session.set_echo_cancellation(False)
    await asyncio.sleep(BUFFER_SECS + 0.1)  # what was already written drains
    off_from = time.monotonic()
    await asyncio.sleep(0.4)
    assert writes_since(backend, off_from) == []

    h.session.set_echo_cancellation(True)
    await asyncio.sleep(0.1)
    again_from = time.monotonic()
    await asyncio.sleep(0.4)
    assert sum(c.ends - c.starts for c in writes_since(backend, again_from)) > 0.3, "the fill did not resume"


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_with_a_canceller_a_reply_waits_behind_little_silence_not_a_full_buffer(sim, harness_factory, speech):
    """Counted in samples by the device: what stood in its buffer, written before the reply's first audio, when
    that audio was written. Keeping the buffer full of silence put a whole buffer (40 ms here) ahead of it."""
    backend = MemoryAudioBackend(output_buffer_secs=BUFFER_SECS)
    h = await harness_factory(config_for(sim, echo_cancellation=True), backend)
    await asyncio.sleep(0.5)
    quiet_from = time.monotonic()
    await h.until(lambda: len(writes_since(backend, quiet_from)) > 20, 15, "the idle speaker to be fed")

    sim.stt.script(["Hello there."])
    sim.llm.script(["Hi! How can I help?"])
    since = h.mark()
    await h.push_to_talk(speech("Hello there."))
    await h.wait(AssistantTurnEnded, since, timeout=20)
    written = writes_since(backend, quiet_from)
    first = next(i for i, c in enumerate(written) if c.pcm.count(0) != len(c.pcm))
    assert first > 0 and all(c.pcm.count(0) == len(c.pcm) for c in written[:first]), "silence came first"
    rate = written[first].sample_rate
    most = round((IDLE_LOW_WATER_MAX_SECS + IDLE_CHUNK_SECS) * rate)
    assert most < round(BUFFER_SECS * rate)
    assert written[first].queued_ahead <= most, (
        f"the reply's first audio waited behind {written[first].queued_ahead} samples of silence"
    )
    # While idle, the silence stood no deeper in the buffer than that either (the reply did not merely get lucky).
    assert max(c.queued_ahead for c in written[1:first]) <= most
