"""A reference system under test on a thread and event loop of its own, as the app's engine runs: started and driven
(press, release) from the benchmark's thread. Subclasses give the loop's work (:meth:`ThreadedAgent._main`, which
sets ``_ready`` once the system listens) and what a press and a release do."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any


class ThreadedAgent:
    name = ""
    #: The thread's name, and what start-up errors call the system.
    thread_name = ""
    what = ""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        #: Class of each service, by role ("stt", "llm", "tts"), once built.
        self.services: dict[str, str] = {}

    # -- caller's thread ----------------------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        self._thread = threading.Thread(target=self._thread_main, name=self.thread_name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"{self.what} did not start in time")
        if self._failed is not None:
            raise RuntimeError(f"{self.what} failed to start: {self._failed}") from self._failed

    def press(self) -> None:
        self._call(self._press())

    def release(self) -> None:
        self._call(self._release())

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        assert self.loop is not None
        future: Future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        future.result(5.0)

    # -- the agent's thread -------------------------------------------------------------------------------------

    def _thread_main(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to start(); the thread must not die silently
            self._failed = exc
            self._ready.set()
        finally:
            self.loop.close()

    async def _main(self) -> None:
        raise NotImplementedError

    async def _press(self) -> None:
        raise NotImplementedError

    async def _release(self) -> None:
        raise NotImplementedError
