"""Microphone and speaker levels for the window's meters, throttled so the UI is not flooded."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from desktop_agent.state.events import AudioLevel

FLOOR_DB = -60.0


#: The mean square of a full-scale int16 signal (32768²): 0 dBFS.
FULL_SCALE_SQUARE = 32768.0 * 32768.0


def pcm_level(pcm: bytes) -> float:
    """Loudness of int16 PCM on a 0..1 scale: -60 dBFS RMS (or quieter) is 0, full scale is 1.

    Every microphone block is measured (for the meter, and for voice in speech-to-text's pre-roll), so this is one
    dot product and scalar math: numpy's ``mean`` of squares costs about five times as much per 20 ms block."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    if samples.size == 0:
        return 0.0
    mean_square = float(samples.dot(samples)) / samples.size
    if mean_square <= 0.0:
        return 0.0
    decibels = 10.0 * math.log10(mean_square / FULL_SCALE_SQUARE)  # 20·log10(rms), without the square root
    return min(1.0, max(0.0, (decibels - FLOOR_DB) / -FLOOR_DB))


class LevelMeter:
    """Folds per-block levels into :class:`AudioLevel` events: at most ``max_rate`` a second, only on change.

    Each emission carries the peak of the blocks seen since the previous window, so short syllables still show,
    and a direction with no blocks in a window reads 0, so a meter never freezes on the last word.
    Called from the engine loop only.
    """

    def __init__(self, emit: Callable[[AudioLevel], None], *, max_rate: float = 15.0, min_change: float = 0.03):
        self._emit = emit
        self._period = 1.0 / max_rate
        self._min_change = min_change
        self._mic = 0.0
        self._out = 0.0
        self._window_start = time.monotonic()
        self._sent = (0.0, 0.0)

    def microphone(self, level: float) -> None:
        self._mic = max(self._mic, level)
        self._maybe_emit()

    def output(self, level: float) -> None:
        self._out = max(self._out, level)
        self._maybe_emit()

    def _maybe_emit(self) -> None:
        now = time.monotonic()
        if now - self._window_start < self._period:
            return
        mic, out = self._mic, self._out
        self._mic = self._out = 0.0
        self._window_start = now
        if abs(mic - self._sent[0]) < self._min_change and abs(out - self._sent[1]) < self._min_change:
            return
        self._sent = (mic, out)
        self._emit(AudioLevel(microphone=round(mic, 3), output=round(out, 3)))
