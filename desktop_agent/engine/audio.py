"""Local audio transport: microphone and speaker as a Pipecat transport over an :class:`AudioBackend`.

* Input: 16 kHz mono, 20 ms blocks from the backend's callback thread, passed through the optional echo canceller
  right there (so its capture timing is the device's, not the engine loop's), handed to the engine loop, metered,
  and (while the talk gate is open and not muted) pushed downstream as ``InputAudioRawFrame``. Gate changes travel
  through the same queue as the audio, so a push-to-talk release is signalled (``TalkGateFrame``) only after the
  audio that preceded it.
* Output: the TTS rate, small chunks, written with the backend's real-time blocking ``write`` on one speaker
  thread. Opening, writing and closing all run on that thread, so a stream is never closed under a running write.
  The engine loop hands a reply's chunks to that thread up to :data:`RESERVE_SECS` ahead of the device, so a busy
  loop (a loaded machine) does not starve the speaker; the thread writes what has queued up in one go, up to
  :data:`MAX_WRITE_SECS`, so it wakes up less often. An interruption drops the queued reply audio at once.
  While there is nothing to play and an echo canceller is at work, that thread writes 10 ms of silence at a time,
  just before the device would run dry, so the device never does: the stream the device plays, and so the
  canceller's reference, is continuous sample for sample (which keeps the canceller locked on the echo) and the
  sound server reports no underruns, yet only :data:`IDLE_LOW_WATER_SECS` (plus the chunk) of silence stands ahead
  of a reply's first sample, not the whole device buffer (about 45 ms more before a reply was heard when silence
  kept it full). A late wake-up that lets the device run dry raises the low-water mark a little. Each write,
  silence included, is placed on the device's playback timeline just before it is written, and the canceller is
  handed, before each microphone block, what the device played during it (engine/playback_reference.py;
  :meth:`LocalAudioTransport.push_reference` says why). The speaker thread asks for real-time priority where the
  user may have it.
* A vanished or failing device becomes an ``ErrorOccurred(kind=AUDIO_DEVICE)`` with a clear sentence; the
  transport falls back to the default device and keeps retrying, and never raises into the pipeline.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from loguru import logger
from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    StartFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams

from desktop_agent.engine.audio_backend import (
    AudioBackend,
    AudioDeviceError,
    Device,
    DeviceInfo,
    InputStream,
    OutputStream,
    SoundDeviceBackend,
)
from desktop_agent.engine.frames import TalkGateFrame
from desktop_agent.engine.levels import LevelMeter, pcm_level
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.engine.playback_reference import PlaybackReference
from desktop_agent.state.events import ErrorKind, ErrorOccurred, Event

__all__ = [
    "AudioBackend",
    "AudioDeviceError",
    "DeviceInfo",
    "EchoCancellerLike",
    "LocalAudioTransport",
    "MemoryAudioBackend",
    "SoundDeviceBackend",
]

INPUT_SAMPLE_RATE = 16000
INPUT_BLOCK_FRAMES = INPUT_SAMPLE_RATE // 50  # 20 ms
INPUT_STALL_SECS = 1.0  # no block for this long means the microphone is gone
RETRY_SECS = 2.0
IDLE_CHUNK_SECS = 0.010  # silence written at a time while idle
# While idle, silence goes in when the device has this little left to play: a reply's first sample then waits behind
# at most this plus one silent chunk, instead of behind a full device buffer. It is also how late the speaker thread
# may wake without the device running dry (the interpreter hands the GIL over every 5 ms).
IDLE_LOW_WATER_SECS = 0.010
# Each time the device ran dry all the same (the thread woke too late), the mark rises by this much, up to the max.
IDLE_LOW_WATER_STEP_SECS = 0.005
IDLE_LOW_WATER_MAX_SECS = 0.025
# Reply audio the engine loop may hand to the speaker thread ahead of the device. A loop that is late by up to this
# much (other apps keeping the cores busy) leaves no gap. It adds nothing to a reply's start: the first chunk is
# written at once; the reserve fills because text-to-speech delivers faster than real time. An interruption drops
# it, so it does not delay stopping either.
RESERVE_SECS = 0.2
# A flowing reply is written up to this much at a time: fewer wake-ups of the speaker thread, each of which may find
# the machine busy. An interruption waits for the write in progress, so this bounds how much still plays after it
# (plus the device buffer).
MAX_WRITE_SECS = 0.06
# The speaker thread asks for a low real-time priority (as audio servers' clients get from rtkit), else a better nice
# value, where the user may have them; most desktop users may not, and it then runs as any thread does.
SPEAKER_RT_PRIORITY = 10
SPEAKER_NICE = -10


class EchoCancellerLike(Protocol):
    """What the transport needs from :class:`desktop_agent.engine.echo.EchoCanceller`."""

    def push_reference(self, pcm: bytes, sample_rate: int) -> None: ...
    def process_capture(self, pcm: bytes) -> bytes: ...
    # Optional: ``failure`` (a sentence, or None while it works) and ``enabled``; read with getattr.
    def set_enabled(self, enabled: bool) -> None: ...
    def set_noise_suppression(self, enabled: bool) -> None: ...


@dataclass(frozen=True)
class _Gate:
    """Open or close the microphone gate at this point of the stream."""

    open: bool


@dataclass(frozen=True)
class _Talk:
    """The push-to-talk button was pressed or released at this point of the stream."""

    pressed: bool


class LocalAudioTransport(BaseTransport):
    """Microphone + speaker transport. ``on_event`` receives ``AudioLevel`` and device ``ErrorOccurred`` events."""

    def __init__(
        self,
        backend: AudioBackend | None = None,
        *,
        input_device: Device = None,
        output_device: Device = None,
        output_sample_rate: int = 24000,
        output_chunk_ms: int = 20,
        on_event: Callable[[Event], None] | None = None,
        echo_canceller: EchoCancellerLike | None = None,
        listening: bool = False,
        on_ready_changed: Callable[[], None] | None = None,
    ):
        super().__init__(name="LocalAudioTransport")
        self.backend = backend or SoundDeviceBackend()
        self._on_event = on_event
        self._on_ready_changed = on_ready_changed
        self.echo_canceller = echo_canceller
        self._loop: asyncio.AbstractEventLoop | None = None
        self._report_lock = threading.Lock()
        self._reported_cancellers: list[EchoCancellerLike] = []  # identity, not equality: reported once each
        self._reference = PlaybackReference()  # written to the speaker, handed to the canceller as it plays
        self.meter = LevelMeter(self.emit)
        params = TransportParams(
            audio_in_enabled=True,
            audio_in_sample_rate=INPUT_SAMPLE_RATE,
            audio_out_enabled=True,
            audio_out_sample_rate=output_sample_rate,
            audio_out_10ms_chunks=max(1, output_chunk_ms // 10),
            audio_out_end_silence_secs=0,
        )
        self._input = LocalAudioInput(self, params, input_device, listening=listening)
        self._output = LocalAudioOutput(self, params, output_device)

    def input(self) -> LocalAudioInput:
        return self._input

    def output(self) -> LocalAudioOutput:
        return self._output

    @property
    def ready(self) -> bool:
        return self._input.is_open and self._output.is_open

    def emit(self, event: Event) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # a faulty listener must not break the audio path
            logger.exception("Audio event listener failed")

    def streams_changed(self) -> None:
        """A stream opened or closed: lets the session re-evaluate whether it is ready."""
        if self._on_ready_changed is not None:
            try:
                self._on_ready_changed()
            except Exception:  # a faulty listener must not break the audio path
                logger.exception("Audio readiness listener failed")

    def device_error(self, message: str, *, recoverable: bool = True) -> None:
        self.emit(ErrorOccurred(kind=ErrorKind.AUDIO_DEVICE, message=message, recoverable=recoverable))

    # -- echo canceller (audio threads) -------------------------------------------------------------------------

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The engine loop, where reports from the audio threads are delivered."""
        self._loop = loop

    def cancel_echo(self, pcm: bytes) -> bytes:
        """Capture side, on the input callback thread: the block without the speaker's echo.

        The reference the speaker played during the block is handed to the canceller first (see
        :meth:`push_reference`).
        """
        canceller = self.echo_canceller
        pending = self._reference.take(len(pcm) // 2, INPUT_SAMPLE_RATE)
        if canceller is None:
            return pcm
        for reference, sample_rate in pending:
            if not self._feed_reference(canceller, reference, sample_rate):
                break
        try:
            cleaned = canceller.process_capture(pcm)
        except Exception:  # a canceller that does raise: keep the microphone, drop the canceller
            logger.exception("Echo canceller failed on capture; continuing without it")
            self._drop_canceller(canceller, "Echo cancellation stopped working and is switched off.")
            return pcm
        self._check_canceller(canceller)
        return cleaned

    @property
    def needs_continuous_reference(self) -> bool:
        """An echo canceller is at work, so the speaker must never run dry (echo.py says why): the speaker thread
        then keeps a little silence queued while idle. Without one, a reply's first sample goes into an empty device
        buffer and plays at once instead of behind that silence."""
        canceller = self.echo_canceller
        return (
            canceller is not None
            and bool(getattr(canceller, "enabled", True))
            and not getattr(canceller, "failure", None)
        )

    def push_reference(self, pcm: bytes, sample_rate: int, queued_secs: float = 0.0) -> None:
        """Speaker side, on the speaker thread right before ``pcm`` is written behind ``queued_secs`` of audio the
        device has yet to play (its own count): the canceller's reference.

        It is placed on the device's playback timeline here and handed to the canceller on the capture thread, a
        microphone block's worth before each block, as the device plays it (engine/playback_reference.py): so how
        far the reference runs ahead of the echo does not depend on how full the device buffer is, which changes
        when a reply starts into the little silence queued while idle. It also keeps the speaker thread's work per
        write small: feeding the canceller takes two calls into its binding per 10 ms, each of which gives up the
        GIL and has to win it back, and on a busy machine every such wait eats into the time the device can play
        on without the next write.
        """
        if self.echo_canceller is not None:
            self._reference.written(pcm, sample_rate, queued_secs)

    def speaker_restarted(self) -> None:
        """An output stream was opened or closed: the reference's playback timeline starts afresh."""
        self._reference.clear()

    def _feed_reference(self, canceller: EchoCancellerLike, pcm: bytes, sample_rate: int) -> bool:
        """Hand queued reference to the canceller; False when the canceller failed and was dropped."""
        try:
            canceller.push_reference(pcm, sample_rate)
        except Exception:  # playback matters more than echo cancellation
            logger.exception("Echo canceller failed on the reference; continuing without it")
            self._drop_canceller(canceller, "Echo cancellation stopped working and is switched off.")
            return False
        self._check_canceller(canceller)
        return True

    def _check_canceller(self, canceller: EchoCancellerLike) -> None:
        """The canceller never raises: it switches itself off and says why in ``failure``. Report that once."""
        failure = getattr(canceller, "failure", None)
        if failure:
            self._report_canceller_failure(canceller, failure)

    def _drop_canceller(self, canceller: EchoCancellerLike, message: str) -> None:
        if self.echo_canceller is canceller:
            self.echo_canceller = None
        self._report_canceller_failure(canceller, message)

    def _report_canceller_failure(self, canceller: EchoCancellerLike, message: str) -> None:
        with self._report_lock:
            if any(c is canceller for c in self._reported_cancellers):
                return
            self._reported_cancellers.append(canceller)
        event = ErrorOccurred(
            kind=ErrorKind.AUDIO_DEVICE,
            message=f"{message} The assistant may now hear itself: use headphones, or start a new conversation.",
            recoverable=True,
        )
        loop = self._loop
        if loop is None:
            self.emit(event)
            return
        try:
            loop.call_soon_threadsafe(self.emit, event)
        except RuntimeError:  # the loop has closed during shutdown: nobody is left to tell
            logger.debug("Echo canceller failure after the engine loop closed")

    # Called on the engine loop. Gate changes and talk marks take effect in the order they are made,
    # relative to the microphone audio already captured.
    def set_listening(self, listening: bool) -> None:
        """Open or close the microphone gate (closed: the audio is metered but not passed on)."""
        self._input.queue_control(_Gate(listening))

    def mark_talk(self, pressed: bool) -> None:
        """Insert a ``TalkGateFrame`` (push-to-talk press or release) after the audio captured so far."""
        self._input.queue_control(_Talk(pressed))

    @property
    def microphone_open(self) -> bool:
        return self._input.is_open

    def queue_early_audio(self, blocks: list[bytes]) -> None:
        """Put microphone blocks captured before this transport's own microphone opened (see early_microphone.py)
        after the controls queued so far and before anything the microphone captures from now on."""
        for block in blocks:
            self._input.queue_control(block)

    def set_muted(self, muted: bool) -> None:
        self._input.muted = muted

    async def set_input_device(self, device: Device) -> None:
        await self._input.set_device(device)

    async def set_output_device(self, device: Device) -> None:
        await self._output.set_device(device)


class LocalAudioInput(BaseInputTransport):
    def __init__(self, transport: LocalAudioTransport, params: TransportParams, device: Device, *, listening: bool):
        super().__init__(params, name="LocalAudioInput")
        self._transport = transport
        self._device = device  # what the user chose
        self._stream: InputStream | None = None
        self._queue: asyncio.Queue[bytes | _Gate | _Talk] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pump_task: asyncio.Task | None = None
        self._retry_task: asyncio.Task | None = None
        self._generation = 0  # blocks from a stream that has since been replaced are ignored
        self._open_name = ""  # the open device, as messages name it (kept: a vanished device can't be looked up)
        self._gate_open = listening
        self.muted = False

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    def queue_control(self, item: bytes | _Gate | _Talk) -> None:
        self._queue.put_nowait(item)

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        self._loop = asyncio.get_running_loop()
        self._transport.bind_loop(self._loop)
        await self.set_transport_ready(frame)
        if not self._pump_task:
            self._pump_task = self.create_task(self._pump(), "LocalAudioInput::pump")
        await self._open(self._device, fall_back=True)

    async def stop(self, frame: EndFrame) -> None:
        await super().stop(frame)
        await self._shutdown()

    async def cancel(self, frame: CancelFrame) -> None:
        await super().cancel(frame)
        await self._shutdown()

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._shutdown()

    async def set_device(self, device: Device) -> None:
        self._device = device
        if self._loop is None:  # not started yet: the stream opens on start
            return
        await self._close_stream()
        await self._open(device, fall_back=True)

    async def _shutdown(self) -> None:
        for task in (self._retry_task, self._pump_task):
            if task:
                await self.cancel_task(task)
        self._retry_task = self._pump_task = None
        await self._close_stream()

    # -- stream management (engine loop) ------------------------------------------------------------------------

    async def _open(self, device: Device, *, fall_back: bool) -> bool:
        try:
            await self._open_stream(device)
            return True
        except AudioDeviceError as exc:
            if device is not None and fall_back:
                self._transport.device_error(f"{exc} Using the default microphone instead.")
                return await self._open(None, fall_back=False)
            self._transport.device_error(f"{exc} The assistant keeps trying to reach a microphone.")
            self._schedule_retry()
            return False

    async def _open_stream(self, device: Device) -> None:
        self._generation += 1
        generation = self._generation
        loop = self._loop
        assert loop is not None

        def on_block(pcm: bytes) -> None:  # backend thread
            if generation != self._generation:
                return
            pcm = self._transport.cancel_echo(pcm)
            try:
                loop.call_soon_threadsafe(self._deliver, generation, pcm)
            except RuntimeError:  # the loop has closed during shutdown
                return

        def on_failure(reason: str) -> None:  # backend thread
            try:
                loop.call_soon_threadsafe(self._on_stream_failure, generation, reason)
            except RuntimeError:
                return

        backend = self._transport.backend
        name = await loop.run_in_executor(None, lambda: backend.describe(device, output=False))
        stream = await loop.run_in_executor(
            None, backend.open_input, device, INPUT_SAMPLE_RATE, INPUT_BLOCK_FRAMES, on_block, on_failure
        )
        try:
            await loop.run_in_executor(None, stream.start)
        except AudioDeviceError:
            await loop.run_in_executor(None, stream.close)
            raise
        self._stream = stream
        self._open_name = name
        logger.info(f"Microphone open: {name}")
        self._transport.streams_changed()

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        self._generation += 1
        if stream is not None:
            self._transport.streams_changed()
            await asyncio.get_running_loop().run_in_executor(None, stream.close)

    def _deliver(self, generation: int, pcm: bytes) -> None:
        if generation == self._generation:
            self._queue.put_nowait(pcm)

    def _on_stream_failure(self, generation: int, reason: str) -> None:
        if generation != self._generation or self._stream is None:
            return
        self.create_task(self._recover(reason), "LocalAudioInput::recover")

    async def _recover(self, reason: str) -> None:
        device = self._device
        name = self._open_name or self._transport.backend.describe(device, output=False)
        logger.warning(f"Microphone {name} failed: {reason}")
        await self._close_stream()
        if device is not None:
            self._transport.device_error(f"The microphone {name} stopped working. Switched to the default microphone.")
            if await self._open(None, fall_back=False):
                return
        else:
            self._transport.device_error(
                "The default microphone stopped working. The assistant keeps trying to reach it."
            )
            self._schedule_retry()

    def _schedule_retry(self) -> None:
        if self._retry_task is None or self._retry_task.done():
            self._retry_task = self.create_task(self._retry(), "LocalAudioInput::retry")

    async def _retry(self) -> None:
        while self._stream is None:
            await asyncio.sleep(RETRY_SECS)
            for device in dict.fromkeys((self._device, None)):
                try:
                    await self._open_stream(device)
                    return
                except AudioDeviceError as exc:
                    logger.debug(f"Microphone still unavailable: {exc}")

    # -- audio path (engine loop) -------------------------------------------------------------------------------

    async def _pump(self) -> None:
        """Pass microphone blocks and gate changes downstream, in the order they happened."""
        while True:
            try:
                # A timeout scope, not wait_for: that wraps each get in a task of its own, 50 times a second.
                async with asyncio.timeout(INPUT_STALL_SECS):
                    item = await self._queue.get()
            except TimeoutError:
                if self._stream is not None:
                    self._on_stream_failure(self._generation, "no audio for a second")
                continue
            if isinstance(item, _Gate):
                self._gate_open = item.open
                continue
            if isinstance(item, _Talk):
                await self.push_frame(TalkGateFrame(open=item.pressed))
                continue
            pcm = item
            self._transport.meter.microphone(0.0 if self.muted else pcm_level(pcm))
            if self._gate_open and not self.muted:
                await self.push_frame(InputAudioRawFrame(audio=pcm, sample_rate=INPUT_SAMPLE_RATE, num_channels=1))


class LocalAudioOutput(BaseOutputTransport):
    def __init__(self, transport: LocalAudioTransport, params: TransportParams, device: Device):
        super().__init__(params, name="LocalAudioOutput")
        self._transport = transport
        self._device = device
        self._stream: OutputStream | None = None
        # One thread owns the stream: open, write and close never overlap, and it fills idle time with silence.
        self._jobs: queue.SimpleQueue[_Job | _Chunk | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._speaker_loop, name="speaker", daemon=True)
        self._thread_started = False
        self._reserve = _Reserve()
        self._room = asyncio.Event()  # set (on the engine loop) when the speaker thread takes queued reply audio
        self._room_wanted = False  # the engine loop is waiting for room in the reserve
        self._interrupting = False  # an interruption is being handled: interruptible audio is turned away
        self._idle_fill = False  # write silence while idle: only on a stream whose writes have not failed
        self._write_failed = False  # a write failed: reply audio is dropped until a stream is opened again
        self._idle_low_water = IDLE_LOW_WATER_SECS  # see IDLE_LOW_WATER_SECS; raised after a late wake-up
        self._kept_fed = False  # the last write was made to keep the device from running dry (a canceller at work)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry_task: asyncio.Task | None = None
        self._recovering = False
        self._closed = False
        self._open_name = ""
        self.scheduling = "not started"  # what the speaker thread got from the OS: see _raise_priority

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        self._loop = asyncio.get_running_loop()
        await self._open(self._device, fall_back=True)
        await self.set_transport_ready(frame)

    async def stop(self, frame: EndFrame) -> None:
        await super().stop(frame)
        await self._shutdown()

    async def cancel(self, frame: CancelFrame) -> None:
        await super().cancel(frame)
        await self._shutdown()

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._shutdown()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if not isinstance(frame, InterruptionFrame):
            await super().process_frame(frame, direction)
            return
        # The reply audio already handed over must not play on, and until Pipecat has emptied its own queue (in
        # the call below) a chunk it still hands over would start the voice again: those are turned away.
        self._interrupting = True
        self._reserve.drop(interruptible_only=True)
        self._room.set()
        try:
            await super().process_frame(frame, direction)
        finally:
            self._interrupting = False

    async def set_device(self, device: Device) -> None:
        self._device = device
        if self._closed or self.sample_rate == 0:  # not started yet: the stream opens on start
            return
        await self._run(self._close_stream)
        await self._open(device, fall_back=True)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        """Hand a chunk to the speaker thread; returns once the reserve ahead of the device has room again."""
        if self._interrupting and frame.interruptible:
            return False
        if self._stream is None or self._write_failed:
            # No speaker: keep real-time pacing so turn timing stays the same, and drop the audio.
            await asyncio.sleep(len(frame.audio) / 2 / max(1, self.sample_rate))
            return False
        self._transport.meter.output(pcm_level(frame.audio))
        self._start_thread()
        chunk = _Chunk(frame.audio, len(frame.audio) / 2 / self.sample_rate, frame.interruptible)
        self._reserve.add(chunk)
        self._jobs.put(chunk)
        while self._reserve.secs > RESERVE_SECS and not self._closed:
            self._room.clear()
            self._room_wanted = True
            try:
                if self._reserve.secs > RESERVE_SECS:  # the speaker thread may have taken some meanwhile
                    await self._room.wait()
            finally:
                self._room_wanted = False
        return True

    # -- speaker-thread operations --------------------------------------------------------------------------

    def _speaker_loop(self) -> None:
        """Run jobs and write reply chunks in order; while there is none, a stream is open and an echo canceller
        needs a continuous reference, keep the device fed with silence.

        After a reply's chunk the next one is normally queued already (the reserve), but the engine loop may have
        fallen behind: it gets as long as the device can play on without it (down to the low-water mark) before
        silence goes in. Silence, too, goes in only at the low-water mark, so an idle device holds little: the first
        chunk of the next reply is written as soon as it arrives and plays after at most the mark plus one silent
        chunk, while the device (and so the canceller's reference) never stops.
        """
        self.scheduling = _raise_priority()
        logger.debug(f"Speaker thread scheduling: {self.scheduling}")
        carried: list[_Job | _Chunk | None] = []  # taken from the queue while gathering a write, not yet run
        while True:
            job: _Job | _Chunk | None
            if carried:
                job = carried.pop()
            elif self._idle_fill and self._stream is not None and self._transport.needs_continuous_reference:
                grace = self._buffered_secs() - self._idle_low_water
                try:
                    job = self._jobs.get(timeout=grace) if grace > 0 else self._jobs.get_nowait()
                except queue.Empty:
                    self._write_silence()
                    continue
            else:
                job = self._jobs.get()
            if job is None:
                return
            if isinstance(job, _Chunk):
                carried.extend(self._write_reply(job))
            else:
                job.run()

    def _write_reply(self, first: _Chunk) -> list[_Job | _Chunk | None]:
        """Write ``first`` and the reply chunks queued right behind it (up to :data:`MAX_WRITE_SECS`) as one write,
        skipping dropped ones. Returns what was taken from the queue beyond them (nothing, or the one item that
        ended the gathering), to be run next."""
        pcm: list[bytes] = []
        secs = 0.0
        item: _Job | _Chunk | None = first
        carried: list[_Job | _Chunk | None] = []
        while True:
            assert isinstance(item, _Chunk)
            if self._reserve.take(item):
                pcm.append(item.pcm)
                secs += item.secs
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if not isinstance(item, _Chunk) or (pcm and secs + item.secs > MAX_WRITE_SECS + 1e-6):
                carried.append(item)
                break
        if self._room_wanted and self._loop is not None:
            self._call_loop(self._room.set)
        if not pcm or self._write_failed:
            return carried
        try:
            self._write(pcm[0] if len(pcm) == 1 else b"".join(pcm))
        except AudioDeviceError as exc:
            self._write_failure(str(exc))
        return carried

    def _buffered_secs(self) -> float:
        """How much written audio the open device has yet to take, by its own count: a clock estimate drifts from a
        sound card's clock, and a card faster than the estimate would run dry at the low-water mark."""
        stream = self._stream
        return stream.queued_secs() if stream is not None else 0.0

    def _write(self, pcm: bytes) -> None:
        stream = self._stream
        if stream is not None:
            # Right before the write, on this thread, with the device's count of what it still has to play: that
            # places the audio on the playback timeline the canceller's reference is handed over by.
            self._transport.push_reference(pcm, self.sample_rate, stream.queued_secs())
            continuous = self._idle_fill and self._transport.needs_continuous_reference
            ran_dry = stream.write(pcm)
            if continuous and self._kept_fed and ran_dry:
                self._ran_dry()
            self._kept_fed = continuous

    def _ran_dry(self) -> None:
        """The device ran out of audio while kept fed (the thread woke too late): wake up earlier from now on."""
        raised = min(IDLE_LOW_WATER_MAX_SECS, self._idle_low_water + IDLE_LOW_WATER_STEP_SECS)
        logger.debug(f"Speaker ran dry; idle low-water mark now {raised * 1000:.0f} ms")
        self._idle_low_water = raised

    def _write_silence(self) -> None:
        silence = bytes(2 * max(1, round(self.sample_rate * IDLE_CHUNK_SECS)))
        try:
            self._write(silence)
        except AudioDeviceError as exc:
            self._write_failure(str(exc))

    def _write_failure(self, reason: str) -> None:
        """A write failed: stop writing (reply audio and silence) until the engine loop has recovered the device."""
        self._write_failed = True
        self._idle_fill = False
        self._reserve.drop(interruptible_only=False)
        if not self._closed:
            self._call_loop(self._recover_soon, reason)
        self._call_loop(self._room.set)

    def _call_loop(self, callback: Callable[..., object], *args: object) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop has closed during shutdown
            logger.debug("Speaker event after the engine loop closed")

    def _recover_soon(self, reason: str) -> None:  # engine loop
        if not self._closed:
            self.create_task(self._recover(reason), "LocalAudioOutput::recover")

    def _open_stream(self, device: Device) -> None:
        backend = self._transport.backend
        name = backend.describe(device, output=True)
        stream = backend.open_output(device, self.sample_rate)
        try:
            stream.start()
        except AudioDeviceError:
            stream.close()
            raise
        self._stream = stream
        self._open_name = name
        self._write_failed = False
        self._idle_fill = True
        self._kept_fed = False
        self._transport.speaker_restarted()

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        self._idle_fill = False
        if stream is not None:
            stream.close()
            self._transport.speaker_restarted()

    def idle_fill_changed(self) -> None:
        """The echo canceller was switched on or off: wake the speaker thread so it starts or stops filling in."""
        if self._thread_started and not self._closed:
            self._jobs.put(_Job(lambda: None, ()))

    def _start_thread(self) -> None:
        if not self._thread_started:
            self._thread_started = True
            self._thread.start()

    async def _run(self, fn: Callable[..., Any], *args: object) -> Any:
        """Run ``fn`` on the speaker thread, after what is queued there; returns its result."""
        self._start_thread()
        job = _Job(fn, args)
        self._jobs.put(job)
        return await asyncio.wrap_future(job.future)

    # -- recovery (engine loop) -----------------------------------------------------------------------------

    async def _open(self, device: Device, *, fall_back: bool) -> bool:
        try:
            await self._run(self._open_stream, device)
            logger.info(f"Speaker open: {self._open_name}")
            self._transport.streams_changed()
            return True
        except AudioDeviceError as exc:
            if device is not None and fall_back:
                self._transport.device_error(f"{exc} Using the default speaker instead.")
                return await self._open(None, fall_back=False)
            self._transport.device_error(f"{exc} The assistant keeps trying to reach a speaker.")
            self._schedule_retry()
            return False

    async def _recover(self, reason: str) -> None:
        if self._recovering:  # the idle writer and a reply's write can both see the same failure
            return
        self._recovering = True
        try:
            await self._recover_device(reason)
        finally:
            self._recovering = False

    async def _recover_device(self, reason: str) -> None:
        device = self._device
        name = self._open_name or self._transport.backend.describe(device, output=True)
        logger.warning(f"Speaker {name} failed: {reason}")
        await self._run(self._close_stream)
        self._transport.streams_changed()
        if device is not None:
            self._transport.device_error(f"The speaker {name} stopped working. Switched to the default speaker.")
            await self._open(None, fall_back=False)
        else:
            self._transport.device_error("The default speaker stopped working. The assistant keeps trying to reach it.")
            self._schedule_retry()

    def _schedule_retry(self) -> None:
        if not self._closed and (self._retry_task is None or self._retry_task.done()):
            self._retry_task = self.create_task(self._retry(), "LocalAudioOutput::retry")

    async def _retry(self) -> None:
        while self._stream is None and not self._closed:
            await asyncio.sleep(RETRY_SECS)
            for device in dict.fromkeys((self._device, None)):
                try:
                    await self._run(self._open_stream, device)
                    self._transport.streams_changed()
                    return
                except AudioDeviceError as exc:
                    logger.debug(f"Speaker still unavailable: {exc}")

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._reserve.drop(interruptible_only=False)
        self._room.set()
        if self._retry_task:
            await self.cancel_task(self._retry_task)
            self._retry_task = None
        # Close on the stream's own thread after any running write, then retire the thread.
        await self._run(self._close_stream)
        self._jobs.put(None)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)


