"""The detail tables printed under the goals: each mode's voice-to-voice for app and reference, split by stage."""

from __future__ import annotations

from desktop_agent.bench.provider_choice import OPTIONS
from desktop_agent.bench.stages import STAGES


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def providers_line(described: dict) -> str:
    """``speech to text Deepgram nova-3 (deepgram), ...`` from a results document's ``"providers"``."""
    return ", ".join(
        f"{OPTIONS[option].role_name} {p['name']} {p['model']} ({p['id']})"
        for option, p in described.items()
        if option in OPTIONS
    )


def latency_details(results: dict) -> str:
    latency = results.get("latency")
    if not latency:
        return ""
    lines = [f"voice-to-voice at the audio boundary, ms (providers' floor {latency['floor_ms']:.0f} ms):"]
    if latency.get("providers"):
        lines.append(f"providers (app and reference): {providers_line(latency['providers'])}")
    header = f"  {'':28}{'app p50':>9}{'app p95':>9}{'ref p50':>9}{'ref p95':>9}"
    for mode in ("push_to_talk", "hands_free"):
        section = latency.get(mode)
        if not section:
            continue
        app, ref = section["app"], section["reference"]
        lines += [
            f"{mode.replace('_', '-')} (app/reference p50 {section['ratio_p50']}, "
            f"p95 {section['ratio_p95']}; {app['v2v_ms']['n']} turns each)",
            header,
        ]

        def row(label: str, a: dict, r: dict) -> str:
            return f"  {label:28}{_ms(a['p50']):>9}{_ms(a['p95']):>9}{_ms(r['p50']):>9}{_ms(r['p95']):>9}"

        lines.append(row("voice-to-voice", app["v2v_ms"], ref["v2v_ms"]))
        lines.append(row("minus floor (own overhead)", app["overhead_ms"], ref["overhead_ms"]))
        for name, who in STAGES:
            lines.append(row(f"  {name} ({who})", app["stages_ms"][name], ref["stages_ms"][name]))
        if app.get("engine_stages_ms"):
            reported = ", ".join(f"{stage} {_ms(s['p50'])}" for stage, s in app["engine_stages_ms"].items())
            lines.append(f"  engine's StageLatency p50: {reported}")
        lines += _references(section)
    return "\n".join(lines)


#: How the report names each reference of a latency section.
REFERENCE_NAMES = {
    "reference": "plain Pipecat",
    "livekit_off": "LiveKit Agents, preemptive off",
    "livekit_on": "LiveKit Agents, preemptive on (default)",
    "livekit_on_tts": "LiveKit Agents, preemptive on + TTS",
}


def _references(section: dict) -> list[str]:
    """Every system of a mode side by side (voice-to-voice; their LLM requests are under speculation), and the best
    reference."""
    lines = [f"  {'':42}{'v2v p50':>9}{'v2v p95':>9}{'failed':>8}"]
    for name in ("app", *REFERENCE_NAMES):
        figures = section.get(name)
        if not figures:
            continue
        v2v, label = figures["v2v_ms"], REFERENCE_NAMES.get(name, "app")
        lines.append(f"  {label:42}{_ms(v2v['p50']):>9}{_ms(v2v['p95']):>9}{figures['failed_turns']:>8}")
    best = section.get("best_reference")
    if best:
        lines.append(
            f"  best reference: {REFERENCE_NAMES.get(best, best)}; app / it p50 {section['ratio_best_p50']}, "
            f"p95 {section['ratio_best_p95']}"
        )
    return lines


def speculation_details(results: dict) -> str:
    """Per mode and system: LLM requests per turn, speculations and hits, and what was wasted per turn."""
    section = results.get("speculation")
    if not section:
        return ""
    prices = section.get("prices", {})
    lines = [
        "speculation and waste, from the simulator's records (prices: LLM "
        f"${prices.get('llm_usd_per_million_tokens')}/M tokens, "
        f"TTS ${prices.get('tts_usd_per_thousand_chars')}/k chars):",
        f"  {'':24}{'interim=final':>14}{'LLM req/turn':>13}{'speculated':>11}{'hit rate':>9}{'wasted tok/turn':>16}"
        f"{'tok %':>7}"
        f"{'wasted chr/turn':>16}{'chr %':>7}{'wasted $/turn':>15}{'$/turn':>11}",
    ]
    for mode in ("push_to_talk", "hands_free"):
        for system in ("app", *REFERENCE_NAMES):
            figures = section.get(mode, {}).get(system)
            if figures:
                lines.append(_spend_row(f"{mode.replace('_', '-')}, {system}", figures))
    if section.get("app"):
        lines.append(_spend_row("app, both modes", section["app"]))
    lines.append(
        "  (interim=final: turns whose last interim before the release (or the end of speech) said all the final "
        "said, the most a speculation on interims can hit; speculated: turns with an LLM request before the final "
        "transcript; hit rate: of those, turns whose first such request was the reply used; wasted: abandoned "
        "requests and replies to words the final did not say, prompt and reply tokens)"
    )
    return "\n".join(lines)


