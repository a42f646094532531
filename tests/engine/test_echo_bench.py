"""Benchmark: what the echo canceller costs the audio threads, on speech through the simulated room.

Run with ``pytest -m bench tests/engine/test_echo_bench.py -s``. Prints the time per 20 ms capture block (inside
the input callback) and per 20 ms of 24 kHz reference (inside the output writer), from the canceller's own stats
and from the wall clock around the public calls.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from desktop_agent.engine.acoustic import AcousticPath
from desktop_agent.engine.echo import EchoCanceller
from tests.engine.test_echo import MIC_BLOCK, REPLIES, TTS_RATE, reply

pytestmark = pytest.mark.bench


@pytest.mark.parametrize("noise_suppression", [False, True], ids=["aec", "aec+ns"])
def test_cost_per_block(noise_suppression):
    far = np.concatenate([reply(i) for i in range(len(REPLIES))])
    far_block = TTS_RATE // 50
    blocks = len(far) // far_block
    path = AcousticPath(delay_ms=60, seed=1)
    canceller = EchoCanceller(noise_suppression=noise_suppression)
    capture_us, reference_us = [], []
    for i in range(blocks):
        chunk = far[i * far_block : (i + 1) * far_block].tobytes()
        path.feed_speaker(chunk, TTS_RATE)
        mic = path.mix_into_mic(bytes(2 * MIC_BLOCK))
        started = time.perf_counter_ns()
        canceller.push_reference(chunk, TTS_RATE)
        middle = time.perf_counter_ns()
        canceller.process_capture(mic)
        reference_us.append((middle - started) / 1000)
        capture_us.append((time.perf_counter_ns() - middle) / 1000)

    stats = canceller.stats
    cap, ref = np.array(capture_us), np.array(reference_us)
    label = "AEC + noise suppression" if noise_suppression else "AEC"
    print(
        f"\n{label}: {blocks} blocks ({blocks * 0.02:.1f} s of speech)\n"
        f"  process_capture per 20 ms block: mean {cap.mean():.0f} us, p50 {np.median(cap):.0f} us, "
        f"p99 {np.percentile(cap, 99):.0f} us, max {cap.max():.0f} us "
        f"(binding only: mean {1000 * stats.mean_block_ms:.0f} us, max {1000 * stats.max_block_ms:.0f} us)\n"
        f"  push_reference per 20 ms at 24 kHz: mean {ref.mean():.0f} us, p50 {np.median(ref):.0f} us, "
        f"p99 {np.percentile(ref, 99):.0f} us\n"
        f"  one core's share for both: {(cap.mean() + ref.mean()) / 20000:.1%}"
    )
    assert np.median(cap) < 1000, "a 20 ms block must cost well under a millisecond"
