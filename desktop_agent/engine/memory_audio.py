"""An in-memory audio device for tests and the benchmark.

It behaves like a real sound card where timing matters: the microphone delivers a block every 20 ms from its own
thread (silence unless speech was pushed), and the speaker's ``write`` blocks until the audio is about to play,
so the pipeline is paced exactly as with PortAudio. Everything written is recorded with the time it starts to play.
A device can be made to vanish (:meth:`MemoryAudioBackend.unplug`) to exercise the recovery path.

With an :class:`~desktop_agent.engine.acoustic.AcousticPath`, the room is simulated too: what the speaker plays
reaches the microphone through it (delayed, attenuated, reverberated), sample-aligned with the play times, so the
echo canceller can be tested through the real transport in real time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from desktop_agent.engine.acoustic import AcousticPath
from desktop_agent.engine.audio_backend import (
    AudioBackend,
    AudioDeviceError,
    Device,
    DeviceInfo,
    InputStream,
    OutputStream,
    resolve_device,
)

MEMORY_MICROPHONE = "Memory Microphone"
MEMORY_SPEAKER = "Memory Speaker"


@dataclass(frozen=True)
class PlayedChunk:
    """One ``write`` to the speaker: ``starts``/``ends`` are ``time.monotonic()`` play times; ``queued_ahead`` is how
    many samples written before it were still waiting to play when it was written (what it had to wait behind)."""

    starts: float
    ends: float
    pcm: bytes
    sample_rate: int
    device: str
    queued_ahead: int = 0

    @property
    def rms(self) -> float:
        samples = np.frombuffer(self.pcm, dtype=np.int16).astype(np.float64)
        return float(np.sqrt(np.mean(samples**2)) / 32768.0) if samples.size else 0.0


class MemoryAudioBackend(AudioBackend):
    """Microphones and speakers that live in memory. ``extra_devices`` adds named devices with both directions."""

    def __init__(
        self,
        *,
        extra_devices: tuple[str, ...] = (),
        output_buffer_secs: float = 0.04,
        acoustic: AcousticPath | None = None,
    ):
        names = [MEMORY_MICROPHONE, MEMORY_SPEAKER, *extra_devices]
        self._infos = [
            DeviceInfo(
                index=i,
                name=name,
                input_channels=0 if name == MEMORY_SPEAKER else 1,
                output_channels=0 if name == MEMORY_MICROPHONE else 1,
                default_input=name == MEMORY_MICROPHONE,
                default_output=name == MEMORY_SPEAKER,
            )
            for i, name in enumerate(names)
        ]
        self._output_buffer_secs = output_buffer_secs
        self._lock = threading.Lock()
        self._pending = bytearray()  # speech waiting to be "heard" by the microphone
        self._unplugged: set[str] = set()
        self._inputs: list[_MemoryInput] = []
        self._outputs: list[_MemoryOutput] = []
        self.played: list[PlayedChunk] = []
        self.opened: list[tuple[str, str]] = []  # ("input"|"output", device name), in order
        # The simulated room (16 kHz) and the play time up to which the microphone has captured.
        if acoustic is not None and acoustic.sample_rate != 16000:
            raise ValueError("the acoustic path must run at the microphone's 16000 Hz")
        self.acoustic = acoustic
        self._mic_time: float | None = None  # None until the microphone has captured its first block

    # -- devices ---------------------------------------------------------------------------------------------

    def devices(self) -> list[DeviceInfo]:
        return [info for info in self._infos if info.name not in self._unplugged]

    def _name(self, device: Device, *, output: bool) -> str:
        index = resolve_device(self.devices(), device, output=output)
        if index is None:
            index = next(i.index for i in self._infos if (i.default_output if output else i.default_input))
        name = self._infos[index].name
        if name in self._unplugged:
            what = "speaker" if output else "microphone"
            raise AudioDeviceError(f"The default {what} is not connected.")
        return name

    @property
    def open_streams(self) -> int:
        """Streams opened and not yet closed (both directions)."""
        with self._lock:
            return len(self._inputs) + len(self._outputs)

    def unplug(self, name: str) -> None:
        """Make a device vanish: open streams on it fail, and it can no longer be opened."""
        with self._lock:
            self._unplugged.add(name)
            inputs = [s for s in self._inputs if s.device == name]
            outputs = [s for s in self._outputs if s.device == name]
        for microphone in inputs:
            microphone.fail("the device was unplugged")
        for speaker in outputs:
            speaker.fail()

    def plug(self, name: str) -> None:
        with self._lock:
            self._unplugged.discard(name)

    # -- microphone ------------------------------------------------------------------------------------------

    def push_input(self, pcm: bytes | np.ndarray) -> float:
        """Queue 16 kHz mono int16 audio for the microphone; returns how many seconds of input are now pending."""
        data = pcm.astype(np.int16).tobytes() if isinstance(pcm, np.ndarray) else bytes(pcm)
        with self._lock:
            self._pending.extend(data)
            return len(self._pending) / 2 / 16000

    def pending_input_secs(self) -> float:
        with self._lock:
            return len(self._pending) / 2 / 16000

    def wait_input_drained(self, timeout: float = 30.0) -> None:
        """Block until the microphone has delivered everything pushed so far."""
        deadline = time.monotonic() + timeout
        while self.pending_input_secs() > 0:
            if time.monotonic() > deadline:
                raise TimeoutError("the memory microphone did not deliver its audio in time")
            time.sleep(0.005)

    def _take_input(self, nbytes: int, captured_until: float = 0.0) -> bytes:
        """The next ``nbytes`` of microphone audio, whose last sample is heard at ``captured_until`` (monotonic)."""
        with self._lock:
            chunk = bytes(self._pending[:nbytes])
            del self._pending[:nbytes]
            chunk += bytes(nbytes - len(chunk))
            if self.acoustic is not None:
                chunk = self.acoustic.mix_into_mic(chunk)
                self._mic_time = captured_until
        return chunk

    def open_input(
        self,
        device: Device,
        sample_rate: int,
        block_frames: int,
        on_block: Callable[[bytes], None],
        on_failure: Callable[[str], None],
    ) -> InputStream:
        name = self._name(device, output=False)
        if sample_rate != 16000:
            raise AudioDeviceError(f"The microphone “{name}” only records at 16000 Hz.")
        stream = _MemoryInput(self, name, block_frames, sample_rate, on_block, on_failure)
        with self._lock:
            self._inputs.append(stream)
            self.opened.append(("input", name))
        return stream

    # -- speaker ---------------------------------------------------------------------------------------------

    def open_output(self, device: Device, sample_rate: int) -> OutputStream:
        name = self._name(device, output=True)
        stream = _MemoryOutput(self, name, sample_rate, self._output_buffer_secs)
        with self._lock:
            self._outputs.append(stream)
            self.opened.append(("output", name))
        return stream

    def _record(self, chunk: PlayedChunk) -> None:
        with self._lock:
            self.played.append(chunk)
            if self.acoustic is not None:
                # A speaker that was idle starts this far after the microphone's last captured sample (right at the
                # microphone's position if it has not captured anything yet).
                offset = 0.0 if self._mic_time is None else chunk.starts - self._mic_time
                self.acoustic.feed_speaker(chunk.pcm, chunk.sample_rate, idle_offset_s=offset)

    def played_between(self, start: float, end: float = float("inf")) -> list[PlayedChunk]:
        with self._lock:
            return [c for c in self.played if start <= c.starts < end]

    def audible(self, threshold: float = 0.001) -> list[PlayedChunk]:
        """Chunks that are not silence."""
        with self._lock:
            return [c for c in self.played if c.rms > threshold]

    def _forget(self, stream: object) -> None:
        with self._lock:
            if stream in self._inputs:
                self._inputs.remove(stream)
            if stream in self._outputs:
                self._outputs.remove(stream)


class _MemoryInput:
    def __init__(
        self,
        backend: MemoryAudioBackend,
        device: str,
        block_frames: int,
        sample_rate: int,
        on_block: Callable[[bytes], None],
        on_failure: Callable[[str], None],
    ):
        self.device = device
        self._backend = backend
        self._block_bytes = block_frames * 2
        self._period = block_frames / sample_rate
        self._on_block = on_block
        self._on_failure = on_failure
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"memory-mic-{self.device}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        deadline = time.monotonic()
        while not self._stop.is_set():
            deadline += self._period
            delay = deadline - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            elif delay < -0.2:  # fell far behind (a stalled machine): resynchronise like a sound card would
                deadline = time.monotonic()
            if self._stop.is_set():
                break
            self._on_block(self._backend._take_input(self._block_bytes, deadline))

    def fail(self, reason: str) -> None:
        self._stop.set()
        self._on_failure(reason)

    def close(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        self._backend._forget(self)


class _MemoryOutput:
    def __init__(self, backend: MemoryAudioBackend, device: str, sample_rate: int, buffer_secs: float):
        self.device = device
        self._backend = backend
        self._rate = sample_rate
        self._buffer_secs = buffer_secs
        self._play_end = 0.0
        self._wrote = False  # a write before this one: an empty buffer now means the device ran dry
        self._failed = False
        self._closed = False

    def start(self) -> None:
        self._play_end = time.monotonic()
        self._wrote = False

    def queued_secs(self) -> float:
        return max(0.0, self._play_end - time.monotonic())

    def write(self, pcm: bytes) -> bool:
        if self._failed:
            raise AudioDeviceError(f"The speaker “{self.device}” stopped accepting audio.")
        if self._closed:
            raise AudioDeviceError(f"The speaker “{self.device}” is closed.")
        now = time.monotonic()
        starts = max(self._play_end, now)  # an empty buffer (underrun) starts playing right away
        ends = starts + len(pcm) / 2 / self._rate
        self._play_end = ends
        queued = round((starts - now) * self._rate)
        self._backend._record(PlayedChunk(starts, ends, bytes(pcm), self._rate, self.device, queued))
        # Like a sound card: return once the unplayed audio fits into the device buffer again.
        delay = ends - self._buffer_secs - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        ran_dry, self._wrote = self._wrote and starts == now, True
        return ran_dry

    def fail(self) -> None:
        self._failed = True

    def close(self) -> None:
        self._closed = True
        self._backend._forget(self)
