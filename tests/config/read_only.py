"""Folders nothing can be written to, made reliably whoever runs the tests.

The tests run as root here, and root ignores permission bits: ``chmod 0o555`` would not stop a single write. So for
root a folder gets the immutable attribute (``chattr +i``), which the kernel enforces for root too: creating,
renaming or deleting anything in it fails (EPERM), just as a read-only home folder or mount refuses the app. Other
users get ``chmod 0o555``. Either way the helper checks that a write really fails before the test relies on it, and
skips with the reason where neither works (a file system without attributes).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only(*folders: Path) -> Iterator[None]:
    """Within the block nothing can be created, renamed or deleted in ``folders`` (they must exist)."""
    undo: list[Path] = []
    try:
        for folder in folders:
            _lock(folder)
            undo.append(folder)
            _assert_locked(folder)
        yield
    finally:
        for folder in reversed(undo):
            _unlock(folder)


def _lock(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return
    if shutil.which("chattr") is None:
        pytest.skip("chattr is missing, and root ignores permission bits: no way to make a read-only folder")
    result = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"this file system has no immutable attribute ({result.stderr.strip()}), and root ignores "
                    "permission bits: no way to make a read-only folder")


def _unlock(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o755)
    else:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def _assert_locked(folder: Path) -> None:
    probe = folder / ".probe"
    try:
        probe.write_text("x")
    except OSError:
        return
    probe.unlink()
    raise AssertionError(f"{folder} is still writable; the read-only rig does not work here")
