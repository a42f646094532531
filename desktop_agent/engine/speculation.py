"""Speculative replies: the reply is written and spoken before the turn is confirmed, and heard only once it is.

At a push-to-talk release, or hands-free when the VAD stops, the latest interim transcript is usually what the final
one will say. The stop strategies (:class:`~desktop_agent.engine.speculative_stop.SpeculativeStop`) start the
language model on it at once through Pipecat's own speculation (``UserTurnSpeculation``; the user aggregator runs it
on a provisional copy of the context, so nothing is written to the conversation), and confirm it
(``confirms_speculation``) or withdraw it (``EagerEndOfTurnCancelFrame``) when the turn ends on its final transcript.

Pipecat's ``SpeculationGate`` sits in the language model service and holds its text until the confirmation, so
text-to-speech starts only then and its first audio is still paid after the final transcript. Here the gate moves
behind text-to-speech:

* :class:`SpeculationTracker` replaces the language model's gate. It keeps the gate's bookkeeping (a withdrawal
  stops the request, a speculative tool call is withdrawn rather than run) but lets the text go on to text to speech
  at once, tagging the start of a speculative reply.
* :class:`SpeculativeSpeech` puts a processor on each side of text-to-speech. The one behind it holds a tagged reply
  (audio, words and their timestamps, start and stop) with a Pipecat ``SpeculationGate`` of its own: the turn's
  ``UserStoppedSpeakingFrame`` releases it in order, a withdrawal or an interruption drops it. The one in front of
  it interrupts text-to-speech when a reply it is synthesising is withdrawn, so no stale audio is left to leak into
  the next reply and no more characters are spent on it.
* :class:`SpeculationVeil` stands in front of the engine's observers: while a speculation is unresolved, the frames
  of its reply are kept from them, handed over in order on confirmation and forgotten on withdrawal. The transcript,
  the history, the latency figures and the reply guard never see a reply nobody heard. It also keeps the
  :class:`SpeculationCounters` the benchmark reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipecat.frames.frames import (
    EagerEndOfTurnCancelFrame,
    EndFrame,
    Frame,
    InterimTranscriptionFrame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    MetricsFrame,
    OutputAudioRawFrame,
    SystemFrame,
    TextFrame,
    TranscriptionFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import LLMUsageMetricsData, TTSUsageMetricsData
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed, ProcessorSetUp
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import LLMService
from pipecat.services.tts_service import TTSService
from pipecat.turns.speculation_gate import GatedFrame, SpeculationGate, SpeculationState
from pipecat.utils.asyncio.task_manager import BaseTaskManager

#: Key of ``Frame.metadata`` set on the ``LLMFullResponseStartFrame`` of a reply to an unconfirmed turn.
SPECULATIVE_REPLY = "speculative_reply"

#: The frames of a reply (written and spoken) that observers must not see before its turn is confirmed.
_REPLY_FRAMES = (
    LLMFullResponseStartFrame,
    LLMFullResponseEndFrame,
    TextFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    OutputAudioRawFrame,
)
#: ... the user's own words among them are not part of a reply.
_USER_TEXT = (TranscriptionFrame, InterimTranscriptionFrame)


@dataclass
class SpeculationCounters:
    """What speculation did this session: replies started early, confirmed, discarded, and what the discarded ones
    cost (as the providers reported it: a request cut off before its end reports no tokens)."""

    started: int = 0
    confirmed: int = 0
    discarded: int = 0
    wasted_llm_tokens: int = 0
    wasted_tts_characters: int = 0


class SpeculationTracker(SpeculationGate):
    """The language model's gate, tracking a speculative reply without holding it back.

    Only the gate's bookkeeping is kept: whether the request in flight answers an unconfirmed turn (the service
    stops it on a withdrawal, and withdraws rather than runs a tool call it makes). Its text goes on at once, to be
    spoken ahead of the confirmation and held behind text-to-speech (:class:`SpeculativeSpeech`).
    """

    def process(self, frame: Frame, direction: FrameDirection) -> list[GatedFrame]:
        if direction is FrameDirection.DOWNSTREAM and not isinstance(frame, (SystemFrame, EndFrame)):
            if isinstance(frame, LLMFullResponseStartFrame) and self.is_speculating:
                frame.metadata[SPECULATIVE_REPLY] = True
            return [(frame, direction)]
        return super().process(frame, direction)


def track_speculation_without_holding(llm: LLMService) -> None:
    """Give ``llm`` a :class:`SpeculationTracker` in place of the gate it was built with.

    Pipecat has no public way to swap it (one gate per service, created in ``LLMService.__init__``), so this sets
    the attribute the service reads (tests/engine/test_speculation.py: a withdrawn reply is never heard).
    """
    llm._speculation_gate = SpeculationTracker(name=f"{llm}::SpeculationTracker")


def is_speculative_start(frame: Frame) -> bool:
    return isinstance(frame, LLMFullResponseStartFrame) and bool(frame.metadata.get(SPECULATIVE_REPLY))


class _SpeechEntry(FrameProcessor):
    """In front of text-to-speech: when a reply it is synthesising is withdrawn, interrupts it.

    Text-to-speech ignores a withdrawal, so it would go on synthesising the discarded reply, and the reply that
    replaces it would wait behind that audio. The interruption follows the withdrawal through text-to-speech and
    the hold, ahead of anything the replacing request writes (that request is sent only once the withdrawal has
    gone by the language model), so only the discarded reply is dropped.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="SpeculativeSpeechEntry", **kwargs)
        self._unconfirmed = False

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if direction is not FrameDirection.DOWNSTREAM:
            return
        if is_speculative_start(frame):
            self._unconfirmed = True
        elif isinstance(frame, (UserStoppedSpeakingFrame, InterruptionFrame, LLMFullResponseStartFrame)):
            self._unconfirmed = False
        elif isinstance(frame, EagerEndOfTurnCancelFrame) and self._unconfirmed:
            self._unconfirmed = False
            await self.push_frame(InterruptionFrame())


