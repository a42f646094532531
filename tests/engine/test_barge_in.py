"""Barge-in and "stop speaking": the assistant's audio stops within 150 ms of the interruption, its turn is marked
interrupted, and the next LLM request carries only the part of the reply that was actually heard.

The in-memory sound card records when every chunk starts to play (its write blocks in real time, like PortAudio's),
so "stops within 150 ms" is measured against the play times, not against when frames were produced.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from desktop_agent.state.events import (
    AgentState,
    AssistantSpeechStarted,
    AssistantTurnEnded,
    ErrorOccurred,
    Interrupted,
    TurnMode,
    UserTurnEnded,
)
from tests.engine.conftest import EngineHarness, config_for

QUESTION = "Tell me about the history of the Eiffel Tower."
LONG_REPLY = (
    "The Eiffel Tower was built for the world fair of eighteen eighty nine. "
    "Gustave Eiffel's company designed and built it in about two years. "
    "Many artists protested against it at first, calling it useless and monstrous. "
    "Today it is the most visited paid monument in the whole world."
)
# No comma: espeak pauses ~0.3 s at one, longer than the VAD's 0.2 s stop, which would split the utterance in two
# (the simulator then answers the first half with the whole scripted text and the second with a default).
INTERRUPTION = "Stop please that is enough."
FOLLOW_UP = "Okay, I will stop there."
MAX_TAIL_SECS = 0.15


def assert_output_stopped(h: EngineHarness, interrupted_at: float) -> None:
    """No audible chunk of the interrupted reply starts later than 150 ms after the interruption.

    The next reply (if any) starts with a new ``AssistantSpeechStarted``; its audio is not the interrupted one's.
    """
    next_reply = next((e.at for e in h.of(AssistantSpeechStarted) if e.at > interrupted_at), float("inf"))
    late = [c for c in h.backend.audible() if interrupted_at + MAX_TAIL_SECS < c.starts < next_reply]
    assert not late, f"audio kept playing {late[-1].ends - interrupted_at:.3f} s after the interruption"
    tail = [c.starts - interrupted_at for c in h.backend.audible() if interrupted_at <= c.starts < next_reply]
    print(f"last chunk of the interrupted reply started {max(tail, default=0) * 1000:.0f} ms after the interruption")


def spoken_prefix(h_requests: list[dict]) -> str:
    assistant = [m for m in h_requests[-1]["messages"] if m["role"] == "assistant"]
    assert len(assistant) == 1, h_requests[-1]["messages"]
    return assistant[0]["content"]


async def wait_speaking(h: EngineHarness, since: int, secs: float) -> None:
    await h.wait(AssistantSpeechStarted, since, timeout=20)
    await asyncio.sleep(secs)
    assert h.session.state is AgentState.ASSISTANT_SPEAKING


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_hands_free_barge_in(sim, harness_factory, speech):
    """Echo cancellation is off here: the in-memory device has no echo path, and with none to cancel WebRTC's AEC3
    still attenuates the user's voice by ~16 dB while the assistant speaks (measured), so Silero misses the
    barge-in about half the time. That is the echo canceller's open issue, not the turn-taking's (see the report)."""
    h = await harness_factory(config_for(sim, mode=TurnMode.HANDS_FREE, echo_cancellation=False))
    sim.stt.script([QUESTION, INTERRUPTION])
    sim.llm.script([LONG_REPLY, FOLLOW_UP])

    since = h.mark()
    h.backend.push_input(np.zeros(8000, dtype=np.int16))
    await h.speak(speech(QUESTION), trailing_silence=0.3)
    await wait_speaking(h, since, 2.0)

    since = h.mark()
    await h.speak(speech(INTERRUPTION), trailing_silence=1.5)
    interrupted = await h.wait(Interrupted, since, timeout=10)
    assert interrupted.by_user
    assert_output_stopped(h, interrupted.at)

    ended = await h.wait(AssistantTurnEnded, since, timeout=10, where=lambda e: e.interrupted)
    assert ended.text and LONG_REPLY.startswith(ended.text) and len(ended.text) < len(LONG_REPLY)

    await h.wait(UserTurnEnded, since, timeout=10)
    await h.until(lambda: len(sim.llm_requests()) == 2, 10, "the second LLM request")
    heard = spoken_prefix(sim.llm_requests())
    assert heard == ended.text
    assert sim.llm_requests()[-1]["messages"][-1] == {"role": "user", "content": INTERRUPTION}
    await h.wait(AssistantTurnEnded, since, timeout=20, where=lambda e: e.text == FOLLOW_UP)
    assert not h.of(ErrorOccurred)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_push_to_talk_press_interrupts(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim))
    sim.stt.script([QUESTION, INTERRUPTION])
    sim.llm.script([LONG_REPLY, FOLLOW_UP])

    since = h.mark()
    await h.push_to_talk(speech(QUESTION))
    await wait_speaking(h, since, 1.5)

    since = h.mark()
    await h.push_to_talk(speech(INTERRUPTION))
    interrupted = await h.wait(Interrupted, since, timeout=10)
    assert_output_stopped(h, interrupted.at)
    ended = await h.wait(AssistantTurnEnded, since, timeout=10, where=lambda e: e.interrupted)
    assert LONG_REPLY.startswith(ended.text) and len(ended.text) < len(LONG_REPLY)
    await h.until(lambda: len(sim.llm_requests()) == 2, 10, "the second LLM request")
    assert spoken_prefix(sim.llm_requests()) == ended.text


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_stop_speaking(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim))
    sim.stt.script([QUESTION])
    sim.llm.script([LONG_REPLY])

    since = h.mark()
    await h.push_to_talk(speech(QUESTION))
    await wait_speaking(h, since, 1.0)

    h.session.stop_speaking()
    interrupted = await h.wait(Interrupted, since, timeout=5)
    assert not interrupted.by_user
    assert_output_stopped(h, interrupted.at)
    ended = await h.wait(AssistantTurnEnded, since, timeout=5)
    assert ended.interrupted and LONG_REPLY.startswith(ended.text)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 5, "listening again")
    assert len(sim.llm_requests()) == 1  # stopping is not a new turn
