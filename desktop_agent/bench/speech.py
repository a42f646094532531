"""Spoken user turns for the benchmark: espeak-ng speech at 16 kHz, trimmed to where the voice starts and stops.

Trimming matters: the voice-to-voice clock starts at the last speech sample, so trailing silence in the recording
must not count as speech.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

import numpy as np

RATE = 16000
#: A sample this loud (int16 units, ~-40 dBFS) or louder counts as speech when trimming.
SPEECH_THRESHOLD = 330

SENTENCES = (
    "What is the weather like in Paris today?",
    "Can you recommend a good book about history?",
    "How long does it take to boil an egg?",
    "Tell me a fun fact about octopuses.",
    "What time is it in Tokyo right now?",
    "How do I make a cup of green tea?",
    "Which planet is the largest in our solar system?",
    "Give me a short tip for sleeping better.",
)


class SpeechUnavailable(RuntimeError):
    """espeak-ng or sox is missing; the message says what to install."""


def available() -> bool:
    return bool(shutil.which("espeak-ng") and shutil.which("sox"))


@functools.cache
def utterance(text: str, words_per_minute: int = 175) -> np.ndarray:
    """``text`` spoken by espeak-ng as int16 mono samples at 16 kHz, without leading or trailing silence."""
    if not available():
        raise SpeechUnavailable(
            "The benchmark speaks with espeak-ng and sox: install both (apt install espeak-ng sox)."
        )
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", str(words_per_minute), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    raw = subprocess.run(
        ["sox", "-t", "wav", "-", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", "-"],
        input=wav,
        check=True,
        capture_output=True,
    ).stdout
    samples = np.frombuffer(raw, dtype=np.int16)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= SPEECH_THRESHOLD)
    if loud.size == 0:
        raise SpeechUnavailable(f"espeak-ng produced no audible speech for {text!r}.")
    return samples[loud[0] : loud[-1] + 1].copy()


def last_loud_index(pcm: bytes, threshold: int = SPEECH_THRESHOLD) -> int | None:
    """Index of the last sample at or above ``threshold`` in int16 ``pcm``, None when all of it is quieter."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.int32)
    loud = np.flatnonzero(np.abs(samples) >= threshold)
    return int(loud[-1]) if loud.size else None


def first_loud_index(pcm: bytes, threshold: int = SPEECH_THRESHOLD) -> int | None:
    """Index of the first sample at or above ``threshold`` in int16 ``pcm``, None when all of it is quieter."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.int32)
    loud = np.flatnonzero(np.abs(samples) >= threshold)
    return int(loud[0]) if loud.size else None
