"""Where audio comes from and goes to: an interface with a sounddevice (PortAudio) implementation.

The transport in :mod:`desktop_agent.engine.audio` only talks to :class:`AudioBackend`, so tests and the benchmark
can inject an in-memory device (:mod:`desktop_agent.engine.memory_audio`) and the rest of the engine runs unchanged.

Threading contract: ``on_block`` and ``on_failure`` are called on the backend's own thread (PortAudio's callback
thread for sounddevice) and must only hand the data over; ``OutputStream.write`` blocks for about as long as the
audio takes to play, so the transport calls it from a worker thread.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from loguru import logger

Device = int | str | None


#: What the window tells the user to do about a device; the console, which has no Settings, words it for a terminal.
CHOOSE_ANOTHER_DEVICE = "Choose another in Settings > Audio."


class AudioDeviceError(RuntimeError):
    """A device is missing or failing. The message is a sentence fit for the user."""


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    input_channels: int
    output_channels: int
    default_input: bool = False
    default_output: bool = False


class InputStream(Protocol):
    def start(self) -> None: ...
    def close(self) -> None: ...


class OutputStream(Protocol):
    def start(self) -> None: ...
    def write(self, pcm: bytes) -> bool | None:
        """Blocks while the device buffer is full; True when the device ran out of audio before this write."""

    def queued_secs(self) -> float:
        """Audio written and not yet taken by the device, from the device's own count (no clock estimate)."""

    def close(self) -> None: ...


class AudioBackend(abc.ABC):
    """Opens 16-bit mono PCM streams on named or numbered devices (``None`` = the system default)."""

    @abc.abstractmethod
    def devices(self) -> list[DeviceInfo]: ...

    @abc.abstractmethod
    def open_input(
        self,
        device: Device,
        sample_rate: int,
        block_frames: int,
        on_block: Callable[[bytes], None],
        on_failure: Callable[[str], None],
    ) -> InputStream:
        """Open (not start) a capture stream delivering ``block_frames`` samples per call of ``on_block``."""

    @abc.abstractmethod
    def open_output(self, device: Device, sample_rate: int) -> OutputStream:
        """Open (not start) a playback stream whose ``write`` blocks in real time."""

    def describe(self, device: Device, *, output: bool) -> str:
        """A name for messages: the device's name, or "the default microphone/speaker"."""
        if device is None:
            return "the default speaker" if output else "the default microphone"
        try:
            devices = self.devices()
            index = resolve_device(devices, device, output=output)
        except AudioDeviceError:
            return f"“{device}”"
        return next((f"“{info.name}”" for info in devices if info.index == index), f"“{device}”")

    def subject(self, device: Device, *, output: bool) -> str:
        """The device as the subject of a sentence: "The default microphone" or "The microphone “USB Mic”"."""
        what = "speaker" if output else "microphone"
        return f"The default {what}" if device is None else f"The {what} {self.describe(device, output=output)}"


def resolve_device(devices: list[DeviceInfo], device: Device, *, output: bool) -> int | None:
    """Map a device name or index to an index with channels in the wanted direction (``None`` stays default).

    Names match exactly first, then case-insensitively as a substring, so "USB" finds "USB Audio Device".
    """
    what = "speaker" if output else "microphone"

    def usable(info: DeviceInfo) -> bool:
        return (info.output_channels if output else info.input_channels) > 0

    if device is None:
        return None
    if isinstance(device, int) and not isinstance(device, bool):
        for info in devices:
            if info.index == device and usable(info):
                return info.index
        raise AudioDeviceError(f"The {what} number {device} is not available. {CHOOSE_ANOTHER_DEVICE}")
    wanted = str(device)
    for info in devices:
        if info.name == wanted and usable(info):
            return info.index
    for info in devices:
        if wanted.lower() in info.name.lower() and usable(info):
            return info.index
    raise AudioDeviceError(f"The {what} “{wanted}” is not connected. {CHOOSE_ANOTHER_DEVICE}")


