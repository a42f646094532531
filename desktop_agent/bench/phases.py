"""One benchmark phase per process: ``python -m desktop_agent.bench.phases PHASE --sim JSON --out PATH ...``.

A fresh process per phase keeps the figures apart: the reference's threads and imports never share a process with
the app's CPU or memory figures, and the soak's RSS starts from a clean interpreter. Each phase writes one JSON
document to ``--out``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_agent.bench.probes import CpuMeter, rss_mb, thread_scheduling
from desktop_agent.bench.speech import SENTENCES
from desktop_agent.state.events import TurnMode

if TYPE_CHECKING:  # the systems under test load Pipecat: imported when a phase runs
    from desktop_agent.bench.agents import AppAgent
    from desktop_agent.bench.device import BenchDevice
    from desktop_agent.bench.livekit_reference import LiveKitAgent
    from desktop_agent.bench.reference import ReferenceAgent

SOAK_SENTENCE = "Hello there."
#: After the warm-up turn's reply, before the idle minute is measured: the turn's tail and the reply are over.
IDLE_SETTLE_SECS = 2.0


def _texts(count: int, offset: int = 0) -> list[str]:
    return list(itertools.islice(itertools.cycle(SENTENCES), offset, offset + count))


def _make_agent(
    system: str,
    sim: dict,
    mode: TurnMode,
    device: BenchDevice,
    echo_cancellation: bool | None,
    preemptive: str = "on",
) -> AppAgent | ReferenceAgent | LiveKitAgent:
    """The system under test; ``preemptive`` is LiveKit's preemptive generation variant (``--system livekit``)."""
    from desktop_agent.bench.agents import AppAgent, engine_config

    config = engine_config(sim, mode, echo_cancellation=echo_cancellation)
    if system == "app":
        return AppAgent(config, device)
    if system == "livekit":
        from desktop_agent.bench.livekit_reference import LiveKitAgent

        return LiveKitAgent(config, device, mode, preemptive)
    from desktop_agent.bench.reference import ReferenceAgent

    return ReferenceAgent(config, device, mode)


def latency(args: argparse.Namespace, sim: dict) -> dict:
    """Warm-up turns, then idle CPU (listening, no speech), then the measured turns with CPU over them.

    With ``--cpu-load N`` all of it runs beside N busy processes (bench/load.py), started before the system under
    test and stopped when the phase ends, however it ends."""
    from desktop_agent.bench.load import CpuLoad

    if not args.cpu_load:
        return _latency(args, sim)
    with CpuLoad(args.cpu_load, own_session=args.cpu_load_own_session, max_secs=120 + args.turns * 40) as load:
        result = _latency(args, sim)
    result["cpu_load"] = load.report.as_dict() if load.report else None
    return result


def _latency(args: argparse.Namespace, sim: dict) -> dict:
    from desktop_agent.bench.device import BenchDevice
    from desktop_agent.bench.driver import TurnDriver

    mode = TurnMode(args.mode)
    device = BenchDevice()
    agent = _make_agent(args.system, sim, mode, device, args.echo_cancellation, args.preemptive)
    started = time.monotonic()
    agent.start()
    result: dict = {
        "system": args.system,
        "mode": mode.value,
        "ready_s": time.monotonic() - started,
        "services": getattr(agent, "services", {}),
    }  # the reference names its services' classes
    try:
        time.sleep(0.5)
        driver = TurnDriver(agent, device, mode)
        driver.run(_texts(args.warmup, offset=len(SENTENCES) - args.warmup))
        time.sleep(0.5)
        if args.idle_secs > 0:
            cpu = CpuMeter()
            time.sleep(args.idle_secs)
            result["idle_cpu_pct"] = cpu.percent()
        measured_from = time.monotonic()
        driver.turns.clear()
        cpu = CpuMeter()
        driver.run(_texts(args.turns))
        result["turn_cpu_pct"] = cpu.percent()
        result["measured_from"] = measured_from
        result["turns"] = [t.as_dict() for t in driver.turns]
        result["engine_stages"] = [
            {"stage": e.stage.value, "seconds": e.seconds, "at": e.at}
            for e in getattr(agent, "stage_events", [])
            if e.at >= measured_from
        ]
        result["rss_mb"] = rss_mb()
        result["speaker_scheduling"] = thread_scheduling("speaker" if args.system == "app" else "reference-speaker")
    finally:
        agent.stop()
    return result


