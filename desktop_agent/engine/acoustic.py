"""A simulated room between the speaker and the microphone, for echo tests and benchmarks.

What the speaker plays reaches the microphone delayed, attenuated and smeared by a reverberation tail, on top
of whatever the microphone hears directly (the user) and a little room noise. Everything is seeded, so a run
is reproducible sample for sample.

Time model: both sides advance in samples at ``sample_rate``. :meth:`AcousticPath.mix_into_mic` consumes
microphone time; :meth:`AcousticPath.feed_speaker` plays audio from where the speaker left off, or from the
microphone's current position if the speaker was idle in between (a real speaker plays silence while nothing
is written). Feed the speaker before mixing the microphone block it should be heard in, as a real output
device's buffer runs ahead of the microphone.
"""

from __future__ import annotations

import math

import numpy as np
import soxr

_INT16_MAX = 32767
_INT16_MIN = -32768


class AcousticPath:
    """Speaker-to-microphone echo: ``delay_ms`` of flight and buffering, ``gain_db`` on the direct path, and an
    exponentially decaying noise tail reaching -60 dB after ``rt60_s``, ``direct_to_reverb_db`` below the direct
    path in energy. ``noise_dbfs`` adds white room noise at that RMS level to every microphone block (None: no
    noise)."""

    def __init__(
        self,
        delay_ms: float = 60,
        gain_db: float = -6,
        rt60_s: float = 0.15,
        sample_rate: int = 16000,
        *,
        direct_to_reverb_db: float = 6.0,
        noise_dbfs: float | None = -70.0,
        seed: int = 0,
    ) -> None:
        if delay_ms < 0 or rt60_s < 0 or sample_rate <= 0:
            raise ValueError("delay_ms and rt60_s must be >= 0 and sample_rate > 0")
        self.sample_rate = sample_rate
        self.delay_samples = round(delay_ms * sample_rate / 1000)
        self._rng = np.random.default_rng(seed)
        self.impulse_response = self._room_response(gain_db, rt60_s, direct_to_reverb_db)
        self._noise_rms = None if noise_dbfs is None else 32768.0 * 10 ** (noise_dbfs / 20)

        self._mic_pos = 0  # samples of microphone time consumed
        # Echo still to be heard, indexed from _mic_pos.
        self._echo = np.zeros(0, dtype=np.float64)
        # The speaker's current burst: where it started, how much resampled audio it has produced.
        self._burst_start = 0
        self._burst_len = 0
        self._burst_rate = 0
        self._resampler: soxr.ResampleStream | None = None
        # Source-rate samples fed in the current burst, to tell when the speaker fell idle.
        self._burst_source = 0

    def _room_response(self, gain_db: float, rt60_s: float, drr_db: float) -> np.ndarray:
        """Room response without the delay: 1 at lag 0, then the seeded decaying noise tail, times the gain."""
        tail_len = max(int(rt60_s * self.sample_rate), 0)
        response = np.zeros(1 + tail_len)
        response[0] = 1.0
        if tail_len:
            t = np.arange(1, tail_len + 1) / self.sample_rate
            envelope = np.exp(-math.log(1000.0) * t / rt60_s)  # -60 dB in amplitude at rt60_s
            tail = self._rng.standard_normal(tail_len) * envelope
            tail *= math.sqrt(10 ** (-drr_db / 10) / float(np.sum(tail**2)))
            response[1:] = tail
        return response * 10 ** (gain_db / 20)

    def feed_speaker(self, pcm: bytes, rate: int, *, idle_offset_s: float = 0.0) -> None:
        """Play 16-bit mono ``pcm`` at ``rate`` through the speaker.

        If the speaker was idle, the audio starts ``idle_offset_s`` after the microphone's current position: a real
        speaker starts somewhere between two microphone blocks (a real-time caller passes the time since the last
        block was taken).
        """
        if rate <= 0:
            raise ValueError(f"invalid speaker rate {rate} Hz")
        samples = np.frombuffer(pcm, dtype=np.int16, count=len(pcm) // 2)
        burst_end = 0
        if self._burst_rate:
            burst_end = self._burst_start + round(self._burst_source * self.sample_rate / self._burst_rate)
        if rate != self._burst_rate or burst_end < self._mic_pos:
            self._end_burst()
            self._burst_start = max(burst_end, self._mic_pos + round(max(idle_offset_s, 0.0) * self.sample_rate))
            self._burst_rate = rate
            if rate != self.sample_rate:
                self._resampler = soxr.ResampleStream(rate, self.sample_rate, 1, dtype="float64")
        self._burst_source += len(samples)
        self._play(samples.astype(np.float64))

    def mix_into_mic(self, mic_pcm: bytes) -> bytes:
        """Return ``mic_pcm`` (16-bit mono at ``sample_rate``) plus the echo and room noise heard meanwhile."""
        mic = np.frombuffer(mic_pcm, dtype=np.int16, count=len(mic_pcm) // 2).astype(np.float64)
        n = len(mic)
        heard = self._echo[:n]
        mic[: len(heard)] += heard
        self._echo = self._echo[n:]
        if self._noise_rms is not None:
            mic += self._rng.standard_normal(n) * self._noise_rms
        self._mic_pos += n
        return np.clip(np.rint(mic), _INT16_MIN, _INT16_MAX).astype(np.int16).tobytes()

    def _play(self, samples: np.ndarray, *, last: bool = False) -> None:
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples, last=last)
        if not len(samples):
            return
        echo = np.convolve(samples, self.impulse_response)
        offset = self._burst_start + self._burst_len + self.delay_samples - self._mic_pos
        self._burst_len += len(samples)
        if offset < 0:  # already in the past for the microphone: cut what was missed
            echo = echo[-offset:]
            offset = 0
        needed = offset + len(echo)
        if needed > len(self._echo):
            self._echo = np.concatenate([self._echo, np.zeros(needed - len(self._echo))])
        self._echo[offset:needed] += echo

    def _end_burst(self) -> None:
        if self._resampler is not None:
            self._play(np.zeros(0), last=True)
        self._resampler = None
        self._burst_len = 0
        self._burst_source = 0
