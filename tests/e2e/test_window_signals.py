"""``desktop-agent --simulate`` from the command line: a session starts by itself on the simulator, and Ctrl+C
(SIGINT) or SIGTERM closes the window through the clean shutdown (pipeline first) with exit code 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_the_simulated_session_cleanly(tmp_path, signal_number):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[variable] = str(tmp_path / variable.lower())
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "desktop_agent", "--simulate", "--no-audio", "--profile", "instant"],
            stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 60
            while "Session running" not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()[-3000:]
                time.sleep(0.2)
            assert "Session running" in log.read_text(), log.read_text()[-3000:]
            process.send_signal(signal_number)
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text()
    assert code == 0, text[-3000:]
    lines = [line.split("| ")[-1] for line in text.splitlines() if "Session " in line or "Signal " in line]
    assert lines[-3:] == [f"Signal {int(signal_number)} received: closing the window", "Session stopping", "Session stopped"]
    assert "Traceback" not in text
