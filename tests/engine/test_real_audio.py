"""One push-to-talk turn through real PortAudio streams (sounddevice -> ALSA -> PulseAudio null sink).

The null sink's monitor is the default microphone, so what is played into the sink is "heard": the test speaks by
playing espeak-ng speech into the sink, and the assistant's reply, played by the engine's own output stream, comes
back on the microphone too, which proves it really went out through the sound system. The echo canceller (on by
default) is turned off here: its job is to remove exactly that reply from the microphone (test_echo*.py), and with
its reference aligned to the writes it does so through the sink as well, leaving nothing to prove the path with.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from desktop_agent.engine.audio_backend import SoundDeviceBackend
from desktop_agent.state.events import (
    AssistantSpeechStarted,
    AssistantSpeechStopped,
    AssistantTurnEnded,
    AudioLevel,
    ErrorOccurred,
    StageLatency,
    UserTranscript,
)
from desktop_agent.state.latency import EXCHANGE_STAGES
from tests.engine.conftest import EngineHarness, config_for

QUESTION = "How long does it take to boil an egg?"
REPLY = "About seven minutes for a firm yolk."


def play_into_sink(pcm) -> None:
    import sounddevice as sd

    with sd.RawOutputStream(samplerate=16000, channels=1, dtype="int16", latency="low") as stream:
        stream.write(pcm.tobytes())


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
async def test_push_to_talk_through_the_null_sink(pulse_null_sink, sim, speech):
    h = EngineHarness(config_for(sim, echo_cancellation=False), SoundDeviceBackend())
    await h.start()
    try:
        sim.stt.script([QUESTION])
        sim.llm.script([REPLY])
        since = h.mark()
        h.session.press_talk()
        await asyncio.sleep(0.1)
        await asyncio.to_thread(play_into_sink, speech(QUESTION))
        await asyncio.sleep(0.15)
        released = time.monotonic()
        h.session.release_talk()

        ended = await h.wait(AssistantTurnEnded, since, timeout=20)
        assert ended.text == REPLY
        assert [e.text for e in h.of(UserTranscript, since) if e.final] == [QUESTION]
        heard = [r for r in sim.select("cartesia", "stt_audio") if r.data.get("speech")]
        assert len(heard) > 50, "the microphone stream did not deliver the speech"  # > 1 s of 20 ms blocks

        started = await h.wait(AssistantSpeechStarted, since)
        stopped = await h.wait(AssistantSpeechStopped, since, timeout=10)
        echo = [e.microphone for e in h.of(AudioLevel, since) if started.at + 0.2 < e.at < stopped.at]
        assert echo and max(echo) > 0.3, "the reply never came back through the sink"
        stages = {e.stage: e.seconds for e in h.of(StageLatency, since)}
        assert set(stages) == set(EXCHANGE_STAGES)
        assert started.at > released
        assert not h.of(ErrorOccurred)
    finally:
        await h.stop()
