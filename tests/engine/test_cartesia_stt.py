"""The transcript that answers Cartesia's ``finalize`` is marked finalized, so a hands-free turn ends on it instead of
waiting out Pipecat's STT safety net. Real Pipecat services against the loopback Cartesia emulator; the stock
service is run on the same input to show what the subclass changes."""

from __future__ import annotations

import asyncio
import time

import pytest
from pipecat.frames.frames import (
    InputAudioRawFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.services.cartesia.stt import CartesiaSTTService
from pipecat.workers.runner import WorkerRunner

from desktop_agent.providers.cartesia_finalizing import FinalizingCartesiaSTTService
from desktop_agent.simulator import SIMULATOR_API_KEYS
from tests.simulator.pipeline_rig import FRAME_BYTES, Seen, Tap

UTTERANCES = ["What time is it?", "And tomorrow?"]


async def transcripts_for(sim, speech, service_class) -> tuple[list[TranscriptionFrame], dict]:
    """The final transcripts of two utterances, and the STT connection's request headers."""
    sim.stt.script(list(UTTERANCES))
    seen: list[Seen] = []
    stt = service_class(api_key=SIMULATOR_API_KEYS["cartesia"], base_url=sim.cartesia_url,
                        settings=service_class.Settings(model="ink-whisper", language="en"))
    worker = PipelineWorker(Pipeline([stt, Tap("stt", seen)]),
                            params=PipelineParams(audio_in_sample_rate=16000), idle_timeout_secs=None,
                            enable_rtvi=False)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    run = asyncio.ensure_future(runner.run())
    try:
        await sim.wait_for(lambda: sim.stt_connections(), timeout=10)
        for count, text in enumerate(UTTERANCES, start=1):
            await worker.queue_frame(VADUserStartedSpeakingFrame(start_secs=0.2))
            pcm = speech(text).astype("<i2").tobytes()
            for i in range(0, len(pcm), FRAME_BYTES):
                await worker.queue_frame(InputAudioRawFrame(pcm[i:i + FRAME_BYTES], 16000, 1))
            await worker.queue_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2, timestamp=time.time()))
            await sim.wait_for(lambda c=count: len([s for s in seen if isinstance(s.frame, TranscriptionFrame)]) >= c,
                               timeout=10)
        finals = [s.frame for s in seen if isinstance(s.frame, TranscriptionFrame)]
        return finals, sim.stt_connections()[-1]["headers"]
    finally:
        await worker.cancel(reason="test over")
        await asyncio.wait_for(run, 10)


@pytest.mark.asyncio
async def test_the_answer_to_finalize_is_marked_finalized(sim, speech):
    finals, _ = await transcripts_for(sim, speech, FinalizingCartesiaSTTService)
    assert [f.text for f in finals] == UTTERANCES
    assert all(f.finalized for f in finals), "each turn's final must end the turn without the safety-net wait"


@pytest.mark.asyncio
async def test_the_audio_connection_is_not_compressed(sim, speech):
    """Raw PCM barely deflates; the stock client offers permessage-deflate, ours does not."""
    _, headers = await transcripts_for(sim, speech, FinalizingCartesiaSTTService)
    assert "permessage-deflate" not in headers.get("sec-websocket-extensions", "")
    _, stock_headers = await transcripts_for(sim, speech, CartesiaSTTService)
    assert "permessage-deflate" in stock_headers.get("sec-websocket-extensions", "")


@pytest.mark.asyncio
async def test_stock_cartesia_leaves_the_same_transcripts_unmarked(sim, speech):
    """What the subclass is for: Pipecat's own service gives the turn strategy no way to tell the turn's last final."""
    finals, _ = await transcripts_for(sim, speech, CartesiaSTTService)
    assert [f.text for f in finals] == UTTERANCES
    assert not any(f.finalized for f in finals)
