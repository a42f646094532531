"""Turn-taking for push-to-talk and hands-free, switchable while a conversation runs.

Both modes' strategies sit in the user aggregator at once; each is gated by the shared :class:`ModeSwitch`, so
switching mode is a flag flip, not a pipeline rebuild (Pipecat has no public setter for strategies).

* Push-to-talk: :class:`TurnInput` turns the transport's ``TalkGateFrame`` into the VAD and proposed-turn frames
  Pipecat's external strategies resolve. The synthetic ``VADUserStoppedSpeakingFrame`` on release makes the
  speech-to-text service finalize the transcript at once, and it anchors the latency measurements.
* Hands-free: :class:`TurnInput` runs Silero VAD on the microphone; smart-turn (``LocalSmartTurnAnalyzerV3``)
  decides when the turn is over. While the assistant speaks, the user must say ``interruption_min_words`` words to
  interrupt (``MinWordsUserTurnStartStrategy``), so a cough does not cut the reply off; as a reply starts, the VAD
  must hear a voice too (:class:`_VoiceCorroborated`), so words made of the echo's residue do not either.
* Hands-free with a speech-to-text that decides turns itself (``stt_decides_turns``): its proposed start and stop
  open and end the turn, and its predicted end starts a reply that Pipecat holds until the turn ends (dropped if the
  user goes on). No smart-turn runs then, and the local VAD's marks stop at :class:`LocalSpeechMarks`: a VAD start
  reaching the aggregator makes Pipecat refuse the turn's end and can release a stale held reply as well as the new
  one (speculation-and-livekit.md, P-1).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.audio.vad.vad_controller import VADController
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    StartFrame,
    TranscriptionFrame,
    UserSpeakingFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor, FrameProcessorSetup
from pipecat.turns.types import ProcessFrameResult
from pipecat.turns.user_start import (
    BaseUserTurnStartStrategy,
    ExternalUserTurnStartStrategy,
    MinWordsUserTurnStartStrategy,
    TranscriptionUserTurnStartStrategy,
    VADUserTurnStartStrategy,
)
from pipecat.turns.user_stop import (
    BaseUserTurnStopStrategy,
    EagerUserTurnStopStrategy,
    ExternalUserTurnStopStrategy,
    TurnAnalyzerUserTurnStopStrategy,
)
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from desktop_agent.engine.frames import TalkGateFrame
from desktop_agent.engine.speculative_stop import SpeculativeStop
from desktop_agent.engine.vad import SileroVAD
from desktop_agent.state.events import TurnMode

# How long the push-to-talk stop strategy waits after the last final transcript for a straggler.
PTT_TRANSCRIPT_GRACE_SECS = 0.05
# A release with nothing heard ends the turn after this long (the STT's answer to "finalize" comes well before).
PTT_SILENT_RELEASE_SECS = 0.8
# A release after speech waits this long for the final transcript before ending the turn with what it has.
PTT_MISSING_FINAL_SECS = 3.0
# As a reply starts, words interrupt it only with a voice the VAD heard (see _VoiceCorroborated): for this long after
# the assistant starts speaking (twice the half second in which AEC3 was measured re-adapting) ...
ECHO_SETTLING_SECS = 1.5
# ... and a voice heard up to this long before the words (streaming STT delivers them up to a second late).
VOICE_CORROBORATION_SECS = 1.0
# Stop seconds reported on the synthetic release frame: non-zero so Pipecat's STT metric is not skipped.
PTT_RELEASE_STOP_SECS = 0.001

# Frames that carry a turn decision; a strategy of the inactive mode must not see them.
_TURN_SIGNALS = (
    InputAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    TranscriptionFrame,
    InterimTranscriptionFrame,
)


class ModeSwitch:
    """The turn mode, shared by the turn input and the strategies (engine loop only).

    ``mode`` is what the user chose; :attr:`active` is the mode that decides turns right now. A turn in progress
    keeps the mode it started in, so switching mid-turn never leaves a turn without a strategy able to end it.
    """

    def __init__(self, mode: TurnMode):
        self.mode = mode
        self._turn_mode: TurnMode | None = None

    @property
    def active(self) -> TurnMode:
        return self._turn_mode or self.mode

    def turn_started(self) -> None:
        if self._turn_mode is None:
            self._turn_mode = self.mode

    def turn_stopped(self) -> None:
        self._turn_mode = None


class _ModeGated:
    """Mixin: only the active mode's strategies see turn signals; set-up and bot frames always pass."""

    # Its super() calls reach the strategy class it is mixed into, which mypy cannot see: they carry ignore[misc].

    def __init__(self, *, switch: ModeSwitch, mode: TurnMode, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._switch = switch
        self._mode = mode

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        if self._switch.active is not self._mode and isinstance(frame, _TURN_SIGNALS):
            return ProcessFrameResult.CONTINUE
        return await super().process_frame(frame)  # type: ignore[misc]

    async def handle_user_turn_started(self) -> None:
        self._switch.turn_started()
        await super().handle_user_turn_started()  # type: ignore[misc]

    async def handle_user_turn_stopped(self) -> None:
        self._switch.turn_stopped()
        await super().handle_user_turn_stopped()  # type: ignore[misc]


class PushToTalkStartStrategy(_ModeGated, ExternalUserTurnStartStrategy):
    """Press: the turn starts and the assistant is interrupted."""


class PushToTalkStopStrategy(_ModeGated, SpeculativeStop, ExternalUserTurnStopStrategy):
    """Release: the turn ends as soon as the final transcript is in, and its reply may already be under way.

    The release asks speech to text to finalize; its answer is the last final transcript of the turn, so the turn ends
    on it at once rather than after Pipecat's straggler grace (``timeout``, kept as a fallback). Pipecat's external
    strategy also waits for text indefinitely (until the aggregator's 5 s watchdog); a release with nothing said, or
    a transcript that never comes, ends the turn after a short wait instead, so the assistant is ready again at once.

    Speculation (``may_speculate``; :class:`~desktop_agent.engine.speculative_stop.SpeculativeStop`): at the release,
    words still in an interim transcript are usually what the final one will say, so the reply is started on them at
    once and confirmed when the final transcript says the same. It is withdrawn, and the turn answered afresh, when
    anything voids it first: a press before the final transcript (the turn goes on), an interruption, the language
    model withdrawing it (a tool call), or a stop the turn controller refuses (someone is still speaking: the turn
    ends, with one reply, when they stop).
    """

    def __init__(
        self,
        *,
        silent_release_secs: float = PTT_SILENT_RELEASE_SECS,
        missing_final_secs: float = PTT_MISSING_FINAL_SECS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._silent_release_secs = silent_release_secs
        self._missing_final_secs = missing_final_secs
        self._released = False
        self._fallback: asyncio.Task | None = None
        self._refused = False  # the controller refused to end the turn: end it when the user stops speaking

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        result = await super().process_frame(frame)
        if self._switch.active is self._mode:
            if isinstance(frame, TranscriptionFrame) and frame.text.strip():
                if self._released:
                    await self._end_turn()
            elif isinstance(frame, ProposedUserStoppedSpeakingFrame):
                self._released = True
                await self.speculate(only_if_unfinished=True)
                await self._arm_fallback()
            elif isinstance(frame, ProposedUserStartedSpeakingFrame):
                self._released = False
                await self._disarm_fallback()
                await self.withdraw()  # pressed again before the final transcript: the turn goes on
            elif isinstance(frame, VADUserStoppedSpeakingFrame) and self._refused and self._released:
                self._refused = False
                await self._end_turn()
        return result

    async def handle_user_turn_started(self) -> None:
        await self._disarm_fallback()
        self._released = self._refused = False
        await super().handle_user_turn_started()

    async def handle_user_turn_stopped(self) -> None:
        await self._disarm_fallback()
        self._released = self._refused = False
        await super().handle_user_turn_stopped()

    async def cleanup(self) -> None:
        await self._disarm_fallback()
        await super().cleanup()

    async def _end_turn(self) -> None:
        """The final transcript is in (or will not come): confirm the reply under way, or answer afresh."""
        await self.trigger_user_turn_stopped()
        if not self.accepted and self._released:
            self._refused = True

    async def _arm_fallback(self) -> None:
        await self._disarm_fallback()
        wait = self._missing_final_secs if self.heard_words else self._silent_release_secs
        self._fallback = self.create_task(self._end_turn_after(wait), f"{self}::fallback")

    async def _disarm_fallback(self) -> None:
        task, self._fallback = self._fallback, None
        if task is not None and task is not asyncio.current_task():
            await self.cancel_task(task)

    async def _end_turn_after(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._fallback = None
        await self._end_turn()


class _VoiceCorroborated:
    """Mixin for transcript-driven start strategies: as a reply starts, words alone do not interrupt it.

    The speech-to-text hears everything the microphone does, including what the echo canceller leaves of the
    assistant's own voice. AEC3 re-adapts during the first tenths of a second of a reply whenever the echo's delay
    shifted (:mod:`desktop_agent.engine.echo` says when), and on a loaded machine that residue was loud enough for
    the speech-to-text to make words of it and cut the reply off (measured: 3 words 0.7 s into a reply, with no VAD
    start). So during the first :data:`ECHO_SETTLING_SECS` of the assistant's speech, a transcript interrupts only if
    the VAD (a speech model, on the cancelled signal) heard a voice at the same time or within
    :data:`VOICE_CORROBORATION_SECS` before; an uncorroborated one is dropped from the aggregation, so it does not
    leak into the next user turn either. After that, and whenever the assistant is silent, words alone count as
    before: a double-talk barge-in the VAD misses (AEC3 attenuates the user while the assistant speaks) is late by
    at most the settling time, never lost.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._assistant_started_at: float | None = None
        self._voice = False
        self._voice_ended_at = float("-inf")

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        if isinstance(frame, BotStartedSpeakingFrame):
            self._assistant_started_at = time.monotonic()
        elif isinstance(frame, BotStoppedSpeakingFrame):
            self._assistant_started_at = None
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            self._voice = True
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._voice, self._voice_ended_at = False, time.monotonic()
        elif isinstance(frame, (InterimTranscriptionFrame, TranscriptionFrame)) and self._echo_suspected():
            await self.trigger_reset_aggregation()  # type: ignore[attr-defined]
            return ProcessFrameResult.CONTINUE
        return await super().process_frame(frame)  # type: ignore[misc]

    def _echo_suspected(self) -> bool:
        """Words now could be the echo of a reply that just started: the VAD heard no voice to go with them."""
        now = time.monotonic()
        started = self._assistant_started_at
        settling = started is not None and now - started < ECHO_SETTLING_SECS
        voice = self._voice or now - self._voice_ended_at <= VOICE_CORROBORATION_SECS
        return settling and not voice


class HandsFreeVADStartStrategy(_ModeGated, VADUserTurnStartStrategy):
    """Any speech starts a turn (used when one word is enough to interrupt)."""


class HandsFreeTranscriptionStartStrategy(_ModeGated, _VoiceCorroborated, TranscriptionUserTurnStartStrategy):
    """A transcript without a VAD start (very short speech) still starts a turn."""


class HandsFreeMinWordsStartStrategy(_ModeGated, _VoiceCorroborated, MinWordsUserTurnStartStrategy):
    """N words interrupt the assistant while it speaks; one word starts a turn otherwise."""


class HandsFreeStopStrategy(_ModeGated, SpeculativeStop, TurnAnalyzerUserTurnStopStrategy):
    """Smart-turn decides when a hands-free turn is complete, and its reply may already be under way.

    When the VAD stops, smart-turn has yet to judge the turn complete and the final transcript is still on its way;
    the user has most likely finished. So the reply is started then, on the words heard so far (``may_speculate``;
    :class:`~desktop_agent.engine.speculative_stop.SpeculativeStop`), while smart-turn and speech to text finish.
    When smart-turn's verdict and the final transcript end the turn, a match confirms the reply under way; otherwise
    it is withdrawn unheard and the turn answered afresh. The user speaking again before that withdraws it too (the
    turn goes on), as do an interruption and the language model withdrawing it (a tool call).
    """

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        if self._switch.active is self._mode:
            if isinstance(frame, VADUserStoppedSpeakingFrame):
                await self.speculate(only_if_unfinished=False)  # before smart-turn's verdict, which takes a while
            elif isinstance(frame, VADUserStartedSpeakingFrame):
                await self.withdraw()
        return await super().process_frame(frame)


class HandsFreeSpeechToTextStartStrategy(_ModeGated, ExternalUserTurnStartStrategy):
    """Speech to text proposes the start of a turn (and the interruption of the assistant)."""


class HandsFreeSpeechToTextStopStrategy(_ModeGated, EagerUserTurnStopStrategy):
    """Speech to text proposes the end of a turn; its predicted end starts a reply, held until the end confirms it."""


def build_turn_strategies(
    switch: ModeSwitch,
    *,
    interruption_min_words: int,
    stt_decides_turns: bool = False,
    may_speculate: Callable[[], bool] = lambda: False,
) -> UserTurnStrategies:
    """``may_speculate`` says whether a reply may start before its turn is confirmed: at the push-to-talk release,
    before the final transcript; hands-free, when the VAD stops, before smart-turn's verdict and the final transcript
    (not with a speech to text that decides turns: Pipecat's eager strategy speculates on its predicted end)."""
    ptt, hf = TurnMode.PUSH_TO_TALK, TurnMode.HANDS_FREE
    hands_free_start: list[BaseUserTurnStartStrategy]
    hands_free_stop: BaseUserTurnStopStrategy
    if stt_decides_turns:
        hands_free_start = [HandsFreeSpeechToTextStartStrategy(switch=switch, mode=hf)]
        # A short straggler wait: the proposed stop (a system frame) can overtake the final transcript.
        hands_free_stop = HandsFreeSpeechToTextStopStrategy(switch=switch, mode=hf, timeout=PTT_TRANSCRIPT_GRACE_SECS)
    else:
        hands_free_stop = HandsFreeStopStrategy(
            switch=switch, mode=hf, turn_analyzer=LocalSmartTurnAnalyzerV3(), may_speculate=may_speculate
        )
        if interruption_min_words > 1:
            hands_free_start = [
                HandsFreeMinWordsStartStrategy(switch=switch, mode=hf, min_words=interruption_min_words)
            ]
        else:
            hands_free_start = [
                HandsFreeVADStartStrategy(switch=switch, mode=hf),
                HandsFreeTranscriptionStartStrategy(switch=switch, mode=hf),
            ]
    return UserTurnStrategies(
        start=[PushToTalkStartStrategy(switch=switch, mode=ptt), *hands_free_start],
        stop=[
            PushToTalkStopStrategy(
                switch=switch, mode=ptt, timeout=PTT_TRANSCRIPT_GRACE_SECS, may_speculate=may_speculate
            ),
            hands_free_stop,
        ],
    )


class LocalSpeechMarks(FrameProcessor):
    """Right after :class:`TurnInput` when speech to text decides hands-free turns: the local VAD's marks end here.

    The observers have seen them pushed (when the user's speech ended anchors the latency figures), but neither the
    speech-to-text service nor the user aggregator gets them: beside the service's own turns a VAD start makes
    Pipecat refuse the end of the turn (speculation-and-livekit.md, P-1). Push-to-talk's press and release pass.
    """

    _MARKS = (VADUserStartedSpeakingFrame, VADUserStoppedSpeakingFrame, UserSpeakingFrame)

    def __init__(self, switch: ModeSwitch, **kwargs: Any) -> None:
        super().__init__(name="LocalSpeechMarks", **kwargs)
        self._switch = switch

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        hands_free = self._switch.active is TurnMode.HANDS_FREE
        if direction is FrameDirection.DOWNSTREAM and hands_free and isinstance(frame, self._MARKS):
            return
        await self.push_frame(frame, direction)


class TurnInput(FrameProcessor):
    """Right after the input transport: voice activity in hands-free mode, press/release in push-to-talk.

    Its VAD frames travel downstream through the STT service (which finalizes on the stop) to the user aggregator.
    """

    def __init__(
        self, switch: ModeSwitch, *, vad_confidence: float = 0.7, vad_stop_secs: float = 0.2, **kwargs: Any
    ) -> None:
        super().__init__(name="TurnInput", **kwargs)
        self._switch = switch
        self._analyzer = SileroVAD(params=VADParams(confidence=vad_confidence, stop_secs=vad_stop_secs))
        self._vad = VADController(self._analyzer, audio_idle_timeout=1.0)
        self._vad.add_event_handler("on_speech_started", self._on_speech_started)
        self._vad.add_event_handler("on_speech_stopped", self._on_speech_stopped)
        self._vad.add_event_handler("on_speech_activity", self._on_speech_activity)
        self._vad.add_event_handler("on_push_frame", self._on_push_frame)
        self._vad.add_event_handler("on_broadcast_frame", self._on_broadcast_frame)
        self._talking = False

    # Pipecat's FrameProcessor.setup takes a FrameProcessorSetup where its base BaseObject's takes a task manager.
    async def setup(self, setup: FrameProcessorSetup) -> None:  # type: ignore[override]
        await super().setup(setup)
        await self._vad.setup(setup)

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._vad.cleanup()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TalkGateFrame):
            # A release always ends a press in progress, even if the mode changed while the button was held.
            if self._switch.active is TurnMode.PUSH_TO_TALK or not frame.open:
                await self._talk(frame.open)
            return
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self._vad.start()
        elif isinstance(frame, (EndFrame, CancelFrame)):
            await self._vad.stop()
        elif isinstance(frame, InputAudioRawFrame):
            if self._switch.active is TurnMode.HANDS_FREE:
                await self._vad.process_frame(frame)
        else:
            await self._vad.process_frame(frame)

    async def _talk(self, pressed: bool) -> None:
        if pressed == self._talking:
            return
        self._talking = pressed
        if pressed:
            await self.push_frame(VADUserStartedSpeakingFrame(start_secs=0.0))
            await self.push_frame(ProposedUserStartedSpeakingFrame())
        else:
            await self.push_frame(VADUserStoppedSpeakingFrame(stop_secs=PTT_RELEASE_STOP_SECS, timestamp=time.time()))
            await self.push_frame(ProposedUserStoppedSpeakingFrame())

    async def _on_speech_started(self, controller: VADController) -> None:
        await self.broadcast_frame(VADUserStartedSpeakingFrame, start_secs=self._analyzer.params.start_secs)

    async def _on_speech_stopped(self, controller: VADController) -> None:
        await self.broadcast_frame(VADUserStoppedSpeakingFrame, stop_secs=self._analyzer.params.stop_secs)

    async def _on_speech_activity(self, controller: VADController) -> None:
        await self.broadcast_frame(UserSpeakingFrame)

    async def _on_push_frame(self, controller: VADController, frame: Frame, direction: FrameDirection) -> None:
        await self.push_frame(frame, direction)

    async def _on_broadcast_frame(self, controller: VADController, frame_cls: type[Frame], **kwargs: Any) -> None:
        await self.broadcast_frame(frame_cls, **kwargs)
