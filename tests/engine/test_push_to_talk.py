"""Push-to-talk end to end: hold, speak, release -> final transcript -> streamed reply -> audio at the TTS rate,
with all five stage latencies reported. Runs the real engine against the loopback simulator with espeak-ng speech
on the in-memory sound card (the only fake: the sound card itself, paced in real time)."""

from __future__ import annotations

import pytest

from desktop_agent.state.events import (
    AgentState,
    AgentStateChanged,
    AssistantSpeechStarted,
    AssistantText,
    AssistantTurnEnded,
    AssistantWordSpoken,
    ErrorOccurred,
    Stage,
    StageLatency,
    UsageReported,
    UserTranscript,
    UserTurnEnded,
)
from desktop_agent.state.latency import EXCHANGE_STAGES
from tests.engine.conftest import config_for

QUESTION = "What is the weather like in Paris today?"
REPLY = "It is sunny in Paris today. Enjoy the warm weather!"


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.parametrize("rate", [24000, 16000])
async def test_push_to_talk_turn(sim, harness_factory, speech, rate, assert_no_key_leak):
    h = await harness_factory(config_for(sim, output_sample_rate=rate))
    sim.stt.script([QUESTION])
    sim.llm.script([REPLY])

    since = h.mark()
    released = await h.push_to_talk(speech(QUESTION))
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)

    finals = [e.text for e in h.of(UserTranscript, since) if e.final]
    assert finals == [QUESTION]
    assert any(not e.final for e in h.of(UserTranscript, since)), "interim transcripts should stream while talking"
    assert [e.text for e in h.of(UserTurnEnded, since)] == [QUESTION]

    # The reply streamed token by token, was spoken word by word, and entered the context whole.
    assert len(h.of(AssistantText, since)) > 3
    assert "".join(e.text for e in h.of(AssistantText, since)) == REPLY
    assert " ".join(e.word for e in h.of(AssistantWordSpoken, since)) == REPLY
    assert ended.text == REPLY and not ended.interrupted

    # The first reply audio went to the speaker after the release, at the configured rate, and was audible.
    audible = [c for c in h.backend.audible() if c.starts > released]
    assert audible, "no reply audio was played"
    assert {c.sample_rate for c in h.backend.played} == {rate}
    assert sum(c.ends - c.starts for c in audible) > 1.5  # a two-sentence reply, not a blip
    assert h.of(AssistantSpeechStarted, since)

    stages = {e.stage: e.seconds for e in h.of(StageLatency, since)}
    assert set(stages) == set(EXCHANGE_STAGES), f"missing stages: {set(EXCHANGE_STAGES) - set(stages)}"
    assert all(0 <= s < 5 for s in stages.values()), stages
    # Voice-to-voice spans the whole chain, so it is the longest stage; it matches the device's own timing.
    assert stages[Stage.VOICE_TO_VOICE] >= max(stages[Stage.ENDPOINTING], stages[Stage.STT_FINAL])
    assert abs((audible[0].starts - released) - stages[Stage.VOICE_TO_VOICE]) < 0.15

    providers = {e.provider for e in h.of(UsageReported, since)}
    assert len(providers) == 3, f"usage should come from all three providers, got {providers}"
    states = [e.state for e in h.of(AgentStateChanged, since)]
    for state in (AgentState.USER_SPEAKING, AgentState.THINKING, AgentState.ASSISTANT_SPEAKING):
        assert state in states
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    assert not h.of(ErrorOccurred)
    assert_no_key_leak(h.events)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_release_without_speech_starts_no_reply(sim, harness_factory):
    """A press and release with nothing said leaves the assistant silent (no LLM request)."""
    h = await harness_factory(config_for(sim))
    since = h.mark()
    h.session.press_talk()
    await h.until(lambda: h.session.state is AgentState.USER_SPEAKING, 5, "the press")
    h.session.release_talk()
    await h.until(lambda: h.session.state is AgentState.LISTENING, 5, "listening again")
    assert sim.llm_requests() == []
    assert not h.of(UserTurnEnded, since)
