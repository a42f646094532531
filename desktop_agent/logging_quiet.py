"""Keep Pipecat's import-time banner and DEBUG chatter out of the console."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_pipecat_import() -> Iterator[None]:
    """Import Pipecat with loguru limited to warnings on stderr (its banner is an INFO line)."""
    from loguru import logger

    logger.remove()
    sink = logger.add(sys.stderr, level="WARNING")
    try:
        yield
    finally:
        logger.remove(sink)
        logger.add(sys.stderr, level="WARNING")