def _raise_priority() -> str:
    """Ask the OS to run the calling thread (the speaker's) ahead of ordinary work, so a busy machine does not keep
    it from the device for longer than the device can play on: real-time scheduling where permitted, else a better
    nice value (per thread on Linux), else nothing. Returns which, for the logs and the benchmark.

    Real-time is what helps on a busy desktop: Linux shares ordinary CPU time between sessions (or apps) before
    threads, so a nice value only counts within the app's own share, while a real-time thread runs as soon as it
    wakes. The thread spends nearly all its time blocked in the device's write, so it takes little from others.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(SPEAKER_RT_PRIORITY))
        return "real-time"
    except (AttributeError, OSError):  # not Linux, or not permitted (the usual case for a desktop user)
        pass
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SPEAKER_NICE)
        return f"nice {SPEAKER_NICE}"
    except (AttributeError, OSError):
        return "normal"


class _Chunk:
    """Reply audio handed to the speaker thread; ``dropped`` once an interruption (or a failure) discards it."""

    __slots__ = ("dropped", "interruptible", "pcm", "secs")

    def __init__(self, pcm: bytes, secs: float, interruptible: bool):
        self.pcm = pcm
        self.secs = secs
        self.interruptible = interruptible
        self.dropped = False


class _Reserve:
    """The reply chunks handed to the speaker thread and not yet written, in order; safe from both threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chunks: collections.deque[_Chunk] = collections.deque()
        self._secs = 0.0

    @property
    def secs(self) -> float:
        """Seconds of audio waiting."""
        return self._secs

    def add(self, chunk: _Chunk) -> None:
        with self._lock:
            self._chunks.append(chunk)
            self._secs += chunk.secs

    def take(self, chunk: _Chunk) -> bool:
        """The speaker thread is about to write ``chunk`` (the oldest one waiting): False if it was dropped."""
        with self._lock:
            if chunk.dropped:
                return False
            if self._chunks and self._chunks[0] is chunk:
                self._chunks.popleft()
            else:
                self._chunks.remove(chunk)
            self._secs = max(0.0, self._secs - chunk.secs) if self._chunks else 0.0
            return True

    def drop(self, *, interruptible_only: bool) -> None:
        """Discard the waiting chunks (only the interruptible ones, if asked); the rest keep their order."""
        with self._lock:
            kept: collections.deque[_Chunk] = collections.deque()
            for chunk in self._chunks:
                if interruptible_only and not chunk.interruptible:
                    kept.append(chunk)
                else:
                    chunk.dropped = True
            self._chunks = kept
            self._secs = sum(chunk.secs for chunk in kept)


class _Job:
    """A call to run on the speaker thread, with a future for its result."""

    def __init__(self, fn: Callable, args: tuple):
        self.fn = fn
        self.args = args
        self.future: concurrent.futures.Future = concurrent.futures.Future()

    def run(self) -> None:
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            result = self.fn(*self.args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine, which decides
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)
