"""The reference app's audio transport: the minimal local transport a plain Pipecat app writes.

It follows the sounddevice sketch in Pipecat's notes (shared/docs/pipecat-notes.md §2) over the engine's
:class:`~desktop_agent.engine.audio_backend.AudioBackend` interface, so the reference plays through the very same
in-memory device as the app: 20 ms microphone blocks pushed from the device thread with
``run_coroutine_threadsafe``, a ``mic_open`` gate for push-to-talk, Pipecat's default 40 ms output chunks written
with the device's real-time blocking ``write`` on a one-thread executor. Nothing in it is tuned.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from pipecat.frames.frames import CancelFrame, EndFrame, InputAudioRawFrame, OutputAudioRawFrame, StartFrame
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams

from desktop_agent.engine.audio_backend import AudioBackend, InputStream, OutputStream


class ReferenceInput(BaseInputTransport):
    def __init__(self, params: TransportParams, backend: AudioBackend):
        super().__init__(params, name="ReferenceInput")
        self._backend = backend
        self._stream: InputStream | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.mic_open = True

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        self._loop = asyncio.get_running_loop()
        if self._stream is None:
            self._stream = self._backend.open_input(
                None, self.sample_rate, self.sample_rate // 50, self._on_block, self._on_failure
            )
            self._stream.start()
        await self.set_transport_ready(frame)

    def _on_block(self, pcm: bytes) -> None:  # device thread
        if not self.mic_open or self._loop is None:
            return
        frame = InputAudioRawFrame(audio=pcm, sample_rate=self.sample_rate, num_channels=1)
        asyncio.run_coroutine_threadsafe(self.push_audio_frame(frame), self._loop)

    def _on_failure(self, reason: str) -> None:  # device thread; the in-memory device never fails here
        self.mic_open = False

    async def stop(self, frame: EndFrame) -> None:
        await super().stop(frame)
        self._close()

    async def cancel(self, frame: CancelFrame) -> None:
        await super().cancel(frame)
        self._close()

    async def cleanup(self) -> None:
        await super().cleanup()
        self._close()

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()


class ReferenceOutput(BaseOutputTransport):
    def __init__(self, params: TransportParams, backend: AudioBackend):
        super().__init__(params, name="ReferenceOutput")
        self._backend = backend
        self._stream: OutputStream | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="reference-speaker")

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        if self._stream is None:
            self._stream = self._backend.open_output(None, self.sample_rate)
            self._stream.start()
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        if self._stream is None:
            return False
        await asyncio.get_running_loop().run_in_executor(self._executor, self._stream.write, frame.audio)
        return True

    async def stop(self, frame: EndFrame) -> None:
        await super().stop(frame)
        self._close()

    async def cancel(self, frame: CancelFrame) -> None:
        await super().cancel(frame)
        self._close()

    async def cleanup(self) -> None:
        await super().cleanup()
        self._close()

    def _close(self) -> None:
        # Retire the writer thread first: closing a stream under a running write is unsafe on real devices.
        self._executor.shutdown(wait=True)
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()


class ReferenceTransport(BaseTransport):
    def __init__(self, backend: AudioBackend, *, input_sample_rate: int = 16000, output_sample_rate: int = 24000):
        super().__init__(name="ReferenceTransport")
        params = TransportParams(
            audio_in_enabled=True,
            audio_in_sample_rate=input_sample_rate,
            audio_out_enabled=True,
            audio_out_sample_rate=output_sample_rate,
        )
        self._input = ReferenceInput(params, backend)
        self._output = ReferenceOutput(params, backend)

    def input(self) -> ReferenceInput:
        return self._input

    def output(self) -> ReferenceOutput:
        return self._output
