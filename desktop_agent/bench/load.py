"""Competing CPU load for the loaded-machine phase: one busy process per core, as a browser, an IDE and a video call
beside the assistant would keep the cores busy.

Each worker is a separate process (its own interpreter and GIL, so it competes for the cores only, as other apps
do) spinning a pure-Python loop at normal priority. Workers are bounded three ways, so none outlives the benchmark:
:meth:`CpuLoad.stop` (called on leaving the ``with`` block, errors and Ctrl+C included) ends them within a fraction
of a second; each one also exits on its own at a deadline (``max_secs``) and when its parent process has gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event


class _Counter(Protocol):
    """A shared integer (``Value("q")``): each worker's spins, read by the parent."""

    value: int


#: Loop iterations between two looks at the stop event, the deadline and the parent (a few milliseconds of work).
_SPIN = 20_000


def _busy(stop: Event, deadline: float, parent: int, spins: _Counter, own_session: bool) -> None:  # worker process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group; the parent stops the workers
    if own_session:
        os.setsid()
    count = 0
    value = 0
    while not stop.is_set() and time.monotonic() < deadline and os.getppid() == parent:
        for i in range(_SPIN):
            value ^= i * i
        count += 1
        spins.value = count


@dataclass(frozen=True)
class LoadReport:
    """What the load did: worker count, how long it ran and the CPU its workers got (% of one core each, mean)."""

    processes: int
    seconds: float
    worker_cpu_pct: float

    def as_dict(self) -> dict:
        return {
            "processes": self.processes,
            "seconds": round(self.seconds, 1),
            "worker_cpu_pct": round(self.worker_cpu_pct, 1),
        }


class CpuLoad:
    """``processes`` busy worker processes (default: one per core), for at most ``max_secs``; the last
    ``own_session`` of them each in a session of its own.

    Where that matters: Linux's scheduler (with autogroups, the default on many desktops) shares the CPU fairly
    between sessions first and between the processes of a session second. Apps started from the desktop share its
    session with the assistant; a build started in a terminal runs in a session of its own.

    Use as a context manager, or call :meth:`start` and :meth:`stop` (idempotent). Workers are started with the
    ``spawn`` method: the caller usually has threads running (an engine), which a forked child must not inherit.
    """

    def __init__(self, processes: int | None = None, *, own_session: int = 0, max_secs: float = 1800.0):
        if processes is not None and processes < 0:
            raise ValueError("the number of load processes cannot be negative")
        self.processes = (os.cpu_count() or 1) if processes is None else processes
        if not 0 <= own_session <= self.processes:
            raise ValueError("own_session must be between 0 and the number of load processes")
        self.own_session = own_session
        self.max_secs = max_secs
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._workers: list = []
        self._spins: list[_Counter] = []
        self._started = 0.0
        self._cpu_before = 0.0
        self.report: LoadReport | None = None

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self._workers if w.pid is not None]

    def alive(self) -> int:
        return sum(w.is_alive() for w in self._workers)

    def spins(self) -> int:
        """Loop rounds done by all workers so far: grows while the load runs."""
        return sum(s.value for s in self._spins)

    def start(self) -> CpuLoad:
        if self._workers:
            return self
        self._stop.clear()
        deadline = time.monotonic() + self.max_secs
        self._cpu_before = _children_cpu()
        self._started = time.monotonic()
        try:
            for index in range(self.processes):
                spins = self._context.Value("q", 0, lock=False)
                detached = index >= self.processes - self.own_session
                worker = self._context.Process(
                    target=_busy,
                    args=(self._stop, deadline, os.getpid(), spins, detached),
                    name=f"cpu-load-{index}",
                    daemon=True,
                )
                worker.start()
                self._workers.append(worker)
                self._spins.append(spins)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 5.0) -> LoadReport | None:
        """End every worker (politely, then by force) and wait for them; returns what the load did."""
        if not self._workers:
            return self.report
        self._stop.set()
        until = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.0, until - time.monotonic()))
        for worker in self._workers:
            if worker.is_alive():
                worker.kill()
                worker.join(1.0)
        seconds = time.monotonic() - self._started
        cpu = _children_cpu() - self._cpu_before
        share = 100.0 * cpu / seconds / len(self._workers) if seconds > 0 else 0.0
        self.report = LoadReport(len(self._workers), seconds, share)
        for worker in self._workers:
            worker.close()
        self._workers.clear()
        self._spins.clear()
        return self.report

    def __enter__(self) -> CpuLoad:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _children_cpu() -> float:
    """CPU seconds of this process's children that have been waited for."""
    times = os.times()
    return times.children_user + times.children_system
