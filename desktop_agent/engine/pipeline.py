"""The voice pipeline, as a function of its transport.

    transport.input ─► TurnInput (VAD / push-to-talk) ─► SpeechKeeper ─► STT ─► user aggregator (turn strategies)
    ─► MicrophoneAudioEnd ─► HistoryWindow ─► LLM ─► [speculative speech entry] ─► TTS ─► [speculative speech hold]
    ─► transport.output ─► assistant aggregator

The two speculative speech processors let a reply started before its turn is confirmed be spoken at once and heard
only once confirmed (engine/speculation.py).

The same pipeline runs on the sounddevice transport, on the in-memory device in tests, or on any Pipecat transport.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.llm_switcher import LLMSwitcher
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.service_switcher import ServiceSwitcher, ServiceSwitcherStrategyManual
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMAssistantAggregator,
    LLMContextAggregatorPair,
    LLMUserAggregator,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.transports.base_transport import BaseTransport

from desktop_agent.engine.audio_end import MicrophoneAudioEnd
from desktop_agent.engine.config import EngineConfig
from desktop_agent.engine.history import HistoryWindow
from desktop_agent.engine.observer_group import ObserverGroup
from desktop_agent.engine.services import Services, build_services
from desktop_agent.engine.speculation import (
    SpeculationCounters,
    SpeculationVeil,
    SpeculativeSpeech,
    track_speculation_without_holding,
)
from desktop_agent.engine.speech_keeper import SpeechKeeper
from desktop_agent.engine.tools import end_conversation_tool
from desktop_agent.engine.turns import LocalSpeechMarks, ModeSwitch, TurnInput, build_turn_strategies
from desktop_agent.engine.worker_observer import leave_out_microphone_frames
from desktop_agent.state.events import Provider, TurnMode

INPUT_SAMPLE_RATE = 16000


@dataclass
class VoicePipeline:
    pipeline: Pipeline
    services: Services
    context: LLMContext
    user_aggregator: LLMUserAggregator
    assistant_aggregator: LLMAssistantAggregator
    switch: ModeSwitch
    turn_input: TurnInput
    keeper: SpeechKeeper
    history: HistoryWindow
    output_sample_rate: int
    #: The language models behind one switch (the chosen one first), when the session has alternatives.
    llm_switcher: LLMSwitcher | None = None
    #: The chosen speech-to-text / text-to-speech and its fallback behind one switch, when a fallback is set.
    stt_switcher: ServiceSwitcher | None = None
    tts_switcher: ServiceSwitcher | None = None
    #: What speculative replies did in this pipeline (engine/speculation.py), for the benchmark.
    speculation: SpeculationCounters = field(default_factory=SpeculationCounters)


def build_pipeline(
    config: EngineConfig,
    transport: BaseTransport,
    *,
    services: Services | None = None,
    on_end_conversation: Callable[[], None] | None = None,
    stt_up: Callable[[], bool] = lambda: True,
    stt_generation: Callable[[], int] = lambda: 0,
    earlier_messages: Sequence[dict] = (),
    tools: Sequence[FunctionSchema] = (),
    confirmation_gate: FrameProcessor | None = None,
) -> VoicePipeline:
    """``stt_up`` and ``stt_generation`` tell the speech keeper whether speech-to-text can take audio now and which
    connection it is on (the session's connection healer); the defaults assume a connection that never drops.
    ``earlier_messages`` is the conversation so far (the language model's messages), for a session that carries one
    on. ``tools`` are offered to the language model beside its own ``end_conversation`` (the user's tools);
    ``confirmation_gate`` reads the user's turns before the language model does (engine/confirmation_gate.py)."""
    services = services or build_services(config)
    switch = ModeSwitch(config.mode)
    # Speech to text that decides turns itself: hands-free takes them from it, the local VAD only marks speech.
    stt_decides_turns = config.spec(Provider.STT).decides_turns
    context = LLMContext(
        messages=[dict(message) for message in earlier_messages],  # type: ignore[misc]
        tools=[end_conversation_tool(on_end_conversation), *tools],
    )
    user_aggregator, assistant_aggregator = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(
            user_turn_strategies=build_turn_strategies(
                switch,
                interruption_min_words=config.interruption_min_words,
                stt_decides_turns=stt_decides_turns,
                # Not while a tool call waits for the user's yes: the gate must read the turn's own transcript.
                may_speculate=lambda: config.speculative_replies and not getattr(confirmation_gate, "waiting", False),
            ),
            # A press-and-release with nothing said (or a barge-in that was only noise) just stops the assistant.
            empty_user_turn=None,
        ),
        realtime_service_mode=False,
    )
    turn_input = TurnInput(switch, vad_confidence=config.vad_confidence, vad_stop_secs=config.vad_stop_secs)
    # Hands-free: speech-to-text hears only what the VAD takes for speech (with a pre-roll and a tail), unless it
    # decides turns itself: then it hears everything, silence included, which is how it tells a turn has ended.
    keeper = SpeechKeeper(
        stt_up=stt_up,
        stt_generation=stt_generation,
        gated=lambda: switch.active is TurnMode.HANDS_FREE and not stt_decides_turns,
    )
    history = HistoryWindow(config.max_history_exchanges)
    llm_switcher = None
    if services.llm_alternatives:
        llm_switcher = LLMSwitcher([services.llm, *services.llm_alternatives.values()], ServiceSwitcherStrategyManual)
    # The session decides when a fallback takes over (engine/speech_failover.py): the manual strategy.
    stt_switcher = tts_switcher = None
    if services.stt_fallback is not None:
        stt_switcher = ServiceSwitcher([services.stt, services.stt_fallback], ServiceSwitcherStrategyManual)
    if services.tts_fallback is not None:
        tts_switcher = ServiceSwitcher([services.tts, services.tts_fallback], ServiceSwitcherStrategyManual)
    for llm in (services.llm, *services.llm_alternatives.values()):
        track_speculation_without_holding(llm)
    speech = SpeculativeSpeech()
    pipeline = Pipeline(
        [
            transport.input(),
            turn_input,
            *([LocalSpeechMarks(switch)] if stt_decides_turns else []),
            keeper,
            stt_switcher or services.stt,
            user_aggregator,
            MicrophoneAudioEnd(),
            history,
            *([confirmation_gate] if confirmation_gate is not None else []),
            llm_switcher or services.llm,
            speech.entry(),
            tts_switcher or services.tts,
            speech.hold(),
            transport.output(),
            assistant_aggregator,
        ]
    )
    return VoicePipeline(
        pipeline=pipeline,
        services=services,
        context=context,
        user_aggregator=user_aggregator,
        assistant_aggregator=assistant_aggregator,
        switch=switch,
        turn_input=turn_input,
        keeper=keeper,
        history=history,
        output_sample_rate=config.output_sample_rate,
        llm_switcher=llm_switcher,
        stt_switcher=stt_switcher,
        tts_switcher=tts_switcher,
    )


def build_worker(voice: VoicePipeline, observers: Sequence[BaseObserver] = ()) -> PipelineWorker:
    """The worker running ``voice``; ``observers`` share one of its observer queues (engine/observer_group.py).

    Pipecat's turn tracking (an observer of every frame, for its turn events and tracing) is off: the engine tracks
    turns itself (engine/observer.py) and nothing reads those events. The observers see a speculative reply only
    once its turn is confirmed (engine/speculation.py), and never the microphone's frames
    (engine/worker_observer.py)."""
    worker_observers: list[BaseObserver] = (
        [SpeculationVeil(ObserverGroup(observers), voice.speculation)] if observers else []
    )
    worker = PipelineWorker(
        voice.pipeline,
        params=PipelineParams(
            audio_in_sample_rate=INPUT_SAMPLE_RATE,
            audio_out_sample_rate=voice.output_sample_rate,
            enable_metrics=True,
            enable_usage_metrics=True,
        ),
        observers=worker_observers,
        idle_timeout_secs=None,
        enable_rtvi=False,
        enable_turn_tracking=False,
    )
    if worker_observers:
        leave_out_microphone_frames(worker, worker_observers)
    return worker
