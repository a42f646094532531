"""Start-up order: the window is shown and painted before Pipecat is imported; the engine loads afterwards.

Runs the app's real composition root in a fresh interpreter (this test process may already hold Pipecat).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import argparse, asyncio, json, sys, time
    started = time.perf_counter()
    from PySide6.QtWidgets import QApplication
    import qasync
    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from desktop_agent.app import DesktopApp

    async def main():
        args = argparse.Namespace(simulate=True, profile="instant", screenshot=None, log_level="WARNING", no_audio=True)
        desktop = DesktopApp(args, autostart=False, record_history=False)
        await desktop.start()
        result = {
            "pipecat_at_first_paint": any(m == "pipecat" or m.startswith("pipecat.") for m in desktop.first_paint_modules),
            "pipecat_after_start": "pipecat.frames.frames" in sys.modules,
            "first_paint_s": desktop.first_paint_s,
            "phase": desktop.controller.phase.value,
            "title": desktop.window.windowTitle(),
        }
        desktop._close_allowed = True
        await desktop.shutdown()
        return result

    with loop:
        print(json.dumps(loop.run_until_complete(main())))
    """
)


def test_the_window_paints_before_the_engine_is_imported(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[variable] = str(tmp_path / variable.lower())
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=90, env=env,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pipecat_at_first_paint"] is False
    assert result["pipecat_after_start"] is True
    assert result["phase"] == "stopped"  # engine loaded, ready to start a session
    assert result["title"] == "Desktop Agent"
    print(f"\nfirst paint {result['first_paint_s'] * 1000:.0f} ms after the interpreter started the app script")
