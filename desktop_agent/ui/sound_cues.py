"""Short sound cues (Settings > Desktop, off by default): the talk key's press and release, and a reply starting.

The cues are synthesised here (a few tens of milliseconds of soft sine with faded edges) and played through the
app's own output path, the :class:`~desktop_agent.engine.audio_backend.AudioBackend` the session uses, on the
output device chosen in Settings > Audio. Qt's audio (QSoundEffect) is not an option: it lives in QtMultimedia,
which PySide6-Essentials does not ship. The backend also works headless: with ``--no-audio`` (and in the tests) the
in-memory device records each cue as it would play.

A cue opens its own short-lived output stream beside the session's: the stream is opened, written and closed on
one worker thread (architecture.md, pitfall 2), and a cue never waits behind another one (a cue asked for while
one is still queued is dropped: stale feedback is worse than none).
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
from collections.abc import Callable

import numpy as np

from desktop_agent.engine.audio_backend import AudioBackend, AudioDeviceError, Device
from desktop_agent.state.events import AgentState

log = logging.getLogger(__name__)

CUE_SAMPLE_RATE = 24000
CUE_VOLUME = 0.18  # of full scale: audible over a quiet room, well under the assistant's voice
_FADE_S = 0.008


class Cue(enum.Enum):
    """Each cue is a short glide between two pitches: rising on press, falling on release, a high tick for a reply."""

    PRESS = (660.0, 880.0, 0.06)
    RELEASE = (880.0, 660.0, 0.06)
    REPLY = (1046.5, 1046.5, 0.04)

    @property
    def seconds(self) -> float:
        return self.value[2]


def cue_pcm(cue: Cue, sample_rate: int = CUE_SAMPLE_RATE) -> bytes:
    """16-bit mono PCM of ``cue``: a sine gliding from its start to its end pitch, with faded edges (no clicks)."""
    start_hz, end_hz, seconds = cue.value
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    frequency = start_hz + (end_hz - start_hz) * t / seconds
    phase = 2 * np.pi * np.cumsum(frequency) / sample_rate
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / _FADE_S)
    return (CUE_VOLUME * 32767 * fade * np.sin(phase)).astype(np.int16).tobytes()


class SoundCues:
    """Plays cues while :attr:`enabled`. ``backend()`` and ``device()`` are asked at each cue, so a new sound device
    (``--no-audio``, a device chosen in Settings) is used from the next cue on."""

    def __init__(self, backend: Callable[[], AudioBackend], device: Callable[[], Device]) -> None:
        self._backend = backend
        self._device = device
        self.enabled = False
        self._queue: queue.Queue[Cue | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        self._pcm = {cue: cue_pcm(cue) for cue in Cue}
        self._failed_device: Device | str = "none yet"  # the device a failure was last logged for (logged once)
        self._agent_state = AgentState.STOPPED

    def play(self, cue: Cue) -> bool:
        """Queue ``cue`` (returns at once); False when cues are off or one is still waiting to play."""
        if not self.enabled:
            return False
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sound-cues", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait(cue)
        except queue.Full:
            return False
        return True

    def follow(self, state: AgentState) -> None:
        """The assistant's state as it changes: entering :attr:`AgentState.ASSISTANT_SPEAKING` is a reply starting."""
        starts = state is AgentState.ASSISTANT_SPEAKING and self._agent_state is not AgentState.ASSISTANT_SPEAKING
        self._agent_state = state
        if starts:
            self.play(Cue.REPLY)

    def close(self, timeout: float = 2.0) -> None:
        """Stop the worker after the cue it is playing (a cue lasts well under a second)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        while True:  # make room for the stop mark: a cue still waiting is dropped
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(None)
        thread.join(timeout)

    def _run(self) -> None:
        while (cue := self._queue.get()) is not None:
            self._play_now(cue)

    def _play_now(self, cue: Cue) -> None:
        device = None
        try:
            device = self._device()
            stream = self._backend().open_output(device, CUE_SAMPLE_RATE)
            try:
                stream.start()
                stream.write(self._pcm[cue])
            finally:
                stream.close()
        except AudioDeviceError as exc:  # a cue is a nicety: the session reports a missing speaker itself
            if device != self._failed_device:
                self._failed_device = device
                log.warning("A sound cue could not be played: %s", exc)
        except Exception:  # whatever the sound system does, a cue must not take the app down
            log.exception("A sound cue failed")
