"""The second reference: LiveKit Agents (1.8) wired as its documentation shows, for the app to beat as well.

An ``AgentSession`` with no room (shared/docs/speculation-and-livekit.md §B): LiveKit's own Cartesia STT, OpenAI LLM
(pointed at the Cerebras emulator, as ``openai.LLM.with_cerebras``), ElevenLabs TTS and Silero VAD plugins, built with
the same keys, models, voice and (no) prompt as the plain Pipecat reference, everything else left at LiveKit's
defaults (the ElevenLabs plugin's MP3 output among them). Its microphone and speaker are the same in-memory device as
the app's and the Pipecat reference's, through a custom ``io.AudioInput`` (20 ms blocks, as the device delivers them)
and ``io.AudioOutput`` (the device's real-time blocking writes on a one-thread executor).

* hands-free: ``turn_detection="vad"`` (no turn-detector model is installed) with LiveKit's default endpointing;
* push-to-talk: ``turn_detection="manual"``, as LiveKit's push-to-talk example does it: the press clears the user
  turn and enables the session's audio input, the release disables it and calls ``commit_user_turn()`` (the Cartesia
  plugin with ink-whisper cannot flush, so LiveKit pushes silence for the server to finalize after);
* preemptive generation, LiveKit's own take on speculation, in three variants (:data:`VARIANTS`): off; on (LiveKit's
  default: the LLM starts on each final transcript before the turn is confirmed, the reply adopted if the
  transcript holds); on with ``preemptive_tts`` (the TTS starts early too).

It runs on its own thread and event loop, as the app's engine and the Pipecat reference do. Installed with the
``bench`` extra only (``pip install -e '.[test,bench]'``): :func:`missing` says so when it is not.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import time
from typing import Any

from desktop_agent.bench.threaded_agent import ThreadedAgent
from desktop_agent.engine.audio_backend import AudioBackend, OutputStream
from desktop_agent.engine.config import EngineConfig
from desktop_agent.state.events import TurnMode

#: Preemptive generation variant -> LiveKit's ``turn_handling["preemptive_generation"]``.
VARIANTS: dict[str, dict[str, bool]] = {
    "off": {"enabled": False},
    "on": {"enabled": True, "preemptive_tts": False},
    "on_tts": {"enabled": True, "preemptive_tts": True},
}
#: The providers LiveKit's plugins are wired for here (role -> provider id).
PROVIDERS = {"stt": "cartesia", "llm": "cerebras", "tts": "elevenlabs"}
INSTALL_HINT = "pip install -e '.[test,bench]'"
INPUT_RATE = 16000


def missing() -> str | None:
    """None when LiveKit Agents and its plugins are installed, else one line on how to install them."""
    plugins = ("cartesia", "openai", "elevenlabs", "silero")
    modules = ("livekit.agents", *(f"livekit.plugins.{name}" for name in plugins))
    try:
        absent = [name for name in modules if importlib.util.find_spec(name) is None]
    except ModuleNotFoundError:  # the ``livekit`` namespace itself is missing
        absent = list(modules)
    if not absent:
        return None
    return f"LiveKit Agents is not installed, so it is not measured ({INSTALL_HINT} adds it)"


def unsupported_providers(providers: dict[str, str]) -> str | None:
    """Why the run's providers (role -> id) cannot be given to LiveKit here, None when they are its defaults."""
    other = {role: provider for role, provider in providers.items() if PROVIDERS.get(role) != provider}
    if not other:
        return None
    chosen = ", ".join(f"{role} {provider}" for role, provider in sorted(other.items()))
    return f"LiveKit Agents is measured with Cartesia, Cerebras and ElevenLabs only (this run chose {chosen})"


def describe(variant: str) -> dict:
    return {
        "plugins": "livekit-plugins-cartesia STT, -openai LLM (with_cerebras), -elevenlabs TTS (default mp3_22050_32 "
        "websocket), -silero VAD",
        "hands_free": "turn_handling turn_detection='vad', interruption mode 'vad', default endpointing",
        "push_to_talk": "turn_detection='manual'; clear_user_turn() at press, commit_user_turn() at release",
        "preemptive_generation": VARIANTS[variant],
        "io": "custom io.AudioInput / io.AudioOutput over the same in-memory device, no room",
    }


def _http(url: str) -> str:
    """LiveKit's plugins take http(s) base URLs and derive their websocket addresses from them."""
    return "http" + url[2:] if url.startswith("ws") else url


