"""``desktop-agent --screenshot PATH`` runs a scripted exchange on the simulator headlessly and saves the window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_of_a_simulated_exchange(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[variable] = str(tmp_path / variable.lower())
    target = tmp_path / "shots" / "window.png"
    done = subprocess.run(
        [sys.executable, "-m", "desktop_agent", "--screenshot", str(target), "--log-level", "WARNING"],
        capture_output=True, text=True, timeout=110, env=env, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Saved a screenshot of the window to {target}" in done.stdout
    image = QImage(str(target))
    assert not image.isNull() and image.width() >= 760 and image.height() >= 500
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 50  # a rendered window, not a blank frame
    assert not (tmp_path / "xdg_data_home" / "desktop-agent" / "history.sqlite3").exists()  # screenshots keep no history


def test_screenshot_failure_is_a_sentence_and_a_nonzero_exit(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[variable] = str(tmp_path / variable.lower())
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the screenshot's folder should be")
    done = subprocess.run(
        [sys.executable, "-m", "desktop_agent", "--screenshot", str(blocker / "shot.png"), "--log-level", "ERROR"],
        capture_output=True, text=True, timeout=110, env=env, cwd=ROOT,
    )
    assert done.returncode == 1
    assert "desktop-agent: the screenshot could not be made:" in done.stderr
    assert "Traceback" not in done.stderr