class _SpeechHold(FrameProcessor):
    """Behind text-to-speech: holds a speculative reply's audio and words until its turn is confirmed.

    The decisions are Pipecat's ``SpeculationGate``'s: a ``UserStoppedSpeakingFrame`` releases what it holds in
    order, a withdrawal or an interruption drops it. Word timestamps were taken against the clock when the audio
    came; a released reply starts playing now, so its words are moved later by the time it was held.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="SpeculativeSpeechHold", **kwargs)
        self._gate = SpeculationGate(name="SpeculativeSpeechHold")
        self._held_since: int | None = None  # pipeline clock when the first audio of the held reply came
        self._pts_shift = 0  # nanoseconds the words of the released reply are moved by

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is FrameDirection.DOWNSTREAM:
            if isinstance(frame, LLMFullResponseStartFrame):
                self._held_since, self._pts_shift = None, 0
                if is_speculative_start(frame):
                    self._gate.begin_speculation(True)
            elif isinstance(frame, InterruptionFrame):
                self._held_since, self._pts_shift = None, 0
        releasing = isinstance(frame, UserStoppedSpeakingFrame) and self._gate.state is SpeculationState.HOLDING
        emitted = self._gate.process(frame, direction)
        if self._gate.state is SpeculationState.HOLDING:
            if self._held_since is None and isinstance(frame, OutputAudioRawFrame):
                self._held_since = self.get_clock().get_time()
        elif releasing and self._held_since is not None:
            self._pts_shift = max(0, self.get_clock().get_time() - self._held_since)
            self._held_since = None
        for out, out_direction in emitted:
            if self._pts_shift and out.pts:
                out.pts += self._pts_shift
            await self.push_frame(out, out_direction)


class SpeculativeSpeech:
    """The two processors around text-to-speech: ``entry()`` in front of it, ``hold()`` behind it."""

    def __init__(self) -> None:
        self._entry = _SpeechEntry()
        self._hold = _SpeechHold()

    def entry(self) -> FrameProcessor:
        return self._entry

    def hold(self) -> FrameProcessor:
        return self._hold


class SpeculationVeil(BaseObserver):
    """In front of ``inner`` (the engine's observers): the frames of an unconfirmed reply reach it only once the
    reply's turn is confirmed, and never if it is withdrawn. Metrics pass at once (the cost was real either way);
    those of a withdrawn reply are counted as waste.

    It follows the same frames, in the same order, as the gates do: the user aggregator's speculative
    ``LLMContextFrame`` opens a speculation, its ``UserStoppedSpeakingFrame`` confirms it, a withdrawal, an
    interruption or a new turn ends it.
    """

    def __init__(self, inner: BaseObserver, counters: SpeculationCounters) -> None:
        super().__init__(observe_every_push=inner.observe_every_push)
        self._inner = inner
        self.counters = counters
        self._pending = False
        self._held: list[FramePushed] = []
        self._llm_tokens = 0
        self._tts_characters = 0
        # Which services were part-way through the speculative reply (its start seen, not its end) ...
        self._open: set[type] = set()
        # ... and so may still push some of it after it was discarded: dropped until they start on something else.
        self._tails: set[type] = set()

    async def setup(self, task_manager: BaseTaskManager) -> None:
        await super().setup(task_manager)
        await self._inner.setup(task_manager)

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._inner.cleanup()

    async def on_pipeline_started(self) -> None:
        await self._inner.on_pipeline_started()

    async def on_processor_setup(self, data: ProcessorSetUp) -> None:
        await self._inner.on_processor_setup(data)

    async def on_process_frame(self, data: FrameProcessed) -> None:
        await self._inner.on_process_frame(data)

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        downstream = data.direction is FrameDirection.DOWNSTREAM
        if downstream and data.first_push:
            if isinstance(frame, LLMContextFrame) and frame.speculation:
                self._begin()
            elif self._pending and isinstance(frame, UserStoppedSpeakingFrame):
                await self._inner.on_push_frame(data)
                await self._confirm()
                return
            elif self._pending and isinstance(
                frame, (EagerEndOfTurnCancelFrame, InterruptionFrame, UserStartedSpeakingFrame)
            ):
                self._discard()
            elif self._pending and isinstance(frame, MetricsFrame):
                self._count_cost(frame)
        if downstream and isinstance(frame, InterruptionFrame) and not self._pending:
            self._tails.discard(_service_of(data.source))  # the service dropped what it had of the reply
        if downstream and _is_reply_frame(frame):
            service = _service_of(data.source)
            if self._pending:
                if service is not None and isinstance(frame, LLMFullResponseStartFrame):
                    self._open.add(service)
                elif service is not None and isinstance(frame, LLMFullResponseEndFrame):
                    self._open.discard(service)
                self._held.append(data)
                return
            if service in self._tails:
                if not isinstance(frame, LLMFullResponseStartFrame):
                    if isinstance(frame, LLMFullResponseEndFrame):
                        self._tails.discard(service)
                    return
                self._tails.discard(service)  # a reply of its own: the discarded one is over
        await self._inner.on_push_frame(data)

    def _begin(self) -> None:
        if self._pending:
            self._discard()  # a speculation is replaced only once the last is settled; counted as discarded if not
        self._pending = True
        self._held = []
        self._open, self._tails = set(), set()
        self._llm_tokens = self._tts_characters = 0
        self.counters.started += 1

    async def _confirm(self) -> None:
        self._pending = False
        held, self._held = self._held, []
        self.counters.confirmed += 1
        for data in held:
            await self._inner.on_push_frame(data)

    def _discard(self) -> None:
        self._pending = False
        self._held = []
        self._tails, self._open = self._open, set()
        self.counters.discarded += 1
        self.counters.wasted_llm_tokens += self._llm_tokens
        self.counters.wasted_tts_characters += self._tts_characters

    def _count_cost(self, frame: MetricsFrame) -> None:
        for item in frame.data:
            if isinstance(item, LLMUsageMetricsData):
                self._llm_tokens += item.value.prompt_tokens + item.value.completion_tokens
            elif isinstance(item, TTSUsageMetricsData) and item.value:
                self._tts_characters += int(item.value)


def _service_of(processor: object) -> type | None:
    """Which part of the reply ``processor`` makes: the language model's text or text-to-speech's audio."""
    if isinstance(processor, LLMService):
        return LLMService
    if isinstance(processor, TTSService):
        return TTSService
    return None


def _is_reply_frame(frame: Frame) -> bool:
    return isinstance(frame, _REPLY_FRAMES) and not isinstance(frame, (SystemFrame, *_USER_TEXT))
