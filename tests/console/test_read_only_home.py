"""desktop-agent --console in a read-only home folder: no settings, history or log can be written, and it still
starts a conversation, says so in one sentence per cause, and prints no traceback.

The home folder is a read-only tmpfs mounted in a private mount namespace of the child process (``unshare -m``):
the tests run as root, and root ignores permission bits, so only a read-only mount refuses writes the way a
read-only home does for a user (EROFS). Nothing outside the child sees the mount.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _can_mount() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare is missing"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o ro,size=64k tmpfs /mnt"],
                           capture_output=True, text=True)
    return None if probe.returncode == 0 else f"mounting in a private namespace is not allowed ({probe.stderr.strip()})"


@pytest.mark.e2e
def test_the_console_talks_in_a_read_only_home_with_one_sentence_per_cause(tmp_path):
    why_not = _can_mount()
    if why_not:
        pytest.skip(f"a read-only home needs a read-only mount: {why_not}")
    home = tmp_path / "home"
    home.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("XDG_") or name == "XDG_RUNTIME_DIR"}
    env["HOME"] = str(home)
    for variable in ("CARTESIA_API_KEY", "CEREBRAS_API_KEY", "ELEVENLABS_API_KEY"):
        env.pop(variable, None)
    script = (f"mount -t tmpfs -o ro,size=64k tmpfs {home} && "
              f"exec {sys.executable} -m desktop_agent --console --simulate --no-audio --profile instant")
    child = subprocess.Popen(["unshare", "-m", "sh", "-c", script], cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("Push-to-talk:"):
                break
        assert any(line.startswith("Connected") for line in lines), "\n".join(lines) + child.stderr.read()
        child.stdin.write("q\n")
        child.stdin.flush()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    lines += out.splitlines()
    assert child.returncode == 0, "\n".join(lines) + err
    notices = [line for line in lines if line.startswith("! ")]
    config, data, log = home / ".config" / "desktop-agent", home / ".local" / "share", home / ".local" / "state"
    assert notices == [
        f"! Settings and prompt presets cannot be saved: the folder {config} is not writable (the file system is "
        "read-only). Desktop Agent runs on what it could read, and changes last until it closes.",
        f"! The log cannot be written to {log / 'desktop-agent' / 'log'} (the file system is read-only); Desktop "
        "Agent runs without a log file.",
        f"! Conversation history is off: the folder {data / 'desktop-agent'} cannot be created (the file system is "
        "read-only), so conversations are not saved; the conversation itself works as usual.",
    ]
    assert "Traceback" not in err and "Error" not in "\n".join(lines)
