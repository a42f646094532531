"""A turn's reply started before its end is confirmed, and kept only if the words it answers are the turn's words.

Both turn modes have a moment when the turn has most likely ended but is not confirmed yet: the push-to-talk release
(the final transcript is still on its way) and, hands-free, the VAD's stop (smart-turn has yet to judge the turn
complete, and the final transcript is on its way too). :class:`SpeculativeStop` lets a stop strategy start the reply
then, on the words heard so far, through Pipecat's own speculation (``UserTurnSpeculation``: the user aggregator
runs the language model on a provisional copy of the context, so nothing is written to the conversation), and
settle it when the strategy decides the turn is over: a match with the turn's final transcripts (``NormalizedMatch``:
case, punctuation and spacing aside) confirms it, the reply already on its way; anything else withdraws it unheard
(``EagerEndOfTurnCancelFrame``) and the turn is answered afresh. How the reply is held until then:
:mod:`desktop_agent.engine.speculation`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipecat.frames.frames import (
    EagerEndOfTurnCancelFrame,
    Frame,
    InterimTranscriptionFrame,
    InterruptionFrame,
    TranscriptionFrame,
)
from pipecat.turns.types import ProcessFrameResult, UserTurnSpeculation
from pipecat.turns.user_stop import NormalizedMatch


class SpeculativeStop:
    """Mixin for a Pipecat stop strategy: :meth:`speculate` starts the reply early; the strategy's own
    ``trigger_user_turn_stopped`` then confirms or withdraws it. An interruption, the language model withdrawing it
    (a tool call), or a turn ended some other way (the aggregator's watchdog) withdraws it too.

    Its ``super()`` calls reach the strategy class it is mixed into, which mypy cannot see: they carry ignore[misc].
    """

    def __init__(self, *, may_speculate: Callable[[], bool] = lambda: False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._may_speculate = may_speculate
        self._match = NormalizedMatch()
        self._in_turn = False
        self._finals: list[str] = []
        self._interim = ""
        self._speculation: UserTurnSpeculation | None = None
        self._confirming = False
        self._settling = False  # a trigger_user_turn_stopped is settling the turn

    @property
    def heard_words(self) -> bool:
        return bool(self._finals or self._interim)

    def words_so_far(self) -> str:
        return " ".join([*self._finals, self._interim]).strip()

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        if isinstance(frame, (InterruptionFrame, EagerEndOfTurnCancelFrame)) and self._speculation is not None:
            # Interrupted, or withdrawn by the language model: the speculative reply was dropped on its way, so the
            # turn gets a reply of its own when it ends.
            await self.withdraw()
        # Noted before the strategy sees it: a final transcript can be what makes the strategy end the turn.
        if isinstance(frame, TranscriptionFrame) and frame.text.strip():
            self._finals.append(frame.text.strip())
            self._interim = ""
        elif isinstance(frame, InterimTranscriptionFrame):
            self._interim = frame.text.strip()
        return await super().process_frame(frame)  # type: ignore[misc]

    async def handle_user_turn_started(self) -> None:
        self._in_turn = True
        self._finals, self._interim = [], ""
        await super().handle_user_turn_started()  # type: ignore[misc]

    async def handle_user_turn_stopped(self) -> None:
        # Runs inside the turn's end, only if the controller accepted it: a confirmation made it.
        if not self._confirming:
            await self.withdraw()  # ended some other way (the watchdog, the session): the speculation is void
        self._speculation = None
        self._in_turn = False
        self._finals, self._interim = [], ""
        await super().handle_user_turn_stopped()  # type: ignore[misc]

    async def speculate(self, *, only_if_unfinished: bool) -> None:
        """Start the reply on the words so far (``only_if_unfinished``: only if some are still only in an interim
        transcript; else the turn's end is as near as a speculation's confirmation would be)."""
        text = self.words_so_far()
        if not (self._in_turn and text and self._may_speculate()):
            return
        if only_if_unfinished and not self._interim:
            return
        if self._speculation is not None:
            if self._speculation.text == text:
                return  # the same words: the reply under way answers them already
            await self.withdraw()
        self._speculation = UserTurnSpeculation(text=text)
        await self.trigger_user_turn_inference_triggered(speculation=self._speculation)  # type: ignore[attr-defined]

    async def withdraw(self) -> None:
        if self._speculation is not None:
            self._speculation = None
            await self.trigger_user_turn_speculation_cancelled()  # type: ignore[attr-defined]

    async def trigger_user_turn_stopped(self, *, enable_user_speaking_frames: bool | None = None) -> None:
        """The strategy judged the turn over. With a speculation under way whose words the final transcripts say,
        that confirms it; otherwise it is withdrawn and the turn ends as it would have. :attr:`accepted` says
        whether the turn ended (the turn controller refuses while someone is speaking).

        Several paths judge the same turn (a final transcript, Pipecat's own straggler wait, a fallback timer) and
        the controller awaits while it ends a turn, so a second one can arrive while the first is settling: it is
        ignored, as is one arriving after the turn ended. Otherwise it would find the reply just confirmed still
        "unaccepted" and withdraw it, leaving the turn with no reply (seen in the benchmark on a loaded machine).
        """
        if self._settling or not self._in_turn:
            return
        self._settling = True
        try:
            await self._settle(enable_user_speaking_frames)
        finally:
            self._settling = False

    async def _settle(self, enable_user_speaking_frames: bool | None) -> None:
        speculation, committed = self._speculation, " ".join(self._finals).strip()
        if speculation is not None and committed and self._match.matches(speculation.text, committed):
            self._confirming = True
            try:
                await self.trigger_user_turn_finalized(  # type: ignore[attr-defined]
                    enable_user_speaking_frames=enable_user_speaking_frames, confirms_speculation=True
                )
            finally:
                self._confirming = False
            if self._in_turn:  # refused (the user is speaking): never leave the reply waiting on its own
                await self.withdraw()
            return
        await self.withdraw()
        await super().trigger_user_turn_stopped(  # type: ignore[misc]
            enable_user_speaking_frames=enable_user_speaking_frames
        )

    @property
    def accepted(self) -> bool:
        """Whether the turn has ended (after :meth:`trigger_user_turn_stopped`: whether it ended the turn)."""
        return not self._in_turn
