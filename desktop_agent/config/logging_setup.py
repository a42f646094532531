"""One log for everything: loguru (which Pipecat logs through) and stdlib ``logging`` go to one file in the user log
directory and to stderr, at the chosen level, through a redaction filter.

The filter replaces every registered key value with ``[redacted]``, and also whatever follows a credential-looking
name (``xi-api-key: …``, ``Authorization: Bearer …``, ``api_key=…``), so a key that was never registered (a typo in
a .env file, a header a library logs) does not leak either. :class:`~desktop_agent.config.secrets.Secrets`
registers every key it reads or stores; :func:`add_redaction` is there for any other secret.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import TextIO

from loguru import logger

from desktop_agent.config import paths
from desktop_agent.config.local_files import error_words

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter strings would blot out ordinary words
MAX_LOG_BYTES = 5_000_000
LOG_FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} | {message}"

_CREDENTIAL = re.compile(
    r"(?i)(?P<name>\b(?:xi-api-key|x-api-key|api[_-]?key|apikey|authorization|access[_-]?token)"
    r"[\"']?\s*[:=]\s*[\"']?)(?P<scheme>(?:bearer|basic|token)\s+)?(?P<value>[^\s\"'&,;}\]]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}")


class Redactor:
    """Replaces registered secret values and credential-looking fields in text. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            before = len(self._values)
            self._values.update(v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH)
            if len(self._values) != before:
                ordered = sorted(self._values, key=len, reverse=True)  # longest first: no partial leftovers
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        text = _CREDENTIAL.sub(_redact_field, text)
        return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)


def _redact_field(match: re.Match[str]) -> str:
    if match.group("value") == REDACTED:
        return match.group(0)
    return f"{match.group('name')}{match.group('scheme') or ''}{REDACTED}"


_redactor = Redactor()


def add_redaction(values: Iterable[str]) -> None:
    """Register secret values (API keys) that must never appear in the log."""
    _redactor.add(values)


def redact(text: str) -> str:
    """``text`` with every registered secret and credential-looking field replaced by ``[redacted]``."""
    return _redactor.redact(text)


class _RedactingStream:
    """A loguru sink that redacts each formatted message before writing it to a text stream."""

    def __init__(self, stream: Callable[[], TextIO]) -> None:
        self._stream = stream  # looked up per write: tests and IDEs replace sys.stderr

    def write(self, message: str) -> None:
        stream = self._stream()
        stream.write(redact(message))
        stream.flush()


class _RedactingFile:
    """A loguru sink appending redacted messages to a file; the previous file is kept as ``.1`` when it grows big.

    Opening raises OSError (a read-only or missing folder). A write that fails later (a full disk) stops the file
    quietly: loguru would print each failure with a traceback to stderr, which in the console is the conversation.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if path.stat().st_size > MAX_LOG_BYTES:
                path.replace(path.with_name(path.name + ".1"))
        except OSError:
            pass  # no file yet, or it cannot be rotated: append to it as it is
        self._file = path.open("a", encoding="utf-8")
        self._broken = False

    def write(self, message: str) -> None:
        if self._broken:
            return
        try:
            self._file.write(redact(message))
            self._file.flush()
        except OSError:
            self._broken = True

    def stop(self) -> None:
        # What a full disk did not take is lost either way; closing must not fail the caller.
        with contextlib.suppress(OSError):
            self._file.close()


class _ToLoguru(logging.Handler):
    """Hands stdlib ``logging`` records to loguru, keeping the caller's level and location."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame: FrameType | None = logging.currentframe()
        depth = 2
        while frame is not None and frame.f_code.co_filename == logging.__file__:
            frame, depth = frame.f_back, depth + 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


def configure_logging(level: str = "INFO", log_dir: Path | None = None, to_stderr: bool = True) -> Path:
    """Send all logging to ``<log_dir>/desktop-agent.log`` (and stderr) at ``level``; returns the log file's path.

    Replaces every loguru handler, so call it again after anything that reconfigures loguru (e.g. a quiet Pipecat
    import). Tracebacks are logged without variable values (``diagnose=False``): those could hold keys.

    When the log file cannot be opened (a read-only folder), everything else is still set up and the OSError is
    raised afterwards, so the caller can say so in a sentence; :func:`log_file_sentence` words it.
    """
    level = level.upper()
    log_file = (paths.log_dir() if log_dir is None else log_dir) / paths.LOG_FILE_NAME
    logger.remove()
    file_error: OSError | None = None
    try:
        logger.add(
            _RedactingFile(log_file), level=level, format=LOG_FORMAT, colorize=False, diagnose=False, backtrace=False
        )
    except OSError as exc:
        file_error = exc
    if to_stderr:
        logger.add(
            _RedactingStream(lambda: sys.stderr),
            level=level,
            format=LOG_FORMAT,
            colorize=False,
            diagnose=False,
            backtrace=False,
        )
    logging.basicConfig(handlers=[_ToLoguru()], level=logging.getLevelName(level), force=True)
    logging.captureWarnings(True)
    if file_error is not None:
        raise file_error
    return log_file


def log_file_sentence(exc: OSError, log_dir: Path | None = None) -> str:
    """What the user is told when the log file cannot be written."""
    folder = paths.log_dir() if log_dir is None else log_dir
    return f"The log cannot be written to {folder} ({error_words(exc)}); Desktop Agent runs without a log file."
