"""Pipecat's own Cartesia, Cerebras and ElevenLabs services, unmodified, complete a spoken turn against the
emulators: speech in, transcript, streamed reply, audio out with word timings."""

from __future__ import annotations

import numpy as np
import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    InterimTranscriptionFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
    TTSTextFrame,
)

from tests.simulator.pipeline_rig import VoiceRig

REPLY = "Sure. It is sunny in Paris today."


@pytest.mark.asyncio
async def test_spoken_turn_through_unmodified_pipecat_services(sim, speech):
    sim.stt.script(["what is the weather in Paris"])
    sim.llm.script([REPLY])
    async with VoiceRig(sim) as rig:
        await rig.speak(speech("what is the weather in Paris"))
        await sim.wait_for(lambda: rig.frames(TTSStoppedFrame, "tts"), timeout=15)

    assert not rig.frames(ErrorFrame)
    assert [f.text for f in rig.frames(TranscriptionFrame, "stt")] == ["what is the weather in Paris"]
    interims = [f.text for f in rig.frames(InterimTranscriptionFrame, "stt")]
    assert interims and all("what is the weather in Paris".startswith(text) for text in interims)

    # The LLM got the transcript as the user turn and streamed the reply token by token.
    request = sim.llm_requests()[-1]
    assert request["stream"] is True and request["model"] == "gpt-oss-120b"
    assert request["messages"][-1] == {"role": "user", "content": "what is the weather in Paris"}
    tokens = [f.text for f in rig.frames(LLMTextFrame, "llm")]
    assert len(tokens) > 5 and "".join(tokens) == REPLY

    # Audio: 24 kHz PCM, clearly audible, lasting about as long as the text takes to say.
    audio = rig.frames(TTSAudioRawFrame, "tts")
    assert audio and all(f.sample_rate == 24000 for f in audio)
    samples = np.frombuffer(b"".join(f.audio for f in audio), dtype="<i2").astype(np.float64)
    seconds = len(samples) / 24000
    assert 0.05 * len(REPLY) < seconds < 0.09 * len(REPLY)
    assert np.sqrt(np.mean(samples**2)) > 1000

    # Word timings rebuilt from the alignment: every word separately, in order, each one later than the one before,
    # 65 ms per letter, 50 ms per space and 220 ms after a full stop ("Sure." + " " = 530 ms). The last word has no
    # space after it, so Pipecat completes it when the context ends, at the previous word's time.
    words = rig.frames(TTSTextFrame, "tts")
    assert [w.text for w in words] == REPLY.split()
    gaps_ms = [round((b.pts - a.pts) / 1e6) for a, b in zip(words, words[1:])]
    assert gaps_ms == [530, 180, 180, 375, 180, 0]

    # The connection used what Pipecat really sends.
    connect = sim.tts_connections()[0]
    assert connect["path"] == "/v1/text-to-speech/emu-voice-1/multi-stream-input"
    assert connect["query"]["output_format"] == "pcm_24000" and connect["headers"]["xi-api-key"] == "***"
    assert "finalize" in sim.stt_messages()
