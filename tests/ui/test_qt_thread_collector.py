"""Cyclic garbage is collected on the Qt thread only, never by whichever thread allocates."""

from __future__ import annotations

import gc
import threading
import weakref

from desktop_agent.ui.qt_thread_collector import QtThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collections_happen_on_the_qt_thread_only(qtbot):
    collector = QtThreadCollector(interval_ms=20, full_every=3)
    collecting_threads: set[str] = set()

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            collecting_threads.add(threading.current_thread().name)

    gc.callbacks.append(note)
    collector.start()
    try:
        assert not gc.isenabled()
        garbage = Cycle()
        alive = weakref.ref(garbage)
        del garbage

        def allocate_a_lot() -> None:  # would trigger automatic collections on this thread if they were on
            for _ in range(200_000):
                Cycle()

        worker = threading.Thread(target=allocate_a_lot, name="engine-like")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: alive() is None and collector.collections >= 3, timeout=3000)
    finally:
        collector.stop()
        gc.callbacks.remove(note)
    assert gc.isenabled()
    assert collecting_threads == {threading.main_thread().name}
