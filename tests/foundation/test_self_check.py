"""``desktop-agent --self-check`` and ``--version`` as whole processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_agent import __version__


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_agent", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"desktop-agent {__version__}"


@pytest.mark.slow
def test_self_check_passes_in_the_test_environment(pulse_null_sink, secret_service_keyring):
    result = run_cli("--self-check")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "self-check passed"
    assert any(line.startswith("ok   Qt: PySide6") and "offscreen" in line for line in lines)
    assert any(line.startswith("ok   audio input:") and "pulse" in line for line in lines)
    assert any(line.startswith("ok   keyring:") and "SecretService" in line for line in lines)
    assert any(line.startswith("ok   voice activity model") for line in lines)
    assert any(line.startswith("ok   turn detection model") for line in lines)
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_self_check_names_a_missing_audio_device(tmp_path: Path):
    """No sound card and no sound server reachable (as on this machine without PulseAudio): one clear line each."""
    result = run_cli("--self-check", env={"PULSE_SERVER": f"unix:{tmp_path}/no-sound-server-here"})
    assert result.returncode >= 2, result.stdout
    lines = result.stdout.splitlines()
    assert "FAIL audio input: no audio input device found; connect a microphone" in "\n".join(lines)
    assert any(line.startswith("FAIL audio output: no audio output device found") for line in lines)
    assert lines[-1].startswith("self-check failed")
    assert "Traceback" not in result.stdout + result.stderr
