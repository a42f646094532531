"""The benchmark's audio device: the engine's in-memory device, plus the timestamps the benchmark measures from.

:class:`BenchDevice` is a :class:`~desktop_agent.engine.memory_audio.MemoryAudioBackend` (so app and reference
play through identical, real-time paced streams) that also notes when each microphone block holding speech was
delivered. From those notes and the played chunks it answers the two ends of a voice-to-voice measurement:

* the last speech sample: when it was captured (its block's delivery time minus the samples after it);
* the first audible output sample: when it starts to play (its chunk's play time plus its offset in the chunk).

During a reply it tells two kinds of trouble apart:

* an underrun (:meth:`BenchDevice.gaps`): the device ran dry, nothing was written in time (a sound server counts
  these; on a real card it can click even in a pause);
* an audible gap (:meth:`BenchDevice.audible_gaps`): the sound was cut, as a listener hears it. Whether the device
  ran dry or was handed silence in place of the reply's next audio (a writer that fills idle time with silence
  never lets the device run dry, yet the reply still stops), the reply's sound breaks off into digital silence or
  resumes out of it mid-waveform. Speech never does that: the simulated voice fades every sound in and out over
  6 ms, so its own pauses begin and end at a whisper. A starved stretch that falls wholly inside a pause of the
  reply only lengthens that pause and is not counted as audible (an underrun there still is).
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from desktop_agent.bench.speech import SPEECH_THRESHOLD, first_loud_index, last_loud_index
from desktop_agent.engine.audio_backend import Device, InputStream
from desktop_agent.engine.memory_audio import MemoryAudioBackend, PlayedChunk

#: A gap shorter than this between two played chunks is rounding, not an underrun.
GAP_TOLERANCE_SECS = 0.002
#: Digital silence at least this long inside a reply may be a gap (shorter runs are where two sounds join).
SILENT_RUN_SECS = 0.002
#: How much of the audio on either side of a silent run is looked at for a cut.
EDGE_SECS = 0.0005
#: Sound at least this loud next to a silent run means the sound was cut there rather than faded (-40 dBFS; the
#: simulated voice's fades stay below a twentieth of this within 0.5 ms of silence).
CUT_LEVEL = SPEECH_THRESHOLD


@dataclass(frozen=True)
class LoudBlock:
    delivered: float
    last_loud: int
    frames: int
    sample_rate: int

    @property
    def last_loud_at(self) -> float:
        return self.delivered - (self.frames - self.last_loud) / self.sample_rate


@dataclass(frozen=True)
class Gap:
    at: float
    seconds: float


class BenchDevice(MemoryAudioBackend):
    """The engine's memory device, with the timestamps above. Speaker-side questions assume one output stream at a
    time (as in every benchmark phase), so ``played`` is in play order.

    The driver asks while the system under test is running, in its process, so answering must cost next to nothing
    (Python work here holds the GIL the system's audio threads need): each played chunk is looked at once, when
    first asked about, and found by bisection after that.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loud_blocks: list[LoudBlock] = []
        # One entry per chunk of ``played`` looked at so far: when it ends, and when its first speech-level sample
        # plays (None for a quiet chunk).
        self._ends: list[float] = []
        self._loud_at: list[float | None] = []

    def open_input(
        self,
        device: Device,
        sample_rate: int,
        block_frames: int,
        on_block: Callable[[bytes], None],
        on_failure: Callable[[str], None],
    ) -> InputStream:
        def stamped(pcm: bytes) -> None:  # device thread
            index = last_loud_index(pcm)
            if index is not None:
                self._loud_blocks.append(LoudBlock(time.monotonic(), index, len(pcm) // 2, sample_rate))
            on_block(pcm)

        return super().open_input(device, sample_rate, block_frames, stamped, on_failure)

    # -- microphone side ---------------------------------------------------------------------------------------

    def last_speech_at(self, since: float) -> float | None:
        """Capture time of the last speech sample delivered after ``since``."""
        blocks = [b for b in list(self._loud_blocks) if b.delivered >= since]
        return blocks[-1].last_loud_at if blocks else None

    # -- speaker side ------------------------------------------------------------------------------------------

    def chunks_since(self, since: float) -> list[PlayedChunk]:
        return sorted((c for c in list(self.played) if c.ends > since), key=lambda c: c.starts)

    def _catch_up(self) -> int:
        """Look at the chunks played since the last call; returns how many have been looked at."""
        with self._lock:
            new = self.played[len(self._ends) :]
        for chunk in new:
            index = first_loud_index(chunk.pcm, SPEECH_THRESHOLD)
            self._loud_at.append(None if index is None else chunk.starts + index / chunk.sample_rate)
            self._ends.append(chunk.ends)
        return len(self._ends)

    def first_audible_at(self, since: float) -> float | None:
        """Play time of the first output sample at speech level that plays at or after ``since``."""
        count = self._catch_up()
        for index in range(bisect.bisect_right(self._ends, since), count):
            at = self._loud_at[index]
            if at is not None and at >= since:
                return at
        return None

    def last_audible_end(self, since: float) -> float | None:
        """When the last chunk with speech-level output after ``since`` finishes playing."""
        first = bisect.bisect_right(self._ends, since, hi=self._catch_up())
        for index in range(len(self._ends) - 1, first - 1, -1):
            if self._loud_at[index] is not None:
                return self._ends[index]
        return None

    def gaps(self, start: float, end: float) -> list[Gap]:
        """Underruns between ``start`` and ``end``: moments the speaker had nothing to play during a reply."""
        chunks = [c for c in self.chunks_since(start) if c.starts < end]
        found = []
        for before, after in itertools.pairwise(chunks):
            hole = after.starts - before.ends
            if hole > GAP_TOLERANCE_SECS and before.ends >= start and after.starts <= end:
                found.append(Gap(before.ends, hole))
        return found

    def audible_gaps(self, start: float, end: float) -> list[Gap]:
        """Moments the sound of a reply was cut between ``start`` and ``end``: runs of silence (played or not played
        at all) that the sound breaks off into or resumes out of without fading."""
        chunks = [c for c in self.chunks_since(start) if c.starts < end]
        if not chunks:
            return []
        rate = chunks[0].sample_rate
        timeline = _timeline(chunks, rate)
        origin = chunks[0].starts
        silent = timeline == 0
        edges = np.flatnonzero(np.diff(np.concatenate(([False], silent, [False])).astype(np.int8)))
        edge = max(1, round(EDGE_SECS * rate))
        found = []
        for first, stop in zip(edges[::2], edges[1::2], strict=True):
            at = origin + first / rate
            seconds = (stop - first) / rate
            if seconds < SILENT_RUN_SECS or at < start or at + seconds > end:
                continue
            before = np.abs(timeline[max(0, first - edge) : first].astype(np.int32))
            after = np.abs(timeline[stop : stop + edge].astype(np.int32))
            if before.max(initial=0) >= CUT_LEVEL or after.max(initial=0) >= CUT_LEVEL:
                found.append(Gap(at, seconds))
        return found

    def forget(self, before: float) -> None:
        """Drop bookkeeping older than ``before`` so long runs do not grow the process (and its RSS figure)."""
        with self._lock:
            self.played[:] = [c for c in self.played if c.ends >= before]
            self._ends.clear()  # looked at again, from what is left
            self._loud_at.clear()
        self._loud_blocks[:] = [b for b in self._loud_blocks if b.delivered >= before]


def _timeline(chunks: list[PlayedChunk], rate: int) -> np.ndarray:
    """What the speaker played from the first chunk's start to the last one's end, as int16 samples at ``rate``,
    with zeros where it had nothing to play. Chunks at another rate (a device reopened at a new rate) count as
    silence of their length: this is about timing, not content."""
    pieces = []
    position = chunks[0].starts
    for chunk in chunks:
        hole = round((chunk.starts - position) * rate)
        if hole > 0:
            pieces.append(np.zeros(hole, np.int16))
        samples = np.frombuffer(chunk.pcm, dtype=np.int16)
        if chunk.sample_rate != rate:
            samples = np.zeros(round((chunk.ends - chunk.starts) * rate), np.int16)
        pieces.append(samples)
        position = max(position, chunk.ends)
    return np.concatenate(pieces)
