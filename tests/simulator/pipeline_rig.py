"""A minimal Pipecat voice pipeline (Cartesia STT -> user aggregator -> Cerebras LLM -> ElevenLabs TTS) wired to a
simulator, fed with audio frames the way a push-to-talk transport would (pipecat-notes.md §3), recording every frame
that passes each service."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.cartesia.stt import CartesiaSTTService
from pipecat.services.cerebras.llm import CerebrasLLMService
from pipecat.services.elevenlabs.tts import ElevenLabsTTSService
from pipecat.turns.user_start import ExternalUserTurnStartStrategy
from pipecat.turns.user_stop import ExternalUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.workers.runner import WorkerRunner

from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator

FRAME_BYTES = 640  # 20 ms at 16 kHz


@dataclass
class Seen:
    at: float
    where: str
    frame: Frame


class Tap(FrameProcessor):
    """Passes every frame on, noting it (downstream frames only, errors in both directions)."""

    def __init__(self, where: str, log: list[Seen]) -> None:
        super().__init__(name=f"tap-{where}")
        self._where, self._log = where, log

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        self._log.append(Seen(time.monotonic(), self._where, frame))
        await self.push_frame(frame, direction)


@dataclass
class VoiceRig:
    """``async with VoiceRig(sim) as rig``; ``keys`` overrides the API keys, ``wait_connected=False`` skips waiting
    for both websockets (for tests where a connection is meant to fail), ``model`` is the Cerebras model and ``voice``
    the ElevenLabs voice."""

    sim: Simulator
    keys: dict[str, str] = field(default_factory=dict)
    wait_connected: bool = True
    model: str = "gpt-oss-120b"
    voice: str = "emu-voice-1"
    seen: list[Seen] = field(default_factory=list)

    def frames(self, kind: type, where: str | None = None) -> list:
        return [s.frame for s in self.seen if isinstance(s.frame, kind) and (where is None or s.where == where)]

    async def __aenter__(self) -> VoiceRig:
        keys = {**SIMULATOR_API_KEYS, **self.keys}
        self.stt = CartesiaSTTService(api_key=keys["cartesia"], base_url=self.sim.cartesia_url,
                                      settings=CartesiaSTTService.Settings(model="ink-whisper", language="en"))
        self.llm = CerebrasLLMService(api_key=keys["cerebras"], base_url=self.sim.cerebras_url,
                                      settings=CerebrasLLMService.Settings(
                                          model=self.model, system_instruction="You are a test assistant."))
        self.tts = ElevenLabsTTSService(api_key=keys["elevenlabs"], url=self.sim.elevenlabs_url,
                                        settings=ElevenLabsTTSService.Settings(voice=self.voice,
                                                                               model="eleven_flash_v2_5"))
        context = LLMContext()
        pair = LLMContextAggregatorPair(context, user_params=LLMUserAggregatorParams(
            user_turn_strategies=UserTurnStrategies(start=[ExternalUserTurnStartStrategy()],
                                                    stop=[ExternalUserTurnStopStrategy(timeout=0.1)])))
        self.context = context
        pipeline = Pipeline([Tap("source", self.seen), self.stt, Tap("stt", self.seen), pair.user(), self.llm,
                             Tap("llm", self.seen), self.tts, Tap("tts", self.seen), pair.assistant()])
        self.worker = PipelineWorker(pipeline, params=PipelineParams(audio_in_sample_rate=16000,
                                                                     audio_out_sample_rate=24000),
                                     idle_timeout_secs=None, enable_rtvi=False)
        self.runner = WorkerRunner(handle_sigint=False)
        await self.runner.add_workers(self.worker)
        self.run_task = asyncio.ensure_future(self.runner.run())
        if self.wait_connected:
            await self.sim.wait_for(lambda: self.sim.stt_connections() and self.sim.tts_connections(), timeout=10)
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.worker.cancel(reason="test over")
        await asyncio.wait_for(self.run_task, 10)

    async def speak(self, samples: np.ndarray, trailing_silence_s: float = 0.3) -> None:
        """One push-to-talk utterance: press, the audio in 20 ms frames, release."""
        await self.worker.queue_frame(VADUserStartedSpeakingFrame())
        await self.worker.queue_frame(ProposedUserStartedSpeakingFrame())
        pcm = samples.astype("<i2").tobytes() + bytes(int(16000 * trailing_silence_s) * 2)
        for i in range(0, len(pcm), FRAME_BYTES):
            await self.worker.queue_frame(InputAudioRawFrame(audio=pcm[i:i + FRAME_BYTES], sample_rate=16000,
                                                             num_channels=1))
        await self.worker.queue_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2, timestamp=time.time()))
        await self.worker.queue_frame(ProposedUserStoppedSpeakingFrame())
