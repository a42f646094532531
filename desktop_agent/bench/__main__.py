"""``python -m desktop_agent.bench``: the latency and resource benchmark, app against a plain-Pipecat reference.

The latency part also measures LiveKit Agents (bench/livekit_reference.py) when the ``bench`` extra is installed, in
three preemptive generation variants, and sets the app against the best reference of each mode.

Everything runs on the provider simulator (``prd`` latencies; the soak uses ``instant``) and the in-memory audio
device, each phase in a fresh process. ``--stt``, ``--llm`` and ``--tts`` choose the provider of each role, for the app
and the reference alike (the app's defaults otherwise). Prints a table of goals beside figures and writes the full
results as JSON (``bench-results/latest.json`` unless ``--out``). It reports; it never fails because a goal was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from desktop_agent.bench import goals, machine, provider_choice, report
from desktop_agent.bench.analysis import best_reference, compare, latency_figures
from desktop_agent.bench.sim_host import SimHost
from desktop_agent.bench.spend import summarize_spend, turn_spends
from desktop_agent.bench.stages import provider_floor
from desktop_agent.bench.stats import summarize

DEFAULT_OUT = Path("bench-results/latest.json")
SOAK_REPLY = "Okay."
MODES = ("push_to_talk", "hands_free")
PARTS = ("latency", "idle", "loaded", "window", "soak", "startup")
#: The pipeline's input: 16-bit mono at 16 kHz.
INPUT_BYTES_PER_SEC = 16000 * 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m desktop_agent.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20, help="measured turns per mode and system (default 20)")
    parser.add_argument("--soak-turns", type=int, default=200, help="turns of the memory soak (default 200)")
    parser.add_argument("--window-turns", type=int, default=10, help="turns of the window phase (default 10)")
    parser.add_argument("--startup-runs", type=int, default=3, help="whole-process start-ups of each kind (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured turns before each latency run (default 1)")
    parser.add_argument("--idle-secs", type=float, default=10.0, help="idle listening measured for CPU (default 10)")
    parser.add_argument(
        "--idle-phase-secs",
        type=float,
        default=None,
        help="the idle phase: hands-free listening to silence, audio sent to STT and CPU measured (default 60, "
        "5 with --quick)",
    )
    parser.add_argument(
        "--repaint-hz",
        type=float,
        default=30.0,
        help="forced whole-window repaints per second in the window phase (default 30; 0 = off)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run for smoke tests: 2 turns and no warm-up, 10 soak turns, 2 window turns, 1 start-up, 2 s "
        "idle in the latency phase and 5 s in the idle phase (unless --idle-phase-secs)",
    )
    parser.add_argument(
        "--loaded-turns",
        type=int,
        default=20,
        help="measured turns per mode and system on the loaded machine (default 20)",
    )
    parser.add_argument(
        "--cpu-load",
        type=int,
        default=os.cpu_count() or 1,
        help="busy processes beside the system under test, in its session, in the loaded phase (default: one per core)",
    )
    parser.add_argument(
        "--cpu-load-elsewhere",
        type=int,
        default=os.cpu_count() or 1,
        help="busy processes each in a session of its own, in the loaded phase (default: one per core)",
    )
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run only these parts")
    parser.add_argument(
        "--livekit",
        nargs="*",
        choices=("off", "on", "on_tts"),
        default=["off", "on", "on_tts"],
        help="LiveKit Agents' preemptive generation variants measured in the latency part (default all three; none "
        "given: LiveKit is not measured)",
    )
    provider_choice.add_options(parser)
    parser.add_argument(
        "--echo-cancellation",
        choices=("on", "off"),
        help="override the app's echo cancellation setting (default: the app's default)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if args.quick:
        args.turns, args.warmup, args.soak_turns, args.window_turns, args.startup_runs = 2, 0, 10, 2, 1
        args.loaded_turns = 2
        args.idle_secs = min(args.idle_secs, 2.0)
        args.idle_phase_secs = 5.0 if args.idle_phase_secs is None else args.idle_phase_secs
    if args.idle_phase_secs is None:
        args.idle_phase_secs = 60.0
    return args


class Runner:
    """Runs phases as child processes with their user directories in a scratch folder."""

    def __init__(self, args: argparse.Namespace, scratch: Path):
        self.args = args
        self.providers = provider_choice.from_args(args)
        self.scratch = scratch
        self.env = dict(os.environ)
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            self.env[name] = str(scratch / name.lower())
        self.env["QT_QPA_PLATFORM"] = "offscreen"
        # The benchmark must never read or write the user's real keyring.
        self.env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
        self.count = 0

    def phase(self, name: str, sim: SimHost, timeout: float, *extra: str, echo_cancellation: str | None = None) -> dict:
        """Run one phase; ``echo_cancellation`` ("on"/"off") overrides the run's ``--echo-cancellation``."""
        self.count += 1
        out = self.scratch / f"phase-{self.count}.json"
        hello = json.dumps(
            {"urls": sim.urls, "keys": sim.keys, "profile": sim.profile, "providers": self.providers.as_dict()}
        )
        command = [sys.executable, "-m", "desktop_agent.bench.phases", name, "--sim", hello, "--out", str(out), *extra]
        echo_cancellation = echo_cancellation or self.args.echo_cancellation
        if echo_cancellation:
            command += ["--echo-cancellation", echo_cancellation]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or not out.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise PhaseFailed(f"phase {name} {' '.join(extra)} exited with {done.returncode}:\n{tail}")
        return json.loads(out.read_text())


