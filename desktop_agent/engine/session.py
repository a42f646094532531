"""The voice session: the one door between the window (or console, tests, benchmark) and the engine.

The engine runs on its own asyncio loop in a dedicated thread (:meth:`VoiceSession.start`), never on the Qt thread:
measured with the window painting heavily, a pipeline on the Qt thread broke replies into hundreds of dropouts, on
its own thread none. Every public method is safe to call from any thread: it records the change and hands the work
to the engine loop. Events come back through ``on_event``, called on the engine thread; the window re-emits them as
queued Qt signals. ``on_event`` must return quickly; exceptions it raises are logged and ignored.

Tests may instead run the whole session on their own loop with ``await session.run_in_loop()``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InterruptionWorkerFrame,
    LLMConfigureOutputFrame,
    LLMMessagesAppendFrame,
    LLMMessagesUpdateFrame,
    LLMRunFrame,
    LLMUpdateSettingsFrame,
    STTUpdateSettingsFrame,
    TTSSpeakFrame,
    TTSUpdateSettingsFrame,
)
from pipecat.pipeline.worker import PipelineWorker
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings, STTSettings, TTSSettings
from pipecat.workers.runner import WorkerRunner

from desktop_agent import providers
from desktop_agent.engine import catalogue
from desktop_agent.engine.audio import AudioBackend, EchoCancellerLike, LocalAudioTransport
from desktop_agent.engine.config import EngineConfig
from desktop_agent.engine.confirmation_gate import ConfirmationGate
from desktop_agent.engine.early_microphone import EarlyMicrophone
from desktop_agent.engine.errors import error_event
from desktop_agent.engine.failover import LanguageModelSwitch
from desktop_agent.engine.frames import TypedTurnFrame
from desktop_agent.engine.healing import ConnectionHealer
from desktop_agent.engine.logs import configure_logging, mask_secrets
from desktop_agent.engine.observer import EventObserver
from desktop_agent.engine.pipeline import VoicePipeline, build_pipeline, build_worker
from desktop_agent.engine.reply_guard import Deadlines, GuardActions, ReplyGuard, retry_after_of
from desktop_agent.engine.speculation import SpeculationCounters
from desktop_agent.engine.speech_failover import SpeechFailover
from desktop_agent.engine.tool_box import ToolBox
from desktop_agent.engine.tool_calls import ToolReporting, tool_schema
from desktop_agent.engine.tools import END_REASON
from desktop_agent.engine.webhook import WebhookAction
from desktop_agent.providers.chat_completions import ModelListRefused, cleared_reasoning_effort, served_models
from desktop_agent.state.events import (
    AgentState,
    AgentStateChanged,
    ConnectionStatus,
    ConversationReset,
    ErrorKind,
    ErrorOccurred,
    Event,
    ModeChanged,
    MuteChanged,
    Provider,
    ProviderStatusChanged,
    SessionEnded,
    SessionStarted,
    SettingsApplied,
    TurnMode,
)

STOP_REASON = "stopped"
#: What the status bar says about a connection that is down, by the kind of the last failure.
LINK_REASONS = {
    ErrorKind.AUTH: "the key was refused",
    ErrorKind.RATE_LIMIT: "too many requests",
    ErrorKind.UNREACHABLE: "unreachable",
    ErrorKind.PROVIDER: "provider error",
    ErrorKind.CONFIG: "request refused",
}


class VoiceSession:
    """One conversation: services, audio, turn-taking and events. See the module docstring for threading."""

    def __init__(
        self,
        config: EngineConfig,
        on_event: Callable[[Event], None],
        *,
        audio: AudioBackend | None = None,
        audio_backend: AudioBackend | None = None,
        echo_canceller: EchoCancellerLike | None = None,
        early_microphone: EarlyMicrophone | None = None,
        history: Sequence[dict] = (),
    ):
        """``audio`` (alias ``audio_backend``) replaces the sound card, e.g. with a ``MemoryAudioBackend``;
        ``echo_canceller`` replaces the built-in WebRTC canceller (tests); ``early_microphone`` carries a push-to-talk
        turn the user started before the session existed (its words go first, then the session's own microphone);
        ``history`` carries a conversation on from an earlier session (its language model messages)."""
        self._history = [dict(message) for message in history]
        self._config = dataclasses.replace(config)
        self._on_event = on_event
        self._audio = audio or audio_backend
        self._echo_override = echo_canceller
        self._lock = threading.Lock()
        self._state = AgentState.STOPPED
        self._mode = config.mode
        self._muted = False
        self._ready = False
        self._talking = False
        self._started = False
        self._ended = False
        self._stop_requested = False
        self._end_reason = ""
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        # Engine-loop objects, set while running.
        self._transport: LocalAudioTransport | None = None
        self._voice: VoicePipeline | None = None
        self._speculation = SpeculationCounters()
        self._worker: PipelineWorker | None = None
        self._observer: EventObserver | None = None
        self._healer: ConnectionHealer | None = None
        self._guard: ReplyGuard | None = None
        self._llm_switch: LanguageModelSwitch | None = None
        self._speech_failovers: dict[Provider, SpeechFailover] = {}
        self._background: set[asyncio.Future] = set()  # held until done: the loop keeps only weak references
        self._talk_wanted = False  # push-to-talk held, possibly since before the pipeline existed
        self._early_microphone = early_microphone
        self._tool_reporting = ToolReporting(emit=self._emit)
        self._tool_box: ToolBox | None = None

    # -- properties (any thread) ----------------------------------------------------------------------------

    @property
    def state(self) -> AgentState:
        return self._state

    @property
    def mode(self) -> TurnMode:
        return self._mode

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def ready(self) -> bool:
        """Speech-to-text and text-to-speech are connected and the microphone and speaker are open."""
        return self._ready

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The engine's event loop while the session runs (for benchmarks that schedule work on it)."""
        return self._loop

    @property
    def speculation(self) -> SpeculationCounters:
        """Replies started at a push-to-talk release before the final transcript: how many, how many were confirmed
        or discarded unheard, and the tokens and characters the discarded ones cost (engine/speculation.py)."""
        return self._speculation

    @property
    def offered_tools(self) -> list[str]:
        """The names of the tools the language model is offered now (MCP servers' join once started)."""
        box = self._tool_box
        return box.offered if box is not None else []

    @property
    def config(self) -> EngineConfig:
        """A copy of the configuration as the session currently applies it."""
        with self._lock:
            return dataclasses.replace(self._config)

    # -- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the engine thread and its loop; returns at once. Events report progress."""
        with self._lock:
            if self._started:
                return
            self._started = True
        self._thread = threading.Thread(target=self._thread_main, name="voice-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the conversation and join the engine thread. Idempotent; ``SessionEnded`` is emitted once."""
        with self._lock:
            self._stop_requested = True
            started = self._started
            self._started = True  # a session stopped before it started can no longer start
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._request_stop)
            except RuntimeError:  # the loop closed in the meantime: the session has already ended
                logger.debug("Engine loop already closed")
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("The voice engine did not stop in time; leaving its thread to finish on its own")
        if not started:
            self._emit(SessionEnded(reason=STOP_REASON))

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.run_in_loop())
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()

    async def run_in_loop(self) -> None:
        """Run the session on the current loop until it is stopped or the assistant ends the conversation."""
        with self._lock:
            self._started = True
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        reason = STOP_REASON
        try:
            reason = await self._run()
        except Exception:  # never let the engine thread die with a traceback the user can't act on
            logger.exception("The voice engine failed")
            self._emit(
                ErrorOccurred(
                    kind=ErrorKind.INTERNAL,
                    message="The voice engine stopped unexpectedly. Start a new conversation to continue.",
                    recoverable=False,
                )
            )
            reason = "error"
        finally:
            self._ready = False
            if self._voice is not None:
                self._history = self._messages_of(self._voice)
            self._transport = self._voice = self._worker = None
            self._healer = self._guard = self._llm_switch = None
            self._speech_failovers = {}
            # Let the collector reclaim this session's (cyclic) objects; the next session freezes afresh.
            gc.unfreeze()
            self._set_state(AgentState.STOPPED)
            self._emit(SessionEnded(reason=reason))

    async def _run(self) -> str:
        configure_logging()
        config = self.config
        mask_secrets(config.stt.api_key, config.llm.api_key, config.tts.api_key)
        mask_secrets(*(value for headers in config.webhook_headers.values() for value in headers.values()))
        problems = config.validate()
        if problems:
            self._emit(ErrorOccurred(kind=ErrorKind.CONFIG, message=" ".join(problems), recoverable=False))
            return "invalid settings"
        if self._stop_requested:
            return STOP_REASON
        observer = EventObserver(self._emit, lambda role: self._name_of(role))
        self._observer = observer
        observer.set_state(AgentState.CONNECTING)
        transport = LocalAudioTransport(
            self._audio,
            input_device=config.input_device,
            output_device=config.output_device,
            output_sample_rate=config.output_sample_rate,
            on_event=self._emit,
            echo_canceller=self._make_echo_canceller(config),
            listening=config.mode is TurnMode.HANDS_FREE,
            on_ready_changed=self._check_ready,
        )
        transport.set_muted(self._muted)
        gate = ConfirmationGate(self._tool_reporting, language=lambda: self._config.stt_language)
        self._tool_reporting.ask_first = gate.ask
        voice = build_pipeline(
            config,
            transport,
            on_end_conversation=self._on_end_conversation,
            stt_up=lambda: self._healer is not None and self._healer.is_up(Provider.STT),
            stt_generation=lambda: self._healer.generation(Provider.STT) if self._healer is not None else 0,
            earlier_messages=self._history,
            tools=self._user_tools(config),
            confirmation_gate=gate,
        )
        voice.speculation = self._speculation  # one tally for the session, across its pipelines
        llm_switch = LanguageModelSwitch(
            config,
            voice.services,
            lambda frame: self._queue(frame),
            self._emit,
            chosen_is_up=lambda: self._healer is not None and self._healer.is_up(Provider.LLM),
        )
        self._llm_switch = llm_switch
        healer = ConnectionHealer(
            {Provider.STT: voice.services.stt, Provider.TTS: voice.services.tts},
            self._on_link_changed,
            # While a fallback stands in, the probe asks the chosen provider: its answer switches back.
            probes={Provider.LLM: lambda: self._probe_llm(llm_switch.service(llm_switch.chosen))},
        )
        failovers = self._build_speech_failovers(config, voice, healer)
        self._speech_failovers = failovers
        guard = ReplyGuard(
            Deadlines(
                stt_final=config.stt_final_timeout,
                llm_first_token=config.llm_first_token_timeout,
                tts_first_audio=config.tts_first_audio_timeout,
                llm_retries=config.llm_retries,
            ),
            healer,
            voice.keeper,
            GuardActions(
                interrupt_quietly=self._interrupt_quietly,
                run_llm=lambda: self._queue(*self._in_reply_mode(LLMRunFrame())),
                speak=lambda text: self._queue(TTSSpeakFrame(text, append_to_context=False)),
                emit_error=observer.emit_error,
                reply_incomplete=observer.reply_incomplete,
                reply_failed=observer.reply_failed,
                fail_over=llm_switch.fail_over,
                answers_for_chosen=llm_switch.is_chosen,
            ),
            names=lambda role: self._name_of(role),
        )
        observer.on_link_failure = self._on_link_failure
        observer.explain_unavailable = lambda frame: catalogue.explain_unavailable(frame, self.config)
        observer.on_unspoken_reply = self._remember_unspoken_reply
        observer.speak_rest = self._speak_rest_with_fallback
        observer.words_timed = lambda: self._voice_provider().word_timing
        observer.is_standby = lambda service: any(f.is_standby(service) for f in failovers.values())
        observer.on_standby_failure = self._on_standby_failure
        worker = build_worker(voice, observers=[observer, guard])
        tools = ToolBox(voice.context, self._tool_reporting, self._emit)
        self._tool_box = tools
        self._hook_events(voice, worker, observer)
        self._transport, self._voice, self._worker = transport, voice, worker
        self._healer, self._guard = healer, guard
        for provider in (Provider.STT, Provider.TTS):
            observer.provider_status(provider, ConnectionStatus.CONNECTING)
        if self._talk_wanted or self._early_microphone is not None:
            self._press()  # pressed before the pipeline existed: the turn starts with the microphone

        key_check = asyncio.gather(
            tools.start_servers(config.mcp_servers),
            self._check_tts_key(config, observer),
            self._warm_up_llm(voice.services.llm, observer),
            self._check_voice(config, observer),
        )
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        run_task = asyncio.ensure_future(runner.run())
        assert self._stop_event is not None
        stop_wait = asyncio.ensure_future(self._stop_event.wait())
        if self._stop_requested:
            self._stop_event.set()
        await asyncio.wait({run_task, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        stop_wait.cancel()
        await tools.close()
        key_check.cancel()
        observer.shutting_down = True
        guard.cancel_all()
        llm_switch.close()
        for failover in failovers.values():
            await failover.stop()
        await healer.stop()
        if not run_task.done():
            await worker.cancel(reason=STOP_REASON)
            try:
                await asyncio.wait_for(asyncio.shield(run_task), timeout=5.0)
            except TimeoutError:
                logger.warning("The pipeline did not finish after cancel; cancelling the runner")
                await runner.cancel(reason=STOP_REASON)
                await run_task
        else:
            run_task.result()
        return self._end_reason or STOP_REASON

    def _user_tools(self, config: EngineConfig) -> list:
        """The user's webhook actions as tools the language model is offered, each reporting its calls."""
        reporting = self._tool_reporting
        return [
            tool_schema(WebhookAction(tool, config.webhook_headers.get(tool.name, {})), reporting)
            for tool in config.webhooks
        ]

    async def _check_tts_key(self, config: EngineConfig, observer: EventObserver) -> None:
        key_rejected = config.spec(Provider.TTS).key_rejected
        if key_rejected is not None and await key_rejected(config.tts):
            observer.key_rejected(Provider.TTS)
            self._check_ready()

    async def _warm_up_llm(self, llm: LLMService, observer: EventObserver) -> None:
        """Open the LLM's HTTP connection (TCP + TLS, and the SDK's lazy set-up) before the first turn needs it.

        The first request otherwise pays for it inside the user's wait (~0.2 s measured here, more over TLS).
        A models listing is free and also tells a rejected key at once.
        """
        try:
            served = await served_models(llm, timeout=10.0)
        except ModelListRefused as refused:
            if refused.key_refused:
                observer.key_rejected(Provider.LLM)
            else:  # best effort: the first turn then connects itself
                logger.debug(f"LLM warm-up skipped: {refused}")
            return
        if served is None:
            return
        # The list is at hand: a model the provider has retired is said now, with one to switch to, not after a turn.
        problem = catalogue.check_model(served, self.config.llm_model, self.config.spec(Provider.LLM))
        if problem is not None:
            observer.choice_unavailable(problem)

    async def _check_voice(self, config: EngineConfig, observer: EventObserver) -> None:
        """A voice the account no longer has is said before the first reply, with one to switch to."""
        problem = await catalogue.check_voice(config)
        if problem is not None:
            observer.choice_unavailable(problem)

    def _make_echo_canceller(self, config: EngineConfig) -> EchoCancellerLike | None:
        if self._echo_override is not None:
            return self._echo_override
        try:
            from desktop_agent.engine.echo import EchoCanceller
        except ImportError as exc:
            if exc.name == "desktop_agent.engine.echo":
                logger.info("Echo cancellation is not part of this build")
            else:
                logger.warning(f"Echo cancellation is unavailable: {exc}")
                self._emit(
                    ErrorOccurred(
                        kind=ErrorKind.AUDIO_DEVICE,
                        message="Echo cancellation is unavailable, so the assistant may hear itself. Use headphones.",
                    )
                )
            return None
        try:
            return EchoCanceller(
                capture_rate=16000, enabled=config.echo_cancellation, noise_suppression=config.noise_suppression
            )
        except (ValueError, RuntimeError, OSError) as exc:
            logger.warning(f"Echo cancellation could not start: {exc}")
            self._emit(
                ErrorOccurred(
                    kind=ErrorKind.AUDIO_DEVICE,
                    message="Echo cancellation could not start, so the assistant may hear itself. Use headphones.",
                )
            )
            return None

    def _hook_events(self, voice: VoicePipeline, worker: PipelineWorker, observer: EventObserver) -> None:
        for service in (voice.services.stt, voice.services.tts):
            service.add_event_handler("on_connected", self._on_service_connected)
            service.add_event_handler("on_disconnected", self._on_service_disconnected)
            service.add_event_handler("on_connection_error", self._on_service_connection_error)
        voice.assistant_aggregator.add_event_handler("on_assistant_turn_stopped", observer.on_assistant_turn_stopped)
        worker.add_event_handler("on_pipeline_started", self._on_pipeline_started)

    async def _on_pipeline_started(self, worker: Any, frame: Any) -> None:
        config = self.config
        assert self._observer is not None
        self._observer.provider_status(Provider.LLM, ConnectionStatus.CONNECTED)
        self._emit(
            SessionStarted(mode=self._mode, voice=config.voice_name or config.voice_id, prompt_name=config.prompt_name)
        )
        if self._healer is not None:
            self._healer.start()
        for failover in self._speech_failovers.values():
            failover.start()
        self._check_ready()
        # Everything built so far lives for the whole session: keep it out of the collector's full passes,
        # which otherwise pause every thread (the audio ones included) for ~100 ms. No collection here: it would free
        # whatever the host's threads left unreachable, Qt objects included, on this thread (the window collects on
        # its own thread; see ui/qt_thread_collector.py).
        gc.freeze()

    async def _on_service_connected(self, service: Any) -> None:
        if self._healer is not None:
            self._healer.nudge()

    async def _on_service_disconnected(self, service: Any) -> None:
        if self._healer is not None:
            self._healer.nudge()

    async def _on_service_connection_error(self, service: Any, error: str) -> None:
        if self._healer is not None:
            self._healer.nudge()

    def _on_link_changed(self, event: ProviderStatusChanged) -> None:
        """The healer's word on a connection: status to the user, held speech to a speech-to-text that is back."""
        observer, voice = self._observer, self._voice
        if observer is None:
            return
        observer.link_changed(event)
        failover = self._speech_failovers.get(event.provider)
        if failover is not None:
            failover.link_changed(event)
        if event.provider is Provider.STT and event.status is ConnectionStatus.CONNECTED and voice is not None:
            self._in_background(voice.keeper.stt_ready())
        switch = self._llm_switch
        if event.provider is Provider.LLM and event.status is ConnectionStatus.CONNECTED and switch is not None:
            self._in_background(switch.primary_back())
        self._check_ready()

    def _build_speech_failovers(
        self, config: EngineConfig, voice: VoicePipeline, healer: ConnectionHealer
    ) -> dict[Provider, SpeechFailover]:
        """A :class:`SpeechFailover` for each of speech to text and text to speech that has a fallback."""
        made: dict[Provider, SpeechFailover] = {}
        roles = (
            (Provider.STT, voice.stt_switcher, voice.services.stt, voice.services.stt_fallback),
            (Provider.TTS, voice.tts_switcher, voice.services.tts, voice.services.tts_fallback),
        )
        for role, switcher, chosen, fallback in roles:
            if switcher is None or fallback is None:
                continue
            made[role] = SpeechFailover(
                role,
                (config.spec(role).id, chosen),
                (config.fallback(role), fallback),
                switcher,
                healer,
                queue=lambda frame: self._queue(frame),
                emit=self._emit,
                quiet=self._between_turns,
                hold_secs=config.fallback_hold_secs,
            )
        return made

    def _on_standby_failure(self, frame: ErrorFrame) -> None:
        for failover in self._speech_failovers.values():
            if failover.is_standby(frame.processor):
                event = error_event(frame, self._config.name_of)
                failover.standby_failed(
                    LINK_REASONS.get(event.kind, "connection failed"),
                    retry_after=retry_after_of(frame.exception),
                    refused=event.kind is ErrorKind.AUTH,
                )

    def _speak_rest_with_fallback(self, rest: str) -> bool:
        """The voice was lost mid-reply: if a fallback voice stands in now, it says the rest (True)."""
        failover, healer = self._speech_failovers.get(Provider.TTS), self._healer
        if failover is None or not failover.standing_in or healer is None or not healer.is_up(Provider.TTS):
            return False
        self._in_background(self._queue(TTSSpeakFrame(rest, append_to_context=False)))
        return True

    def _voice_provider(self) -> providers.ProviderSpec:
        """The text-to-speech provider speaking now: the chosen one, or its fallback standing in."""
        failover = self._speech_failovers.get(Provider.TTS)
        if failover is not None and failover.standing_in:
            return providers.get(failover.fallback_id)
        return self._config.spec(Provider.TTS)

    def _between_turns(self) -> bool:
        """Nobody is talking and no reply is under way: a provider can be handed back without cutting anything."""
        return self._observer is not None and self._observer.state is AgentState.LISTENING

    def _on_link_failure(self, provider: Provider, frame: ErrorFrame) -> None:
        if self._healer is None:
            return
        event = error_event(frame, self._config.name_of)
        self._healer.note_failure(
            provider,
            LINK_REASONS.get(event.kind, "connection failed"),
            retry_after=retry_after_of(frame.exception),
            refused=event.kind is ErrorKind.AUTH,
        )

    def _name_of(self, role: Provider) -> str:
        """The provider answering for ``role`` now: the chosen one, or the language model's fallback standing in."""
        switch = self._llm_switch
        if role is Provider.LLM and switch is not None:
            return providers.get(switch.chosen).display_name
        return self._config.name_of(role)

    async def _probe_llm(self, llm: LLMService | None) -> bool:
        """Is the language model reachable again? Its model list is free and tells it (and a refused key)."""
        if llm is None:
            return True
        try:
            await served_models(llm, timeout=5.0)
        except ModelListRefused as refused:
            if self._healer is not None and refused.key_refused:
                self._healer.note_failure(Provider.LLM, "key refused", refused=True)
            elif self._healer is not None and refused.rate_limited:
                self._healer.note_failure(Provider.LLM, "rate limited", retry_after=refused.retry_after)
            return False
        return True

    def _remember_unspoken_reply(self, text: str) -> None:
        """A reply the voice could not say still belongs to the conversation the language model sees."""
        self._in_background(
            self._queue(LLMMessagesAppendFrame([{"role": "assistant", "content": text}], run_llm=False))
        )

    def _in_background(self, awaitable: Awaitable[Any]) -> None:
        """Run ``awaitable`` on the engine loop without waiting for it, held until it is done."""
        task = asyncio.ensure_future(awaitable)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _interrupt_quietly(self) -> None:
        if self._observer is not None:
            self._observer.expect_quiet_interruption()
        await self._queue(InterruptionWorkerFrame())

    def _take_early_microphone(self) -> None:
        """The session's microphone is open: the words captured before it go first, then its own."""
        early, transport = self._early_microphone, self._transport
        if early is None or transport is None or not transport.microphone_open:
            return
        self._early_microphone = None
        blocks = early.hand_over()
        logger.info(f"Taking {len(blocks) * 0.02:.1f} s said before the session was ready")
        transport.queue_early_audio(blocks)
        if early.released and not self._talk_wanted:
            self._release()

    def _check_ready(self) -> None:
        self._take_early_microphone()
        observer, transport, healer = self._observer, self._transport, self._healer
        if observer is None or transport is None or healer is None:
            return
        links_up = healer.is_up(Provider.STT) and healer.is_up(Provider.TTS)
        self._ready = transport.ready and links_up
        if self._ready and observer.state in (AgentState.CONNECTING, AgentState.ERROR, AgentState.RECONNECTING):
            observer.set_state(AgentState.LISTENING)
        elif not links_up and observer.state is AgentState.LISTENING and healer.down_since(Provider.STT) is not None:
            observer.set_state(AgentState.RECONNECTING)

    def _on_end_conversation(self) -> None:
        self._end_reason = END_REASON
        if self._observer is not None:
            self._observer.shutting_down = True  # the services' disconnects that follow are not failures

    def _request_stop(self) -> None:
        self._stop_requested = True
        if self._stop_event is not None:
            self._stop_event.set()

    # -- events -----------------------------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if isinstance(event, AgentStateChanged):
            self._state = event.state
        elif isinstance(event, SessionEnded):
            with self._lock:
                if self._ended:
                    return
                self._ended = True
        try:
            self._on_event(event)
        except Exception:  # the listener's failure must not reach the engine
            logger.exception(f"on_event failed for {type(event).__name__}")

    def _set_state(self, state: AgentState) -> None:
        if self._observer is not None:
            self._observer.set_state(state)
        elif state is not self._state:
            self._emit(AgentStateChanged(state=state))

    # -- commands (any thread) --------------------------------------------------------------------------------

    def _submit(self, action: Callable[[], Awaitable[None] | None], what: str) -> None:
        """Run ``action`` on the engine loop, in call order, once the pipeline exists; errors become events."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def spawn() -> None:
            if self._worker is None:
                return  # not running (yet or any more); the recorded config applies at the next start
            try:
                result = action()
            except Exception:  # noqa: BLE001 - a failed command is said to the user; the session goes on
                self._command_failed(what)
                return
            if result is not None:
                task = asyncio.ensure_future(result)

                def failed(done: asyncio.Future) -> None:
                    if not done.cancelled() and done.exception() is not None:
                        self._command_failed(what)

                task.add_done_callback(failed)

        try:
            loop.call_soon_threadsafe(spawn)
        except RuntimeError:  # the loop closed: the session has ended
            logger.debug(f"Ignoring {what}: the session has ended")

    def _command_failed(self, what: str) -> None:
        logger.exception(f"Engine command failed: {what}")
        self._emit(
            ErrorOccurred(kind=ErrorKind.INTERNAL, message=f"Could not {what}. Try again or start a new conversation.")
        )

    async def _queue(self, *frames: Frame) -> None:
        if self._worker is not None:
            await self._worker.queue_frames(list(frames))

    def press_talk(self) -> None:
        """Push-to-talk pressed: open the microphone; the assistant stops talking. Pressed while the session is still
        starting, the turn begins as soon as the microphone is open, and its words wait for speech-to-text."""
        self._talk_wanted = True
        self._submit(self._press, "start listening")

    def release_talk(self) -> None:
        """Push-to-talk released: the turn ends once the transcript is final."""
        self._talk_wanted = False
        self._submit(self._release, "stop listening")

    def retry_last_turn(self) -> None:
        """Give the last turn that got no reply again (its words, its request, or its reply's text)."""

        async def retry() -> None:
            if self._guard is not None and not await self._guard.retry():
                self._emit(ErrorOccurred(kind=ErrorKind.CONFIG, message="There is nothing to retry."))

        self._submit(retry, "retry the last turn")

    def send_typed_turn(self, text: str, *, reply_in_text: bool = False) -> bool:
        """A turn typed instead of spoken (a meeting, a shared office): it goes through the same pipeline, interrupts
        a reply in progress as a spoken turn would, and is answered aloud, or only in text with ``reply_in_text``.

        False when there is nothing to send or no conversation runs to take it (the caller keeps the text)."""
        text = text.strip()
        loop = self._loop
        if not text or self._stop_requested or self._worker is None or loop is None or loop.is_closed():
            return False
        self._submit(lambda: self._typed_turn(text, reply_in_text), "send your message")
        return True

    def answer_confirmation(self, yes: bool) -> bool:
        """The user's answer to a tool call waiting for it (a click, the console's y / n): the word, as a typed turn,
        so it is answered as a spoken "yes" or "no" would be. False when no conversation runs to take it."""
        return self.send_typed_turn("Yes." if yes else "No.")

    async def _typed_turn(self, text: str, reply_in_text: bool) -> None:
        worker = self._worker
        if worker is None:
            return
        # As a spoken turn does: stop the reply in progress, and let its interruption commit what was said of it to
        # the context first, so the typed message follows it there (Pipecat's own "send-text" does the same).
        await self._queue(InterruptionWorkerFrame())
        await worker.flush_pipeline()
        turn = TypedTurnFrame(
            messages=[{"role": "user", "content": text}], run_llm=True, text=text, reply_in_text=reply_in_text
        )
        await self._queue(*self._in_reply_mode(turn, reply_in_text=reply_in_text))

    def _in_reply_mode(self, run: Frame, *, reply_in_text: bool | None = None) -> list[Frame]:
        """``run`` (a frame that runs the language model), made to answer in text when the turn asked for it.

        Pipecat's ``LLMConfigureOutputFrame`` marks the language model's output ``skip_tts`` (the text-to-speech
        service passes it on unspoken, and the assistant aggregator still adds it to the context) until told
        otherwise, so it is switched back right after this request. Both switches survive an interruption, which
        would otherwise leave replies silent. ``reply_in_text`` None: as the current turn asked (the reply guard's
        retries and fail-over)."""
        if reply_in_text is None:
            reply_in_text = self._observer is not None and self._observer.reply_in_text
        if not reply_in_text:
            return [run]
        in_text, spoken_again = LLMConfigureOutputFrame(skip_tts=True), LLMConfigureOutputFrame(skip_tts=False)
        in_text.interruptible = spoken_again.interruptible = False
        return [in_text, run, spoken_again]

    def _press(self) -> None:
        voice, transport = self._voice, self._transport
        if voice is None or transport is None or voice.switch.mode is not TurnMode.PUSH_TO_TALK or self._talking:
            return
        self._talking = True
        transport.set_listening(True)
        transport.mark_talk(True)

    def _release(self) -> None:
        transport = self._transport
        if transport is None or not self._talking:
            return
        self._talking = False
        transport.set_listening(False)
        transport.mark_talk(False)

    def set_mode(self, mode: TurnMode) -> None:
        mode = TurnMode(mode)
        with self._lock:
            self._config.mode = mode
        self._mode = mode
        self._submit(lambda: self._apply_mode(mode), "switch the conversation mode")

    def _apply_mode(self, mode: TurnMode) -> None:
        voice, transport, observer = self._voice, self._transport, self._observer
        if voice is None or transport is None or observer is None or voice.switch.mode is mode:
            return
        voice.switch.mode = mode
        if mode is TurnMode.HANDS_FREE:
            transport.set_listening(True)
            if self._talking:  # the button was held: end that turn like a release
                self._talking = False
                transport.mark_talk(False)
        else:
            transport.set_listening(False)
        self._emit(ModeChanged(mode=mode))

    def set_muted(self, muted: bool) -> None:
        self._muted = bool(muted)
        self._submit(lambda: self._apply_mute(bool(muted)), "mute the microphone")

    def _apply_mute(self, muted: bool) -> None:
        if self._transport is not None:
            self._transport.set_muted(muted)
            self._emit(MuteChanged(muted=muted))

    def stop_speaking(self) -> None:
        """Silence the assistant at once (the reply is kept in context only as far as it was spoken)."""

        async def interrupt() -> None:
            if self._observer is not None:
                self._observer.expect_manual_interruption()
            await self._queue(InterruptionWorkerFrame())

        self._submit(interrupt, "stop the assistant")

    def set_system_prompt(self, text: str, name: str = "") -> None:
        """Applies from the next reply on; the conversation so far is kept."""
        with self._lock:
            self._config.system_prompt = text
            if name:
                self._config.prompt_name = name

        async def apply() -> None:
            # Every language model of the session: a fallback or a provider chosen later speaks in the same role.
            await self._queue(
                LLMUpdateSettingsFrame(
                    delta=LLMSettings(system_instruction=self.config.system_instruction), reach_inactive_services=True
                )
            )
            self._emit(SettingsApplied(prompt_name=name or self.config.prompt_name))

        self._submit(apply, "change the prompt")

    def set_voice(self, voice_id: str, name: str = "") -> None:
        """The next reply uses this voice (the TTS connection reopens with it)."""
        with self._lock:
            self._config.voice_id = voice_id
            self._config.voice_name = name

        async def apply() -> None:
            failover = self._speech_failovers.get(Provider.TTS)
            if self._observer is not None and not (failover is not None and failover.standing_in):
                self._observer.expect_reconnect(Provider.TTS)
            # The voice is the chosen provider's: addressed to its service, a fallback standing in keeps its own.
            chosen = self._voice.services.tts if self._voice is not None else None
            await self._queue(TTSUpdateSettingsFrame(delta=self._tts_settings(voice=voice_id), service=chosen))
            self._emit(SettingsApplied(voice=name or voice_id))

        self._submit(apply, "change the voice")

    def set_language(self, language: str, voice_id: str = "", voice_name: str = "") -> None:
        """From the next turn on the conversation is in ``language`` (an app code, or ``auto`` to detect it): speech
        to text hears it, the language model is told to answer in it, and text to speech speaks it, with
        ``voice_id`` when one is given (the caller's choice of a voice that speaks it). No restart: each service
        takes the change as Pipecat's settings frames bring it (a speech service reopens its connection)."""
        with self._lock:
            self._config.stt_language = language
            if voice_id:
                self._config.voice_id, self._config.voice_name = voice_id, voice_name
        config = self.config
        stt_spec, tts_spec = config.spec(Provider.STT), config.spec(Provider.TTS)

        async def apply() -> None:
            voice = self._voice
            if self._observer is not None:
                self._observer.expect_reconnect(Provider.STT)
                self._observer.expect_reconnect(Provider.TTS)
            stt = voice.services.stt if voice is not None else None
            settings_class: type[STTSettings] = getattr(type(stt), "Settings", STTSettings)
            delta = settings_class(language=stt_spec.language_code(language))
            await self._queue(STTUpdateSettingsFrame(delta=delta, service=stt))
            tts_changes: dict[str, Any] = {"voice": voice_id} if voice_id else {}
            if tts_spec.speaks(language):
                tts_changes["language"] = tts_spec.language_code(language)
            if tts_changes:
                chosen = voice.services.tts if voice is not None else None
                await self._queue(TTSUpdateSettingsFrame(delta=self._tts_settings(**tts_changes), service=chosen))
            await self._queue(
                LLMUpdateSettingsFrame(
                    delta=LLMSettings(system_instruction=config.system_instruction), reach_inactive_services=True
                )
            )
            self._emit(SettingsApplied(voice=(voice_name or voice_id) or None, language=language))

        self._submit(apply, "change the language")

    def update_llm(
        self, model: str | None = None, temperature: float | None = None, max_tokens: int | None = None
    ) -> None:
        changes: dict[str, Any] = {
            k: v
            for k, v in (("model", model), ("temperature", temperature), ("max_tokens", max_tokens))
            if v is not None
        }
        if not changes:
            return
        with self._lock:
            if model is not None:
                self._config.llm_model = model
            if temperature is not None:
                self._config.temperature = temperature
            if max_tokens is not None:
                self._config.max_tokens = max_tokens

        async def apply() -> None:
            delta = dict(changes)
            if model is not None:  # ``extra`` merges key by key: a stale effort must be cleared, not left behind
                effort = self.config.spec(Provider.LLM).reasoning_effort(model)
                delta["extra"] = {"reasoning_effort": effort or cleared_reasoning_effort()}
            await self._queue(LLMUpdateSettingsFrame(delta=self._llm_settings(**delta)))
            self._emit(SettingsApplied())

        self._submit(apply, "change the language model settings")

    def context_messages(self) -> list[dict]:
        """The conversation as the language model sees it (without the system prompt), for a session that carries it
        on. Read after :meth:`stop` (while it runs, the engine loop owns the context)."""
        voice = self._voice
        return self._messages_of(voice) if voice is not None else [dict(m) for m in self._history]

    @staticmethod
    def _messages_of(voice: VoicePipeline) -> list[dict]:
        return [
            dict(message)
            for message in voice.context.get_messages()
            if isinstance(message, dict) and message.get("role") != "system"
        ]

    def choose_language_model(self, provider_id: str) -> bool:
        """From the next turn on, ``provider_id`` is the language model (on its default model), in this session.

        False when this session cannot: it started without a key for that provider (a new session can)."""
        with self._lock:
            if provider_id != self._config.llm_provider and provider_id not in self._config.llm_alternatives:
                return False
            if provider_id != self._config.llm_provider:
                alternatives = dict(self._config.llm_alternatives)
                alternatives[self._config.llm_provider] = self._config.llm
                self._config.llm = alternatives.pop(provider_id)
                self._config.llm_alternatives = alternatives
                self._config.llm_provider = provider_id
                self._config.llm_model = providers.get(provider_id).default_model
                if self._config.llm_fallback == provider_id:
                    self._config.llm_fallback = ""

        async def apply() -> None:
            if self._llm_switch is not None:
                await self._llm_switch.choose(provider_id)
            self._emit(SettingsApplied())

        self._submit(apply, "change the language model provider")
        return True

    def _llm_settings(self, **delta: Any) -> LLMSettings:
        """A settings change for the running language model service, in its own class's ``Settings`` (the common
        base when no pipeline runs: nothing will read it)."""
        switch = self._llm_switch
        service = switch.service(switch.active) if switch is not None else None
        settings_class: type[LLMSettings] = getattr(type(service), "Settings", LLMSettings)
        return settings_class(**delta)

    def _tts_settings(self, **delta: Any) -> TTSSettings:
        voice = self._voice
        service = voice.services.tts if voice is not None else None
        settings_class: type[TTSSettings] = getattr(type(service), "Settings", TTSSettings)
        return settings_class(**delta)

    def new_conversation(self) -> None:
        """Forget the conversation so far (the session keeps running)."""

        async def reset() -> None:
            if self._observer is not None:
                self._observer.expect_manual_interruption()
            await self._queue(InterruptionWorkerFrame())
            await self._queue(LLMMessagesUpdateFrame(messages=[], run_llm=False))
            self._emit(ConversationReset())

        self._submit(reset, "start a new conversation")

    def set_input_device(self, device: int | str | None) -> None:
        with self._lock:
            self._config.input_device = device

        async def apply() -> None:
            if self._transport is not None:
                await self._transport.set_input_device(device)
                self._check_ready()

        self._submit(apply, "switch the microphone")

    def set_output_device(self, device: int | str | None) -> None:
        with self._lock:
            self._config.output_device = device

        async def apply() -> None:
            if self._transport is not None:
                await self._transport.set_output_device(device)
                self._check_ready()

        self._submit(apply, "switch the speaker")

    def set_echo_cancellation(self, enabled: bool, noise_suppression: bool | None = None) -> None:
        with self._lock:
            self._config.echo_cancellation = enabled
            if noise_suppression is not None:
                self._config.noise_suppression = noise_suppression

        def apply() -> None:
            canceller = self._transport.echo_canceller if self._transport else None
            if canceller is not None:
                canceller.set_enabled(enabled)
                if noise_suppression is not None:
                    canceller.set_noise_suppression(noise_suppression)
                if self._transport is not None:
                    self._transport.output().idle_fill_changed()

        self._submit(apply, "change echo cancellation")
