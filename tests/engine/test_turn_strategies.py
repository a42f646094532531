"""The hands-free start strategies, driven frame by frame: as a reply starts, words interrupt it only when the VAD
heard a voice (the speech-to-text also makes words of the echo's residue while the canceller re-adapts), and only
enough of them; later in the reply words alone still interrupt (a barge-in the VAD misses is late, never lost).

No pipeline here: the strategies are Pipecat's own classes fed the frames the user aggregator would feed them; the
end-to-end echo and barge-in tests (test_echo_transport.py, test_barge_in.py) run them in the real session.
"""

from __future__ import annotations

import pytest
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    Frame,
    InterimTranscriptionFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.turns.user_start import BaseUserTurnStartStrategy

from desktop_agent.engine import turns
from desktop_agent.engine.turns import ModeSwitch, build_turn_strategies
from desktop_agent.state.events import TurnMode


class Watched:
    """The hands-free start strategies of a session, with the turn starts and aggregation resets they asked for."""

    def __init__(self, min_words: int):
        switch = ModeSwitch(TurnMode.HANDS_FREE)
        strategies = build_turn_strategies(switch, interruption_min_words=min_words).start
        self.strategies: list[BaseUserTurnStartStrategy] = [s for s in strategies if s._mode is TurnMode.HANDS_FREE]
        self.started = 0
        self.resets = 0
        for strategy in self.strategies:
            strategy.add_event_handler("on_user_turn_started", self._on_started)
            strategy.add_event_handler("on_reset_aggregation", self._on_reset)

    async def _on_started(self, strategy, params) -> None:
        self.started += 1

    async def _on_reset(self, strategy) -> None:
        self.resets += 1

    async def feed(self, *frames: Frame) -> None:
        for frame in frames:
            for strategy in self.strategies:
                await strategy.process_frame(frame)


def words(text: str, *, final: bool = False) -> Frame:
    if final:
        return TranscriptionFrame(text, "user", "2026-12-07T00:00:00Z")
    return InterimTranscriptionFrame(text, "user", "2026-12-07T00:00:00Z")


@pytest.mark.asyncio
@pytest.mark.parametrize("min_words", [1, 2])
async def test_words_without_a_voice_do_not_interrupt_the_assistant(min_words):
    w = Watched(min_words)
    await w.feed(BotStartedSpeakingFrame(), words("I spoke for"), words("I spoke for 1.5 seconds.", final=True))
    assert w.started == 0, "the echo's words interrupted the assistant"
    assert w.resets >= 2, "the echo's words must not stay in the aggregation for the next turn"


@pytest.mark.asyncio
async def test_words_with_a_voice_interrupt_the_assistant():
    w = Watched(2)
    await w.feed(BotStartedSpeakingFrame(), VADUserStartedSpeakingFrame(), words("Stop"))
    assert w.started == 0, "one word is below the interruption threshold"
    await w.feed(words("Stop please"))
    assert w.started == 1


@pytest.mark.asyncio
async def test_words_arriving_just_after_the_voice_stopped_still_interrupt(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(turns.time, "monotonic", lambda: clock[0])
    w = Watched(2)
    await w.feed(BotStartedSpeakingFrame(), VADUserStartedSpeakingFrame(), VADUserStoppedSpeakingFrame())
    clock[0] += turns.VOICE_CORROBORATION_SECS - 0.1
    await w.feed(words("Stop please"))
    assert w.started == 1, "streaming STT lags the voice: its words within the grace period count"

    clock[0] = 2000.0
    late = Watched(2)
    await late.feed(BotStartedSpeakingFrame(), VADUserStartedSpeakingFrame(), VADUserStoppedSpeakingFrame())
    clock[0] += turns.VOICE_CORROBORATION_SECS + 0.1
    assert clock[0] - 2000.0 < turns.ECHO_SETTLING_SECS, "the reply must still be settling for this check"
    await late.feed(words("Stop please"))
    assert late.started == 0, "words long after the voice ended are not the user's"


@pytest.mark.asyncio
async def test_after_the_settling_time_words_alone_interrupt_the_assistant(monkeypatch):
    """A double-talk barge-in the VAD misses (the canceller attenuates the user) still gets through, late."""
    w = Watched(2)
    await w.feed(BotStartedSpeakingFrame(), words("Stop please"))
    assert w.started == 0
    now = turns.time.monotonic()
    monkeypatch.setattr(turns.time, "monotonic", lambda: now + turns.ECHO_SETTLING_SECS + 0.1)
    await w.feed(words("Stop please that is"))
    assert w.started == 1


@pytest.mark.asyncio
async def test_when_the_assistant_is_silent_words_alone_start_a_turn():
    """A short "yes" the VAD missed still starts a turn: the gate only applies while the assistant speaks."""
    w = Watched(2)
    await w.feed(BotStartedSpeakingFrame(), BotStoppedSpeakingFrame(), words("Yes"))
    assert w.started == 1