class SoundDeviceBackend(AudioBackend):
    """Real devices through PortAudio (sounddevice). sounddevice is imported on first use, not at import."""

    def __init__(self, latency: str | float = "low"):
        self._latency = latency
        self._lock = threading.Lock()

    @staticmethod
    def _sd() -> Any:
        try:
            import sounddevice
        except OSError as exc:  # PortAudio missing
            raise AudioDeviceError(
                "The audio system (PortAudio) is not installed, so no microphone or speaker can be used."
            ) from exc
        return sounddevice

    def devices(self) -> list[DeviceInfo]:
        sd = self._sd()
        try:
            found = sd.query_devices()
            default_in, default_out = sd.default.device
        except sd.PortAudioError as exc:
            raise AudioDeviceError("The list of audio devices could not be read.") from exc
        return [
            DeviceInfo(
                index=i,
                name=d["name"],
                input_channels=d["max_input_channels"],
                output_channels=d["max_output_channels"],
                default_input=i == default_in,
                default_output=i == default_out,
            )
            for i, d in enumerate(found)
        ]

    def open_input(
        self,
        device: Device,
        sample_rate: int,
        block_frames: int,
        on_block: Callable[[bytes], None],
        on_failure: Callable[[str], None],
    ) -> InputStream:
        sd = self._sd()
        index = resolve_device(self.devices(), device, output=False)

        def callback(indata: Any, frames: int, time_info: Any, status: Any) -> None:  # PortAudio thread
            on_block(bytes(indata))

        closing = threading.Event()

        def finished() -> None:  # the stream stopped: by us (close) or because the device went away
            if not closing.is_set():
                on_failure("the microphone stopped delivering audio")

        try:
            with self._lock:
                stream = sd.RawInputStream(
                    samplerate=sample_rate,
                    blocksize=block_frames,
                    device=index,
                    channels=1,
                    dtype="int16",
                    latency=self._latency,
                    callback=callback,
                    finished_callback=finished,
                )
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioDeviceError(
                f"{self.subject(device, output=False)} could not be opened at {sample_rate} Hz. {CHOOSE_ANOTHER_DEVICE}"
            ) from exc
        return _SDInput(stream, closing, sd.PortAudioError)

    def open_output(self, device: Device, sample_rate: int) -> OutputStream:
        sd = self._sd()
        index = resolve_device(self.devices(), device, output=True)
        try:
            with self._lock:
                stream = sd.RawOutputStream(
                    samplerate=sample_rate, device=index, channels=1, dtype="int16", latency=self._latency
                )
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioDeviceError(
                f"{self.subject(device, output=True)} could not be opened at {sample_rate} Hz. {CHOOSE_ANOTHER_DEVICE}"
            ) from exc
        return _SDOutput(stream, sd.PortAudioError)


class _SDInput:
    def __init__(self, stream: Any, closing: threading.Event, error: type[Exception]):
        self._stream = stream
        self._closing = closing
        self._error = error

    def start(self) -> None:
        try:
            self._stream.start()
        except self._error as exc:
            raise AudioDeviceError("The microphone could not be started.") from exc

    def close(self) -> None:
        self._closing.set()
        try:
            self._stream.abort()
            self._stream.close()
        except self._error as exc:  # already gone with its device; nothing left to release
            logger.debug(f"Closing the input stream: {exc}")


class _SDOutput:
    def __init__(self, stream: Any, error: type[Exception]):
        self._stream = stream
        self._error = error
        self._capacity = 0  # frames the device buffer holds: all of it is free right after the start

    def start(self) -> None:
        try:
            self._stream.start()
            self._capacity = self._stream.write_available
        except self._error as exc:
            raise AudioDeviceError("The speaker could not be started.") from exc

    def write(self, pcm: bytes) -> bool:
        try:
            return bool(self._stream.write(pcm))
        except self._error as exc:
            raise AudioDeviceError("The speaker stopped accepting audio.") from exc

    def queued_secs(self) -> float:
        try:
            free = self._stream.write_available
        except self._error:  # the device is going away: the next write says so
            return 0.0
        self._capacity = max(self._capacity, free)
        return (self._capacity - free) / self._stream.samplerate

    def close(self) -> None:
        try:
            self._stream.stop()  # lets the queued audio play out
            self._stream.close()
        except self._error as exc:  # already gone with its device; nothing left to release
            logger.debug(f"Closing the output stream: {exc}")
