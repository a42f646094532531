"""Window end-to-end rig: the real app's composition root on a loopback simulator, with the engine's in-memory sound
card (the only stand-in: so speech can be fed in and the reply audio inspected)."""

from __future__ import annotations

import argparse
import contextlib

from desktop_agent.ui import exception_guard
from tests.conftest import run_async


@contextlib.contextmanager
def desktop_app(qtbot, profile: str, *, record_history: bool = False):
    """A ``DesktopApp`` (not yet started) and its ``SimulatorThread``; shut down cleanly afterwards. With
    ``record_history`` the app keeps its history (use ``isolated_user_dirs``: it is then in a temporary home)."""
    from desktop_agent.app import DesktopApp
    from desktop_agent.engine.memory_audio import MemoryAudioBackend
    from desktop_agent.simulator import SimulatorThread

    simulator = SimulatorThread(profile=profile).start()
    args = argparse.Namespace(simulate=True, profile=profile, screenshot=None, log_level="WARNING", no_audio=True)
    app = DesktopApp(args, simulator=simulator, audio_backend=MemoryAudioBackend(), record_history=record_history)
    try:
        yield app, simulator
    finally:
        if not app.finished.done():
            app._close_allowed = True
            run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        app.window.close()
        app.window.deleteLater()
        simulator.stop()
        exception_guard.uninstall()
