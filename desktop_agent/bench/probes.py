"""Process-level probes: event-loop lateness, CPU time and resident memory, with the standard library only.

psutil is not a dependency, so CPU comes from ``time.process_time`` (all threads of this process) and memory from
``/proc/self/status`` (Linux; other systems fall back to ``resource.getrusage``'s peak).
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class LoopLagProbe:
    """Measures how late an asyncio loop wakes a task that sleeps ``interval`` seconds at a time.

    Lateness is what every other callback on that loop suffers too (a stall of the loop delays audio frames,
    VAD and websocket reads alike). Start it on the loop under test with :meth:`attach` (any thread) or await
    :meth:`run` on that loop; :meth:`stop` ends it. Samples are seconds.
    """

    interval: float = 0.005
    samples: list[float] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _future: object = None

    async def run(self) -> None:
        clock = time.perf_counter
        while not self._stopping.is_set():
            before = clock()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, clock() - before - self.interval))

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start probing ``loop`` from another thread."""
        self._future = asyncio.run_coroutine_threadsafe(self.run(), loop)

    def stop(self) -> None:
        self._stopping.set()

    def reset(self) -> None:
        self.samples.clear()


class CpuMeter:
    """CPU time of this whole process over a stretch of wall-clock time, as % of one core."""

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def restart(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def percent(self) -> float:
        wall = time.monotonic() - self._wall
        return 100.0 * (time.process_time() - self._cpu) / wall if wall > 0 else 0.0


def thread_scheduling(name: str) -> str | None:
    """How the OS schedules this process's thread called ``name`` (or starting with it): "real-time", "nice N"
    or "normal"; None when there is no such thread or the OS does not say (not Linux)."""
    native_id = next((t.native_id for t in threading.enumerate() if t.name.startswith(name) and t.native_id), None)
    if native_id is None:
        return None
    try:
        policy = os.sched_getscheduler(native_id)
        nice = os.getpriority(os.PRIO_PROCESS, native_id)
    except (AttributeError, OSError):
        return None
    if policy in (os.SCHED_FIFO, os.SCHED_RR):
        return "real-time"
    return f"nice {nice}" if nice else "normal"


def rss_mb() -> float:
    """Resident set size now, in MiB (peak RSS where /proc is missing)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0
