"""The responsiveness phase: the whole app (window, bridge, session controller, history) on the benchmark device,
talking hands-free while the window repaints, with lateness probes on the engine loop and on the Qt thread.

Runs in its own process (Qt offscreen); the caller points the user directories at a scratch folder so the
benchmark never touches real settings or history.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import time
from dataclasses import dataclass
from typing import cast

from desktop_agent.bench.speech import SENTENCES
from desktop_agent.bench.stats import summarize
from desktop_agent.state.events import TurnMode


@dataclass(frozen=True)
class SimAddresses:
    """What the app's config builder reads from a simulator: each emulator's base URL by its name, as
    ``Simulator.url`` gives it (the keys are the simulator's public ones).

    The window phase runs the whole app on its own settings (a fresh scratch folder: the default providers), not on
    the run's ``--stt/--llm/--tts``."""

    urls: dict[str, str]

    def url(self, provider: str) -> str:
        return self.urls[provider]

    @classmethod
    def from_hello(cls, sim: dict) -> SimAddresses:
        return cls(dict(sim["urls"]))


def run(args: argparse.Namespace, sim: dict) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = cast(QApplication, QApplication.instance() or QApplication(["desktop-agent-bench"]))  # no other kind here
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(_main(args, sim))


async def _main(args: argparse.Namespace, sim: dict) -> dict:
    from desktop_agent.app import DesktopApp
    from desktop_agent.bench.agents import session_loop
    from desktop_agent.bench.device import BenchDevice
    from desktop_agent.bench.driver import TurnDriver
    from desktop_agent.bench.probes import LoopLagProbe
    from desktop_agent.bench.qt_probe import QtLagProbe, Repainter

    device = BenchDevice()
    app_args = argparse.Namespace(simulate=False, profile="prd", screenshot=None, log_level="WARNING", no_audio=False)
    desktop = DesktopApp(app_args, simulator=SimAddresses.from_hello(sim), audio_backend=device, record_history=True)
    await desktop.start()
    engine_probe = LoopLagProbe()
    qt_probe = QtLagProbe()
    repainter = Repainter(desktop.window, args.repaint_hz) if args.repaint_hz > 0 else None
    driver = TurnDriver(None, device, TurnMode.HANDS_FREE)
    texts = list(itertools.islice(itertools.cycle(SENTENCES), args.turns))
    elapsed = 0.0
    try:
        deadline = time.monotonic() + 60
        while not (desktop.controller.session is not None and desktop.controller.session.ready):
            if time.monotonic() > deadline:
                raise TimeoutError("the app's session did not become ready in time")
            await asyncio.sleep(0.01)
        session = desktop.controller.session
        desktop.controller.set_mode(TurnMode.HANDS_FREE)
        await asyncio.sleep(0.5)
        loop = session_loop(session)
        if loop is None:
            raise RuntimeError("the app's session runs on no event loop the benchmark can reach")
        engine_probe.attach(loop)
        qt_probe.start()
        if repainter is not None:
            repainter.start()
        started = time.monotonic()
        await asyncio.to_thread(driver.run, texts)
        elapsed = time.monotonic() - started
    finally:
        if repainter is not None:
            repainter.stop()
        qt_probe.stop()
        engine_probe.stop()
        await desktop.shutdown()
        desktop.window.close()
    gaps = [g for t in driver.turns for g in t.gaps]
    return {
        "turns": [t.as_dict() for t in driver.turns],
        "engine_loop_lateness_ms": summarize(engine_probe.samples, scale=1000, digits=2),
        "qt_lateness_ms": summarize(qt_probe.samples, scale=1000, digits=2),
        "repaint_hz": args.repaint_hz,
        "repaints_per_s": round(repainter.frames / elapsed, 1) if repainter and elapsed > 0 else 0.0,
        "repaint_ms": summarize(repainter.durations if repainter else [], scale=1000, digits=2),
        "dropouts": len(gaps),
        "dropout_ms": round(sum(gaps) * 1000, 1),
        "failed_turns": sum(1 for t in driver.turns if t.error),
    }
