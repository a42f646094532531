"""The engine's Silero VAD decides exactly as Pipecat's, with fewer trips to the executor thread, and without running
the model while the room is too quiet for any window to count as speech."""

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
    analyzer = SileroVAD(params=params)
    ours, our_trips = await states(analyzer, pcm)
    stock, stock_trips = await states(SileroVADAnalyzer(params=params), pcm)
    assert VADState.SPEAKING in stock and stock[-1] is VADState.QUIET
    assert ours == stock
    blocks = len(stock)
    assert stock_trips == blocks
    # A 512-sample window completes in 5 of 8 blocks; the silent ones are not scored and need no trip either.
    assert analyzer.windows_skipped > 20
    assert our_trips == pytest.approx(blocks * 5 / 8 - analyzer.windows_skipped, abs=2)


@pytest.mark.asyncio
@pytest.mark.parametrize("noise_dbfs", [None, -75.0, -60.0, -40.0])
async def test_quiet_stretches_skip_the_model_and_decide_the_same(speech, noise_dbfs):
    rng = np.random.default_rng(7)
    pieces = []
    for lead, text in ((3.3, "What time is it in Tokyo?"), (0.6, "Tell me a fun fact."), (4.1, "Thanks a lot.")):
        pieces += [np.zeros(int(16000 * lead)), speech(text).astype(np.float64)]
    signal = np.concatenate([*pieces, np.zeros(16000)])
    if noise_dbfs is not None:  # room noise under the voice: above -50 LUFS the model has to run throughout
        signal = signal + rng.standard_normal(len(signal)) * 32768 * 10 ** (noise_dbfs / 20)
    pcm = np.clip(signal, -32768, 32767).astype("<i2").tobytes()
    params = VADParams(confidence=0.7, stop_secs=0.2)
    analyzer = SileroVAD(params=params)
    ours, _ = await states(analyzer, pcm)
    stock, _ = await states(SileroVADAnalyzer(params=params), pcm)
    assert ours.count(VADState.SPEAKING) > 20 and ours == stock
    windows = len(pcm) // 1024
    if noise_dbfs is None or noise_dbfs < -50:
        assert analyzer.model_runs < windows * 0.7  # the quiet stretches (8 s of 13.5) were mostly not scored
    else:
        assert analyzer.windows_skipped < 20  # only while the loudness window fills at the start
