"""Turn a latency phase's raw turns plus the simulator's records into the figures the report shows."""

from __future__ import annotations

from collections import defaultdict

from desktop_agent.bench.driver import TurnTiming
from desktop_agent.bench.stages import STAGES, provider_floor, split_turn
from desktop_agent.bench.stats import ratio, summarize


def turn_from_dict(data: dict) -> TurnTiming:
    fields = {k: v for k, v in data.items() if k in TurnTiming.__dataclass_fields__}
    return TurnTiming(**fields)


def latency_figures(phase: dict, records: list[dict], profile: dict) -> dict:
    """Voice-to-voice, overhead over the providers' floor, per-stage split, engine stage events, underruns, CPU."""
    turns = [turn_from_dict(t) for t in phase.get("turns", [])]
    done = [t for t in turns if t.v2v is not None]
    v2v = [t.v2v for t in done if t.v2v is not None]  # the same turns' figures (the check tells the type checker)
    floor = provider_floor(profile)
    per_stage: dict[str, list[float]] = defaultdict(list)
    app_share: list[float] = []
    for turn in done:
        split = split_turn(turn, records, profile)
        if split is None:
            continue
        for name, seconds in split.items():
            per_stage[name].append(seconds)
        app_share.append(
            sum(seconds for (name, who), seconds in zip(STAGES, split.values(), strict=True) if who == "app")
        )
    engine: dict[str, list[float]] = defaultdict(list)
    for event in phase.get("engine_stages", []):
        engine[event["stage"]].append(event["seconds"])
    gaps = [g for t in done for g in t.gaps]
    audible = [g for t in done for g in t.audible_gaps]
    return {
        "turns": len(turns),
        "failed_turns": len(turns) - len(done),
        "errors": sorted({t.error for t in turns if t.error}),
        "v2v_ms": summarize(v2v, scale=1000),
        "overhead_ms": summarize([seconds - floor for seconds in v2v], scale=1000),
        "from_speech_end_ms": summarize([t.from_speech_end for t in done if t.from_speech_end is not None], scale=1000),
        "stages_ms": {name: summarize(per_stage[name], scale=1000) for name, _ in STAGES},
        "stage_owner": dict(STAGES),
        "app_share_ms": summarize(app_share, scale=1000),
        "engine_stages_ms": {name: summarize(values, scale=1000) for name, values in sorted(engine.items())},
        "underruns": len(gaps),
        "underrun_ms": round(sum(gaps) * 1000, 1),
        "audible_gaps": len(audible),
        "audible_gap_ms": round(sum(audible) * 1000, 1),
        "idle_cpu_pct": _round(phase.get("idle_cpu_pct")),
        "turn_cpu_pct": _round(phase.get("turn_cpu_pct")),
        "ready_s": _round(phase.get("ready_s"), 3),
        "rss_mb": _round(phase.get("rss_mb")),
    }


def compare(app: dict, reference: dict) -> dict:
    """app / reference ratios of voice-to-voice (below 1: the app is faster)."""
    return {
        "ratio_p50": ratio(app["v2v_ms"]["p50"], reference["v2v_ms"]["p50"]),
        "ratio_p95": ratio(app["v2v_ms"]["p95"], reference["v2v_ms"]["p95"]),
    }


def best_reference(figures: dict[str, dict]) -> dict:
    """The reference (every system but ``"app"``) with the lowest voice-to-voice p50, and app / it ratios."""
    measured = {
        name: system for name, system in figures.items() if name != "app" and system["v2v_ms"]["p50"] is not None
    }
    if not measured:
        return {"best_reference": None, "ratio_best_p50": None, "ratio_best_p95": None}
    name = min(measured, key=lambda n: measured[n]["v2v_ms"]["p50"])
    ratios = compare(figures["app"], measured[name])
    return {"best_reference": name, "ratio_best_p50": ratios["ratio_p50"], "ratio_best_p95": ratios["ratio_p95"]}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
