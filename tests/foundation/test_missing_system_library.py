"""A system library that pip cannot install is missing at start-up: one sentence naming the Debian package.

The library is really missing for the app's process, not faked: each run starts in a private mount namespace in
which the system library folder is replaced by a folder of links to everything in it except that library (the rest
of the machine never sees it). The dynamic loader then fails exactly as on a machine without the package, through
the real imports (PySide6, Qt's X11 plugin, sounddevice). That needs `unshare` and the right to mount (root, as in
CI, or unprivileged user namespaces); where neither exists the tests that hide a library skip.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_agent.system_libraries import missing_library_sentence, require_sound_library

LIBGL_SENTENCE = "The window needs the system library libGL.so.1: install it with `sudo apt install libgl1`."
XCB_CURSOR_SENTENCE = (
    "The window needs the system library libxcb-cursor.so.0: install it with `sudo apt install libxcb-cursor0`."
)
PORTAUDIO_SENTENCE = (
    "Sound needs the system library libportaudio.so.2: install it with `sudo apt install libportaudio2`."
)

# Runs inside the new mount namespace: hides the files named <soname stem>* in the library's folder, then becomes
# the command. The real folder stays reachable under the stash, so every link resolves to the original file.
HIDE_AND_RUN = r"""
import os, subprocess, sys
folder, stem, stash = sys.argv[1:4]
command = sys.argv[4:]
subprocess.run(["mount", "--bind", folder, stash], check=True)
subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "hidden-library", folder], check=True)
for name in os.listdir(stash):
    if not name.startswith(stem):
        os.symlink(os.path.join(stash, name), os.path.join(folder, name))
os.execvp(command[0], command)
"""


def _any_shared_mount() -> bool:
    """Whether a mount visible here propagates mounts to other namespaces ("shared:N" in /proc/self/mountinfo)."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        optional_fields = line.split(" - ", 1)[0].split()[6:]
        if any(field.startswith("shared:") for field in optional_fields):
            return True
    return False


@pytest.fixture(scope="module")
def private_mounts(tmp_path_factory) -> list[str]:
    """The command that runs a process in a private mount namespace here; skips where none can be made."""
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is needed to hide a system library from one process")
    unshare = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]
    candidates = [unshare]
    if not _any_shared_mount():
        # In a chroot (CI's fresh Debian is one) "/" is no mount point, so unshare cannot make it private; with no
        # shared mount in sight nothing mounted in the new namespace can show anywhere else, so it need not.
        candidates.append([*unshare, "--propagation", "unchanged"])
    target = tmp_path_factory.mktemp("probe")
    for command in candidates:
        probe = subprocess.run([*command, "mount", "-t", "tmpfs", "probe", str(target)], capture_output=True, text=True)
        if probe.returncode == 0:
            return command
    pytest.skip(f"no private mount namespace here ({probe.stderr.strip()}); run the tests as root")


def library_folder(soname: str) -> Path:
    """The folder ``soname`` is loaded from on this machine: load it here and look where it was mapped."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        pytest.fail(f"{soname} is not installed here; tests/run.sh installs it")
    stem = soname.split(".so", 1)[0] + ".so"
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and Path(fields[5]).name.startswith(stem):
            return Path(os.path.realpath(Path(fields[5]).parent))
    pytest.fail(f"{soname} was loaded but is not mapped from a file")


def run_without(
    private_mounts: list[str], soname: str, tmp_path: Path, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``python -m desktop_agent *args`` in a process for which ``soname`` (and its other names) does not exist."""
    folder = library_folder(soname)
    stem = soname.split(".so", 1)[0] + ".so"
    stash = tmp_path / "real-library-folder"
    stash.mkdir()
    command = [*private_mounts, sys.executable, "-c", HIDE_AND_RUN, str(folder), stem, str(stash),
               sys.executable, "-m", "desktop_agent", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, **env},
                            cwd=tmp_path)
    assert "mount:" not in result.stderr, result.stderr  # the namespace itself worked
    return result


def assert_one_sentence(result: subprocess.CompletedProcess[str], sentence: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip() == sentence, result.stderr
    assert "Traceback" not in result.stdout + result.stderr


OFFSCREEN = {"QT_QPA_PLATFORM": "offscreen"}


@pytest.mark.slow
def test_the_window_names_the_package_for_a_missing_libgl(private_mounts, tmp_path: Path):
    result = run_without(private_mounts, "libGL.so.1", tmp_path, "--simulate", env=OFFSCREEN)
    assert_one_sentence(result, LIBGL_SENTENCE)


@pytest.mark.slow
def test_the_x11_plugin_names_the_package_for_a_missing_xcb_cursor(private_mounts, tmp_path: Path):
    """Qt itself would print a warning and abort (no exception to catch): the check loads the plugin first.

    No X server is needed: the plugin's libraries are loaded before Qt would connect to the display.
    """
    env = {"QT_QPA_PLATFORM": "", "DISPLAY": ":99", "XDG_SESSION_TYPE": "x11"}
    result = run_without(private_mounts, "libxcb-cursor.so.0", tmp_path, "--simulate", env=env)
    assert_one_sentence(result, XCB_CURSOR_SENTENCE)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [["--simulate"], ["--console", "--simulate"]], ids=["window", "console"])
def test_sound_names_the_package_for_a_missing_portaudio(private_mounts, tmp_path: Path, mode: list[str]):
    result = run_without(private_mounts, "libportaudio.so.2", tmp_path, *mode, env=OFFSCREEN)
    assert_one_sentence(result, PORTAUDIO_SENTENCE)


@pytest.mark.slow
def test_self_check_names_the_package_for_a_missing_libgl(private_mounts, tmp_path: Path):
    result = run_without(private_mounts, "libGL.so.1", tmp_path, "--self-check", env=OFFSCREEN)
    assert result.returncode >= 1, result.stdout
    assert f"FAIL Qt: {LIBGL_SENTENCE}" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].startswith("self-check failed")
    assert "Traceback" not in result.stdout + result.stderr


def test_the_checks_pass_where_everything_is_installed():
    """On the test machine (tests/run.sh installs the packages) the X11 plugin and PortAudio load: no sentence."""
    code = "from desktop_agent.system_libraries import *; require_window_libraries(); require_sound_library()"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":99"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    require_sound_library()  # and in this process too (nothing raised)


def test_several_missing_libraries_are_one_sentence_with_one_install_command():
    sentence = missing_library_sentence("The window", ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libGL.so.1"])
    assert sentence == (
        "The window needs the system libraries libxcb-cursor.so.0, libxcb-icccm.so.4 and libGL.so.1: "
        "install them with `sudo apt install libxcb-cursor0 libxcb-icccm4 libgl1`."
    )


def test_a_library_without_a_known_package_is_still_named():
    sentence = missing_library_sentence("The window", ["libGL.so.1", "libnew-in-qt.so.7"])
    assert sentence == (
        "The window needs the system libraries libGL.so.1 and libnew-in-qt.so.7: install them with "
        "`sudo apt install libgl1` and your system's package for libnew-in-qt.so.7."
    )
