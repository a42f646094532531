"""Silero VAD that does less while nobody speaks, deciding as Pipecat's does.

* **No thread hop for blocks that cannot complete an analysis window.** Pipecat's ``VADAnalyzer.analyze_audio``
  hands every 20 ms microphone block to an executor thread, although Silero only runs once 512 samples (32 ms) have
  gathered: three blocks in eight only append to the buffer. Those are appended here on the engine loop, which saves
  their thread round trips (each one a future, a wake-up and a GIL hand-over) while listening; the model itself
  still runs off the loop, exactly as in Pipecat.
* **The model only scores windows whose score can matter.** Pipecat counts a window as speech only when the model's
  confidence reaches ``confidence`` *and* the room's smoothed loudness reaches ``min_volume`` (-50 LUFS by default).
  While the VAD is quiet and the loudness is below that, the window cannot be speech whatever the model says, so it
  is not scored then (the model costs several times the loudness), and its bookkeeping is done on the engine loop
  without a thread hop: silence and a quiet room cost next to nothing.
  The model carries a recurrent state from window to window, so the windows it skipped are run through it (their
  scores unused) before it scores again, as they would have been. Pipecat resets that state every two seconds of
  quiet; that schedule is kept for the skipped windows as if they had scored as quiet, except the last
  :data:`RECENT_WINDOWS`, which are scored for real when the room gets loud. So at most about 2.5 s of windows are
  run through the model then, once, in the executor thread, and the decisions are Pipecat's (tests/engine/test_vad.py
  compares them over speech, silence and room noise).
"""

from __future__ import annotations

import collections

import numpy as np
from pipecat.audio.utils import exp_smoothing
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADState

#: Skipped windows this recent (32 ms each) are scored after all when the room gets loud, so Pipecat's reset schedule
#: sees their real scores: the start of a voice can score above quiet before the room is loud enough to count.
RECENT_WINDOWS = 16


class SileroVAD(SileroVADAnalyzer):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._volume_of: tuple[bytes, float] | None = None  # the window whose smoothed volume was just worked out
        self._recent: collections.deque[bytes] = collections.deque()  # skipped, not yet counted for the resets
        self._since_reset: list[bytes] = []  # skipped and counted as quiet, since the model's last reset
        self.model_runs = 0
        self.windows_skipped = 0

    async def analyze_audio(self, buffer: bytes) -> VADState:
        # Calls are awaited one at a time (VADController), so the buffer is never touched by two threads at once.
        if len(self._vad_buffer) + len(buffer) < self._vad_frames_num_bytes:
            self._vad_buffer += buffer
            return self._vad_state
        window = (self._vad_buffer + buffer)[: self._vad_frames_num_bytes]  # the window Pipecat cuts next
        if self._skips(self._volume(window)):
            return self._run_analyzer(buffer)  # nothing to score: the rest is bookkeeping, not worth a thread hop
        return await super().analyze_audio(buffer)

    def voice_confidence(self, buffer: bytes) -> float:
        # Pipecat asks for a window's confidence, then for its smoothed volume: the volume is worked out once.
        if self._skips(self._volume(buffer)):
            self._skip(buffer)
            return 0.0
        self._catch_up()
        return self._score(buffer)

    def _volume(self, window: bytes) -> float:
        """The smoothed volume Pipecat will find for ``window`` (worked out once, whoever asks first)."""
        known = self._volume_of
        if known is not None and known[0] == window:
            return known[1]
        self._volume_tracker.update(window, self.sample_rate)
        volume = exp_smoothing(self._volume_tracker.volume, self._prev_volume, self._smoothing_factor)
        self._volume_of = (window, volume)
        return volume

    def _skips(self, volume: float) -> bool:
        """Whether the window with ``volume`` cannot be speech, whatever the model would say."""
        return volume < self._params.min_volume and self._vad_state is VADState.QUIET

    def _get_smoothed_volume(self, audio: bytes) -> float:
        volume = self._volume(audio)
        self._volume_of = None
        return volume

    def _score(self, window: bytes) -> float:
        self.model_runs += 1
        return super().voice_confidence(window)

    def _skip(self, window: bytes) -> None:
        """Leave ``window`` unscored for now; the one that leaves the recent ones is counted as quiet for Pipecat's
        reset schedule (a reset forgets the windows before it)."""
        self.windows_skipped += 1
        self._recent.append(window)
        if len(self._recent) > RECENT_WINDOWS:
            self._since_reset.append(self._recent.popleft())
            self._maybe_reset_model(0.0)
            if self._windows_since_reset == 0:
                self._since_reset.clear()

    def _catch_up(self) -> None:
        """Bring the model's state to where scoring every window would have: the quiet windows since its last reset
        go through it, then the recent ones are scored (the VAD was quiet and the room too soft for any to count)."""
        for window in self._since_reset:
            self._model(np.frombuffer(window, np.int16).astype(np.float32) / 32768.0, self.sample_rate)
        self._since_reset.clear()
        while self._recent:
            self._score(self._recent.popleft())
