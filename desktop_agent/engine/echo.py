"""Acoustic echo cancellation for the microphone path, with the speaker signal as reference.

The canceller is WebRTC's AEC3 as shipped in the ``livekit`` package (``rtc.AudioProcessingModule``); this
module only feeds it correctly from two real-time threads:

* the output writer calls :meth:`EchoCanceller.push_reference` with every chunk it writes to the speaker, of any
  length and rate;
* the PortAudio input callback calls :meth:`EchoCanceller.process_capture` with each 20 ms microphone block and
  gets the cleaned block back, same length.

Two properties of the binding shape the code:

* A frame whose length is not a whole number of 10 ms frames (``rate // 100`` samples) makes livekit's Rust
  layer panic, which aborts the whole process; Python cannot catch it. So the reference is re-framed here into
  exact 10 ms frames, and capture blocks that are not whole 10 ms frames are passed through untouched.
* Rates that are not a multiple of 100 Hz (22.05 kHz, 44.1 kHz) are accepted by the binding as frames of
  ``rate // 100`` samples, i.e. slightly less than 10 ms, so the reference would drift against the microphone.
  Those rates are first resampled up to 16, 24 or 48 kHz, with soxr's quick interpolator: its higher-quality
  filters hold back 12-40 ms of audio, which would make the reference arrive after its own echo.

The transport (:mod:`desktop_agent.engine.audio`) writes silence while it has nothing to play and pushes it as
reference like any other audio, so its reference is continuous and the canceller is built with the default
``fill_idle_speaker=False``. For a writer that lets the speaker go quiet instead (``fill_idle_speaker=True``): the
speaker plays silence while nothing is written to it, but then nobody pushes a reference: AEC3, starved of
render frames, loses its alignment and lets the start of the next reply through (measured over ten replies at
60-120 ms: the first half second of most replies fell to 3-22 dB of ERLE; with the fill, most stay above 25 dB).
So once the microphone has run ahead of the reference, :meth:`process_capture` feeds the
canceller the silence the speaker is playing, keeping the render stream continuous as a sound card's is. With
blocking writes that run ahead of playback, the reference only falls behind the microphone when the device has
run dry, so that is exactly when silence is played. A transport whose output callback pushes everything played,
silence included, passes ``fill_idle_speaker=False``: its reference is continuous already, and filling in for a
push that is merely late would shift the reference against its echo.

What this cannot fix: a speaker that ran dry restarts at an arbitrary point between two microphone blocks, so the
echo's delay against the reference shifts by a fraction of a block from one reply to the next, and AEC3's filter
re-adapts during the first tenths of a second of the reply. Estimating that fraction from the clock was tried and
made things worse: with 0.2 ms of timing jitter the result was already no better than leaving it. The cure is an
output stream that never runs dry (silence written while idle, and pushed as reference like any other audio).

Idle skipping (the transport's idle hands-free listening costs CPU otherwise): once the reference has been digital
silence for :data:`IDLE_SKIP_AFTER_S` of microphone time, longer than any echo path lasts, there is no echo left to
remove and the canceller's output is the microphone input, delayed by its algorithmic delay. From then on
:meth:`EchoCanceller.process_capture` returns the input through a delay line of exactly that delay (measured once
per capture rate) and the module is called neither for capture nor for the silent reference. The module's state
stays as it was, aligned: when the first non-silent reference frame arrives, the silent reference frames held back
minus the capture frames skipped are fed as silence (or, where the capture got further, that many frames of silent
capture are processed and their output dropped), so the module sees the same reference-to-capture lead as if
nothing had been skipped, and its learnt echo path still fits. Its capture side, though, still holds the
microphone audio of the moment skipping began (speech, if the user was talking then): processed on that stale state,
a silent microphone came out with a burst of the old near end at the start of the next reply (up to 80 ms at an RMS
of 360 on espeak speech; in a hands-free test the speech-to-text made words of it and cut the reply off after three
words). So before the first block is processed again, the last :data:`RESUME_REPLAY_S` of skipped capture is
processed once more, each 10 ms frame after a silent reference frame (so the lead is kept), its output dropped:
the module's capture state is then the present's, and on a silent microphone the output stays digital silence, as
without the skipping. The first block processed again has its first delay's worth of output (the module's internal
buffer) replaced from the delay line, so the microphone audio is continuous across both switches. Noise
suppression changes the near end, so it is never skipped.

Nothing here may raise into an audio thread: any failure of the binding is logged once, the canceller switches
itself off and audio passes through unchanged until :meth:`EchoCanceller.reset`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soxr
from livekit import rtc
from loguru import logger

_BYTES_PER_SAMPLE = 2
# Reference rates fed to the binding as they are: whole samples per 10 ms, within what WebRTC resamples
# internally. Anything else is resampled up to the first of _RESAMPLE_TARGETS at or above it.
_MIN_NATIVE_RATE = 8000
_MAX_NATIVE_RATE = 48000
_RESAMPLE_TARGETS = (16000, 24000, 48000)
# WebRTC accepts a stream delay hint of 0..500 ms.
_MAX_STREAM_DELAY_MS = 500
#: Microphone time after the last non-silent reference frame from which capture processing is skipped: more than
#: the largest delay AEC3 looks for (about 0.5 s with its default configuration) plus a room's echo tail, and longer
#: than most pauses of a conversation, so the switches happen in the long idle of hands-free listening, where the
#: saving is, rather than between every two turns.
IDLE_SKIP_AFTER_S = 3.0
#: Skipped capture processed again (output dropped) as the far end speaks again, so the module's capture state is
#: the present's. Measured on a silent microphone after espeak speech that ran into the skipping: a reply's start
#: came out at an RMS of up to 360 (600 for speech 10 dB louder) with nothing processed again, up to 26 with 0.3 s,
#: at most 2 with 0.5 s. Each 10 ms frame costs about 0.15 ms, once per reply after a long idle.
RESUME_REPLAY_S = 0.5


def _is_native_rate(rate: int) -> bool:
    return _MIN_NATIVE_RATE <= rate <= _MAX_NATIVE_RATE and rate % 100 == 0


@dataclass(frozen=True, slots=True)
class EchoStats:
    """Counters since construction (or the last :meth:`EchoCanceller.reset`).

    ``reference_frames`` counts 10 ms frames pushed as reference (held-back idle silence included),
    ``silence_frames`` the silent ones filled in while
    the speaker was idle. ``capture_ms`` is the wall time spent inside the binding for capture blocks (silence
    fill included), ``reference_ms`` the same for pushed reference frames; ``max_block_ms`` is the slowest single
    capture block.
    """

    capture_blocks: int
    capture_frames: int
    reference_frames: int
    silence_frames: int
    passthrough_blocks: int
    capture_ms: float
    reference_ms: float
    max_block_ms: float
    skipped_blocks: int = 0  # capture blocks passed through the delay line while the far end was long silent

    @property
    def mean_block_ms(self) -> float:
        return self.capture_ms / self.capture_blocks if self.capture_blocks else 0.0


class EchoCanceller:
    """WebRTC AEC3 (plus optional noise suppression) for 16-bit mono microphone audio.

    ``enabled`` switches echo cancellation, ``noise_suppression`` WebRTC's noise suppressor; with both off the
    capture path is a bit-exact pass-through (a bytes block comes back as the very same object). Switching either at run
    time builds a fresh processing module, so the echo canceller re-converges (about 0.1 s of speech).

    ``fill_idle_speaker``: see the module docstring; off by default, as the transport pushes every played frame,
    silence included. Switch it on for a writer that lets the speaker run dry between replies.

    ``stream_delay_ms`` is WebRTC's hint for the time between a reference frame being pushed and its echo
    reaching :meth:`process_capture`. AEC3 estimates the delay itself, so 0 is fine; a transport that knows its
    output + input latency may set it.
    """

    _max_block_ns: int  # set by _reset_counters(), which __init__ calls
    # Idle skipping's state, set by _clear_reference() (declared here: methods defined above it read them).
    _skipping: bool
    _delay_line: bytes
    _skipped_input: bytearray
    _resumed: bool

    def __init__(
        self,
        capture_rate: int = 16000,
        enabled: bool = True,
        noise_suppression: bool = False,
        *,
        stream_delay_ms: int = 0,
        fill_idle_speaker: bool = False,
    ) -> None:
        if not _is_native_rate(capture_rate):
            raise ValueError(
                f"The echo canceller needs a microphone rate that is a multiple of 100 Hz between "
                f"{_MIN_NATIVE_RATE} and {_MAX_NATIVE_RATE} Hz, not {capture_rate} Hz."
            )
        self._capture_rate = capture_rate
        self._capture_frame_bytes = capture_rate // 100 * _BYTES_PER_SAMPLE
        self._aec = bool(enabled)
        self._ns = bool(noise_suppression)
        self._delay_ms = min(max(int(stream_delay_ms), 0), _MAX_STREAM_DELAY_MS)
        self._fill_idle = bool(fill_idle_speaker)

        # Lock order, where more than one is needed: _config_lock, _ref_lock, _apm_lock. The APM lock is held only
        # for one binding call (one capture block or one 10 ms reference frame), so the input callback never waits
        # long; _config_lock serialises settings changes, which build a new module outside the other two.
        self._config_lock = threading.Lock()
        self._ref_lock = threading.Lock()
        self._apm_lock = threading.Lock()

        self._failure: str | None = None
        self._warned_odd_capture = False
        self._warned_bad_reference = False

        # Reference side: bytes waiting to make up a whole 10 ms frame, at _ref_rate (see _clear_reference).
        self._ref_buf = bytearray()
        self._clear_reference()

        self._reset_counters()
        # Samples the module holds back on the capture path, for the idle delay line; None: no idle skipping.
        self._latency_bytes = _capture_latency_bytes(capture_rate)
        self._apm = self._build_apm(self._aec, self._ns)

    # ------------------------------------------------------------------ configuration

    @property
    def capture_rate(self) -> int:
        return self._capture_rate

    @property
    def enabled(self) -> bool:
        """Whether echo cancellation is switched on (it may still be off after a failure, see ``failure``)."""
        return self._aec

    @property
    def noise_suppression(self) -> bool:
        return self._ns

    @property
    def active(self) -> bool:
        """Whether capture audio is being processed at all."""
        return self._apm is not None

    @property
    def failure(self) -> str | None:
        """Why the canceller switched itself off, as a sentence for the user; None while it works."""
        return self._failure

    @property
    def stats(self) -> EchoStats:
        with self._apm_lock:
            return EchoStats(
                capture_blocks=self._capture_blocks,
                capture_frames=self._capture_frames,
                reference_frames=self._reference_frames,
                silence_frames=self._silence_frames,
                passthrough_blocks=self._passthrough_blocks,
                capture_ms=self._capture_ns / 1e6,
                reference_ms=self._reference_ns / 1e6,
                max_block_ms=self._max_block_ns / 1e6,
                skipped_blocks=self._skipped_blocks,
            )

    def set_enabled(self, enabled: bool) -> None:
        """Switch echo cancellation on or off; safe from any thread."""
        self._reconfigure(aec=bool(enabled))

    def set_noise_suppression(self, enabled: bool) -> None:
        """Switch WebRTC noise suppression on or off; safe from any thread."""
        self._reconfigure(ns=bool(enabled))

    def set_stream_delay_ms(self, delay_ms: int) -> None:
        """Set the delay hint (clamped to 0..500 ms); safe from any thread."""
        self._delay_ms = min(max(int(delay_ms), 0), _MAX_STREAM_DELAY_MS)

    def reset(self) -> None:
        """Forget the learnt echo path and buffered reference, clear a failure, zero the stats."""
        self._reconfigure(fresh=True)

    # ------------------------------------------------------------------ audio threads

    def push_reference(self, pcm: bytes, sample_rate: int, channels: int = 1) -> None:
        """Feed audio that is being written to the speaker (16-bit, interleaved if ``channels`` > 1).

        Called from the output writer's thread with chunks of any length. Never raises.
        """
        if self._apm is None or not self._aec or not pcm:
            return
        try:
            with self._ref_lock:
                for frame, rate in self._frames_from_reference(pcm, sample_rate, channels):
                    self._process_reference_frame(frame, rate)
        except Exception as exc:  # noqa: BLE001 - an audio thread must never see an exception
            self._fail(exc)

    def process_capture(self, pcm: bytes) -> bytes:
        """Return ``pcm`` (16-bit mono at ``capture_rate``) with the speaker's echo removed.

        Called from the PortAudio input callback; any bytes-like block is accepted. Blocks that are not whole
        10 ms frames, and all blocks while the canceller is off or has failed, come back unchanged. Never raises.
        """
        if not isinstance(pcm, bytes):  # a PortAudio buffer: copy it, as callers keep the result
            pcm = bytes(pcm)
        if self._apm is None:
            return pcm
        size = len(pcm)
        if size == 0 or size % self._capture_frame_bytes:
            self._note_odd_capture(size)
            return pcm
        try:
            buf = bytearray(pcm)
            samples = size // _BYTES_PER_SAMPLE
            with self._apm_lock:
                apm = self._apm
                if apm is None:
                    return pcm
                frames = size // self._capture_frame_bytes
                if self._skipping:
                    return self._pass_idle(pcm, frames)
                if self._idle_skippable():
                    self._skipping = True
                    self._held_frames = 0
                    self._skipped_input.clear()
                    return self._pass_idle(pcm, frames)
                started = time.perf_counter_ns()
                if self._aec and self._fill_idle:
                    self._fill_idle_speaker(apm, frames)
                    apm.set_stream_delay_ms(self._delay_ms)
                apm.process_stream(rtc.AudioFrame(buf, self._capture_rate, 1, samples))
                elapsed = time.perf_counter_ns() - started
                self._capture_blocks += 1
                self._capture_frames += frames
                self._capture_ns += elapsed
                self._max_block_ns = max(self._max_block_ns, elapsed)
                self._quiet_frames += frames
                if self._resumed:  # the module's held-back samples are from before the skip: the delay line's
                    self._resumed = False
                    buf[: len(self._delay_line)] = self._delay_line
                self._keep_tail(pcm)
            return bytes(buf)
        except Exception as exc:  # noqa: BLE001 - an audio thread must never see an exception
            self._fail(exc)
            return pcm

    # ------------------------------------------------------------------ internals

    def _idle_skippable(self) -> bool:
        """The far end has been silent long enough that the module would return the input (APM lock held)."""
        return (
            self._aec
            and not self._ns
            and not self._fill_idle
            and self._latency_bytes is not None
            and self._quiet_frames >= self._skip_after_frames
        )

    def _pass_idle(self, pcm: bytes, frames: int) -> bytes:
        """A skipped block: the input through the delay line, as the module would have returned it (lock held)."""
        self._held_frames -= frames
        self._skipped_blocks += 1
        self._skipped_input += pcm
        del self._skipped_input[: max(0, len(self._skipped_input) - self._replay_bytes)]
        line = self._delay_line + pcm
        self._delay_line = line[len(pcm) :]
        return line[: len(pcm)]

    def _keep_tail(self, pcm: bytes) -> None:
        """Remember the input the module still holds back, for the delay line should skipping start next."""
        latency = self._latency_bytes
        if latency:
            self._delay_line = (self._delay_line + pcm)[-latency:] if len(pcm) < latency else pcm[-latency:]

    def _resume(self, apm: rtc.AudioProcessingModule, rate: int) -> None:
        """The far end speaks again: feed the silence held back beyond the skipped capture, so the module's
        reference leads its capture by what it really does, bring its capture state up to the present, and process
        capture from the next block on (lock held)."""
        self._skipping = False
        self._resumed = bool(self._delay_line)
        held, self._held_frames = self._held_frames, 0
        if held > 0:  # the reference got further ahead of the capture while skipped
            silence = bytearray(rate // 100 * _BYTES_PER_SAMPLE * held)
            apm.process_reverse_stream(rtc.AudioFrame(silence, rate, 1, len(silence) // _BYTES_PER_SAMPLE))
        elif held < 0:  # the capture caught up (the frames of the block skipping began with, at least): its silence
            quiet = bytearray(self._capture_frame_bytes * -held)  # output dropped: the delay line stands in for it
            apm.process_stream(rtc.AudioFrame(quiet, self._capture_rate, 1, len(quiet) // _BYTES_PER_SAMPLE))
        self._replay_skipped_input(apm, rate)

    def _replay_skipped_input(self, apm: rtc.AudioProcessingModule, rate: int) -> None:
        """Process the latest skipped capture again, output dropped, each frame after a silent reference frame (the
        far end was silent then), so the module forgets the near end of before the skip (module docstring)."""
        frame_bytes = self._capture_frame_bytes
        recent = self._skipped_input
        silence = bytearray(rate // 100 * _BYTES_PER_SAMPLE)
        for offset in range(len(recent) % frame_bytes, len(recent), frame_bytes):
            apm.process_reverse_stream(rtc.AudioFrame(bytearray(silence), rate, 1, len(silence) // _BYTES_PER_SAMPLE))
            frame = bytearray(recent[offset : offset + frame_bytes])
            apm.process_stream(rtc.AudioFrame(frame, self._capture_rate, 1, frame_bytes // _BYTES_PER_SAMPLE))
        recent.clear()

    def _build_apm(self, aec: bool, ns: bool) -> rtc.AudioProcessingModule | None:
        if not (aec or ns) or self._failure is not None:
            return None
        try:
            return rtc.AudioProcessingModule(echo_cancellation=aec, noise_suppression=ns)
        except Exception as exc:  # noqa: BLE001 - a broken binding must not stop the microphone
            self._fail(exc)
            return None

    def _reconfigure(self, *, aec: bool | None = None, ns: bool | None = None, fresh: bool = False) -> None:
        """Apply new switches (None keeps one) with a new module; ``fresh`` also clears a failure and the stats."""
        with self._config_lock:
            aec = self._aec if aec is None else aec
            ns = self._ns if ns is None else ns
            if fresh:
                self._failure = None
            new_apm = self._build_apm(aec, ns)
            with self._ref_lock, self._apm_lock:
                self._aec, self._ns = aec, ns
                self._apm = new_apm if self._failure is None else None
                self._clear_reference()
                if fresh:
                    self._reset_counters()

    def _clear_reference(self) -> None:
        self._ref_buf.clear()
        self._ref_partial = b""  # the bytes of an incomplete sample at the end of the last chunk
        self._ref_rate = 0  # the rate frames are cut at
        # Reference frames pushed minus capture frames processed (10 ms each): how far the speaker side is ahead.
        self._ref_lead = 0
        self._ref_source_rate = 0  # the rate the writer pushes
        self._ref_channels = 1
        self._resampler: soxr.ResampleStream | None = None
        # Idle skipping (module docstring): capture frames since the last non-silent reference frame, whether
        # skipping, silent reference frames held back minus capture frames skipped since, the input the module
        # holds back (the delay line), and whether the next processed block must take its start from that line.
        self._skip_after_frames = round(IDLE_SKIP_AFTER_S * 100)
        self._quiet_frames = 0
        self._skipping = False
        self._held_frames = 0
        self._delay_line = b""
        # The latest skipped capture (at most RESUME_REPLAY_S), processed again at the resume.
        self._skipped_input = bytearray()
        self._replay_bytes = round(RESUME_REPLAY_S * 100) * self._capture_frame_bytes
        self._resumed = False

    def _reset_counters(self) -> None:
        self._capture_blocks = 0
        self._capture_frames = 0
        self._reference_frames = 0
        self._silence_frames = 0
        self._passthrough_blocks = 0
        self._skipped_blocks = 0
        self._capture_ns = 0
        self._reference_ns = 0
        self._max_block_ns = 0

    def _frames_from_reference(self, pcm: bytes, sample_rate: int, channels: int) -> Iterator[tuple[bytearray, int]]:
        """Yield (exact 10 ms frame, rate) pairs from a reference chunk; keep the remainder for the next call."""
        if sample_rate <= 0 or channels <= 0:
            self._note_bad_reference(f"rate {sample_rate} Hz, {channels} channel(s)")
            return
        if sample_rate != self._ref_source_rate or channels != self._ref_channels:
            yield from self._flush_reference()
            self._ref_source_rate = sample_rate
            self._ref_channels = channels
            if _is_native_rate(sample_rate):
                self._ref_rate = sample_rate
                self._resampler = None
            else:
                self._ref_rate = next((t for t in _RESAMPLE_TARGETS if t >= sample_rate), _MAX_NATIVE_RATE)
                self._resampler = soxr.ResampleStream(sample_rate, self._ref_rate, 1, dtype="int16", quality="QQ")

        # A chunk may end in the middle of a sample (or of a multichannel sample): keep those bytes for the next.
        if self._ref_partial:
            pcm = self._ref_partial + pcm
        sample_bytes = _BYTES_PER_SAMPLE * channels
        usable = len(pcm) - len(pcm) % sample_bytes
        self._ref_partial = bytes(pcm[usable:])
        samples = np.frombuffer(pcm, dtype=np.int16, count=usable // _BYTES_PER_SAMPLE)
        if channels > 1:
            samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples)
        self._ref_buf += samples.tobytes()
        frame_bytes = self._ref_rate // 100 * _BYTES_PER_SAMPLE
        whole = len(self._ref_buf) - len(self._ref_buf) % frame_bytes
        for offset in range(0, whole, frame_bytes):
            yield bytearray(self._ref_buf[offset : offset + frame_bytes]), self._ref_rate
        del self._ref_buf[:whole]

    def _flush_reference(self) -> Iterator[tuple[bytearray, int]]:
        """On a rate change, pad what is left of the old rate to one whole frame so timing is kept."""
        if self._resampler is not None:
            self._ref_buf += self._resampler.resample_chunk(np.zeros(0, np.int16), last=True).tobytes()
        if self._ref_buf and self._ref_rate:
            frame_bytes = self._ref_rate // 100 * _BYTES_PER_SAMPLE
            self._ref_buf += bytes(-len(self._ref_buf) % frame_bytes)
            for offset in range(0, len(self._ref_buf), frame_bytes):
                yield bytearray(self._ref_buf[offset : offset + frame_bytes]), self._ref_rate
        self._ref_buf.clear()
        self._ref_partial = b""

    def _process_reference_frame(self, frame: bytearray, rate: int) -> None:
        with self._apm_lock:
            apm = self._apm
            if apm is None or not self._aec:
                return
            if frame.count(0) != len(frame):
                self._quiet_frames = 0
                if self._skipping:
                    self._resume(apm, rate)
            elif self._skipping:  # held back: fed at the resume if the capture has not caught up with it by then
                self._held_frames += 1
                self._reference_frames += 1
                self._ref_lead += 1
                return
            started = time.perf_counter_ns()
            apm.process_reverse_stream(rtc.AudioFrame(frame, rate, 1, len(frame) // _BYTES_PER_SAMPLE))
            self._reference_ns += time.perf_counter_ns() - started
            self._reference_frames += 1
            self._ref_lead += 1

    def _fill_idle_speaker(self, apm: rtc.AudioProcessingModule, capture_frames: int) -> None:
        """Feed silent reference for the part of this capture block that no pushed reference covers.

        Called with the APM lock held. The silence goes at the rate of the last reference, because a change of
        render format makes WebRTC reinitialise and forget the echo path; before the first reference there is
        nothing to cancel and no rate to use, so nothing is filled.
        """
        if not self._ref_rate:
            self._ref_lead = 0
            return
        self._ref_lead -= capture_frames
        if self._ref_lead >= 0:
            return
        rate = self._ref_rate
        silence = bytearray(rate // 100 * _BYTES_PER_SAMPLE * -self._ref_lead)
        apm.process_reverse_stream(rtc.AudioFrame(silence, rate, 1, len(silence) // _BYTES_PER_SAMPLE))
        self._silence_frames += -self._ref_lead
        self._ref_lead = 0

    def _fail(self, exc: BaseException) -> None:
        with self._apm_lock:
            first = self._failure is None
            self._failure = "Echo cancellation stopped working and is switched off; the microphone still works."
            self._apm = None
        if first:
            logger.error("Echo canceller disabled after a failure in the audio processing module: {!r}", exc)

    def _note_odd_capture(self, size: int) -> None:
        with self._apm_lock:
            self._passthrough_blocks += 1
            first = not self._warned_odd_capture
            self._warned_odd_capture = True
        if first:
            logger.warning(
                "Echo canceller got a microphone block of {} bytes, not whole 10 ms frames at {} Hz; "
                "such blocks pass through without echo cancellation",
                size,
                self._capture_rate,
            )

    def _note_bad_reference(self, what: str) -> None:
        if not self._warned_bad_reference:
            self._warned_bad_reference = True
            logger.warning("Echo canceller ignored speaker audio with an invalid format ({})", what)


_capture_latencies: dict[int, int | None] = {}


def _capture_latency_bytes(rate: int) -> int | None:
    """How many bytes of capture audio AEC3 holds back at ``rate`` (its algorithmic delay), found once per rate by
    sending an impulse through a module with a silent reference; None if that fails (then nothing is skipped)."""
    if rate not in _capture_latencies:
        frame = rate // 100
        at = 5 * frame + 3
        try:
            apm = rtc.AudioProcessingModule(echo_cancellation=True)
            signal = np.zeros(12 * frame, np.int16)
            signal[at] = 10000
            out = []
            for start in range(0, len(signal), frame):
                apm.process_reverse_stream(rtc.AudioFrame(bytearray(2 * frame), rate, 1, frame))
                block = rtc.AudioFrame(bytearray(signal[start : start + frame].tobytes()), rate, 1, frame)
                apm.process_stream(block)
                out.append(np.frombuffer(bytes(block.data), np.int16))
            response = np.abs(np.concatenate(out).astype(np.int32))
            delay = int(np.argmax(response)) - at
            found = response.max() > 0 and 0 <= delay < 5 * frame
            _capture_latencies[rate] = delay * _BYTES_PER_SAMPLE if found else None
        except Exception as exc:  # noqa: BLE001 - without the figure the canceller simply never skips
            logger.warning("Could not measure the echo canceller's delay ({!r}); idle audio is always processed", exc)
            _capture_latencies[rate] = None
    return _capture_latencies[rate]
