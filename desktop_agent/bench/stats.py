"""Summaries of timing samples: count, p50, p95, p99, max and mean, in the unit the samples came in."""

from __future__ import annotations

from collections.abc import Iterable

from desktop_agent.state.latency import percentile


def summarize(values: Iterable[float], *, scale: float = 1.0, digits: int = 1) -> dict:
    """``{"n", "p50", "p95", "p99", "max", "mean"}`` of ``values`` times ``scale``; the figures are None when empty."""
    samples = [v * scale for v in values]
    if not samples:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "n": len(samples),
        "p50": rounded(percentile(samples, 50)),
        "p95": rounded(percentile(samples, 95)),
        "p99": rounded(percentile(samples, 99)),
        "max": rounded(max(samples)),
        "mean": rounded(sum(samples) / len(samples)),
    }


def ratio(numerator: float | None, denominator: float | None, digits: int = 2) -> float | None:
    """``numerator / denominator`` rounded, or None when either is missing or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, digits)