class LiveKitAgent(ThreadedAgent):
    """A LiveKit ``AgentSession`` in one turn mode and preemptive variant, on its own thread."""

    name = "livekit"
    thread_name = "livekit-session"
    what = "the LiveKit session"

    def __init__(self, config: EngineConfig, backend: AudioBackend, mode: TurnMode, variant: str):
        if variant not in VARIANTS:
            raise ValueError(f"unknown preemptive generation variant {variant!r}; one of {', '.join(VARIANTS)}")
        super().__init__()
        self._config = config
        self._backend = backend
        self.mode = mode
        self.variant = variant
        self._stopping: asyncio.Event | None = None
        self._session: Any = None
        self._microphone: Any = None
        self._speaker: Any = None
        self._plugins: list[Any] = []

    def start(self, timeout: float = 60.0) -> None:
        # LiveKit's plugins register themselves when imported, which they allow on the main thread only.
        from livekit.plugins import cartesia, elevenlabs, openai, silero  # noqa: F401

        super().start(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        if self.loop is None or self._thread is None or self._stopping is None:
            return
        self.loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout)

    # -- session thread -----------------------------------------------------------------------------------------

    async def _main(self) -> None:
        from livekit.agents import Agent
        from livekit.agents.utils import http_context

        self._stopping = asyncio.Event()
        # Outside LiveKit's worker the plugins' HTTP session comes from this context (as LiveKit's error says).
        async with http_context.open():
            session = self._session = self._build()
            try:
                await session.start(Agent(instructions=""))
                if self.mode is TurnMode.PUSH_TO_TALK:
                    session.input.set_audio_enabled(False)
                self._ready.set()
                await self._stopping.wait()
            finally:
                await session.aclose()
                for plugin in self._plugins:  # the session leaves its plugins' connections open
                    await plugin.aclose()
                self._microphone.close()
                await self._speaker.close()

    def _build(self) -> Any:
        from livekit.agents import AgentSession
        from livekit.plugins import cartesia, elevenlabs, openai, silero

        config = self._config
        stt = cartesia.STT(
            model=config.stt_model,
            api_key=config.stt.api_key,
            base_url=_http(config.stt.base_url),
            language=config.stt_language,
        )
        llm = openai.LLM.with_cerebras(model=config.llm_model, api_key=config.llm.api_key, base_url=config.llm.base_url)
        tts = elevenlabs.TTS(
            voice_id=config.voice_id,
            model=config.tts_model,
            api_key=config.tts.api_key,
            base_url=_http(config.tts.base_url) + "/v1",
        )
        self._plugins = [stt, llm, tts]
        self.services = {"stt": type(stt).__module__, "llm": type(llm).__module__, "tts": type(tts).__module__}
        manual = self.mode is TurnMode.PUSH_TO_TALK
        turn_handling: Any = {  # LiveKit's TurnHandlingOptions
            "turn_detection": "manual" if manual else "vad",
            "interruption": {"mode": "vad"},
            "preemptive_generation": VARIANTS[self.variant],
        }
        session: Any = AgentSession(
            vad=silero.VAD.load(),
            stt=stt,
            llm=llm,
            tts=tts,
            aec_warmup_duration=None,
            turn_handling=turn_handling,
        )
        loop = asyncio.get_running_loop()
        self._microphone = _microphone_class()(self._backend, loop, open_=not manual)
        rate = config.output_sample_rate
        self._speaker = _speaker_class()(self._backend.open_output(None, rate), rate, loop)
        session.input.audio = self._microphone
        session.output.audio = self._speaker
        return session

    async def _press(self) -> None:
        self._session.clear_user_turn()
        self._session.input.set_audio_enabled(True)
        self._microphone.open = True

    async def _release(self) -> None:
        self._microphone.open = False
        self._session.input.set_audio_enabled(False)
        self._session.commit_user_turn()


def _microphone_class() -> type:
    """``io.AudioInput`` over the device's microphone: each 20 ms block as a frame, while ``open``."""
    from livekit import rtc
    from livekit.agents.voice import io

    class Microphone(io.AudioInput):
        def __init__(self, backend: AudioBackend, loop: asyncio.AbstractEventLoop, *, open_: bool) -> None:
            super().__init__(label="bench-microphone")
            self.open = open_
            self._loop = loop
            self._blocks: asyncio.Queue[bytes] = asyncio.Queue()
            self._stream = backend.open_input(None, INPUT_RATE, INPUT_RATE // 50, self._on_block, self._on_failure)
            self._stream.start()

        def _on_block(self, pcm: bytes) -> None:  # device thread
            if self.open and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._blocks.put_nowait, pcm)

        def _on_failure(self, reason: str) -> None:  # device thread; the in-memory device never fails here
            self.open = False

        async def __anext__(self) -> rtc.AudioFrame:
            pcm = await self._blocks.get()
            return rtc.AudioFrame(pcm, INPUT_RATE, 1, len(pcm) // 2)

        def close(self) -> None:
            self._stream.close()

    return Microphone


def _speaker_class() -> type:
    """``io.AudioOutput`` over the device's speaker: frames written in order with the device's real-time blocking
    ``write`` on one thread; each segment's start and end told to LiveKit, as a sink must."""
    from livekit import rtc
    from livekit.agents.voice import io

    flush_mark = object()

    class Speaker(io.AudioOutput):
        def __init__(self, stream: OutputStream, sample_rate: int, loop: asyncio.AbstractEventLoop) -> None:
            super().__init__(
                label="bench-speaker", capabilities=io.AudioOutputCapabilities(pause=False), sample_rate=sample_rate
            )
            self._stream = stream
            self._stream.start()
            self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="reference-speaker")
            self._queue: asyncio.Queue[Any] = asyncio.Queue()
            self._played = 0.0  # seconds of the current segment written
            self._segment_open = False  # frames captured whose segment has not been reported finished
            self._writer = loop.create_task(self._write_loop())

        async def capture_frame(self, frame: rtc.AudioFrame) -> None:
            await super().capture_frame(frame)
            self._segment_open = True
            self._queue.put_nowait(frame)

        def flush(self) -> None:
            super().flush()
            self._queue.put_nowait(flush_mark)

        def clear_buffer(self) -> None:
            while not self._queue.empty():
                self._queue.get_nowait()
            if self._segment_open:
                self._finish(interrupted=True)

        def _finish(self, *, interrupted: bool) -> None:
            self._segment_open = False
            played, self._played = self._played, 0.0
            self.on_playback_finished(playback_position=played, interrupted=interrupted)

        async def _write_loop(self) -> None:
            loop = asyncio.get_running_loop()
            while True:
                item = await self._queue.get()
                if item is flush_mark:
                    if self._segment_open:
                        self._finish(interrupted=False)
                    continue
                if self._played == 0.0:
                    self.on_playback_started(created_at=time.time())
                await loop.run_in_executor(self._executor, self._stream.write, bytes(item.data))
                self._played += item.duration

        async def close(self) -> None:
            self._writer.cancel()
            self._executor.shutdown(wait=True)
            self._stream.close()

    return Speaker
