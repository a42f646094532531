"""Speculative replies, end to end: the reply starts before its turn is confirmed (at the push-to-talk release, or
hands-free when the VAD stops) on the last interim transcript, is spoken at once and held, and is heard only if the
final transcript confirms it. Runs the real engine (Pipecat's services, aggregators, turn controller and smart-turn)
against the loopback simulator with espeak-ng speech on the in-memory sound card.

The simulated speech-to-text sends interims that grow with the speech but leave out the scripted transcript's last
word; swapping the script to that shorter text once the speech is in (before the release) makes the final transcript
say what the last interim said, which is how these tests choose between a confirmed and a discarded speculation.
A slow final transcript (``stt_final_delay``) leaves room to act between the release and the final.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
import pytest_asyncio
from pipecat.frames.frames import VADUserStartedSpeakingFrame, VADUserStoppedSpeakingFrame

from desktop_agent.engine.turns import PTT_MISSING_FINAL_SECS
from desktop_agent.simulator import Simulator
from desktop_agent.simulator.profiles import PROFILES
from desktop_agent.state.events import (
    AgentState,
    AssistantText,
    AssistantTurnEnded,
    AssistantWordSpoken,
    TurnMode,
    UserTranscript,
    UserTurnEnded,
)
from tests.engine.conftest import EngineHarness, config_for

SAID = "What time is it in Paris right now"
SCRIPTED = "What time is it now"  # what speech-to-text makes of it; the interims stop at "What time is it"
CONFIRMED = "What time is it?"  # the final transcript that matches those interims (punctuation aside)
SPECULATIVE_REPLY = "It is noon in Paris. Have a nice lunch."
FINAL_REPLY = "It is now half past twelve. Time for lunch."


def _profile(final_delay: float):
    return PROFILES["instant"].copy(stt_final_delay=final_delay)


@pytest_asyncio.fixture
async def slow_final_sim():
    """The final transcript comes a second after the release: room for the reply to start before it."""
    async with Simulator(profile=_profile(1.0)) as simulator:
        yield simulator


async def _release_after(h: EngineHarness, sim: Simulator, pcm: np.ndarray, final: str | None) -> float:
    """Hold, speak ``pcm``, then (the interims are all in) script the final transcript as ``final`` and let go."""
    h.session.press_talk()
    await asyncio.sleep(0.05)
    await h.speak(pcm, trailing_silence=0.3)
    await h.until(
        lambda: any(not e.final and e.text == "What time is it" for e in h.of(UserTranscript)), 10, "the last interim"
    )
    if final is not None:
        sim.stt.script([final])
    released = time.monotonic()
    h.session.release_talk()
    return released


async def _session(harness_factory, sim: Simulator, replies: list[str], *, speculate: bool = True) -> EngineHarness:
    """A push-to-talk session on ``sim`` that will hear :data:`SCRIPTED` and answer with ``replies`` in turn."""
    h = await harness_factory(config_for(sim, speculative_replies=speculate, stt_final_timeout=10.0))
    sim.stt.script([SCRIPTED])
    sim.llm.script(replies)
    return h


def _reply_events(h: EngineHarness, since: int) -> tuple[str, str, list[AssistantTurnEnded]]:
    shown = "".join(e.text for e in h.of(AssistantText, since))
    heard = " ".join(e.word for e in h.of(AssistantWordSpoken, since))
    return shown, heard, h.of(AssistantTurnEnded, since)


async def _context_after_stop(h: EngineHarness) -> list[dict]:
    await h.stop()
    return [m for m in h.session.context_messages() if m.get("role") in ("user", "assistant")]


async def _assert_only_exchange(h: EngineHarness, since: int, said: str, reply: str) -> None:
    """``reply`` and nothing else was shown and heard, once, and the conversation holds ``said`` and ``reply``."""
    shown, heard, ended_turns = _reply_events(h, since)
    assert shown == reply and heard == reply
    assert [(e.text, e.interrupted) for e in ended_turns] == [(reply, False)]
    assert await _context_after_stop(h) == [{"role": "user", "content": said}, {"role": "assistant", "content": reply}]


async def _assert_confirmed_early(h: EngineHarness, sim: Simulator, since: int) -> None:
    """One request, made on the last interim before the final transcript existed, answered the turn: nothing was
    asked twice, and the reply was heard once and saved once."""
    requests = sim.select(kind="llm_request")
    assert [r.data["messages"][-1]["content"] for r in requests] == ["What time is it"]
    final_heard = next(e.at for e in h.of(UserTranscript, since) if e.final)
    assert requests[0].at < final_heard
    assert [e.text for e in h.of(UserTurnEnded, since)] == [CONFIRMED]
    counters = h.session.speculation
    assert (counters.started, counters.confirmed, counters.discarded) == (1, 1, 0)
    await _assert_only_exchange(h, since, CONFIRMED, SPECULATIVE_REPLY)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_confirmed_speculation_is_spoken_once_and_starts_before_the_final(
    slow_final_sim, harness_factory, speech
):
    sim = slow_final_sim
    h = await _session(harness_factory, sim, [SPECULATIVE_REPLY])
    since = h.mark()
    await _release_after(h, sim, speech(SAID), CONFIRMED)
    await h.wait(AssistantTurnEnded, since, timeout=20)

    # Speech was synthesised before the final transcript existed (held, then played once confirmed).
    final_heard = next(e.at for e in h.of(UserTranscript, since) if e.final)
    messages = sim.select("elevenlabs", "tts_message")
    spoken_text = [r for r in messages if isinstance(r.data, dict) and r.data.get("text", " ").strip()]
    assert spoken_text and spoken_text[0].at < final_heard
    await _assert_confirmed_early(h, sim, since)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_mismatched_speculation_is_never_heard_shown_or_saved(slow_final_sim, harness_factory, speech):
    sim = slow_final_sim
    h = await _session(harness_factory, sim, [SPECULATIVE_REPLY, FINAL_REPLY])
    since = h.mark()
    await _release_after(h, sim, speech(SAID), None)  # the final says "now" too: no match
    await h.wait(AssistantTurnEnded, since, timeout=20)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    requests = sim.llm_requests()
    assert len(requests) == 2
    assert requests[0]["messages"][-1]["content"] == "What time is it"
    assert requests[1]["messages"][-1]["content"] == SCRIPTED
    counters = h.session.speculation
    assert (counters.started, counters.confirmed, counters.discarded) == (1, 0, 1)
    assert counters.wasted_llm_tokens > 0  # the simulated model finished the discarded reply: its usage is waste
    await _assert_only_exchange(h, since, SCRIPTED, FINAL_REPLY)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_press_again_before_the_final_continues_the_turn(slow_final_sim, harness_factory, speech):
    sim = slow_final_sim
    h = await _session(harness_factory, sim, [SPECULATIVE_REPLY, FINAL_REPLY, FINAL_REPLY])
    sim.stt.script([SCRIPTED, "And in Rome"])
    since = h.mark()
    await _release_after(h, sim, speech(SAID), None)
    await h.until(lambda: sim.llm_requests(), 10, "the speculative request")
    # Pressed again before the final transcript: the turn goes on; its reply answers everything said in it.
    h.session.press_talk()
    await h.wait(UserTranscript, since, timeout=10, where=lambda e: e.final)
    await h.speak(speech("And in Rome"), trailing_silence=0.3)
    h.session.release_talk()
    await h.wait(AssistantTurnEnded, since, timeout=20)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    requests = sim.llm_requests()
    answered = requests[-1]["messages"][-1]["content"]
    assert "What time is it now" in answered and "And in" in answered
    shown, heard, ended_turns = _reply_events(h, since)
    assert SPECULATIVE_REPLY not in shown and "noon" not in heard
    assert len(ended_turns) == 1 and ended_turns[0].text == shown == heard
    assert h.session.speculation.discarded >= 1
    assert await _context_after_stop(h) == [
        {"role": "user", "content": answered},
        {"role": "assistant", "content": shown},
    ]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_final_after_the_wait_leaves_the_speculation_unheard(harness_factory, speech):
    """The final transcript comes after the release's wait for it ran out: the turn ended without words, so the
    reply started on the interim is dropped unheard (the late words wait for the next turn, as without speculation;
    tests/engine/test_nothing_said_is_lost.py)."""
    async with Simulator(profile=_profile(PTT_MISSING_FINAL_SECS + 1.0)) as sim:
        h = await _session(harness_factory, sim, [SPECULATIVE_REPLY])
        since = h.mark()
        await _release_after(h, sim, speech(SAID), CONFIRMED)
        await h.until(lambda: sim.llm_requests(), 10, "the speculative request")
        await h.until(lambda: h.session.speculation.discarded == 1, 10, "the speculation discarded at the wait's end")
        await h.wait(UserTranscript, since, timeout=15, where=lambda e: e.final)
        await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening")

        shown, heard, ended_turns = _reply_events(h, since)
        assert (shown, heard, ended_turns) == ("", "", [])
        assert not h.backend.audible(), "the discarded reply was played"
        assert h.session.speculation.confirmed == 0 and len(sim.llm_requests()) == 1
        assert [m for m in await _context_after_stop(h) if m["role"] == "assistant"] == []


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_refused_stop_then_a_normal_stop_gives_exactly_one_reply(slow_final_sim, harness_factory, speech):
    """Pipecat's eager strategy spoke two replies here (a confirmation the turn controller refuses because someone
    is speaking left its reply held; the next stop released it beside the new one). The voice is injected as VAD
    frames (push-to-talk has no VAD of its own): it starts after the release and stops after the final."""
    sim = slow_final_sim
    h = await _session(harness_factory, sim, [SPECULATIVE_REPLY, FINAL_REPLY, "A third reply that must never come."])
    since = h.mark()
    await _release_after(h, sim, speech(SAID), CONFIRMED)
    await h.until(lambda: sim.llm_requests(), 10, "the speculative request")
    await h.session._queue(VADUserStartedSpeakingFrame(start_secs=0.0))
    await h.wait(UserTranscript, since, timeout=10, where=lambda e: e.final)
    await h.until(lambda: h.session.speculation.discarded == 1, 10, "the refused confirmation withdrawn")
    await h.session._queue(VADUserStoppedSpeakingFrame(stop_secs=0.0, timestamp=time.time()))
    await h.wait(AssistantTurnEnded, since, timeout=20)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    assert len(sim.llm_requests()) == 2
    await _assert_only_exchange(h, since, CONFIRMED, FINAL_REPLY)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_stray_interruption_during_the_hold_still_gets_the_turn_a_reply(slow_final_sim, harness_factory, speech):
    """Pipecat's eager strategy confirmed a reply the interruption had dropped: a turn with no reply."""
    sim = slow_final_sim
    h = await _session(harness_factory, sim, [SPECULATIVE_REPLY, FINAL_REPLY])
    since = h.mark()
    await _release_after(h, sim, speech(SAID), CONFIRMED)
    await h.until(lambda: sim.llm_requests(), 10, "the speculative request")
    h.session.stop_speaking()  # the stop button, while the reply is held
    await h.wait(AssistantTurnEnded, since, timeout=20)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    assert len(sim.llm_requests()) == 2
    assert (h.session.speculation.confirmed, h.session.speculation.discarded) == (0, 1)
    await _assert_only_exchange(h, since, CONFIRMED, FINAL_REPLY)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_speculation_off_starts_the_reply_on_the_final(slow_final_sim, harness_factory, speech):
    sim = slow_final_sim
    h = await _session(harness_factory, sim, [FINAL_REPLY], speculate=False)
    since = h.mark()
    await _release_after(h, sim, speech(SAID), CONFIRMED)
    await h.wait(AssistantTurnEnded, since, timeout=20)

    # One request, on the final transcript (the interims never had its question mark).
    assert [r["messages"][-1]["content"] for r in sim.llm_requests()] == [CONFIRMED]
    assert h.session.speculation.started == 0
    shown, heard, _ = _reply_events(h, since)
    assert shown == heard == FINAL_REPLY


