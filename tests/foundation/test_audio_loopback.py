"""Real PortAudio streams through the PulseAudio null sink: what we play comes back on the monitor source."""

from __future__ import annotations

import threading

import numpy as np
import pytest

RATE = 16000
BLOCK = RATE // 50  # 20 ms


@pytest.mark.slow
def test_tone_round_trips_through_null_sink(pulse_null_sink):
    import sounddevice as sd

    amplitude = 0.5
    tone = (amplitude * np.sin(2 * np.pi * 1000 * np.arange(int(0.6 * RATE)) / RATE)).astype(np.float32)
    captured: list[np.ndarray] = []
    done = threading.Event()

    def on_input(indata, frames, time_info, status):
        captured.append(indata[:, 0].copy())
        if sum(len(c) for c in captured) >= int(1.2 * RATE):
            done.set()

    with sd.InputStream(samplerate=RATE, channels=1, dtype="float32", blocksize=BLOCK, latency="low",
                        callback=on_input):
        with sd.OutputStream(samplerate=RATE, channels=1, dtype="float32", latency="low") as out:
            out.write(tone.reshape(-1, 1))
        assert done.wait(5), "the input stream delivered no audio"

    recording = np.concatenate(captured)
    loud = recording[np.abs(recording) > 0.05 * amplitude]
    assert len(loud) > 0.4 * RATE, f"only {len(loud) / RATE:.2f} s of the 0.6 s tone came back"
    # Level: the median over 20 ms blocks that carry the tone, so one scheduling gap cannot skew it.
    blocks = recording[: len(recording) // BLOCK * BLOCK].reshape(-1, BLOCK)
    block_rms = np.sqrt(np.mean(blocks**2, axis=1))
    tone_blocks = block_rms[block_rms > 0.1 * amplitude]
    assert float(np.median(tone_blocks)) == pytest.approx(amplitude / np.sqrt(2), rel=0.05), tone_blocks
    # Frequency: the spectral peak of the longest stretch of tone.
    start = int(np.argmax(np.abs(recording) > 0.05 * amplitude))
    window = recording[start + 800 : start + 800 + 4096]
    spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
    peak_hz = np.fft.rfftfreq(len(window), 1 / RATE)[int(np.argmax(spectrum))]
    assert peak_hz == pytest.approx(1000, abs=10), peak_hz
