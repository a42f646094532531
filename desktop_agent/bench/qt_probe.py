"""Qt-side probes for the window phase: how late the Qt thread serves a precise timer, and a forced repaint load."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget


class QtLagProbe(QObject):
    """A precise timer every ``interval_ms``; each tick records how late it came (seconds)."""

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None):
        super().__init__(parent)
        self.samples: list[float] = []
        self._interval = interval_ms / 1000.0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append(max(0.0, now - self._last - self._interval))
        self._last = now


class Repainter(QObject):
    """Repaints the whole ``widget`` ``hz`` times a second, as an animation or a resize would; ``durations`` holds
    how long each synchronous repaint took (seconds)."""

    def __init__(self, widget: QWidget, hz: float, parent: QObject | None = None):
        super().__init__(parent)
        self.frames = 0
        self.durations: list[float] = []
        self._widget = widget
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000 / hz)))
        self._timer.timeout.connect(self._paint)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _paint(self) -> None:
        before = time.perf_counter()
        self._widget.repaint()
        self.durations.append(time.perf_counter() - before)
        self.frames += 1