def _spend_row(label: str, f: dict) -> str:
    hit = "-" if f["hit_rate"] is None else f"{f['hit_rate']:.2f}"
    return (
        f"  {label:24}{f['interim_complete_at_release']:>7} of {f['turns_with_final']:<3}"
        f"{_fmt(f['llm_requests_per_turn']):>13}{f['speculated_turns']:>5} of {f['turns']:<3}{hit:>9}"
        f"{_fmt(f['wasted_llm_tokens_per_turn']):>16}{_fmt(f['wasted_llm_token_pct']):>7}"
        f"{_fmt(f['wasted_tts_chars_per_turn']):>16}{_fmt(f['wasted_tts_char_pct']):>7}"
        f"{_usd(f['wasted_cost_usd_per_turn']):>15}{_usd(f['cost_usd_per_turn']):>11}"
    )


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:.6f}"


def loaded_details(results: dict) -> str:
    loaded = results.get("loaded")
    if not loaded:
        return ""
    lines = [
        f"loaded machine ({loaded['cpu_load_processes']} busy processes in the session of each run, "
        f"{loaded.get('cpu_load_elsewhere_processes', 0)} in sessions of their own; the app with echo "
        f"cancellation on): underruns and audible gaps during replies, voice-to-voice ms",
        f"  {'':28}{'underruns':>16}{'audible gaps':>16}{'v2v p50':>9}{'v2v p95':>9}{'load got':>10}  speaker thread",
    ]
    for mode in ("hands_free", "push_to_talk"):
        section = loaded.get(mode)
        if not section:
            continue
        for system in ("app", "reference"):
            figures = section[system]
            load = figures.get("cpu_load") or {}
            got = f"{load['worker_cpu_pct']:.0f} %" if load.get("worker_cpu_pct") is not None else "-"
            lines.append(
                f"  {mode.replace('_', '-') + ', ' + system:28}"
                f"{_count(figures['underruns'], figures['underrun_ms']):>16}"
                f"{_count(figures['audible_gaps'], figures['audible_gap_ms']):>16}"
                f"{_ms(figures['v2v_ms']['p50']):>9}{_ms(figures['v2v_ms']['p95']):>9}{got:>10}"
                f"  {figures.get('speaker_scheduling') or '-'}"
            )
    lines.append(
        "  (load got: the CPU each busy process had, % of a core; underruns: the device ran dry; audible "
        "gaps: the reply's sound was cut)"
    )
    return "\n".join(lines)


def _count(count: int, ms: float) -> str:
    return f"{count} ({ms:.0f} ms)"


def other_details(results: dict) -> str:
    lines = []
    window = results.get("responsiveness")
    if window:
        lines.append(
            f"window phase ({window.get('repaint_hz')}/s forced repaints, each "
            f"{_fmt(window.get('repaint_ms', {}).get('p50'))} ms p50): engine loop lateness p50/p99/max "
            f"{_lat(window['engine_loop_lateness_ms'])} ms, Qt thread {_lat(window['qt_lateness_ms'])} ms, "
            f"{window['dropouts']} dropouts ({window['dropout_ms']} ms)"
        )
    cpu = results.get("cpu")
    if cpu:
        lines.append(
            f"CPU % of a core: idle hands-free {cpu['idle_hands_free_pct']} (reference "
            f"{cpu['reference_idle_hands_free_pct']}), idle push-to-talk {cpu['idle_push_to_talk_pct']}, "
            f"during hands-free turns {cpu['turn_hands_free_pct']} (reference "
            f"{cpu['reference_turn_hands_free_pct']})"
        )
    idle = results.get("idle")
    if idle and "app" in idle and "reference" in idle:
        app, ref = idle["app"], idle["reference"]
        lines.append(
            f"idle hands-free, {idle['secs']:g} s of silence: audio to STT {app['stt_audio_bytes']} B "
            f"({app['stt_upload_kbit_s']} kbit/s, ${app['stt_cost_usd']:.6f}), CPU {app['cpu_pct']} % of a core; "
            f"reference {ref['stt_audio_bytes']} B ({ref['stt_upload_kbit_s']} kbit/s, ${ref['stt_cost_usd']:.6f}), "
            f"CPU {ref['cpu_pct']} %"
        )
    memory = results.get("memory")
    if memory:
        lines.append(
            f"RSS: {memory['rss_ready_mb']} MB ready, {memory['rss_after_first_turn_mb']} MB after one turn, "
            f"{memory['rss_after_mb']} MB after {memory['turns']} turns ({memory['failed_turns']} failed)"
        )
    startup = results.get("startup")
    if startup:
        lines.append(
            f"start-up p50: engine alone ready {_fmt(startup['engine_ready_s']['p50'])} s; window visible "
            f"{_fmt(startup['window_visible_s']['p50'])} s, window session ready "
            f"{_fmt(startup['window_session_ready_s']['p50'])} s"
        )
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _lat(summary: dict) -> str:
    return "/".join(_fmt(summary.get(k)) for k in ("p50", "p99", "max"))