class PhaseFailed(RuntimeError):
    pass


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_latency(runner: Runner, sim: SimHost, results: dict) -> None:
    args = runner.args
    section: dict = {
        "floor_ms": round(provider_floor(sim.profile) * 1000, 1),
        "profile": sim.profile,
        "providers": runner.providers.describe(),
        "reference": {},
    }
    from desktop_agent.bench.reference import describe
    from desktop_agent.providers.base import Role

    prices = (runner.providers.spec(Role.LLM).prices.per_unit, runner.providers.spec(Role.TTS).prices.per_unit)
    spends: dict = {mode: {} for mode in MODES}
    livekit = livekit_variants(runner)
    systems: list[tuple[str, tuple[str, ...]]] = [("app", ()), ("reference", ())]
    systems += [(f"livekit_{variant}", ("--system", "livekit", "--preemptive", variant)) for variant in livekit]
    reference_services = None
    for mode in MODES:
        figures = {}
        for system, how in systems:
            _say(f"latency: {system}, {mode}, {args.turns} turns")
            since = time.monotonic()
            phase = runner.phase(
                "latency",
                sim,
                120 + args.turns * 40,
                *(how or ("--system", system)),
                "--mode",
                mode,
                "--turns",
                str(args.turns),
                "--warmup",
                str(args.warmup),
                "--idle-secs",
                str(args.idle_secs),
            )
            records = sim.records(since)
            figures[system] = latency_figures(phase, records, sim.profile)
            spends[mode][system] = turn_spends(phase.get("turns", []), records)
            if system == "reference":
                reference_services = reference_services or phase.get("services")
            sim.clear()
        section[mode] = {**figures, **compare(figures["app"], figures["reference"]), **best_reference(figures)}
    section["reference"] = describe(reference_services)
    if livekit:
        from desktop_agent.bench import livekit_reference

        section["livekit"] = {variant: livekit_reference.describe(variant) for variant in livekit}
    results["latency"] = section
    results["speculation"] = speculation_section(spends, *prices)
    results["cpu"] = {
        "idle_hands_free_pct": section["hands_free"]["app"]["idle_cpu_pct"],
        "idle_push_to_talk_pct": section["push_to_talk"]["app"]["idle_cpu_pct"],
        "turn_hands_free_pct": section["hands_free"]["app"]["turn_cpu_pct"],
        "turn_push_to_talk_pct": section["push_to_talk"]["app"]["turn_cpu_pct"],
        "reference_idle_hands_free_pct": section["hands_free"]["reference"]["idle_cpu_pct"],
        "reference_turn_hands_free_pct": section["hands_free"]["reference"]["turn_cpu_pct"],
        "note": "% of one core for the whole engine process (the simulator runs in another process); turns "
        "include playing the replies",
    }


def speculation_section(spends: dict, llm_price: float, tts_price: float) -> dict:
    """Hit rate, LLM requests per turn and the tokens and characters wasted on replies nobody heard (and their cost
    at the catalogue's prices), per mode and system, and for the app over both modes (what the goals read)."""
    section: dict = {
        mode: {system: summarize_spend(turns, llm_price, tts_price) for system, turns in by_system.items()}
        for mode, by_system in spends.items()
    }
    section["app"] = summarize_spend(
        [t for by_system in spends.values() for t in by_system.get("app", [])], llm_price, tts_price
    )
    section["prices"] = {"llm_usd_per_million_tokens": llm_price, "tts_usd_per_thousand_chars": tts_price}
    return section


