"""The product's performance goals, each checked against one figure of a results document, and the table printed
beside them. The benchmark reports; a missed goal never makes it fail."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Goal:
    """``figure`` is a path of keys into the results document; the goal is met when ``figure <op> target``."""

    label: str
    figure: tuple[str, ...]
    op: str  # "<", "<=" or "=="
    target: float | Callable[[dict], float | None]
    unit: str

    def target_value(self, results: dict) -> float | None:
        return self.target(results) if callable(self.target) else self.target


def _above_floor(margin_ms: float) -> Callable[[dict], float | None]:
    """A target ``margin_ms`` above the providers' floor of the run (their own STT, LLM and TTS times in series)."""

    def target(results: dict) -> float | None:
        floor = lookup(results, ("latency", "floor_ms"))
        return None if floor is None else floor + margin_ms

    return target


GOALS: tuple[Goal, ...] = (
    Goal(
        "push-to-talk overhead p50 (voice-to-voice minus providers)",
        ("latency", "push_to_talk", "app", "overhead_ms", "p50"),
        "<=",
        60.0,
        "ms",
    ),
    Goal(
        "hands-free voice-to-voice p50 (floor + 350 ms)",
        ("latency", "hands_free", "app", "v2v_ms", "p50"),
        "<=",
        _above_floor(350.0),
        "ms",
    ),
    # Answering before the transcript is final (speculative replies): below the floor, and close to it hands-free.
    Goal(
        "push-to-talk voice-to-voice p50 below the providers' floor",
        ("latency", "push_to_talk", "app", "v2v_ms", "p50"),
        "<",
        _above_floor(0.0),
        "ms",
    ),
    Goal(
        "hands-free voice-to-voice p50 (floor + 150 ms)",
        ("latency", "hands_free", "app", "v2v_ms", "p50"),
        "<=",
        _above_floor(150.0),
        "ms",
    ),
    # The best reference of each mode: plain Pipecat or LiveKit Agents in any preemptive variant (when installed).
    Goal("app / best reference, push-to-talk (p50)", ("latency", "push_to_talk", "ratio_best_p50"), "<=", 0.7, ""),
    Goal("app / best reference, hands-free (p50)", ("latency", "hands_free", "ratio_best_p50"), "<=", 0.7, ""),
    Goal("window visible after process start", ("startup", "window_visible_s", "p50"), "<=", 1.0, "s"),
    Goal(
        "engine loop stall p99 (window repainting)",
        ("responsiveness", "engine_loop_lateness_ms", "p99"),
        "<=",
        15.0,
        "ms",
    ),
    Goal("Qt thread stall p99 (window repainting)", ("responsiveness", "qt_lateness_ms", "p99"), "<=", 15.0, "ms"),
    Goal("CPU while listening idle, hands-free", ("cpu", "idle_hands_free_pct"), "<=", 5.0, "% core"),
    Goal("CPU over the idle phase, hands-free", ("idle", "app", "cpu_pct"), "<=", 5.0, "% core"),
    Goal("audio sent to STT over the idle phase, hands-free", ("idle", "app", "stt_audio_bytes"), "==", 0, "B"),
    Goal("STT cost of the idle phase, hands-free", ("idle", "app", "stt_cost_usd"), "==", 0, "$"),
    Goal(
        "LLM tokens wasted on unheard replies (both modes)",
        ("speculation", "app", "wasted_llm_token_pct"),
        "<=",
        15.0,
        "%",
    ),
    Goal(
        "TTS characters wasted on unheard replies (both modes)",
        ("speculation", "app", "wasted_tts_char_pct"),
        "<=",
        15.0,
        "%",
    ),
    Goal("RSS growth over the soak turns", ("memory", "growth_mb"), "<=", 20.0, "MB"),
    Goal("output underruns during replies", ("underruns", "total"), "==", 0, ""),
    Goal(
        "output underruns during replies, CPU loaded (echo cancellation on)",
        ("loaded", "app", "underruns"),
        "==",
        0,
        "",
    ),
    Goal(
        "audible gaps during replies, CPU loaded (echo cancellation on)", ("loaded", "app", "audible_gaps"), "==", 0, ""
    ),
)

_OPS = {"<": operator.lt, "<=": operator.le, "==": operator.eq}


def lookup(document: dict, path: tuple[str, ...]) -> Any:
    """The value at ``path`` in nested dicts, None where any key is missing."""
    value: Any = document
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def evaluate(results: dict) -> list[dict]:
    """One row per goal: label, figure, target, unit and ``met`` (None when the figure could not be measured)."""
    rows = []
    for goal in GOALS:
        figure = lookup(results, goal.figure)
        target = goal.target_value(results)
        met = None if figure is None or target is None else bool(_OPS[goal.op](figure, target))
        rows.append(
            {
                "goal": goal.label,
                "figure": figure,
                "op": goal.op,
                "target": target,
                "unit": goal.unit,
                "met": met,
                "path": ".".join(goal.figure),
            }
        )
    return rows


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        text = f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def table(rows: list[dict]) -> str:
    """A plain-text table: goal, figure, target, verdict."""
    header = ("goal", "figure", "target", "")
    lines = [
        (
            r["goal"],
            _fmt(r["figure"], r["unit"]),
            f"{r['op']} {_fmt(r['target'], r['unit'])}",
            {True: "met", False: "MISSED", None: "-"}[r["met"]],
        )
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in (header, *lines)) for i in range(4)]
    out = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * width for width in widths),
    ]
    out += [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    ]
    return "\n".join(out)
