"""The microphone for a push-to-talk press made before the voice engine is running.

The window appears about a second before the engine (Pipecat's imports, the services' connections) can listen. A
user who holds the key and speaks at once must not lose those words: the press opens the microphone here, at once,
and the session, once its own microphone is open, takes these blocks and puts them in front of its own (LiveKit
calls its version of this a pre-connect audio buffer). Imports neither Qt nor Pipecat, so it can run while the
engine is still loading.
"""

from __future__ import annotations

import threading

from loguru import logger

from desktop_agent.engine.audio_backend import AudioBackend, AudioDeviceError, Device, InputStream

SAMPLE_RATE = 16000
BLOCK_FRAMES = SAMPLE_RATE // 50  # 20 ms, as the session's own microphone
MAX_SECS = 60.0


class EarlyMicrophone:
    """Captures from :meth:`start` until :meth:`hand_over` (or :meth:`stop`, for a release before the session is up)."""

    def __init__(self, backend: AudioBackend, device: Device = None):
        self._backend = backend
        self._device = device
        self._lock = threading.Lock()
        self._blocks: list[bytes] = []
        self._stream: InputStream | None = None
        self._max_blocks = int(MAX_SECS * SAMPLE_RATE / BLOCK_FRAMES)
        self.released = False  # the user let go before the session could take over
        self.failure: str | None = None

    @property
    def captured_secs(self) -> float:
        with self._lock:
            return len(self._blocks) * BLOCK_FRAMES / SAMPLE_RATE

    def start(self) -> bool:
        """Open and start the microphone; False (with ``failure`` set) when it cannot be opened."""
        try:
            stream = self._backend.open_input(self._device, SAMPLE_RATE, BLOCK_FRAMES, self._on_block, self._on_failure)
            stream.start()
        except (AudioDeviceError, OSError) as exc:
            self.failure = str(exc)
            logger.warning(f"The microphone could not be opened early: {exc}")
            return False
        self._stream = stream
        return True

    def stop(self) -> None:
        """The user released the key: stop capturing, keep what was said for the session."""
        self.released = True
        self._close()

    def hand_over(self) -> list[bytes]:
        """Stop capturing and give every block so far (oldest first) to the session; the buffer is emptied."""
        self._close()
        with self._lock:
            blocks, self._blocks = self._blocks, []
        return blocks

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except (AudioDeviceError, OSError) as exc:
                logger.debug(f"Closing the early microphone: {exc}")

    def _on_block(self, pcm: bytes) -> None:  # the backend's thread
        with self._lock:
            if self._stream is None and self.released:
                return
            if len(self._blocks) < self._max_blocks:
                self._blocks.append(bytes(pcm))

    def _on_failure(self, reason: str) -> None:  # the backend's thread
        self.failure = reason
