"""A fast synthetic voice: audible, speech-like PCM whose length follows the text, with exact character timings.

Each character becomes a short unit: vowels a harmonic buzz shaped by two vowel formants, voiced consonants a duller
buzz, unvoiced consonants filtered noise, spaces and punctuation silence. Units are ~65 ms (pauses longer at
punctuation), so a sentence plays about as long as a person would take to say it, with a syllable rhythm. Units are
generated once per (rate, pitch, length) and whole utterances are cached, because synthesis sits on the hot path of
every simulated turn. No subprocess, no randomness: the same text always gives the same samples.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

LETTER_MS = 65
SPACE_MS = 50
CLAUSE_PAUSE_MS = 120  # , ; :
SENTENCE_PAUSE_MS = 220  # . ! ?
OTHER_MS = 20  # quotes, dashes, apostrophes ...
EDGE_MS = 6  # raised-cosine fade at both ends of a unit, so units join without clicks

_VOWEL_FORMANTS = {
    "a": (730.0, 1090.0),
    "e": (530.0, 1840.0),
    "i": (270.0, 2290.0),
    "o": (570.0, 840.0),
    "u": (300.0, 870.0),
    "y": (300.0, 2000.0),
}
_VOICED = set("bdgjlmnrvwz")
_UNVOICED = set("cfhkpqstx")
_PITCH_STEPS = (1.0, 1.05, 0.96, 1.02, 0.98)


@dataclass(frozen=True)
class Utterance:
    """Synthesized text: PCM s16le mono plus one (start, duration) in whole milliseconds per character."""

    text: str
    rate: int
    pcm: bytes
    starts_ms: tuple[int, ...]
    durations_ms: tuple[int, ...]

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.rate


@dataclass(frozen=True)
class Chunk:
    """A slice of an utterance cut at character boundaries; times restart at 0 and span exactly the audio."""

    pcm: bytes
    chars: tuple[str, ...]
    starts_ms: tuple[int, ...]
    durations_ms: tuple[int, ...]
    offset_ms: int  # where this chunk starts within the utterance

    @property
    def span_ms(self) -> int:
        return self.starts_ms[-1] + self.durations_ms[-1] if self.chars else 0


def char_duration_ms(char: str, speed: float = 1.0) -> int:
    if char.isalnum():
        base = LETTER_MS
    elif char.isspace():
        base = SPACE_MS
    elif char in ",;:":
        base = CLAUSE_PAUSE_MS
    elif char in ".!?":
        base = SENTENCE_PAUSE_MS
    else:
        base = OTHER_MS
    return max(1, round(base / speed))


def _kind(char: str) -> str:
    c = char.lower()
    if c in _VOWEL_FORMANTS:
        return c
    if c.isdigit() or (c.isalpha() and c not in _VOICED and c not in _UNVOICED and not c.isascii()):
        return "a"
    if c in _VOICED:
        return "voiced"
    if c in _UNVOICED:
        return "unvoiced"
    return "silence"


@functools.lru_cache(maxsize=4096)
def _unit(kind: str, rate: int, pitch_hz: float, n_samples: int) -> np.ndarray:
    """One character's float32 waveform (cached: a handful of kinds x pitches x lengths per voice)."""
    if kind == "silence" or n_samples <= 0:
        return np.zeros(max(n_samples, 0), dtype=np.float32)
    t = np.arange(n_samples, dtype=np.float64) / rate
    if kind == "unvoiced":
        noise = np.random.default_rng(n_samples + rate).standard_normal(n_samples)
        wave = np.diff(noise, prepend=0.0) * 0.5  # first difference: a hiss, like s/f/t
        amplitude = 0.10
    else:
        formants = _VOWEL_FORMANTS.get(kind, (300.0, 1100.0))
        amplitude = 0.32 if kind in _VOWEL_FORMANTS else 0.16
        harmonics = np.arange(1, max(2, int(min(4000.0, rate / 2 - 200) // pitch_hz)) + 1)
        freqs = harmonics * pitch_hz
        gains = (0.15 + sum(np.exp(-0.5 * ((freqs - f) / 120.0) ** 2) for f in formants)) / harmonics**0.6
        wave = np.sin(2 * np.pi * np.outer(t, freqs)) @ gains
    peak = float(np.max(np.abs(wave))) or 1.0
    wave = wave / peak * amplitude
    edge = min(n_samples // 2, int(rate * EDGE_MS / 1000))
    if edge > 0:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, edge))
        wave[:edge] *= ramp
        wave[-edge:] *= ramp[::-1]
    return wave.astype(np.float32)


@functools.lru_cache(maxsize=512)
def synthesize(text: str, rate: int, pitch_hz: float = 170.0, speed: float = 1.0) -> Utterance:
    durations = [char_duration_ms(c, speed) for c in text]
    starts, total = [], 0
    for d in durations:
        starts.append(total)
        total += d
    bounds = [round(s * rate / 1000) for s in starts] + [round(total * rate / 1000)]
    pieces = []
    for i, char in enumerate(text):
        n = bounds[i + 1] - bounds[i]
        pitch = round(pitch_hz * _PITCH_STEPS[i % len(_PITCH_STEPS)], 1)
        pieces.append(_unit(_kind(char), rate, pitch, n))
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return Utterance(text, rate, pcm, tuple(starts), tuple(durations))


def chunk(utterance: Utterance, chunk_ms: int) -> list[Chunk]:
    """Cut into chunks of at least ``chunk_ms`` (the last may be shorter), each ending on a character boundary."""
    chunks: list[Chunk] = []
    text, rate = utterance.text, utterance.rate
    first = 0
    while first < len(text):
        last = first
        span = utterance.durations_ms[first]
        while span < chunk_ms and last + 1 < len(text):
            last += 1
            span += utterance.durations_ms[last]
        begin_ms = utterance.starts_ms[first]
        end_ms = begin_ms + span
        a, b = round(begin_ms * rate / 1000), round(end_ms * rate / 1000)
        chunks.append(
            Chunk(
                pcm=utterance.pcm[2 * a : 2 * b],
                chars=tuple(text[first : last + 1]),
                starts_ms=tuple(s - begin_ms for s in utterance.starts_ms[first : last + 1]),
                durations_ms=utterance.durations_ms[first : last + 1],
                offset_ms=begin_ms,
            )
        )
        first = last + 1
    return chunks
