"""Changing mode, system prompt and voice while the session runs: no restart, and the very next reply uses them
(checked in what the simulator received: the LLM request's system message, the TTS connection's voice path)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from desktop_agent.config.languages import with_answer_language
from desktop_agent.state.events import (
    AgentState,
    AssistantTurnEnded,
    ErrorOccurred,
    ModeChanged,
    SessionStarted,
    SettingsApplied,
    TurnMode,
    UserTurnEnded,
)
from tests.engine.conftest import config_for

PIRATE = "You are a pirate. Answer like a pirate, briefly."
NEW_VOICE = "emu-voice-2"


def accepted_tts_connections(sim) -> list:
    return [r for r in sim.select("elevenlabs", "tts_connect") if r.meta.get("accepted")]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_mode_prompt_and_voice_change_mid_session(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim, voice_id="emu-voice-1"))
    sim.stt.script(["Hello there.", "How are you today?", "Where is my ship?", "Thank you."])
    sim.llm.script(["Hello!", "I am fine, thank you.", "Arr, it be in the harbour.", "You are welcome."])

    # 1. Push-to-talk with the starting prompt and voice.
    await h.exchange(speech("Hello there."))
    first = sim.llm_requests()[-1]["messages"][0]
    # The prompt, then the sentence that says which language to answer in.
    assert first["role"] == "system" and first["content"] == config_for(sim).system_instruction
    assert first["content"].startswith(config_for(sim).system_prompt) and "Answer in English" in first["content"]

    # 2. Switch to hands-free mid-conversation: speech alone now makes a turn.
    h.session.set_mode(TurnMode.HANDS_FREE)
    await h.wait(ModeChanged, where=lambda e: e.mode is TurnMode.HANDS_FREE)
    assert h.session.mode is TurnMode.HANDS_FREE
    since = h.mark()
    h.backend.push_input(np.zeros(8000, dtype=np.int16))
    await h.speak(speech("How are you today?"), trailing_silence=1.2)
    await h.wait(AssistantTurnEnded, since, timeout=20)
    assert [e.text for e in h.of(UserTurnEnded, since)] == ["How are you today?"]

    # 3. New prompt and voice, back to push-to-talk; the next reply uses all three.
    connections_before = len(accepted_tts_connections(sim))
    h.session.set_system_prompt(PIRATE, "Pirate")
    h.session.set_voice(NEW_VOICE, "Emu Adam")
    h.session.set_mode(TurnMode.PUSH_TO_TALK)
    await h.wait(ModeChanged, since, where=lambda e: e.mode is TurnMode.PUSH_TO_TALK)
    await h.wait(SettingsApplied, since, where=lambda e: e.voice == "Emu Adam")
    await h.wait(SettingsApplied, since, where=lambda e: e.prompt_name == "Pirate")
    await h.until(lambda: len(accepted_tts_connections(sim)) > connections_before, 10, "the TTS to reconnect")
    reconnect = accepted_tts_connections(sim)[-1]
    assert f"/v1/text-to-speech/{NEW_VOICE}/" in reconnect.data["path"]

    # In push-to-talk mode, speech with the button up never reaches speech-to-text.
    started = time.monotonic()
    await h.speak(speech("This should not be heard."))
    heard = [r for r in sim.select("cartesia", "stt_audio") if r.at > started and r.data.get("speech")]
    assert not heard

    since = h.mark()
    ended = await h.exchange(speech("Where is my ship?"))
    assert ended.text == "Arr, it be in the harbour."
    request = sim.llm_requests()[-1]
    assert request["messages"][0] == {"role": "system", "content": with_answer_language(PIRATE, "en")}
    assert [m["content"] for m in request["messages"] if m["role"] == "user"] == [
        "Hello there.", "How are you today?", "Where is my ship?"
    ]
    texts_after = [
        r for r in sim.select("elevenlabs", "tts_message") if r.at > reconnect.at and "harbour" in str(r.data)
    ]
    assert texts_after, "the reply after the voice change was not sent over the new voice's connection"
    assert h.session.config.voice_id == NEW_VOICE and h.session.config.prompt_name == "Pirate"

    # The session never restarted and nothing failed.
    assert len(h.of(SessionStarted)) == 1
    assert not h.of(ErrorOccurred)
    assert h.session.state in (AgentState.LISTENING, AgentState.ASSISTANT_SPEAKING)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_switching_to_hands_free_while_the_button_is_held_ends_that_turn(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim))
    sim.stt.script(["Hold on."])
    sim.llm.script(["Sure."])
    since = h.mark()
    h.session.press_talk()
    await h.speak(speech("Hold on."))
    h.session.set_mode(TurnMode.HANDS_FREE)
    assert (await h.wait(UserTurnEnded, since, timeout=5)).text == "Hold on."
    assert (await h.wait(AssistantTurnEnded, since, timeout=15)).text == "Sure."
