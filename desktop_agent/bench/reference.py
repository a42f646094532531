"""The reference: a plain Pipecat voice app wired the way Pipecat's documentation shows, for the app to beat.

Same three services as the app (the providers the run chose, Cartesia STT, Cerebras LLM and ElevenLabs TTS by default;
built through the same provider specs, as plain Pipecat: bench/reference_services.py) with the same models, voice and
prompt, the same simulator and the same in-memory audio device, and nothing tuned:

* hands-free: ``LLMContextAggregatorPair`` with ``LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer())`` and
  the default ``UserTurnStrategies`` (VAD/transcription start, smart-turn v3 stop);
* push-to-talk: ``ExternalUserTurnStartStrategy`` / ``ExternalUserTurnStopStrategy`` with their default timeout;
  press and release queue the frames Pipecat's external strategies resolve (VAD started/stopped so the STT
  finalizes, then the proposed turn start/stop) and gate the microphone in the transport;
* ``PipelineWorker`` defaults (RTVI included), except no idle timeout, so a long benchmark is not cancelled.

It runs on its own thread and event loop, as the app's engine does, so neither side has a threading advantage.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from desktop_agent.bench.threaded_agent import ThreadedAgent
from desktop_agent.engine.audio_backend import AudioBackend
from desktop_agent.engine.config import EngineConfig
from desktop_agent.state.events import TurnMode

if TYPE_CHECKING:  # Pipecat loads on the engine thread only (see _main), as the app's engine does
    from pipecat.pipeline.worker import PipelineWorker
    from pipecat.workers.runner import WorkerRunner

    from desktop_agent.bench.reference_transport import ReferenceTransport

DESCRIPTION = {
    # Filled in with the services' classes by describe(): they depend on the providers chosen.
    "pipeline": "transport.input, {stt}, LLMUserAggregator, {llm}, {tts}, transport.output, LLMAssistantAggregator",
    "hands_free": "LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer()), default UserTurnStrategies",
    "push_to_talk": "UserTurnStrategies(start=[ExternalUserTurnStartStrategy()], "
    "stop=[ExternalUserTurnStopStrategy()]) (default timeout 0.5 s)",
    "transport": "minimal Pipecat transport over the same in-memory device (bench/reference_transport.py: "
    "20 ms input blocks, default 40 ms output chunks), not the engine's transport",
    "worker": "PipelineWorker defaults (RTVI on), idle_timeout_secs=None",
}


def describe(services: dict[str, str] | None) -> dict:
    """:data:`DESCRIPTION` with the classes of the services a reference phase ran (``{"stt": "CartesiaSTTService",
    ...}``, from the phase's ``"services"``); the pipeline is left unnamed without them."""
    described = dict(DESCRIPTION)
    if services:
        described["pipeline"] = DESCRIPTION["pipeline"].format(**services)
    else:
        described.pop("pipeline")
    return described


class ReferenceAgent(ThreadedAgent):
    """A plain Pipecat pipeline in one turn mode, on its own thread."""

    name = "reference"
    thread_name = "reference-pipeline"
    what = "the reference pipeline"

    def __init__(self, config: EngineConfig, backend: AudioBackend, mode: TurnMode):
        super().__init__()
        self._config = config
        self._backend = backend
        self.mode = mode
        self._worker: PipelineWorker | None = None
        self._runner: WorkerRunner | None = None
        self._transport: ReferenceTransport | None = None

    def stop(self, timeout: float = 10.0) -> None:
        if self.loop is None or self._thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._cancel(), self.loop)
        try:
            future.result(timeout)
        finally:
            self._thread.join(timeout)

    # -- engine thread ------------------------------------------------------------------------------------------

    async def _main(self) -> None:
        from pipecat.workers.runner import WorkerRunner

        worker, self._transport = self._build()
        self._worker = worker

        @worker.event_handler("on_pipeline_started")
        async def _started(worker: PipelineWorker, frame: object) -> None:
            self._ready.set()

        runner = self._runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        await runner.run()

    def _running(self) -> tuple[PipelineWorker, ReferenceTransport]:
        """The worker and transport; press and release come only after start() saw the pipeline start."""
        if self._worker is None or self._transport is None:
            raise RuntimeError("the reference pipeline has not started")
        return self._worker, self._transport

    def _build(self) -> tuple[PipelineWorker, ReferenceTransport]:
        from pipecat.audio.vad.silero import SileroVADAnalyzer
        from pipecat.pipeline.pipeline import Pipeline
        from pipecat.pipeline.worker import PipelineParams, PipelineWorker
        from pipecat.processors.aggregators.llm_context import LLMContext
        from pipecat.processors.aggregators.llm_response_universal import (
            LLMContextAggregatorPair,
            LLMUserAggregatorParams,
        )
        from pipecat.turns.user_start import ExternalUserTurnStartStrategy
        from pipecat.turns.user_stop import ExternalUserTurnStopStrategy
        from pipecat.turns.user_turn_strategies import UserTurnStrategies

        from desktop_agent.bench.reference_services import reference_services
        from desktop_agent.bench.reference_transport import ReferenceTransport

        config = self._config
        transport = ReferenceTransport(self._backend, output_sample_rate=config.output_sample_rate)
        stt, llm, tts = reference_services(config)
        self.services = {"stt": type(stt).__name__, "llm": type(llm).__name__, "tts": type(tts).__name__}
        if self.mode is TurnMode.PUSH_TO_TALK:
            user_params = LLMUserAggregatorParams(
                user_turn_strategies=UserTurnStrategies(
                    start=[ExternalUserTurnStartStrategy()], stop=[ExternalUserTurnStopStrategy()]
                )
            )
            transport.input().mic_open = False
        else:
            user_params = LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer())
        user_aggregator, assistant_aggregator = LLMContextAggregatorPair(LLMContext(), user_params=user_params)
        pipeline = Pipeline(
            [
                transport.input(),
                stt,
                user_aggregator,
                llm,
                tts,
                transport.output(),
                assistant_aggregator,
            ]
        )
        worker = PipelineWorker(
            pipeline,
            params=PipelineParams(
                audio_in_sample_rate=16000,
                audio_out_sample_rate=config.output_sample_rate,
                enable_metrics=True,
                enable_usage_metrics=True,
            ),
            idle_timeout_secs=None,
        )
        return worker, transport

    async def _press(self) -> None:
        from pipecat.frames.frames import ProposedUserStartedSpeakingFrame, VADUserStartedSpeakingFrame

        worker, transport = self._running()
        transport.input().mic_open = True
        await worker.queue_frames([VADUserStartedSpeakingFrame(), ProposedUserStartedSpeakingFrame()])

    async def _release(self) -> None:
        from pipecat.frames.frames import ProposedUserStoppedSpeakingFrame, VADUserStoppedSpeakingFrame

        worker, transport = self._running()
        transport.input().mic_open = False
        await worker.queue_frames(
            [
                VADUserStoppedSpeakingFrame(stop_secs=0.001, timestamp=time.time()),
                ProposedUserStoppedSpeakingFrame(),
            ]
        )

    async def _cancel(self) -> None:
        if self._worker is not None:
            await self._worker.cancel(reason="benchmark finished")
