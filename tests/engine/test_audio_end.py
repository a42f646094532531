"""Microphone audio stops after the user aggregator; everything else passes in both directions."""

from __future__ import annotations

import pytest
from pipecat.frames.frames import InputAudioRawFrame, InterruptionFrame, TextFrame, TranscriptionFrame
from pipecat.processors.aggregators.llm_response_universal import LLMUserAggregator
from pipecat.processors.frame_processor import FrameDirection
from pipecat.tests.utils import run_test

from desktop_agent.engine.audio_end import MicrophoneAudioEnd
from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
from desktop_agent.engine.pipeline import build_pipeline
from desktop_agent.engine.audio import LocalAudioTransport
from desktop_agent.engine.memory_audio import MemoryAudioBackend


def audio() -> InputAudioRawFrame:
    return InputAudioRawFrame(audio=bytes(640), sample_rate=16000, num_channels=1)


@pytest.mark.asyncio
async def test_input_audio_is_consumed_and_other_frames_pass():
    end = MicrophoneAudioEnd()
    down, _ = await run_test(
        end,
        frames_to_send=[audio(), TextFrame("hello"), audio(), TranscriptionFrame("hi", "user", "now")],
        expected_down_frames=[TextFrame, TranscriptionFrame],
    )
    assert end.dropped == 2
    await run_test(
        MicrophoneAudioEnd(),
        frames_to_send=[InterruptionFrame()],
        frames_to_send_direction=FrameDirection.UPSTREAM,
        expected_up_frames=[InterruptionFrame],
    )


def test_the_pipeline_ends_microphone_audio_right_after_the_user_aggregator():
    nowhere = ProviderEndpoint("key", "ws://127.0.0.1:9")  # built, never started
    config = EngineConfig(stt=nowhere, llm=ProviderEndpoint("key", "http://127.0.0.1:9/v1"), tts=nowhere)
    voice = build_pipeline(config, LocalAudioTransport(MemoryAudioBackend()))
    processors = voice.pipeline.processors
    at = next(i for i, p in enumerate(processors) if isinstance(p, LLMUserAggregator))
    assert isinstance(processors[at + 1], MicrophoneAudioEnd)
