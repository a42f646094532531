"""Runs the panel's network and device work as asyncio tasks on the qasync loop, never blocking the Qt thread.

One task per purpose ("voices", "test:llm", ...): starting a new one cancels the one it supersedes, so a slow voice
search overtaken by a newer one never paints stale results. Results and errors are delivered on the Qt thread.
Expected failures (the ``expected`` exception types) carry a sentence for the user; anything else is logged with its
traceback and turned into a generic sentence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject

from desktop_agent.ui import exception_guard

log = logging.getLogger(__name__)


class AsyncRunner(QObject):
    def __init__(self, parent: QObject | None = None, expected: tuple[type[BaseException], ...] = ()) -> None:
        super().__init__(parent)
        self._expected = expected
        self._tasks: dict[str, asyncio.Task] = {}

    def start(
        self,
        purpose: str,
        coro: Coroutine[Any, Any, Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[str], None],
    ) -> asyncio.Task:
        self.cancel(purpose)
        task = asyncio.ensure_future(coro)
        self._tasks[purpose] = task
        task.add_done_callback(lambda done: self._finished(purpose, done, on_result, on_error))
        return task

    def busy(self, purpose: str) -> bool:
        """True until the task's result or error has been delivered: a task is done a moment before its done
        callback runs, and a caller that waits for "not busy" must find the result already shown."""
        return purpose in self._tasks

    def task(self, purpose: str) -> asyncio.Task | None:
        return self._tasks.get(purpose)

    def cancel(self, purpose: str) -> None:
        task = self._tasks.pop(purpose, None)
        if task is not None and not task.done():
            task.cancel()

    def cancel_all(self) -> None:
        for purpose in list(self._tasks):
            self.cancel(purpose)

    def _finished(
        self, purpose: str, task: asyncio.Task, on_result: Callable[[Any], None], on_error: Callable[[str], None]
    ) -> None:
        if self._tasks.get(purpose) is task:
            del self._tasks[purpose]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            on_result(task.result())
        elif isinstance(exc, self._expected):
            on_error(str(exc))
        else:
            exception_guard.report(exc, "the settings")
            on_error(exception_guard.sentence_for(exc, "the settings"))
