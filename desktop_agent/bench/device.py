"""The benchmark's audio device: the engine's in-memory device, plus the timestamps the benchmark measures from.

:class:`BenchDevice` is a :class:`~desktop_agent.engine.memory_audio.MemoryAudioBackend` (so app and reference
play through identical, real-time paced streams) that also notes when each microphone block holding speech was
delivered. From those notes and the played chunks it answers the two ends of a voice-to-voice measurement:

* the last speech sample: when it was captured (its block's delivery time minus the samples after it);
* the first audible output sample: when it starts to play (its chunk's play time plus its offset in the chunk).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from desktop_agent.bench.speech import SPEECH_THRESHOLD, first_loud_index, last_loud_index
from desktop_agent.engine.memory_audio import MemoryAudioBackend, PlayedChunk

#: A gap shorter than this between two played chunks is rounding, not an underrun.
GAP_TOLERANCE_SECS = 0.002


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
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._loud_blocks: list[LoudBlock] = []

    def open_input(self, device, sample_rate, block_frames, on_block, on_failure):
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

    def first_audible_at(self, since: float) -> float | None:
        """Play time of the first output sample at speech level that plays at or after ``since``."""
        for chunk in self.chunks_since(since):
            index = first_loud_index(chunk.pcm, SPEECH_THRESHOLD)
            if index is None:
                continue
            at = chunk.starts + index / chunk.sample_rate
            if at >= since:
                return at
        return None

    def last_audible_end(self, since: float) -> float | None:
        """When the last chunk with speech-level output after ``since`` finishes playing."""
        ends = [c.ends for c in self.chunks_since(since) if first_loud_index(c.pcm, SPEECH_THRESHOLD) is not None]
        return max(ends) if ends else None

    def gaps(self, start: float, end: float) -> list[Gap]:
        """Underruns between ``start`` and ``end``: moments the speaker had nothing to play during a reply."""
        chunks = [c for c in self.chunks_since(start) if c.starts < end]
        found = []
        for before, after in zip(chunks, chunks[1:], strict=False):
            hole = after.starts - before.ends
            if hole > GAP_TOLERANCE_SECS and before.ends >= start and after.starts <= end:
                found.append(Gap(before.ends, hole))
        return found

    def forget(self, before: float) -> None:
        """Drop bookkeeping older than ``before`` so long runs do not grow the process (and its RSS figure)."""
        with self._lock:
            self.played[:] = [c for c in self.played if c.ends >= before]
        self._loud_blocks[:] = [b for b in self._loud_blocks if b.delivered >= before]
