"""Pipecat's Silero VAD on espeak-ng speech fed in 20 ms chunks finds the speech edges."""

from __future__ import annotations

import numpy as np
import pytest

RATE = 16000
CHUNK = RATE // 50


@pytest.mark.asyncio
async def test_silero_finds_speech_start_and_stop(speech):
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.audio.vad.vad_analyzer import VADState

    utterance = speech("What is the weather like in Paris today?")
    energy = np.abs(utterance.astype(np.int32))
    voiced = np.flatnonzero(energy > 0.02 * energy.max())
    lead = RATE  # 1 s of silence before, 1.5 s after
    true_start, true_stop = (lead + voiced[0]) / RATE, (lead + voiced[-1]) / RATE
    audio = np.concatenate([np.zeros(lead, np.int16), utterance, np.zeros(int(1.5 * RATE), np.int16)])

    vad = SileroVADAnalyzer()
    vad.set_sample_rate(RATE)
    transitions: list[tuple[float, VADState]] = []
    state = VADState.QUIET
    for index in range(0, len(audio) - CHUNK + 1, CHUNK):
        new_state = await vad.analyze_audio(audio[index : index + CHUNK].tobytes())
        if new_state != state:
            transitions.append(((index + CHUNK) / RATE, new_state))
            state = new_state

    speaking = [t for t, s in transitions if s == VADState.SPEAKING]
    quiet = [t for t, s in transitions if s == VADState.QUIET]
    assert speaking and quiet, transitions
    assert abs(speaking[0] - true_start) <= 0.5, (speaking[0], true_start)
    assert abs(quiet[-1] - true_stop) <= 0.5, (quiet[-1], true_stop)
    # Pauses between words may dip into STOPPING, but one utterance never falls back to QUIET in the middle.
    assert len(quiet) == 1, f"one utterance should be one speech segment: {transitions}"
