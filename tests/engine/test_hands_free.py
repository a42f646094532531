"""Hands-free end to end: Silero VAD hears an utterance, smart-turn decides it is complete once silence follows,
and the assistant answers without any button being touched. Simulator + espeak-ng speech + in-memory sound card."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_agent.state.events import (
    AgentState,
    AssistantTurnEnded,
    ErrorOccurred,
    StageLatency,
    TurnMode,
    UserSpeechStarted,
    UserSpeechStopped,
    UserTurnEnded,
)
from desktop_agent.state.latency import EXCHANGE_STAGES
from tests.engine.conftest import config_for

QUESTION = "Can you recommend a good book to read this weekend?"
REPLY = "Try a short mystery novel. It is a relaxing weekend read."


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_utterance_then_silence_ends_the_turn(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim, mode=TurnMode.HANDS_FREE))
    sim.stt.script([QUESTION])
    sim.llm.script([REPLY])

    since = h.mark()
    # Room silence first, so the VAD has settled before the user speaks; silence after, and no button.
    h.backend.push_input(np.zeros(16000, dtype=np.int16))
    await h.speak(speech(QUESTION), trailing_silence=1.5)

    turn = await h.wait(UserTurnEnded, since, timeout=10)
    assert turn.text == QUESTION
    assert h.of(UserSpeechStarted, since) and h.of(UserSpeechStopped, since)
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert ended.text == REPLY and not ended.interrupted
    assert len(sim.llm_requests()) == 1
    assert sim.llm_requests()[0]["messages"][-1] == {"role": "user", "content": QUESTION}

    stages = {e.stage for e in h.of(StageLatency, since)}
    assert stages == set(EXCHANGE_STAGES)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    assert not h.of(ErrorOccurred)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_silence_alone_starts_no_turn(sim, harness_factory):
    """Room silence in hands-free mode never reaches the LLM."""
    h = await harness_factory(config_for(sim, mode=TurnMode.HANDS_FREE))
    await h.speak(np.zeros(16000 * 2, dtype=np.int16))
    assert not h.of(UserSpeechStarted)
    assert sim.llm_requests() == []
