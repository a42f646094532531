"""The engine's Silero VAD decides exactly as Pipecat's, with fewer trips to the executor thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams, VADState

from desktop_agent.engine.vad import SileroVAD

BLOCK_BYTES = 640  # the transport's 20 ms at 16 kHz


class CountingExecutor(ThreadPoolExecutor):
    def __init__(self):
        super().__init__(max_workers=1)
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


async def states(analyzer: SileroVADAnalyzer, pcm: bytes) -> tuple[list[VADState], int]:
    executor = CountingExecutor()
    analyzer._executor = executor  # Pipecat's analyzer runs the model on this executor
    analyzer.set_sample_rate(16000)
    seen = [await analyzer.analyze_audio(pcm[i:i + BLOCK_BYTES]) for i in range(0, len(pcm), BLOCK_BYTES)]
    executor.shutdown()
    return seen, executor.submitted


@pytest.mark.asyncio
async def test_same_decisions_as_pipecats_analyzer_with_fewer_thread_trips(speech):
    silence = np.zeros(16000, np.int16)
    pcm = np.concatenate([silence, speech("Turn on the kitchen lights please."), silence]).astype("<i2").tobytes()
    params = VADParams(confidence=0.7, stop_secs=0.2)
    ours, our_trips = await states(SileroVAD(params=params), pcm)
    stock, stock_trips = await states(SileroVADAnalyzer(params=params), pcm)
    assert VADState.SPEAKING in stock and stock[-1] is VADState.QUIET
    assert ours == stock
    blocks = len(stock)
    assert stock_trips == blocks
    assert our_trips == pytest.approx(blocks * 5 / 8, abs=2)  # a 512-sample window completes in 5 of 8 blocks
