"""The echo canceller's reference, handed over by playback position rather than at each write.

WebRTC's canceller (engine/echo.py) counts its reference frames against its microphone frames: how far the one runs
ahead of the other is the delay it looks for the echo at. Handing it each write's audio just before the write makes
that lead the depth of the device buffer at the time of the write, so the lead stays put only while the buffer is
always equally full. A speaker that keeps just a little silence queued while idle (a reply's first sample then
plays almost at once) and a full buffer during a reply would make the lead jump by up to the buffer depth at every
reply start (offline, jumps of 60 ms or more left replies 12-19 dB cancelled instead of about 45).

Here every written sample gets its place on the device's playback timeline (the samples it plays, one after the
other, silence where it ran dry), and at each microphone block the canceller is handed the stretch of that timeline
played during the block: a block's worth, counted in samples. So the canceller's reference and microphone streams
advance together, block by block, as with a sound card's own callbacks, whatever the buffer depth; the echo's delay
against the reference is the room's and the devices' fixed latency only, sample-exact as long as the device does
not run dry.

Where the timeline starts (the first block), whether the device ran dry (a write after the end of what it had, by
the device's own count of queued audio and the clock) and a guard against clock drift between microphone and
speaker come from the clock; everything in between is counted.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

from loguru import logger

#: A write that comes this long after everything written before it has played found the device dry.
DRY_TOLERANCE_SECS = 0.002
#: When the counted position and the clock disagree by more than this (microphone and speaker clocks drifting apart,
#: or the microphone stalled), the count starts again from the clock. A microphone block handed over late (a busy
#: machine) must not trigger it, so it is well above a callback's lateness.
RESYNC_SECS = 0.25
#: Written audio kept while the microphone takes none (it is closed or stalled).
BACKLOG_SECS = 0.5


class PlaybackReference:
    """Speaker audio placed on the device's playback timeline, taken by the microphone's clock; thread-safe.

    The speaker thread calls :meth:`written` right before each write, the capture thread :meth:`take` before each
    microphone block. ``clock`` is ``time.monotonic`` except in tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rate = 0
        self._items: collections.deque[tuple[int, bytes]] = collections.deque()  # (position, pcm), in order
        self._written_end = 0  # position after the last written sample
        self._end_time = 0.0  # when, by the clock, the device plays the last written sample out
        self._handed = 0  # position up to which the audio has been handed over
        self._counted: int | None = None  # the playback position counted in microphone time; None: not started
        self._mic_frames = 0  # microphone frames since the count started (kept whole, so no rounding adds up)
        self._mic_rate = 0
        self._counted_from = 0
        self.gaps = 0  # writes that found the device dry (silence inserted before them on the timeline)
        self.restarts = 0  # times the count started again from the clock (the first block included)

    def clear(self) -> None:
        """The output stream closed or a new one opened: its timeline starts afresh."""
        with self._lock:
            self._rate = 0
            self._items.clear()
            self._written_end = 0
            self._end_time = 0.0
            self._handed = 0
            self._counted = None

    def written(self, pcm: bytes, sample_rate: int, queued_secs: float) -> None:
        """``pcm`` is about to be written; the device has ``queued_secs`` of earlier audio yet to play (its count)."""
        samples = len(pcm) // 2
        if not samples or sample_rate <= 0:
            return
        now = self._clock()
        with self._lock:
            if sample_rate != self._rate:
                self._restart(sample_rate)
            start = self._written_end
            if self._items or self._written_end:
                late = now - self._end_time
                if late > DRY_TOLERANCE_SECS and queued_secs <= DRY_TOLERANCE_SECS:
                    start += round(late * sample_rate)  # the device played silence meanwhile
                    self.gaps += 1
                    _log(f"speaker ran dry for {late * 1000:.1f} ms")
            start = max(start, self._handed)  # what was handed as silence stays silence
            self._items.append((start, bytes(pcm[: 2 * samples])))
            self._written_end = start + samples
            self._end_time = now + max(queued_secs, 0.0) + samples / sample_rate
            self._trim_backlog()

    def take(self, frames: int, frame_rate: int) -> list[tuple[bytes, int]]:
        """The reference for a microphone block of ``frames`` at ``frame_rate``: what the device played during it
        (silence where nothing was written), as (pcm, rate) pieces in order. Audio the device has not reached yet
        stays for a later block."""
        now = self._clock()
        with self._lock:
            rate = self._rate
            if not rate:
                return []
            played = self._written_end - round((self._end_time - now) * rate)  # by the clock
            off_clock = self._counted is None or abs(self._counted - played) > RESYNC_SECS * rate
            if off_clock or frame_rate != self._mic_rate:
                self._start_count(played - frames * rate // frame_rate, frame_rate)
            self._mic_frames += frames
            target = self._counted = self._counted_from + self._mic_frames * rate // frame_rate
            if now <= self._end_time + DRY_TOLERANCE_SECS:
                target = min(target, self._written_end)  # not dry: the rest is queued in the device, coming
            if target <= self._handed:
                return []
            pcm = self._cut(self._handed, target)
            self._handed = target
        return [(pcm, rate)]

    # -- internals (lock held) -------------------------------------------------------------------------------

    def _restart(self, rate: int) -> None:
        self._rate = rate
        self._items.clear()
        self._written_end = 0
        self._end_time = 0.0
        self._handed = 0
        self._counted = None

    def _start_count(self, position: int, frame_rate: int) -> None:
        """Count from ``position``, where the block now being taken began to play; nothing before it is handed."""
        if self._counted is not None:
            _log(f"reference count off the clock by {(position - self._counted) / self._rate * 1000:.1f} ms")
        self.restarts += 1
        self._mic_rate = frame_rate
        self._mic_frames = 0
        self._counted_from = position
        self._handed = max(self._handed, position)

    def _cut(self, start: int, end: int) -> bytes:
        """The timeline from ``start`` to ``end`` (positions), zeros where nothing was written; drops what is used."""
        out = bytearray()
        position = start
        items = self._items
        while items and position < end:
            at, pcm = items[0]
            stop = at + len(pcm) // 2
            if stop <= position:
                items.popleft()
                continue
            if at > position:
                gap = min(at, end) - position
                out += bytes(2 * gap)
                position += gap
                continue
            upto = min(stop, end)
            out += pcm[2 * (position - at) : 2 * (upto - at)]
            position = upto
            if upto == stop:
                items.popleft()
        out += bytes(2 * (end - position))
        return bytes(out)

    def _trim_backlog(self) -> None:
        limit = round(BACKLOG_SECS * self._rate)
        while len(self._items) > 1 and self._written_end - self._items[0][0] > limit:
            self._items.popleft()


def _log(message: str) -> None:
    logger.debug(f"Echo reference: {message}")