def livekit_variants(runner: Runner) -> list[str]:
    """The LiveKit variants to measure: none (with one line saying why) when LiveKit Agents is not installed or the
    run chose providers its plugins are not wired for here."""
    from desktop_agent.bench import livekit_reference

    if not runner.args.livekit:
        return []
    reason = livekit_reference.missing() or livekit_reference.unsupported_providers(runner.providers.as_dict())
    if reason:
        _say(f"latency: {reason}; going on without it")
        return []
    return list(runner.args.livekit)


def run_idle(runner: Runner, sim: SimHost, results: dict) -> None:
    """Hands-free, nobody speaking, for ``--idle-phase-secs`` after one turn: the audio each system sent to the
    speech-to-text emulator meanwhile (bytes, seconds, kbit/s and its cost at the provider's list price) and its
    CPU, app and plain-Pipecat reference alike."""
    from desktop_agent.providers.base import Role

    args = runner.args
    price = runner.providers.spec(Role.STT).prices.per_unit
    section: dict = {"secs": args.idle_phase_secs, "stt_price_per_audio_hour_usd": price}
    for system in ("app", "reference"):
        _say(f"idle: {system}, hands-free, {args.idle_phase_secs:g} s of silence")
        phase = runner.phase(
            "idle", sim, 120 + args.idle_phase_secs * 2, "--system", system, "--idle-secs", str(args.idle_phase_secs)
        )
        start, end = phase["measured_from"], phase["measured_to"]
        sent = sum(r["data"]["bytes"] for r in sim.records(start, kinds=("stt_audio",)) if r["at"] <= end and r["data"])
        sim.clear()
        audio_secs = sent / INPUT_BYTES_PER_SEC
        section[system] = {
            "stt_audio_bytes": sent,
            "stt_audio_secs": round(audio_secs, 2),
            "stt_upload_kbit_s": round(sent * 8 / 1000 / (end - start), 1),
            "stt_cost_usd": round(audio_secs / 3600 * price, 6),
            "cpu_pct": round(phase["cpu_pct"], 2),
            "warmup_turn_ok": phase.get("warmup_turn_ok"),
        }
    results["idle"] = section


def run_loaded(runner: Runner, sim: SimHost, results: dict) -> None:
    """The latency turns again, app (echo cancellation on) and reference, each beside busy processes: the replies
    must still play without a gap.

    ``--cpu-load`` of them run in the benchmark's session, as apps started from the same desktop do,
    ``--cpu-load-elsewhere`` each in a session of its own, as a build started in a terminal does. Both are needed
    for the load to bite: Linux (with autogroups) shares the CPU between sessions first, and a mostly idle session
    wins the CPU back at once whenever its audio thread wakes; only when the session that plays the audio is busy
    itself and other sessions are busy too do its threads wait their turn.
    """
    args = runner.args
    total = args.cpu_load + args.cpu_load_elsewhere
    section: dict = {
        "cpu_load_processes": args.cpu_load,
        "cpu_load_elsewhere_processes": args.cpu_load_elsewhere,
        "echo_cancellation": "on",
    }
    for mode in ("hands_free", "push_to_talk"):
        figures = {}
        for system in ("app", "reference"):
            _say(
                f"loaded: {system}, {mode}, {args.loaded_turns} turns beside {args.cpu_load} + "
                f"{args.cpu_load_elsewhere} busy processes"
            )
            since = time.monotonic()
            phase = runner.phase(
                "latency",
                sim,
                120 + args.loaded_turns * 40,
                "--system",
                system,
                "--mode",
                mode,
                "--turns",
                str(args.loaded_turns),
                "--warmup",
                str(args.warmup),
                "--idle-secs",
                "0",
                "--cpu-load",
                str(total),
                "--cpu-load-own-session",
                str(args.cpu_load_elsewhere),
                echo_cancellation="on",
            )
            figures[system] = {
                **latency_figures(phase, sim.records(since), sim.profile),
                "cpu_load": phase.get("cpu_load"),
                "speaker_scheduling": phase.get("speaker_scheduling"),
            }
            sim.clear()
        section[mode] = {**figures, **compare(figures["app"], figures["reference"])}
    for system in ("app", "reference"):
        section[system] = {
            key: round(sum(section[mode][system][key] for mode in ("hands_free", "push_to_talk")), 1)
            for key in ("underruns", "underrun_ms", "audible_gaps", "audible_gap_ms")
        }
    results["loaded"] = section


def run_window(runner: Runner, sim: SimHost, results: dict) -> None:
    args = runner.args
    _say(f"window: {args.window_turns} hands-free turns, window repainting {args.repaint_hz:g}/s")
    phase = runner.phase(
        "window",
        sim,
        180 + args.window_turns * 40,
        "--turns",
        str(args.window_turns),
        "--repaint-hz",
        str(args.repaint_hz),
    )
    sim.clear()
    phase.pop("turns", None)
    results["responsiveness"] = phase