def idle(args: argparse.Namespace, sim: dict) -> dict:
    """Hands-free listening to a silent room for ``--idle-secs`` after one turn (so the turn's tail is over and
    everything has run once): the CPU over it and the window's monotonic stamps, for the parent to count what the
    speech-to-text emulator received meanwhile."""
    from desktop_agent.bench.device import BenchDevice
    from desktop_agent.bench.driver import TurnDriver

    mode = TurnMode.HANDS_FREE
    device = BenchDevice()
    agent = _make_agent(args.system, sim, mode, device, args.echo_cancellation)
    agent.start()
    result: dict = {"system": args.system, "mode": mode.value}
    try:
        time.sleep(0.5)
        driver = TurnDriver(agent, device, mode)
        driver.run(_texts(1))
        result["warmup_turn_ok"] = not driver.turns[-1].error if driver.turns else False
        time.sleep(IDLE_SETTLE_SECS)
        cpu = CpuMeter()
        result["measured_from"] = time.monotonic()
        time.sleep(args.idle_secs)
        result["measured_to"] = time.monotonic()
        result["cpu_pct"] = cpu.percent()
    finally:
        agent.stop()
    return result


def soak(args: argparse.Namespace, sim: dict) -> dict:
    """Many short push-to-talk turns (instant profile, one-word replies scripted by the caller): RSS before/after."""
    from desktop_agent.bench.agents import AppAgent
    from desktop_agent.bench.device import BenchDevice
    from desktop_agent.bench.driver import TurnDriver

    mode = TurnMode.PUSH_TO_TALK
    device = BenchDevice()
    agent = _make_agent("app", sim, mode, device, args.echo_cancellation)
    assert isinstance(agent, AppAgent)
    agent.start()
    gc.collect()
    result: dict = {"turns_requested": args.turns, "rss_ready_mb": rss_mb()}
    try:
        driver = TurnDriver(agent, device, mode, release_lag=0.05, press_lead=0.05, quiet_secs=0.3)
        failed = 0
        marks = []
        for index in range(args.turns):
            turn = driver.run_turn(SOAK_SENTENCE)
            failed += bool(turn.error)
            driver.turns.clear()
            device.forget(time.monotonic() - 5.0)
            if index == 0:
                gc.collect()
                result["rss_after_first_turn_mb"] = rss_mb()
            if (index + 1) % 50 == 0:
                marks.append({"turns": index + 1, "rss_mb": rss_mb()})
        gc.collect()
        result.update(rss_after_mb=rss_mb(), failed_turns=failed, marks=marks, turns=args.turns)
    finally:
        agent.stop()
    return result


def startup_engine(args: argparse.Namespace, sim: dict) -> dict:
    """Process start -> engine imported -> session ready, reported as ``time.monotonic()`` stamps for the parent."""
    from desktop_agent.logging_quiet import quiet_pipecat_import

    marks = {"main": time.monotonic()}
    with quiet_pipecat_import():
        from desktop_agent.bench.device import BenchDevice
        from desktop_agent.engine.session import VoiceSession  # noqa: F401  (the import is part of start-up)
    marks["imported"] = time.monotonic()
    from desktop_agent.bench.agents import AppAgent, engine_config

    agent = AppAgent(engine_config(sim, TurnMode.PUSH_TO_TALK), BenchDevice())
    agent.start()
    marks["ready"] = time.monotonic()
    agent.stop()
    return {"marks": marks}


def window(args: argparse.Namespace, sim: dict) -> dict:
    from desktop_agent.bench.window_phase import run

    return run(args, sim)


PHASES = {"latency": latency, "idle": idle, "soak": soak, "startup-engine": startup_engine, "window": window}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop_agent.bench.phases")
    parser.add_argument("phase", choices=sorted(PHASES))
    parser.add_argument("--sim", required=True, help="the simulator host's hello document (JSON)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--system", choices=("app", "reference", "livekit"), default="app")
    parser.add_argument(
        "--preemptive", choices=("off", "on", "on_tts"), default="on", help="LiveKit's preemptive generation variant"
    )
    parser.add_argument("--mode", choices=[m.value for m in TurnMode], default=TurnMode.PUSH_TO_TALK.value)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--idle-secs", type=float, default=5.0)
    parser.add_argument("--repaint-hz", type=float, default=30.0)
    parser.add_argument("--echo-cancellation", choices=("on", "off"), default=None)
    parser.add_argument("--cpu-load", type=int, default=0, help="busy processes running beside the latency phase")
    parser.add_argument(
        "--cpu-load-own-session", type=int, default=0, help="how many of those run in a session of their own"
    )
    args = parser.parse_args(argv)
    args.echo_cancellation = None if args.echo_cancellation is None else args.echo_cancellation == "on"
    from desktop_agent.logging_quiet import quiet_pipecat_import

    if args.phase != "startup-engine":  # start-up times its own imports
        with quiet_pipecat_import():
            import pipecat.frames.frames  # noqa: F401  (Pipecat's banner stays out of the output)
    result = PHASES[args.phase](args, json.loads(args.sim))
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