# -- hands-free: the reply starts when the VAD stops, before smart-turn's verdict and the final transcript ---------


async def _hands_free_session(harness_factory, sim: Simulator, replies: list[str], *, speculate: bool = True):
    h = await harness_factory(
        config_for(sim, mode=TurnMode.HANDS_FREE, speculative_replies=speculate, stt_final_timeout=10.0)
    )
    sim.stt.script([SCRIPTED])
    sim.llm.script(replies)
    h.backend.push_input(np.zeros(16000, dtype=np.int16))  # room silence first, so the VAD has settled
    return h


async def _say_hands_free(h: EngineHarness, sim: Simulator, pcm: np.ndarray, final: str | None) -> None:
    """Say ``pcm`` and fall silent; once the reply has started on the interims, script the final transcript as
    ``final`` (the simulated interims follow the script: changed earlier, they would say it too)."""
    h.backend.push_input(pcm)
    h.backend.push_input(np.zeros(16000 * 2, dtype=np.int16))
    await h.until(lambda: sim.llm_requests(), 10, "the speculative request at the pause")
    if final is not None:
        sim.stt.script([final])


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_hands_free_reply_starts_at_the_pause_and_is_heard_once_confirmed(
    slow_final_sim, harness_factory, speech
):
    sim = slow_final_sim
    h = await _hands_free_session(harness_factory, sim, [SPECULATIVE_REPLY])
    since = h.mark()
    await _say_hands_free(h, sim, speech(SAID), CONFIRMED)
    await h.wait(AssistantTurnEnded, since, timeout=20)
    await _assert_confirmed_early(h, sim, since)  # made on the interim as the user paused


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_hands_free_mismatch_is_never_heard(slow_final_sim, harness_factory, speech):
    sim = slow_final_sim
    h = await _hands_free_session(harness_factory, sim, [SPECULATIVE_REPLY, FINAL_REPLY])
    since = h.mark()
    await _say_hands_free(h, sim, speech(SAID), None)  # the final says "now" too: no match
    await h.wait(AssistantTurnEnded, since, timeout=20)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    assert [r["messages"][-1]["content"] for r in sim.llm_requests()] == ["What time is it", SCRIPTED]
    counters = h.session.speculation
    assert (counters.started, counters.confirmed, counters.discarded) == (1, 0, 1)
    await _assert_only_exchange(h, since, SCRIPTED, FINAL_REPLY)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_hands_free_speaking_again_withdraws_the_speculation(slow_final_sim, harness_factory, speech):
    """A pause long enough for the VAD to stop, then more words: the reply started at the pause is dropped unheard,
    and the one reply heard answers everything said in the turn.

    The first words' final transcript comes a second after the pause, while the user is speaking again, so the turn
    cannot end at the pause whatever smart-turn makes of it; the second words' comes at once (a final arriving more
    than 0.6 s after the VAD's stop would let Pipecat's safety net end the turn on the first words alone)."""
    sim = slow_final_sim
    more = "And what about the weather in Rome"
    h = await _hands_free_session(
        harness_factory, sim, [SPECULATIVE_REPLY, "A reply to half a turn.", FINAL_REPLY, FINAL_REPLY]
    )
    sim.stt.script([SCRIPTED, more])
    since = h.mark()
    await h.speak(speech(SAID), trailing_silence=0.3)
    await h.until(lambda: sim.llm_requests(), 10, "the speculative request at the pause")
    sim.profile = _profile(0.0)
    await h.speak(speech(more), trailing_silence=2.5)
    await h.wait(AssistantTurnEnded, since, timeout=20)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    requests = [r["messages"][-1]["content"] for r in sim.llm_requests()]
    assert requests[0] == "What time is it"  # the reply started at the pause, on the interim
    assert requests[-1] == f"{SCRIPTED} {more}"
    shown, heard, ended_turns = _reply_events(h, since)
    assert shown == heard == FINAL_REPLY
    assert [(e.text, e.interrupted) for e in ended_turns] == [(FINAL_REPLY, False)]
    assert [e.text for e in h.of(UserTurnEnded, since)] == [f"{SCRIPTED} {more}"]
    assert h.session.speculation.discarded >= 1 and h.session.speculation.confirmed == 0
    assert await _context_after_stop(h) == [
        {"role": "user", "content": f"{SCRIPTED} {more}"},
        {"role": "assistant", "content": FINAL_REPLY},
    ]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_hands_free_speculation_off_starts_the_reply_on_the_final(slow_final_sim, harness_factory, speech):
    sim = slow_final_sim
    h = await _hands_free_session(harness_factory, sim, [FINAL_REPLY], speculate=False)
    since = h.mark()
    await _say_hands_free(h, sim, speech(SAID), None)
    await h.wait(AssistantTurnEnded, since, timeout=20)

    assert [r["messages"][-1]["content"] for r in sim.llm_requests()] == [SCRIPTED]
    assert h.session.speculation.started == 0
    shown, heard, _ = _reply_events(h, since)
    assert shown == heard == FINAL_REPLY
