"""Settling a speculative turn when more than one path judges it over at once.

Pipecat's real turn controller and the app's push-to-talk strategies, fed the frames the user aggregator feeds them;
the aggregator itself is stood in for by the controller's event handlers, which record what it would do. The
controller awaits while it ends a turn (each strategy's callback: the push-to-talk strategy cancels its fallback
timer, the aggregator pushes the turn's context); here a start strategy that takes its time over the callback
widens that moment so it can be hit on purpose. In the benchmark on a loaded machine, Pipecat's straggler wait
ended the turn a second time in it, the second settle withdrew the reply the first was confirming, and the turn got
no reply.
"""

from __future__ import annotations

import asyncio

import pytest
from pipecat.clocks.system_clock import SystemClock
from pipecat.frames.frames import (
    InterimTranscriptionFrame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    TranscriptionFrame,
)
from pipecat.processors.frame_processor import FrameProcessorSetup
from pipecat.turns.user_start import BaseUserTurnStartStrategy
from pipecat.turns.user_turn_controller import UserTurnController
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.utils.asyncio.task_manager import TaskManager

from desktop_agent.engine.turns import (
    PTT_TRANSCRIPT_GRACE_SECS,
    ModeSwitch,
    PushToTalkStartStrategy,
    PushToTalkStopStrategy,
)
from desktop_agent.state.events import TurnMode

STAMP = "2026-12-08T00:00:00Z"


class SlowToNoticeTheEnd(BaseUserTurnStartStrategy):
    """Starts nothing; takes ``secs`` over the end of a turn (longer than Pipecat's 50 ms straggler wait)."""

    def __init__(self, secs: float):
        super().__init__()
        self._secs = secs

    async def handle_user_turn_stopped(self) -> None:
        await asyncio.sleep(self._secs)


class Aggregator:
    """What the user aggregator is asked to do, in order."""

    def __init__(self, controller: UserTurnController):
        self.calls: list[str] = []
        controller.add_event_handler("on_user_turn_inference_triggered", self._inference)
        controller.add_event_handler("on_user_turn_speculation_cancelled", self._cancelled)
        controller.add_event_handler("on_user_turn_stopped", self._stopped)

    async def _inference(self, controller, strategy, speculation) -> None:
        self.calls.append(f"speculate: {speculation.text}" if speculation else "answer")

    async def _cancelled(self, controller) -> None:
        self.calls.append("withdraw")

    async def _stopped(self, controller, strategy, params) -> None:
        self.calls.append("end, confirmed" if params.confirms_speculation else "end")


async def _controller(turn_end_secs: float) -> tuple[UserTurnController, Aggregator, TaskManager]:
    """A push-to-talk turn controller whose end of a turn takes ``turn_end_secs``."""
    switch = ModeSwitch(TurnMode.PUSH_TO_TALK)
    ptt = TurnMode.PUSH_TO_TALK
    strategies = UserTurnStrategies(
        start=[PushToTalkStartStrategy(switch=switch, mode=ptt), SlowToNoticeTheEnd(turn_end_secs)],
        stop=[
            PushToTalkStopStrategy(
                switch=switch, mode=ptt, timeout=PTT_TRANSCRIPT_GRACE_SECS, may_speculate=lambda: True
            )
        ],
    )
    controller = UserTurnController(user_turn_strategies=strategies)
    tasks = TaskManager(loop=asyncio.get_running_loop())
    await controller.setup(FrameProcessorSetup(clock=SystemClock(), task_manager=tasks, pipeline_worker=None))
    return controller, Aggregator(controller), tasks


async def _turn_with_final(final: str) -> list[str]:
    """A push-to-talk turn whose last interim is "What time is it" and whose final transcript is ``final``: what
    the aggregator was asked to do once every timer has run out."""
    # The turn's end takes longer than Pipecat's straggler wait (50 ms), which runs out while it ends.
    controller, aggregator, _ = await _controller(turn_end_secs=0.3)
    try:
        await controller.process_frame(ProposedUserStartedSpeakingFrame())
        await controller.process_frame(InterimTranscriptionFrame("What time is it", "user", STAMP))
        await controller.process_frame(ProposedUserStoppedSpeakingFrame())
        await controller.process_frame(TranscriptionFrame(final, "user", STAMP))
        await asyncio.sleep(0.3)
        return aggregator.calls
    finally:
        await controller.cleanup()


@pytest.mark.asyncio
async def test_a_second_stop_while_the_first_confirms_keeps_the_reply():
    assert await _turn_with_final("What time is it?") == ["speculate: What time is it", "end, confirmed"]


@pytest.mark.asyncio
async def test_a_mismatch_is_withdrawn_once_and_answered_once():
    calls = await _turn_with_final("What time is it in Paris?")
    assert calls == ["speculate: What time is it", "withdraw", "answer", "end"]
