"""Run Python's cyclic garbage collector only on the Qt thread.

Why: a collection frees every unreachable cycle in whichever thread happened to trigger it. When that is the engine's
thread or a PortAudio callback thread, Qt objects in those cycles (qasync's timers among them) are destroyed behind
Qt's back, and a later timer tick touches freed memory: the test suite segfaulted this way. So while the window runs,
automatic collection is off and a timer on the Qt thread collects instead: the young generations every second,
everything once a minute (objects alive at start-up are frozen by the engine, so full passes stay short).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class QtThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = 1000, full_every: int = 60) -> None:
        super().__init__(parent)
        self._full_every = full_every
        self._ticks = 0
        self.collections = 0
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect(self) -> None:
        self._ticks += 1
        gc.collect(2 if self._ticks % self._full_every == 0 else 1)
        self.collections += 1