def run_soak(runner: Runner, sim: SimHost, results: dict) -> None:
    args = runner.args
    _say(f"soak: {args.soak_turns} push-to-talk turns, instant profile")
    sim.set_profile("instant")
    sim.script_llm([SOAK_REPLY] * (args.soak_turns + 10))
    try:
        phase = runner.phase("soak", sim, 120 + args.soak_turns * 10, "--turns", str(args.soak_turns))
    finally:
        sim.script_llm([])
        sim.set_profile("prd")
        sim.clear()
    phase["growth_mb"] = round(phase["rss_after_mb"] - phase["rss_ready_mb"], 1)
    phase["growth_after_first_turn_mb"] = round(phase["rss_after_mb"] - phase["rss_after_first_turn_mb"], 1)
    for key in ("rss_ready_mb", "rss_after_first_turn_mb", "rss_after_mb"):
        phase[key] = round(phase[key], 1)
    results["memory"] = phase


def run_startup(runner: Runner, sim: SimHost, results: dict) -> None:
    args = runner.args
    engine_ready, visible, window_ready, problems = [], [], [], []
    for run in range(args.startup_runs):
        _say(f"start-up: run {run + 1} of {args.startup_runs}")
        started = time.monotonic()
        phase = runner.phase("startup-engine", sim, 120)
        engine_ready.append(phase["marks"]["ready"] - started)
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "desktop_agent.bench.startup_window",
                "--simulate",
                "--no-audio",
                "--log-level",
                "WARNING",
            ],
            env=runner.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        marks = json.loads(lines[-1]) if lines else {}
        if "window_visible" in marks:
            visible.append(marks["window_visible"] - started)
        if "session_ready" in marks:
            window_ready.append(marks["session_ready"] - started)
        else:
            problems.append(f"the window's session never became ready (exit {done.returncode})")
    sim.clear()
    results["startup"] = {
        "engine_ready_s": summarize(engine_ready, digits=3),
        "window_visible_s": summarize(visible, digits=3),
        "window_session_ready_s": summarize(window_ready, digits=3),
        "problems": sorted(set(problems)),
        "how": "process start (parent, just before spawning) -> engine session ready (engine alone, memory device); "
        "-> first paint of the main window and -> window shows the session listening, for "
        "`desktop-agent --simulate --no-audio` observed from outside (bench/startup_window.py)",
    }


def count_underruns(results: dict) -> None:
    total = 0
    where = {}
    for mode in MODES:
        count = results.get("latency", {}).get(mode, {}).get("app", {}).get("underruns")
        if count is not None:
            where[f"latency {mode}"] = count
            total += count
    dropouts = results.get("responsiveness", {}).get("dropouts")
    if dropouts is not None:
        where["window phase"] = dropouts
        total += dropouts
    results["underruns"] = {"total": total if where else None, "by_phase": where}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parts = args.only or list(PARTS)
    results: dict = {
        "schema": 1,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "load_before": machine.load_average(),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "providers": provider_choice.from_args(args).describe(),
        "errors": [],
    }
    from desktop_agent.bench.speech import SpeechUnavailable, utterance

    try:
        utterance("Hello there.")
    except SpeechUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 2
    _say(
        f"machine: {results['machine']['cpus']} cpus, {results['machine']['cpu_model']}, load {results['load_before']}"
    )
    _say(f"providers: {report.providers_line(results['providers'])}")
    with tempfile.TemporaryDirectory(prefix="da-bench-") as scratch, SimHost("prd") as sim:
        runner = Runner(args, Path(scratch))
        steps = {
            "latency": run_latency,
            "idle": run_idle,
            "loaded": run_loaded,
            "window": run_window,
            "soak": run_soak,
            "startup": run_startup,
        }
        for part in parts:
            try:
                steps[part](runner, sim, results)
            except (PhaseFailed, subprocess.TimeoutExpired, TimeoutError, KeyError, ValueError) as exc:
                message = f"{part}: {exc}"
                results["errors"].append(message)
                _say(f"{part} could not be measured: {exc}")
    count_underruns(results)
    results["load_after"] = machine.load_average()
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    rows = goals.evaluate(results)
    results["goals"] = rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(goals.table(rows))
    print()
    for text in (
        report.latency_details(results),
        report.speculation_details(results),
        report.loaded_details(results),
        report.other_details(results),
    ):
        if text:
            print(text)
            print()
    print(
        f"machine: {results['machine']['cpus']} cpus, {results['machine']['cpu_model']}; "
        f"load before {results['load_before']}, after {results['load_after']}"
    )
    print(f"full results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
