"""A speech-to-text that decides turns itself (Cartesia Ink-2, turn-based), end to end through the real session on
the simulator: hands-free turns come from its turn events (the local VAD only times the speech), a reply prepared at its
predicted end is heard only when the turn really ended, and push-to-talk still ends a turn at the release."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_agent import providers
from desktop_agent.simulator import Simulator
from desktop_agent.state.events import (
    AgentState,
    AssistantText,
    AssistantTurnEnded,
    AssistantWordSpoken,
    Provider,
    TurnMode,
    UserTranscript,
    UserTurnEnded,
)
from desktop_agent.state.latency import EXCHANGE_STAGES
from tests.engine.test_provider_combinations import combination_config, stages_of

TURN_STT = "cartesia_turns"
RATE = 16000
SLICE = RATE // 50


def user_messages(sim, request_index: int) -> list[str]:
    request = sim.select("cerebras", "llm_request")[request_index].data
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), dtype=np.int16)


def trimmed(pcm: np.ndarray, sim: Simulator) -> np.ndarray:
    """``pcm`` without the quiet espeak-ng puts before and after the words, measured as the emulator measures speech
    (20 ms slices, its RMS threshold), so a pause between two clips is as long as chosen."""
    slices = pcm[: len(pcm) // SLICE * SLICE].astype(np.float64).reshape(-1, SLICE)
    loud = np.flatnonzero(np.sqrt((slices**2).mean(axis=1)) >= sim.profile.stt_speech_rms)
    return pcm[loud[0] * SLICE : (loud[-1] + 1) * SLICE]


async def hands_free_turn(sim, harness_factory, said: np.ndarray, transcripts: list[str], replies: list[str]):
    """A hands-free session with the turn-based speech to text, and ``said`` into its microphone after a moment of
    room silence, with the emulators scripted; returns the harness and the mark before the words."""
    h = await harness_factory(combination_config(sim, {Provider.STT: TURN_STT}, mode=TurnMode.HANDS_FREE))
    sim.stt.script(transcripts)
    sim.llm.script(replies)
    since = h.mark()
    await h.speak(silence(0.5))
    await h.speak(said, trailing_silence=1.5)
    return h, since


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_hands_free_turns_come_from_the_speech_to_text_and_get_one_reply(sim, harness_factory, speech):
    question, reply = "What time does the museum open on Sunday?", "It opens at ten. It closes at six."
    sim.profile = sim.profile.copy(stt_last_word_miss_share=0.0)  # the predicted end has every word: one request
    h, since = await hands_free_turn(sim, harness_factory, speech(question), [question], [reply])
    assert h.session.config.spec(Provider.STT).decides_turns

    turn = await h.wait(UserTurnEnded, since, timeout=20)
    assert turn.text == question
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert ended.text == reply and ended.spoken and not ended.interrupted
    assert " ".join(e.word for e in h.of(AssistantWordSpoken, since)) == reply
    # The reply was asked for at the predicted end and confirmed by the turn's end: one request, the whole question.
    assert len(sim.select("cerebras", "llm_request")) == 1
    assert user_messages(sim, 0) == [question]
    events = [r.data["type"] for r in sim.select("cartesia", "turns_reply")]
    assert events.index("turn.eager_end") < events.index("turn.end")
    # Only the turn-based endpoint was used; the local VAD still marks when speech ended, for every latency stage.
    assert not sim.select("cartesia", "stt_connect")
    await h.until(lambda: set(stages_of(h, since)) == set(EXCHANGE_STAGES), 10, "every latency stage")
    assert not h.errors()


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_a_pause_mid_sentence_resumed_gives_only_the_reply_to_the_whole_turn(sim, harness_factory, speech):
    first, rest = "Remind me to", "call the dentist tomorrow morning about my appointment."
    question = f"{first} {rest}"
    # A pause longer than the speech-to-text's predicted end (0.25 s of silence), shorter than its end (0.6 s).
    said = np.concatenate([trimmed(speech(first), sim), silence(0.4), trimmed(speech(rest), sim)])
    replies = ["WRONG: a reply to half a sentence.", "I will remind you. Tomorrow morning it is."]
    sim.profile = sim.profile.copy(stt_last_word_miss_share=0.0)  # the second predicted end has every word
    h, since = await hands_free_turn(sim, harness_factory, said, [question], replies)

    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    events = [r.data["type"] for r in sim.select("cartesia", "turns_reply")]
    assert "turn.resume" in events, f"the pause was not taken for a predicted end: {events}"
    assert events.index("turn.eager_end") < events.index("turn.resume") < events.index("turn.end")

    # The reply to the first half was asked for, then dropped unheard; only the whole turn's reply was heard.
    requests = sim.select("cerebras", "llm_request")
    assert len(requests) == 2
    assert user_messages(sim, 0)[-1] != question and question.startswith(user_messages(sim, 0)[-1])
    assert user_messages(sim, 1) == [question]
    assert ended.text == "I will remind you. Tomorrow morning it is." and ended.spoken
    assert len(h.of(AssistantTurnEnded, since)) == 1
    shown = "".join(e.text for e in h.of(AssistantText, since))
    spoken = " ".join(e.word for e in h.of(AssistantWordSpoken, since))
    assert "WRONG" not in shown and "WRONG" not in spoken
    assert [e.text for e in h.of(UserTurnEnded, since)] == [question]
    assert not h.errors()


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_push_to_talk_with_it_ends_the_turn_at_the_release_not_at_a_pause(sim, harness_factory, speech):
    first, rest = "Turn the lights", "off in the kitchen and the hall."
    reply = "The kitchen and hall lights are off. Anything else?"
    h = await harness_factory(combination_config(sim, {Provider.STT: TURN_STT}))
    assert h.session.mode is TurnMode.PUSH_TO_TALK
    sim.stt.script([first, rest])  # the speech-to-text's own turns: one for each part
    sim.llm.script([reply])
    since = h.mark()
    # A pause long enough for the speech-to-text to end its turn while the key is still held.
    await h.push_to_talk(np.concatenate([trimmed(speech(first), sim), silence(1.0), trimmed(speech(rest), sim)]))

    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert ended.text == reply and ended.spoken
    turns = [e.text for e in h.of(UserTurnEnded, since)]
    assert len(turns) == 1, f"the pause ended the turn while the key was held: {turns}"
    assert first in turns[0] and rest in turns[0] and turns[0].index(first) < turns[0].index(rest)
    assert [e.text for e in h.of(UserTranscript, since) if e.final]
    assert len(sim.select("cerebras", "llm_request")) == 1
    assert not h.errors()


def test_the_turn_based_choice_is_offered_for_speech_to_text_and_says_what_it_does():
    spec = providers.get(TURN_STT)
    assert spec in providers.for_role(Provider.STT)
    assert spec.decides_turns and not providers.default_for(Provider.STT).decides_turns
    assert "hands-free" in spec.summary and "push-to-talk" in spec.summary


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_a_dropped_connection_heals_and_the_next_hands_free_turn_is_answered(sim, harness_factory, speech):
    question, reply = "Is the library open late tonight?", "Yes, until nine. Bring your card."
    h, _ = await hands_free_turn(sim, harness_factory, speech("Hello there."), ["Hello there."], ["Hi. How are you?"])
    await h.wait(AssistantTurnEnded, timeout=20)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    connections = len(sim.select("cartesia", "turns_connect"))

    sim.drop_connections("cartesia")
    await h.until(lambda: len(sim.select("cartesia", "turns_connect")) > connections and h.session.ready, 20,
                  "the speech-to-text connection to be made again")
    sim.stt.script([question])
    # Twice: this test is about healing; if the predicted end comes early on a loaded machine (a request withdrawn by
    # turn.resume, which the resume test checks), the reply to the whole turn is still the scripted one.
    sim.llm.script([reply, reply])
    since = h.mark()
    await h.speak(speech(question), trailing_silence=1.5)
    assert (await h.wait(UserTurnEnded, since, timeout=20)).text == question
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert ended.text == reply and ended.spoken
