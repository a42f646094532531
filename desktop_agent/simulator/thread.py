"""``SimulatorThread``: the simulator on its own event loop in a daemon thread, for synchronous code and the Qt app.

It exposes the same object API as ``Simulator`` (URLs, ``stt``/``llm`` scripts, ``fault``, ``profile``, records);
those calls are thread-safe because the simulator guards its shared state with locks and reads the profile afresh
each time it needs a value. ``wait_for`` is synchronous here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from desktop_agent.simulator.profiles import LatencyProfile
from desktop_agent.simulator.server import Simulator

_FORWARDED_SETTERS = frozenset({"profile", "strict_elevenlabs"})


class SimulatorThread:
    def __init__(
        self,
        profile: str | LatencyProfile = "instant",
        host: str = "127.0.0.1",
        ports: dict[str, int | None] | None = None,
    ) -> None:
        object.__setattr__(self, "_sim", Simulator(profile=profile, host=host, ports=ports))
        object.__setattr__(self, "_loop", None)
        object.__setattr__(self, "_thread", None)

    def start(self, timeout: float = 10.0) -> SimulatorThread:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready: dict[str, Any] = {}
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._sim.start())
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread, which re-raises it
                ready["error"] = exc
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._sim.stop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        thread = threading.Thread(target=run, name="provider-simulator", daemon=True)
        thread.start()
        if not started.wait(timeout):
            raise TimeoutError("the simulator did not start in time")
        if "error" in ready:
            thread.join(timeout)
            raise ready["error"]
        object.__setattr__(self, "_loop", loop)
        object.__setattr__(self, "_thread", thread)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        object.__setattr__(self, "_thread", None)
        object.__setattr__(self, "_loop", None)

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The simulator's event loop (None when stopped)."""
        return self._loop

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            time.sleep(interval)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sim, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FORWARDED_SETTERS:
            setattr(self._sim, name, value)
        else:
            object.__setattr__(self, name, value)


async def start_simulator_thread(profile: str | LatencyProfile = "prd") -> tuple[SimulatorThread | None, str]:
    """Start a :class:`SimulatorThread` without blocking the running loop: ``(simulator, "")``, or ``(None, sentence)``
    saying it could not start (the details go to the log)."""
    simulator = SimulatorThread(profile=profile)
    try:
        await asyncio.to_thread(simulator.start)
    except Exception as exc:  # the caller shows the sentence; the log has the traceback
        logging.getLogger(__name__).exception("The provider simulator did not start")
        return None, f"The built-in provider simulator could not start ({type(exc).__name__})."
    return simulator, ""
