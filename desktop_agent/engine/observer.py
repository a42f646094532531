"""One Pipecat observer that turns frames, metrics and service events into the plain events of
:mod:`desktop_agent.state.events`.

Latencies are measured here on the live path, per user turn, from the moment the user stopped speaking (the
push-to-talk release, or the end of speech as Silero reports it, i.e. the VAD stop minus its ``stop_secs``):

* ENDPOINTING      speech end -> the user aggregator ends the turn (``UserStoppedSpeakingFrame``)
* STT_FINAL        speech end -> first final transcript (Pipecat's own STT metric arrives ~2 s late)
* LLM_FIRST_TOKEN  LLM request (``LLMFullResponseStartFrame``) -> first text token
* TTS_FIRST_AUDIO  first sentence sent to TTS (``TTSStartedFrame``) -> first audio back
* VOICE_TO_VOICE   speech end -> the first assistant audio is handed to the speaker

A typed turn (``TypedTurnFrame``) has no speech: it reports no endpointing, speech-to-text or voice-to-voice figure,
only the language model's and (when its reply is spoken) text-to-speech's.

Broadcast frames are seen in both directions; only the downstream copy counts. Spoken words (``TTSTextFrame``) are
taken when the output transport releases them at their play time, so they follow the audio and an interruption
drops the words that were never heard.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    EndFrame,
    ErrorFrame,
    Frame,
    InterimTranscriptionFrame,
    InterruptionFrame,
    LLMContextUserTurnFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    MetricsFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStartedFrame,
    TTSTextFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import LLMUsageMetricsData, STTUsageMetricsData, TTSUsageMetricsData
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.pipeline.service_switcher import ServiceSwitcher
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.tts_service import TTSService
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.utils.errors import ErrorCategory

from desktop_agent.engine.catalogue import names_unavailable_choice
from desktop_agent.engine.errors import (
    connection_dropped,
    connection_stalled,
    error_event,
    key_refused_on_reconnect,
    provider_error,
    provider_of,
)
from desktop_agent.engine.frames import TypedTurnFrame
from desktop_agent.state.events import (
    AgentState,
    AgentStateChanged,
    AssistantSpeechStarted,
    AssistantSpeechStopped,
    AssistantText,
    AssistantTurnEnded,
    AssistantTurnStarted,
    AssistantWordSpoken,
    ChoiceUnavailable,
    ConnectionStatus,
    ErrorKind,
    ErrorOccurred,
    Event,
    Interrupted,
    Provider,
    ProviderStatusChanged,
    Stage,
    StageLatency,
    UsageReported,
    UserSpeechStarted,
    UserSpeechStopped,
    UserTranscript,
    UserTurnEnded,
)

# The same error sentence is not repeated within this many seconds (reconnect attempts fail in bursts).
ERROR_REPEAT_SECS = 5.0
# A turn that ends without text flips back to listening after this grace (the text usually follows at once).
LISTEN_GRACE_SECS = 0.05
# How long the end of an assistant turn waits for this observer to catch up with the reply's frames.
REPLY_END_CATCH_UP_SECS = 1.0
# The healer's reason for restarting a connection that is open but does not answer.
STALLED_REASON = "no answer"
# The assistant turn stop that follows the engine's own interruption comes within this long.
QUIET_STOP_SECS = 2.0


class _Turn:
    """Timing marks of the current user turn (``time.monotonic()`` seconds) and its number in this session."""

    def __init__(self, number: int = 0) -> None:
        self.number = number
        self.speech_end: float | None = None
        self.first_final: float | None = None
        self.llm_start: float | None = None
        self.tts_start: float | None = None
        self.reported: set[Stage] = set()


class EventObserver(BaseObserver):
    """Emits engine events through ``emit`` (called on the engine loop; it must not block)."""

    def __init__(self, emit: Callable[[Event], None], names: Callable[[Provider], str]):
        """``names`` gives the name of the provider playing a role, for the sentences the user reads."""
        super().__init__(observe_every_push=True)
        self._emit = emit
        self._names = names
        self._state = AgentState.STOPPED
        self._turn = _Turn()
        self._turn_numbers = itertools.count(1)
        self._reply_turn = 0  # the number of the user turn the current reply answers
        self._assistant_active = False  # from the LLM request until the assistant stops speaking
        self._response_had_text = False
        self._bot_speaking = False
        self._assistant_turn_open = False
        self._manual_interruptions = 0
        self._quiet_interruptions = 0  # the engine's own (a retry), which the user never hears of
        self._quiet_turn_stop_until = 0.0
        self._reply_text = ""  # what the language model wrote for the current reply
        self._reply_heard = False  # some of it came out of the speaker
        # The voice's connection dropped during this reply: what was on its way on it is never heard, though the
        # speaker still releases its text, so only the words released before the drop count as spoken.
        self._voice_lost = False
        self._words_before_drop: list[str] = []
        self._reply_end_seen = asyncio.Event()
        self._reply_incomplete = False
        self._reply_in_text = False  # the current turn was typed with "reply in text": its reply is shown, not spoken
        self.on_unspoken_reply: Callable[[str], None] | None = None
        #: Says the rest of a reply whose voice was lost, if another voice can (a fallback took over): True if so.
        self.speak_rest: Callable[[str], bool] | None = None
        #: Whether the voice playing now times its words against its audio (ProviderSpec.word_timing).
        self.words_timed: Callable[[], bool] = lambda: True
        self._continuing = False  # a fallback voice is saying the rest of the last reply: its words are shown already
        self._reply_words = 0  # words of this reply the speaker played
        self._lost_voice_timed = True
        self.on_link_failure: Callable[[Provider, ErrorFrame], None] | None = None
        #: Whether a service stands by for a fallback (engine/speech_failover.py): its errors are for its own healer.
        self.is_standby: Callable[[object], bool] = lambda service: False
        #: Told of a standby service's errors (they are not shown: its failover decides what the user hears).
        self.on_standby_failure: Callable[[ErrorFrame], None] | None = None
        #: Turns a refusal of a retired model or a missing voice into its event (see engine/catalogue.py).
        self.explain_unavailable: Callable[[ErrorFrame], Awaitable[ChoiceUnavailable | None]] | None = None
        self._background: set[asyncio.Future] = set()  # held until done: the loop keeps only weak references
        self._unavailable: set[Provider] = set()  # said once; that provider's connection noise is not repeated
        self._expected_reconnects: set[Provider] = set()
        self._status: dict[Provider, ConnectionStatus] = {}
        self._recent_errors: dict[str, float] = {}
        self._rejected: set[Provider] = set()
        self._ever_connected: set[Provider] = set()  # providers whose key was refused: their other errors are noise
        self._listen_timer: asyncio.TimerHandle | None = None
        self._clock_offset_ns: int | None = None  # monotonic_ns minus the pipeline clock, see _push_time
        self.shutting_down = False
        self.turn_ended = asyncio.Event()

    # -- what the session tells the observer ----------------------------------------------------------------

    @property
    def state(self) -> AgentState:
        return self._state

    @property
    def reply_in_text(self) -> bool:
        """The user's current turn asked for its reply in text (a typed turn); a spoken turn ends that."""
        return self._reply_in_text

    def set_state(self, state: AgentState) -> None:
        if self._listen_timer is not None:
            self._listen_timer.cancel()
            self._listen_timer = None
        if state is not self._state:
            self._state = state
            self.emit(AgentStateChanged(state=state))

    def connected(self, provider: Provider) -> bool:
        return self._status.get(provider) is ConnectionStatus.CONNECTED

    def expect_manual_interruption(self) -> None:
        self._manual_interruptions += 1

    def expect_quiet_interruption(self) -> None:
        """The engine stops a reply nobody heard yet, to make it again: no "interrupted" for the user."""
        self._quiet_interruptions += 1
        self._quiet_turn_stop_until = time.monotonic() + QUIET_STOP_SECS

    def reply_incomplete(self) -> None:
        """The language model's stream broke after part of the reply: it is kept, marked incomplete."""
        self._reply_incomplete = True

    def reply_failed(self) -> None:
        """The turn got no reply (given up after its retries): listen again."""
        self._assistant_active = False
        if self._state is AgentState.THINKING:
            self.set_state(AgentState.LISTENING)

    def link_changed(self, event: ProviderStatusChanged) -> None:
        """A provider's connection changed (from the healer): status, and one sentence when a connection drops."""
        previous = self._status.get(event.provider)
        self._status[event.provider] = event.status
        if event.status is ConnectionStatus.CONNECTED:
            self._rejected.discard(event.provider)
            self._ever_connected.add(event.provider)
        self.emit(event)
        if self.shutting_down:
            return
        if previous is ConnectionStatus.CONNECTED and event.status is not ConnectionStatus.CONNECTED:
            if (
                event.provider is Provider.TTS
                and self._assistant_turn_open
                and event.provider not in (self._expected_reconnects)
            ):
                self._voice_lost = True
                self._lost_voice_timed = self.words_timed()  # the voice that was lost, not one taking over
            if event.provider in self._expected_reconnects or event.provider is Provider.LLM:
                return  # a new voice reconnects on purpose; the language model's failures are the reply guard's to tell
            stalled = event.reason == STALLED_REASON
            self.emit_error(
                (connection_stalled if stalled else connection_dropped)(event.provider, self._names(event.provider))
            )
        if event.status is ConnectionStatus.CONNECTED:
            self._expected_reconnects.discard(event.provider)

    def expect_reconnect(self, provider: Provider) -> None:
        """The next disconnect of ``provider`` is ours (e.g. a new voice), not a dropped socket."""
        self._expected_reconnects.add(provider)

    def emit(self, event: Event) -> None:
        try:
            self._emit(event)
        except Exception:  # the listener's problem must never stop the pipeline
            logger.exception("Event listener failed")

    def key_rejected(self, provider: Provider) -> None:
        """The provider refused the key: say so once, and drop the connection noise that follows."""
        self.emit_error(provider_error(provider, ErrorCategory.AUTHENTICATION, self._names(provider)))
        self._rejected.add(provider)
        self.provider_status(provider, ConnectionStatus.FAILED, "API key rejected")

    def emit_error(self, event: ErrorOccurred) -> None:
        if event.provider in self._rejected and event.kind is not ErrorKind.AUTH:
            return
        key = f"{event.kind}|{event.provider}|{event.message}"
        now = time.monotonic()
        if now - self._recent_errors.get(key, -ERROR_REPEAT_SECS) < ERROR_REPEAT_SECS:
            return
        self._recent_errors[key] = now
        self.emit(event)

    def provider_status(self, provider: Provider, status: ConnectionStatus, reason: str = "") -> None:
        if self._status.get(provider) is status:
            return
        self._status[provider] = status
        self.emit(ProviderStatusChanged(provider=provider, status=status, reason=reason))

    # -- service and aggregator events (hooked by the session) ----------------------------------------------

    async def on_assistant_turn_stopped(self, aggregator: Any, message: Any) -> None:
        if message.interrupted and time.monotonic() < self._quiet_turn_stop_until:
            self._quiet_turn_stop_until = 0.0  # the engine stopped this reply to make it again: the turn goes on
            return
        # Only a turn that said something is reported (a failed request or a bare tool call is not a turn).
        if not self._assistant_turn_open:
            return
        self._assistant_turn_open = False
        if not message.interrupted:
            # The aggregator calls this the moment the reply's end reaches it; this observer sees frames from its
            # queue, a little later. Catch up, so whether the speaker played anything is known.
            try:
                await asyncio.wait_for(self._reply_end_seen.wait(), REPLY_END_CATCH_UP_SECS)
            except TimeoutError:
                logger.debug("The reply's end was not seen in time; judging the reply on what was seen")
        self._reply_end_seen.clear()
        answers = self._reply_turn
        content = (message.content or "").strip()
        spoken = content if (self._reply_heard or message.interrupted) else ""
        written = self._reply_text.strip()
        complete, self._reply_incomplete = not self._reply_incomplete, False
        if not self._bot_speaking and self._state is AgentState.THINKING:
            self._assistant_active = False
            self.set_state(AgentState.LISTENING)  # a reply that was never heard leaves nothing to wait for
        if self._voice_lost and not message.interrupted:
            # Words released before the drop say what was heard only if the voice times them against its audio.
            timed = self._lost_voice_timed
            spoken = " ".join(self._words_before_drop) if self._reply_heard and timed else ""
            rest = " ".join(written.split()[self._reply_words :])  # the speaker played its buffer out meanwhile
            if rest and timed and not self._reply_in_text and self.speak_rest is not None and self.speak_rest(rest):
                # Another voice took over: it says what the lost one could not, so the reply counts as spoken.
                self._voice_lost = False
                self._continuing = True
                self.emit(AssistantTurnEnded(text=written, interrupted=False, complete=complete, user_turn=answers))
                if self.on_unspoken_reply is not None:
                    self.on_unspoken_reply(rest if content else written)
                return
        self._voice_lost = False
        if self._reply_in_text:  # asked for in text: shown and saved as written, never counted as spoken
            self.emit(
                AssistantTurnEnded(
                    text=content if message.interrupted else written or content,
                    interrupted=bool(message.interrupted),
                    spoken=False,
                    complete=complete,
                    user_turn=answers,
                )
            )
            if not content and written and not message.interrupted and self.on_unspoken_reply is not None:
                self.on_unspoken_reply(written)
            return
        if message.interrupted or not written or _said_all(spoken, written):
            self.emit(
                AssistantTurnEnded(
                    text=spoken, interrupted=bool(message.interrupted), complete=complete, user_turn=answers
                )
            )
            return
        # The voice could not say (all of) it: the reply is still shown and saved, whole, marked as not spoken.
        self.emit(
            AssistantTurnEnded(text=written, interrupted=False, spoken=False, complete=complete, user_turn=answers)
        )
        if not content and self.on_unspoken_reply is not None:  # else the aggregator put it in the context already
            self.on_unspoken_reply(written)

    # -- frames ---------------------------------------------------------------------------------------------

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        if isinstance(frame, TTSTextFrame):
            # Word-timed text: take it when the speaker's clock releases it, not when the TTS produced it.
            if isinstance(data.source, BaseOutputTransport):
                self._on_spoken_word(frame)
            return
        if isinstance(frame, LLMFullResponseEndFrame) and isinstance(data.source, BaseOutputTransport):
            self._reply_end_seen.set()  # everything the speaker did for this reply has been seen
        if not data.first_push:
            return
        if isinstance(frame, (EndFrame, CancelFrame)):
            self.shutting_down = True
            return
        if isinstance(frame, ErrorFrame):
            self._on_error(frame)
            return
        if data.direction is not FrameDirection.DOWNSTREAM:
            return
        try:
            self._on_frame(frame, data, self._push_time(data))
        except Exception:  # a bug here must not take the conversation down
            logger.exception(f"Observer failed on {frame}")

    def _push_time(self, data: FramePushed) -> float:
        """When the frame was pushed, in ``time.monotonic()`` seconds, not when this observer got to it.

        Observers run from their own queue, so a busy loop delays them; the push timestamp (pipeline clock) does
        not move. The smallest observed gap between the two clocks is the offset (the lag is never negative).
        """
        offset = time.monotonic_ns() - data.timestamp
        if self._clock_offset_ns is None or offset < self._clock_offset_ns:
            self._clock_offset_ns = offset
        return (data.timestamp + self._clock_offset_ns) / 1e9

    def _on_frame(self, frame: Frame, data: FramePushed, now: float) -> None:
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._turn.speech_end = None
            self._turn.first_final = None
            self.emit(UserSpeechStarted())
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            # Map the VAD's wall-clock decision time back to when speech actually ended.
            ago = max(0.0, time.time() - (frame.timestamp - frame.stop_secs))
            self._turn.speech_end = time.monotonic() - ago
            self._turn.first_final = None
            self.emit(UserSpeechStopped())
        elif isinstance(frame, UserStartedSpeakingFrame):
            # A hands-free turn may start (on its first words) after the VAD already saw the speech end.
            previous, self._turn = self._turn, _Turn(next(self._turn_numbers))
            self._turn.speech_end, self._turn.first_final = previous.speech_end, previous.first_final
            self._reply_in_text = False
            self.turn_ended.clear()
            self.set_state(AgentState.USER_SPEAKING)
        elif isinstance(frame, TypedTurnFrame):
            self._turn = _Turn(next(self._turn_numbers))  # no speech: its figures start at the language model's request
            self._reply_in_text = frame.reply_in_text
            self.turn_ended.set()
            self.emit(UserTurnEnded(text=frame.text))
        elif isinstance(frame, UserStoppedSpeakingFrame):
            self._on_user_turn_stopped(now)
        elif isinstance(frame, InterimTranscriptionFrame):
            if frame.text.strip():
                self.emit(UserTranscript(text=frame.text, final=False))
        elif isinstance(frame, TranscriptionFrame):
            if self._turn.speech_end is not None and self._turn.first_final is None:
                self._turn.first_final = now
            if frame.text.strip():
                self.emit(UserTranscript(text=frame.text, final=True))
        elif isinstance(frame, LLMContextUserTurnFrame):
            self.emit(UserTurnEnded(text=frame.text))
        elif isinstance(frame, LLMFullResponseStartFrame) and isinstance(data.source, LLMService):
            self._assistant_active = True
            self._response_had_text = False
            self._reply_text = ""
            self._reply_heard = False
            self._voice_lost = False
            self._continuing = False
            self._reply_words = 0
            self._words_before_drop = []
            self._reply_end_seen.clear()
            if self._turn.llm_start is None:
                self._turn.llm_start = now
            if self._state is not AgentState.ASSISTANT_SPEAKING:
                self.set_state(AgentState.THINKING)
        elif isinstance(frame, LLMTextFrame) and isinstance(data.source, LLMService):
            self._response_had_text = True
            if not self._assistant_turn_open:
                self._assistant_turn_open = True
                self._reply_turn = self._turn.number
                self.emit(AssistantTurnStarted(user_turn=self._reply_turn))
            if self._turn.llm_start is not None:
                self._report(Stage.LLM_FIRST_TOKEN, now - self._turn.llm_start)
            self._reply_text += frame.text
            self.emit(AssistantText(text=frame.text))
        elif isinstance(frame, LLMFullResponseEndFrame) and isinstance(data.source, LLMService):
            if not self._response_had_text and not self._bot_speaking:
                self._assistant_active = False
                if self._state is AgentState.THINKING:
                    self.set_state(AgentState.LISTENING)
        elif isinstance(frame, TTSStartedFrame) and isinstance(data.source, TTSService):
            if self._turn.tts_start is None:
                self._turn.tts_start = now
        elif isinstance(frame, TTSAudioRawFrame) and isinstance(data.source, TTSService):
            if self._turn.tts_start is not None:
                self._report(Stage.TTS_FIRST_AUDIO, now - self._turn.tts_start)
        elif isinstance(frame, BotStartedSpeakingFrame):
            self._bot_speaking = True
            self._reply_heard = True
            if self._turn.speech_end is not None:
                self._report(Stage.VOICE_TO_VOICE, now - self._turn.speech_end)
            self.emit(AssistantSpeechStarted())
            self.set_state(AgentState.ASSISTANT_SPEAKING)
        elif isinstance(frame, BotStoppedSpeakingFrame):
            self._bot_speaking = False
            self._assistant_active = False
            self.emit(AssistantSpeechStopped())
            if self._state is AgentState.ASSISTANT_SPEAKING:
                self.set_state(AgentState.LISTENING)
        elif isinstance(frame, InterruptionFrame):
            if self._quiet_interruptions > 0:
                self._quiet_interruptions -= 1
                return
            manual = self._manual_interruptions > 0
            self._manual_interruptions = max(0, self._manual_interruptions - 1)
            if self._assistant_active or self._bot_speaking:
                self._assistant_active = False
                self.emit(Interrupted(by_user=not manual))
                if manual and self._state in (AgentState.THINKING, AgentState.ASSISTANT_SPEAKING):
                    self.set_state(AgentState.LISTENING)
        elif isinstance(frame, MetricsFrame):
            self._on_metrics(frame)

    def _on_user_turn_stopped(self, now: float) -> None:
        turn = self._turn
        if turn.speech_end is not None:
            self._report(Stage.ENDPOINTING, now - turn.speech_end)
            if turn.first_final is not None:
                self._report(Stage.STT_FINAL, max(0.0, turn.first_final - turn.speech_end))
        self.turn_ended.set()
        if self._state is AgentState.USER_SPEAKING:
            # The turn's text (if any) follows at once and starts the reply; only an empty turn stays here.
            loop = asyncio.get_running_loop()
            self._listen_timer = loop.call_later(LISTEN_GRACE_SECS, self._listen_if_idle)

    def _listen_if_idle(self) -> None:
        self._listen_timer = None
        if self._state is AgentState.USER_SPEAKING:
            self.set_state(AgentState.LISTENING)

    def _on_spoken_word(self, frame: TTSTextFrame) -> None:
        word = frame.text.strip()
        if word and not self._continuing:
            self._reply_words += 1
            if not self._voice_lost:
                self._words_before_drop.append(word)
            self.emit(AssistantWordSpoken(word=word))

    def _report(self, stage: Stage, seconds: float) -> None:
        if stage in self._turn.reported:
            return
        self._turn.reported.add(stage)
        self.emit(StageLatency(stage=stage, seconds=round(seconds, 4), user_turn=self._turn.number))

    def _on_metrics(self, frame: MetricsFrame) -> None:
        for item in frame.data:
            if isinstance(item, LLMUsageMetricsData):
                usage = item.value
                if usage.prompt_tokens or usage.completion_tokens:
                    self.emit(
                        UsageReported(
                            provider=Provider.LLM,
                            prompt_tokens=usage.prompt_tokens,
                            completion_tokens=usage.completion_tokens,
                        )
                    )
            elif isinstance(item, TTSUsageMetricsData) and item.value:
                self.emit(UsageReported(provider=Provider.TTS, characters=int(item.value)))
            elif isinstance(item, STTUsageMetricsData) and item.value.audio_seconds:
                self.emit(UsageReported(provider=Provider.STT, audio_seconds=float(item.value.audio_seconds)))

    def choice_unavailable(self, event: ChoiceUnavailable) -> None:
        """A model or voice the provider no longer offers: one sentence with a switch, once per provider."""
        if event.provider in self._unavailable:
            return
        if event.provider is not None:
            self._unavailable.add(event.provider)
        self.emit(event)

    def _on_error(self, frame: ErrorFrame) -> None:
        if isinstance(frame.processor, ServiceSwitcher):
            return  # a switcher only passes on what its service said, seen when the service pushed it
        if self.is_standby(frame.processor):
            # A standby service's trouble is healed out of sight; its failover says what the user needs to know.
            logger.info(f"Standby {frame.processor}: {frame.error}")
            if self.on_standby_failure is not None:
                self.on_standby_failure(frame)
            return
        provider = names_unavailable_choice(frame)
        if provider is not None:
            if provider not in self._unavailable and self.explain_unavailable is not None:
                self._unavailable.add(provider)
                task = asyncio.ensure_future(self._explain(frame, provider))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            return
        if provider_of(frame.processor) in self._unavailable:
            return  # the retired model or missing voice was said; its failed reconnects would only repeat it
        event = error_event(frame, self._names)
        logger.warning(f"Pipeline error ({event.kind}, {event.provider}): {frame.error}")
        if event.provider is Provider.LLM:
            return  # the reply guard retries the request or gives the turn up, and says so
        if event.provider is not None and self.on_link_failure is not None:
            self.on_link_failure(event.provider, frame)
        if event.provider in self._rejected:
            return
        if event.provider is not None and event.kind in _HEALED_KINDS:
            return  # a connection trouble: the healer reconnects, the status bar says why and when it tries next
        if event.kind is ErrorKind.AUTH and event.provider in self._ever_connected:
            event = key_refused_on_reconnect(
                event.provider, self._names(event.provider)
            )  # the key worked this session: maybe revoked, maybe not
        self.emit_error(event)

    async def _explain(self, frame: ErrorFrame, provider: Provider) -> None:
        assert self.explain_unavailable is not None
        try:
            event = await self.explain_unavailable(frame)
        except Exception:  # finding a replacement is best effort; the sentence below still says what happened
            logger.exception("Could not find a replacement for an unavailable model or voice")
            event = None
        if event is not None:
            self.emit(event)
        else:
            self._unavailable.discard(provider)
            self.emit_error(error_event(frame, self._names))


#: Errors of a speech-to-text or text-to-speech connection that reconnecting cures; the healer tells the user.
_HEALED_KINDS = frozenset({ErrorKind.UNREACHABLE, ErrorKind.PROVIDER, ErrorKind.RATE_LIMIT})


def _said_all(spoken: str, written: str) -> bool:
    """The voice said (nearly) every word of the reply; alignment may merge or drop a word here and there."""
    said, wrote = len(spoken.split()), len(written.split())
    return said >= wrote - max(1, wrote // 10)
