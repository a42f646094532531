"""Per-stage latency history with percentiles, for the gauges and the per-turn chart."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from desktop_agent.state.events import Stage

#: Budgets from the product targets (seconds); endpointing has none of its own in the requirements.
DEFAULT_BUDGETS: dict[Stage, float] = {
    Stage.ENDPOINTING: 0.300,
    Stage.STT_FINAL: 0.250,
    Stage.LLM_FIRST_TOKEN: 0.300,
    Stage.TTS_FIRST_AUDIO: 0.200,
    Stage.VOICE_TO_VOICE: 0.800,
    Stage.TOOLS: 2.000,
}

#: How the stages are named wherever they are shown (gauges, chart, console).
STAGE_TITLES: dict[Stage, str] = {
    Stage.ENDPOINTING: "Endpointing",
    Stage.STT_FINAL: "STT final",
    Stage.LLM_FIRST_TOKEN: "LLM first token",
    Stage.TTS_FIRST_AUDIO: "TTS first audio",
    Stage.VOICE_TO_VOICE: "Voice to voice",
    Stage.TOOLS: "Tools",
}

#: The stages every spoken exchange measures (a turn without a tool call has no tool time).
EXCHANGE_STAGES: tuple[Stage, ...] = tuple(stage for stage in Stage if stage is not Stage.TOOLS)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class StageSummary:
    last: float | None
    p50: float | None
    p95: float | None
    count: int


class LatencyHistory:
    """The last ``keep`` samples of each stage."""

    def __init__(self, keep: int = 500) -> None:
        self._samples: dict[Stage, deque[float]] = {s: deque(maxlen=keep) for s in Stage}

    def add(self, stage: Stage, seconds: float) -> None:
        self._samples[stage].append(seconds)

    def samples(self, stage: Stage) -> list[float]:
        return list(self._samples[stage])

    def summary(self, stage: Stage) -> StageSummary:
        values = list(self._samples[stage])
        return StageSummary(
            last=values[-1] if values else None,
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            count=len(values),
        )
