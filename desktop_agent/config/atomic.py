"""Crash-safe file writes: a temporary file in the same directory, flushed to disk, then renamed over the target."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves either the old file or the new one, never half of one.

    ``mode`` (e.g. ``0o600``) is applied to the new file before it takes the target's place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Closed by the ``with`` below; opened outside it so the cleanup can remove the file by name.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise
