"""A microphone level test for Settings > Audio: opens the chosen input device and reports its level ~20 times a
second on the Qt thread.

The stream is opened and closed in a worker thread (opening a PulseAudio stream can take tens of milliseconds);
PortAudio's callback only stores the loudest block since the last report, and a Qt timer reads it.
"""

from __future__ import annotations

import asyncio

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from desktop_agent.engine.audio_backend import AudioBackend, AudioDeviceError, Device, InputStream

SAMPLE_RATE = 16000
BLOCK_FRAMES = 320  # 20 ms
REPORT_MS = 50


class InputLevelProbe(QObject):
    """``level_changed(rms)`` carries the RMS amplitude (0..1) of the loudest block since the previous report."""

    level_changed = Signal(float)
    failed = Signal(str)

    def __init__(self, backend: AudioBackend, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._backend = backend
        self._stream: InputStream | None = None
        self._stopping: asyncio.Future | None = None  # a stop after a failure, held until it is done
        self._peak = 0.0
        self._failure: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(REPORT_MS)
        self._timer.timeout.connect(self._report)

    @property
    def running(self) -> bool:
        return self._stream is not None

    async def start(self, device: Device) -> None:
        """Open ``device`` and start reporting; raises AudioDeviceError (a user sentence) if it cannot be opened."""
        await self.stop()
        self._peak, self._failure = 0.0, None
        stream = await asyncio.to_thread(
            self._backend.open_input, device, SAMPLE_RATE, BLOCK_FRAMES, self._on_block, self._on_failure
        )
        try:
            await asyncio.to_thread(stream.start)
        except AudioDeviceError:
            await asyncio.to_thread(stream.close)
            raise
        self._stream = stream
        self._timer.start()

    async def stop(self) -> None:
        stream, self._stream = self._stream, None
        self._timer.stop()
        if stream is not None:
            await asyncio.to_thread(stream.close)
        self.level_changed.emit(0.0)

    def _on_block(self, pcm: bytes) -> None:  # PortAudio's thread: store only
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
        rms = float(np.sqrt(np.mean(samples**2))) / 32768.0 if samples.size else 0.0
        if rms > self._peak:
            self._peak = rms

    def _on_failure(self, reason: str) -> None:  # PortAudio's thread: store only
        self._failure = reason

    def _report(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            self.failed.emit(f"The microphone test stopped: {failure}. Check the device and try again.")
            self._stopping = asyncio.ensure_future(self.stop())  # held: the loop keeps only a weak reference
            return
        peak, self._peak = self._peak, 0.0
        self.level_changed.emit(peak)
