"""Every request of a turn has a deadline, and a turn nobody has heard yet is retried before it is given up.

Watches the frames of each turn (as a Pipecat observer, so it adds nothing to the audio path) and acts when:

* **the final transcript** does not come within ``stt_final_timeout`` of the end of the user's speech (the turn had
  voice in it), nor the service's "no words" answer (``FinalizeAnsweredFrame``; a speech-to-text service must say
  one or the other): the connection is restarted and the user's words are given to it again, once;
* **the language model's first token** does not come within ``llm_first_token_timeout`` of its request: the request
  is cancelled and made again, once;
* **the language model refuses** for a passing reason (429, 5xx, a dropped connection) before it wrote anything:
  the request is made again after a backoff (honouring ``retry-after``), up to ``llm_retries`` times;
* **the language model's stream breaks** after it wrote part of the reply: nothing is retried (the user heard the
  start), the reply is kept and marked incomplete;
* **text-to-speech's first audio** does not come within ``tts_first_audio_timeout``: the reply is stopped before a
  word is heard, the text-to-speech connection is restarted and the reply is asked for again, once; if that fails
  too, the reply is shown and saved as not spoken.

When a turn is given up the user gets one sentence and a "Retry" (:meth:`retry`), which gives the same turn again:
the user's words to speech-to-text, the request to the language model, or the reply's text to text-to-speech. A
language model turn is first given to the fallback provider, when one is set (``GuardActions.fail_over``): the user
hears its answer instead of a sentence.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    ErrorFrame,
    Frame,
    InterruptionFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStartedFrame,
    UserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.tts_service import TTSService
from pipecat.utils.errors import ErrorCategory

from desktop_agent.engine.errors import (
    category_of,
    key_refused_on_reconnect,
    reply_given_up,
)
from desktop_agent.engine.frames import FinalizeAnsweredFrame, TypedTurnFrame
from desktop_agent.engine.healing import Backoff, ConnectionHealer
from desktop_agent.engine.observer import STALLED_REASON
from desktop_agent.engine.speech_keeper import SpeechKeeper
from desktop_agent.state.events import ErrorKind, ErrorOccurred, Provider

#: Language model errors that another try may get past.
TRANSIENT = frozenset(
    {ErrorCategory.RATE_LIMIT, ErrorCategory.SERVER, ErrorCategory.CONNECTIVITY, ErrorCategory.UNKNOWN}
)
#: However many retries are allowed, a turn is given up after this long without an answer.
TURN_BUDGET_SECS = 30.0
#: How long an interruption may take to pass the language model before a new request is queued anyway.
INTERRUPTION_PASS_SECS = 2.0
#: How long a restarted connection may take to come back before the retry is given up.
RECONNECT_WAIT_SECS = 10.0


@dataclass(frozen=True)
class Deadlines:
    stt_final: float = 2.5
    llm_first_token: float = 6.0
    tts_first_audio: float = 4.0
    llm_retries: int = 3


class GuardActions:
    """What the guard asks of the session (all on the engine loop)."""

    def __init__(
        self,
        *,
        interrupt_quietly: Callable[[], Awaitable[None]],
        run_llm: Callable[[], Awaitable[None]],
        speak: Callable[[str], Awaitable[None]],
        emit_error: Callable[[ErrorOccurred], None],
        reply_incomplete: Callable[[], None],
        reply_failed: Callable[[], None],
        fail_over: Callable[[], Awaitable[bool]] = lambda: _false(),
        answers_for_chosen: Callable[[object], bool] = lambda service: True,
    ):
        """``fail_over`` lets the fallback language model answer (False: there is none); ``answers_for_chosen``
        tells whether a language model service is the chosen provider's (a fallback's answers say nothing of it)."""
        self.fail_over = fail_over
        self.answers_for_chosen = answers_for_chosen
        self.interrupt_quietly = interrupt_quietly
        self.run_llm = run_llm
        self.speak = speak
        self.emit_error = emit_error
        self.reply_incomplete = reply_incomplete
        self.reply_failed = reply_failed


async def _false() -> bool:
    return False


class _Reply:
    """One answer to one user turn, across its attempts."""

    def __init__(self) -> None:
        self.first_request = time.monotonic()
        self.llm_attempts = 0
        self.text = ""
        self.error: ErrorFrame | None = None
        self.audio = False
        self.heard = False
        self.tts_restarted = False
        self.llm_timed_out = False


class ReplyGuard(BaseObserver):
    def __init__(
        self,
        deadlines: Deadlines,
        healer: ConnectionHealer,
        keeper: SpeechKeeper,
        actions: GuardActions,
        *,
        backoff: Backoff | None = None,
        names: Callable[[Provider], str] = lambda p: p.role_name,
    ):
        super().__init__()
        self._deadlines = deadlines
        self._healer = healer
        self._keeper = keeper
        self._actions = actions
        self._backoff = backoff or Backoff(first=0.5, cap=4.0)
        self._names = names
        self._reply: _Reply | None = None
        self._timers: dict[Provider, asyncio.TimerHandle] = {}
        self._stt_restarted = False
        self._busy: asyncio.Task | None = None  # a retry under way
        self._last_failure: tuple[Provider, str] | None = None  # what "Retry" gives again
        self._interruption_passed = asyncio.Event()
        self.closed = False

    # -- the user's Retry -------------------------------------------------------------------------------------

    @property
    def can_retry(self) -> bool:
        return self._last_failure is not None

    async def retry(self) -> bool:
        """Give the last failed turn again. False when there is nothing to retry."""
        failure, self._last_failure = self._last_failure, None
        if failure is None:
            return False
        provider, text = failure
        logger.info(f"Retrying the last turn ({provider})")
        if provider is Provider.STT:
            self._stt_restarted = False
            return await self._keeper.replay_as_turn()
        if provider is Provider.TTS and text:
            await self._actions.speak(text)
            return True
        self._reply = None
        await self._actions.run_llm()
        return True

    # -- frames -----------------------------------------------------------------------------------------------

    async def on_push_frame(self, data: FramePushed) -> None:
        if self.closed:
            return
        frame = data.frame
        if isinstance(frame, InterruptionFrame) and isinstance(data.source, LLMService):
            self._interruption_passed.set()  # an interruption has gone by the language model: a new request is safe
        if isinstance(frame, VADUserStoppedSpeakingFrame) and isinstance(data.source, SpeechKeeper):
            # The end of speech as it goes into speech-to-text (it was first pushed upstream of the keeper).
            if self._keeper.voiced:
                self._arm(Provider.STT, self._deadlines.stt_final, self._stt_expired)
            return
        if not data.first_push:
            return
        try:
            if isinstance(frame, ErrorFrame):
                if isinstance(frame.processor, LLMService) and self._reply is not None:
                    self._reply.error = frame
                return
            if data.direction is not FrameDirection.DOWNSTREAM:
                return
            self._on_frame(frame, data)
        except Exception:  # a bug here must not take the conversation down
            logger.exception(f"Reply guard failed on {frame}")

    def _on_frame(self, frame: Frame, data: FramePushed) -> None:
        source = data.source
        if isinstance(frame, UserStartedSpeakingFrame):
            self._cancel(Provider.LLM, Provider.TTS)
            self._reply = None
        elif isinstance(frame, TypedTurnFrame):  # a new turn, typed: the last one's reply and its Retry are over
            self._cancel(Provider.LLM, Provider.TTS)
            self._reply = None
            self._last_failure = None
        elif isinstance(frame, FinalizeAnsweredFrame):
            self._cancel(Provider.STT)  # answered "no words": alive, nothing to give again
            self._stt_restarted = False
        elif isinstance(frame, TranscriptionFrame):
            self._cancel(Provider.STT)
            self._stt_restarted = False
            self._keeper.transcript_received()
            if self._last_failure and self._last_failure[0] is Provider.STT:
                self._last_failure = None
        elif isinstance(frame, LLMFullResponseStartFrame) and isinstance(source, LLMService):
            if self._reply is None:
                self._reply = _Reply()
            self._reply.llm_attempts += 1
            self._reply.error = None
            self._reply.text = ""
            self._arm(Provider.LLM, self._deadlines.llm_first_token, self._llm_expired)
        elif isinstance(frame, LLMTextFrame) and isinstance(source, LLMService):
            if self._reply is not None:
                if not self._reply.text:
                    self._cancel(Provider.LLM)
                    if self._actions.answers_for_chosen(source):
                        self._healer.note_success(Provider.LLM)
                self._reply.text += frame.text
        elif isinstance(frame, LLMFullResponseEndFrame) and isinstance(source, LLMService):
            self._cancel(Provider.LLM)
            self._llm_finished()
        elif isinstance(frame, TTSStartedFrame) and isinstance(source, TTSService):
            if self._reply is not None and not self._reply.audio and self._healer.is_up(Provider.TTS):
                self._arm(Provider.TTS, self._deadlines.tts_first_audio, self._tts_expired)
        elif isinstance(frame, TTSAudioRawFrame) and isinstance(source, TTSService):
            self._cancel(Provider.TTS)
            if self._reply is not None:
                self._reply.audio = True
        elif isinstance(frame, BotStartedSpeakingFrame):
            if self._reply is not None:
                self._reply.heard = True
            if self._last_failure and self._last_failure[0] is not Provider.STT:
                self._last_failure = None
        elif isinstance(frame, InterruptionFrame) and self._busy is None:
            self._cancel(Provider.TTS)

    # -- timers -----------------------------------------------------------------------------------------------

    def _arm(self, provider: Provider, seconds: float, action: Callable[[], Awaitable[None]]) -> None:
        self._cancel(provider)
        loop = asyncio.get_running_loop()
        self._timers[provider] = loop.call_later(seconds, lambda: self._run(provider, action))

    def _cancel(self, *providers: Provider) -> None:
        for provider in providers:
            timer = self._timers.pop(provider, None)
            if timer is not None:
                timer.cancel()

    def _run(self, provider: Provider, action: Callable[[], Awaitable[None]]) -> None:
        self._timers.pop(provider, None)
        if self.closed:
            return
        task = asyncio.ensure_future(action())
        self._busy = task
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        if self._busy is task:
            self._busy = None
        if not task.cancelled() and task.exception() is not None:
            logger.opt(exception=task.exception()).error("A reply retry failed")

    def cancel_all(self) -> None:
        self.closed = True
        self._cancel(*list(self._timers))
        if self._busy is not None:
            self._busy.cancel()

    async def _stop_reply(self) -> None:
        """Stop the reply in flight, quietly, and return once the interruption has gone by the language model.

        A request queued before that would be swept away by the interruption (it clears the queues it passes)."""
        self._interruption_passed.clear()
        await self._actions.interrupt_quietly()
        try:
            await asyncio.wait_for(self._interruption_passed.wait(), INTERRUPTION_PASS_SECS)
        except TimeoutError:
            logger.warning("The interruption did not reach the language model in time; asking again anyway")

    # -- speech-to-text ---------------------------------------------------------------------------------------

    async def _stt_expired(self) -> None:
        name = self._names(Provider.STT)
        if not self._stt_restarted:
            self._stt_restarted = True
            logger.warning(f"No final transcript within {self._deadlines.stt_final} s: restarting speech-to-text")
            self._healer.request_restart(Provider.STT, STALLED_REASON)
            if await self._healer.wait_up(Provider.STT, RECONNECT_WAIT_SECS) and await self._keeper.replay_as_turn():
                return
        self._stt_restarted = False
        self._last_failure = (Provider.STT, "")
        self._actions.emit_error(
            ErrorOccurred(
                kind=ErrorKind.PROVIDER,
                message=f"{name} did not answer, so your last words were not heard. Press Retry to send them again.",
                provider=Provider.STT,
                retry=True,
            )
        )

    # -- language model ---------------------------------------------------------------------------------------

    async def _llm_expired(self) -> None:
        reply = self._reply
        if reply is None or reply.text:
            return
        reply.llm_timed_out = True
        name = self._names(Provider.LLM)
        self._healer.note_failure(Provider.LLM, STALLED_REASON)
        await self._stop_reply()
        if reply.llm_attempts <= 1 and self._within_budget(reply):
            logger.warning(
                f"No first token within {self._deadlines.llm_first_token} s: asking the language model again"
            )
            await self._actions.run_llm()
            return
        if await self._fail_over(reply):
            return
        self._give_up_llm(
            f"{name} did not answer within {self._deadlines.llm_first_token:g} seconds. Press Retry to ask again."
        )

    def _llm_finished(self) -> None:
        reply = self._reply
        if reply is None or reply.error is None or reply.llm_timed_out:
            return
        error, reply.error = reply.error, None
        category = category_of(error)
        name = self._names(Provider.LLM)
        if reply.text:  # the stream broke after part of the reply was written (and maybe spoken)
            self._actions.reply_incomplete()
            self._last_failure = (Provider.LLM, "")
            self._actions.emit_error(
                ErrorOccurred(
                    kind=ErrorKind.PROVIDER,
                    message=f"{name} stopped in the middle of the reply, so it is incomplete. "
                    "Press Retry to ask again.",
                    provider=Provider.LLM,
                    retry=True,
                )
            )
            return
        retry_after = retry_after_of(error.exception)
        self._healer.note_failure(Provider.LLM, category.value, retry_after=retry_after)
        if category in TRANSIENT and reply.llm_attempts <= self._deadlines.llm_retries and self._within_budget(reply):
            wait = self._backoff.wait(reply.llm_attempts, retry_after=retry_after)
            logger.warning(f"Language model request failed ({category.value}); trying again in {wait:.1f} s")
            self._run(Provider.LLM, lambda: self._retry_llm_after(wait, reply))
            return
        self._run(Provider.LLM, lambda: self._fail_over_or_give_up(reply, category))

    async def _fail_over_or_give_up(self, reply: _Reply, category: ErrorCategory) -> None:
        if not await self._fail_over(reply):
            self._give_up_llm(None, category)

    async def _fail_over(self, reply: _Reply) -> bool:
        """The fallback answers this turn (and the next ones, until the chosen provider is back)."""
        if self._reply is not reply or not await self._actions.fail_over():
            return False
        self._reply = _Reply()  # the fallback gets its own attempts and deadlines
        await self._actions.run_llm()
        return True

    async def _retry_llm_after(self, wait: float, reply: _Reply) -> None:
        await asyncio.sleep(wait)
        if self._reply is reply:
            await self._actions.run_llm()

    def _give_up_llm(self, sentence: str | None, category: ErrorCategory = ErrorCategory.UNKNOWN) -> None:
        self._reply = None
        self._actions.reply_failed()
        if (
            sentence is None
            and category in (ErrorCategory.AUTHENTICATION, ErrorCategory.AUTHORIZATION)
            and (self._healer.was_up(Provider.LLM))
        ):
            # The key worked earlier in this session: a revoked key, or the provider's passing trouble.
            event = key_refused_on_reconnect(Provider.LLM, self._names(Provider.LLM), retry=True)
        elif sentence is None:
            event = reply_given_up(Provider.LLM, category, self._names(Provider.LLM))
        else:
            event = ErrorOccurred(kind=ErrorKind.PROVIDER, message=sentence, provider=Provider.LLM, retry=True)
        if event.retry:
            self._last_failure = (Provider.LLM, "")
        self._actions.emit_error(event)

    def _within_budget(self, reply: _Reply) -> bool:
        return time.monotonic() - reply.first_request < TURN_BUDGET_SECS

    # -- text-to-speech ---------------------------------------------------------------------------------------

    async def _tts_expired(self) -> None:
        reply = self._reply
        if reply is None or reply.audio:
            return
        name = self._names(Provider.TTS)
        if not reply.tts_restarted and not reply.heard:
            reply.tts_restarted = True
            logger.warning(f"No audio within {self._deadlines.tts_first_audio} s: restarting text-to-speech")
            await self._stop_reply()
            self._healer.request_restart(Provider.TTS, STALLED_REASON)
            if await self._healer.wait_up(Provider.TTS, RECONNECT_WAIT_SECS):
                reply.text = ""
                await self._actions.run_llm()
                return
        self._last_failure = (Provider.TTS, reply.text)
        self._actions.emit_error(
            ErrorOccurred(
                kind=ErrorKind.PROVIDER,
                message=f"{name} did not answer, so the reply is shown but not spoken. Press Retry to hear it.",
                provider=Provider.TTS,
                retry=True,
            )
        )


def retry_after_of(exc: BaseException | None) -> float | None:
    """The ``retry-after`` the provider sent with a refusal (HTTP SDK errors and websocket handshakes carry it)."""
    while exc is not None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        if headers is not None:
            value = headers.get("retry-after") or headers.get("Retry-After")
            if value:
                try:
                    return float(value)
                except ValueError:
                    return None
        exc = exc.__cause__ or exc.__context__
    return None
