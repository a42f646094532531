"""Play a short PCM clip (a voice preview) through sounddevice, off the caller's thread.

The stream is opened, fed by its own callback and closed in one worker thread; stopping only sets a flag the
callback reads. Nothing ever closes the stream while another thread is inside it (closing a stream under a running
write corrupts PortAudio's heap: architecture.md, pitfall 2).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np


class PlaybackError(Exception):
    """The clip could not be played; the message is a sentence for the user."""


class PcmPlayer:
    """Plays one clip at a time: :meth:`play` awaits the end; :meth:`stop` cuts the current clip short."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def stop(self) -> None:
        self._stop.set()

    async def play(self, pcm: bytes, sample_rate: int, device: int | str | None = None) -> None:
        """Play 16-bit mono ``pcm``; returns when it has finished (or was stopped). Raises :class:`PlaybackError`."""
        self.stop()  # a new preview replaces the one playing
        await asyncio.to_thread(self._play_blocking, np.frombuffer(pcm, dtype=np.int16), sample_rate, device)

    def _play_blocking(self, samples: np.ndarray, sample_rate: int, device: int | str | None) -> None:
        import sounddevice as sd

        with self._lock:  # one clip at a time; the previous one has seen its stop flag and is closing
            self._stop.clear()
            done = threading.Event()
            position = 0

            def callback(outdata: Any, frames: int, _time: Any, _status: Any) -> None:
                nonlocal position
                if self._stop.is_set():
                    raise sd.CallbackAbort
                chunk = samples[position : position + frames]
                outdata[: len(chunk), 0] = chunk
                outdata[len(chunk) :, 0] = 0
                position += len(chunk)
                if position >= len(samples):
                    raise sd.CallbackStop

            try:
                stream = sd.OutputStream(
                    samplerate=sample_rate,
                    channels=1,
                    dtype="int16",
                    device=device,
                    callback=callback,
                    finished_callback=done.set,
                )
            except (sd.PortAudioError, ValueError) as exc:
                raise PlaybackError(
                    f"The preview could not be played on the output device ({exc}). Check the output device in "
                    "Settings > Audio."
                ) from None
            with stream:
                # Woken by the end of the clip (finished_callback) or, at the latest, a little after its length.
                done.wait(timeout=len(samples) / sample_rate + 5.0)
