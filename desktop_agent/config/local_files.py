"""Reading the app's own files defensively, and saying in plain words what went wrong with them.

Settings, prompts and ``.env`` files are local state that an editor, a sync tool, a crash or a full disk may have
damaged. Every read is bounded (a size limit, a JSON nesting limit) so that no file can exhaust memory or the stack,
and an OS error becomes words ("the file system is read-only"), never an exception's name or an error code.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Deeper JSON than this is damage, not settings: the app's files nest three levels at most.
MAX_JSON_DEPTH = 32

_ERROR_WORDS = {
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission is denied",
    errno.EPERM: "the operation is not permitted",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENOTDIR: "a file stands where a folder of its path should be",
    errno.EISDIR: "it is a folder",
    errno.EIO: "the disk reported an error",
    errno.ENAMETOOLONG: "its path is too long",
    errno.ELOOP: "its path loops through links",
}


class DamagedFile(ValueError):
    """A file that cannot be used as it is. ``str()`` says why, completing "the file …, because …": e.g.
    "it is not valid JSON (line 3, column 1)"."""


def error_words(exc: OSError) -> str:
    """An OS error in plain words, e.g. "the file system is read-only"."""
    words = _ERROR_WORDS.get(exc.errno or 0)
    if words:
        return words
    return (exc.strerror or "the system refused").lower()


def size_words(size: int) -> str:
    return f"{size / 1_000_000:g} MB" if size >= 1_000_000 else f"{size / 1000:g} kB"


def read_text_limited(path: Path, max_bytes: int) -> str:
    """The UTF-8 text of ``path``. Raises FileNotFoundError, OSError, or :class:`DamagedFile` when the file is larger
    than ``max_bytes`` (only that much plus one byte is ever read) or is not UTF-8 text."""
    with path.open("rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DamagedFile(f"it is larger than {size_words(max_bytes)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DamagedFile("it is not UTF-8 text") from None


def parse_json_object(text: str) -> dict[str, Any]:
    """``text`` as a JSON object nested at most :data:`MAX_JSON_DEPTH` levels deep, or raise :class:`DamagedFile`."""
    try:
        value = json.loads(text)
    except RecursionError:  # the decoder recurses per level: 200 000 brackets exhaust the interpreter's limit
        raise DamagedFile(f"it is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise DamagedFile(f"it is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except ValueError:  # e.g. an integer with more digits than Python converts
        raise DamagedFile("it holds a number too long to read") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise DamagedFile(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
    if not isinstance(value, dict):
        raise DamagedFile("it does not hold a JSON object")
    return value


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects, counted without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def folder_write_problem(folder: Path) -> OSError | None:
    """None when files can be created in ``folder`` (made if missing), else the error that prevents it.

    Asks the file system itself (creates and removes an empty file) rather than reading permission bits, which
    say nothing about read-only mounts, immutable folders or an administrator's rights.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=".write-test-")
        os.close(handle)
        os.unlink(name)
    except OSError as exc:
        return exc
    return None
