"""A turn typed instead of spoken, end to end through the real session on the loopback simulator: the typed words
reach the language model as the user's message, the reply is spoken (audio on the in-memory sound card, the only
fake) or, with "reply in text", shown and kept without reaching text-to-speech; a typed turn interrupts a reply in
progress like a spoken one, and a retried text-only reply stays in text."""

from __future__ import annotations

import time

import pytest

from desktop_agent.simulator.faults import Fault
from desktop_agent.state.events import (
    AgentState,
    AssistantSpeechStarted,
    AssistantText,
    AssistantTurnEnded,
    AssistantWordSpoken,
    Interrupted,
    Provider,
    Stage,
    StageLatency,
    UsageReported,
    UserTurnEnded,
)
from tests.engine.conftest import config_for

QUESTION = "What should I bring to the meeting?"
REPLY = "Bring your notes and the latest figures. A pen helps too."
FOLLOW_UP = "And what time does it start?"
FOLLOW_UP_REPLY = "It starts at ten. Be there a few minutes early."
LONG_REPLY = " ".join(f"Sentence number {n} of a long answer about the quarterly plan." for n in range(1, 13))


def _tts_text(sim) -> str:
    """Everything the text-to-speech emulator was asked to say so far."""
    return " ".join(str(message) for message in sim.tts_messages())


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_typed_turn_gets_a_spoken_reply(sim, harness_factory):
    h = await harness_factory(config_for(sim))
    sim.llm.script([REPLY])

    since = h.mark()
    sent = time.monotonic()
    assert h.session.send_typed_turn(f"  {QUESTION}\n")
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)

    # The typed words are the user's turn, and reach the language model as the user's message.
    assert [e.text for e in h.of(UserTurnEnded, since)] == [QUESTION]
    request = sim.llm_requests()[-1]
    assert request["messages"][-1] == {"role": "user", "content": QUESTION}

    # The reply is spoken: word by word, aloud on the speaker, counted as spoken.
    assert ended.text == REPLY and ended.spoken and not ended.interrupted
    assert " ".join(e.word for e in h.of(AssistantWordSpoken, since)) == REPLY
    audible = [c for c in h.backend.audible() if c.starts > sent]
    assert sum(c.ends - c.starts for c in audible) > 1.0, "the reply was not played"
    assert h.of(AssistantSpeechStarted, since)
    assert "latest figures" in _tts_text(sim)

    # No speech, so no endpointing, transcription or voice-to-voice figure: the language model's and the voice's.
    stages = {e.stage for e in h.of(StageLatency, since)}
    assert stages == {Stage.LLM_FIRST_TOKEN, Stage.TTS_FIRST_AUDIO}
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    assert not h.errors()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_reply_in_text_is_shown_and_kept_but_not_spoken(sim, harness_factory):
    h = await harness_factory(config_for(sim))
    sim.llm.script([REPLY, FOLLOW_UP_REPLY])

    since = h.mark()
    sent = time.monotonic()
    assert h.session.send_typed_turn(QUESTION, reply_in_text=True)
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)

    assert [e.text for e in h.of(UserTurnEnded, since)] == [QUESTION]
    assert sim.llm_requests()[-1]["messages"][-1] == {"role": "user", "content": QUESTION}
    # Shown as it streams and kept whole, but never sent to text-to-speech nor counted as spoken.
    assert "".join(e.text for e in h.of(AssistantText, since)) == REPLY
    assert ended.text == REPLY and not ended.spoken and not ended.interrupted and ended.complete
    assert not h.of(AssistantWordSpoken, since) and not h.of(AssistantSpeechStarted, since)
    assert "latest figures" not in _tts_text(sim)
    assert not [c for c in h.backend.audible() if c.starts > sent], "a text-only reply was played"
    assert {e.stage for e in h.of(StageLatency, since)} == {Stage.LLM_FIRST_TOKEN}
    assert not [e for e in h.of(UsageReported, since) if e.provider is Provider.TTS]
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    # The next turn is spoken again, and the language model sees the text-only reply as the assistant's turn.
    since = h.mark()
    assert h.session.send_typed_turn(FOLLOW_UP)
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert ended.text == FOLLOW_UP_REPLY and ended.spoken
    assert sim.llm_requests()[-1]["messages"][-3:] == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": REPLY},
        {"role": "user", "content": FOLLOW_UP},
    ]
    assert "ten" in _tts_text(sim)
    assert not h.errors()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_typed_turn_interrupts_the_reply_in_progress(sim, harness_factory):
    h = await harness_factory(config_for(sim))
    sim.llm.script([LONG_REPLY, REPLY])

    since = h.mark()
    assert h.session.send_typed_turn("Tell me about the quarterly plan.")
    await h.wait(AssistantWordSpoken, since, timeout=20)
    assert h.session.send_typed_turn(QUESTION)

    cut = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert cut.interrupted and cut.text and cut.text != LONG_REPLY
    assert h.of(Interrupted, since)[0].by_user
    answer = await h.wait(AssistantTurnEnded, since, timeout=20, where=lambda e: e.text == REPLY)
    assert answer.spoken
    # The context holds what was heard of the cut reply, then the typed message: in that order.
    messages = sim.llm_requests()[-1]["messages"]
    assert messages[-1] == {"role": "user", "content": QUESTION}
    assert messages[-2]["role"] == "assistant" and LONG_REPLY.startswith(messages[-2]["content"].strip())
    turns = [type(e).__name__ for e in h.events[since:] if isinstance(e, (UserTurnEnded, AssistantTurnEnded))]
    assert turns == ["UserTurnEnded", "AssistantTurnEnded", "UserTurnEnded", "AssistantTurnEnded"]
    assert not h.errors()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_retried_text_only_reply_stays_in_text(sim, harness_factory):
    """The language model does not answer the first request: the reply guard stops it and asks again past its
    deadline, and the answer is still text only."""
    h = await harness_factory(config_for(sim, llm_first_token_timeout=1.0))
    sim.llm.script([REPLY])
    sim.fault("cerebras", Fault.hang(times=1, path_contains="chat/completions"))

    since = h.mark()
    assert h.session.send_typed_turn(QUESTION, reply_in_text=True)
    ended = await h.wait(AssistantTurnEnded, since, timeout=30)
    assert ended.text == REPLY and not ended.spoken
    assert len(sim.llm_requests()) >= 2
    assert "latest figures" not in _tts_text(sim)
    assert not h.of(AssistantSpeechStarted, since)
    assert not h.errors()  # answered on the second try: nothing for the user to do


@pytest.mark.asyncio
async def test_nothing_to_send_or_no_session_is_refused(sim):
    """Blank text, or a session that is not running, is not sent (the caller keeps what was typed)."""
    from desktop_agent.engine.session import VoiceSession

    session = VoiceSession(config_for(sim), lambda event: None)
    assert not session.send_typed_turn("hello")
    assert not session.send_typed_turn("   ")
