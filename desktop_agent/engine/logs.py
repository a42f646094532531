"""Logging for the engine: loguru at INFO without its default DEBUG sink, and API keys masked in every message.

Pipecat logs heavily at DEBUG through loguru's default sink (which also prints variable values in tracebacks).
:func:`configure_logging` replaces that sink unless the application has already configured loguru itself.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

from loguru import logger

if TYPE_CHECKING:
    from loguru import Record

_secrets: set[str] = set()
_lock = threading.Lock()
_MASK = "[REDACTED]"
_MIN_SECRET_LEN = 6  # shorter strings would mask ordinary words


def mask_secrets(*secrets: str) -> None:
    """Mask these strings (API keys) wherever they would appear in a log message."""
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET_LEN)


def _patch(record: Record) -> None:
    with _lock:
        secrets = tuple(_secrets)
    message = record["message"]
    for secret in secrets:
        if secret in message:
            message = message.replace(secret, _MASK)
    record["message"] = message


def configure_logging(level: str = "INFO", *, force: bool = False) -> bool:
    """Replace loguru's default sink with one at ``level``; returns False if the app already configured loguru."""
    try:
        logger.remove(0)  # the default sink; gone once anyone configured loguru
    except ValueError:
        if not force:
            logger.configure(patcher=_patch)
            return False
        logger.remove()
    logger.configure(patcher=_patch)
    logger.add(sys.stderr, level=level, backtrace=False, diagnose=False)
    return True
