"""Conversations in Indian languages, and the language switched while a session runs, end to end through the real
session on the simulator with the Indian-language provider (Sarvam) for speech to text and text to speech.

What is checked is what each role was given and what the user meets: the words heard in their own script, the
language-code the speech-to-text connection was opened with, the sentence that tells the language model which
language to answer in, the language and speaker text to speech was configured with, and the reply played."""

from __future__ import annotations

import pytest

from desktop_agent.state.events import (
    AgentState,
    AssistantTurnEnded,
    Provider,
    SettingsApplied,
    UserTranscript,
    UserTurnEnded,
)
from tests.engine.conftest import EngineHarness
from tests.engine.test_provider_combinations import combination_config

SARVAM = {Provider.STT: "sarvam", Provider.TTS: "sarvam_tts"}

CONVERSATIONS = {
    "hi": ("hi-IN", "Hindi (हिन्दी)", [
        ("आज दिल्ली में मौसम कैसा है?", "आज दिल्ली में धूप है। शाम को हल्की हवा चलेगी।"),
        ("क्या मुझे छाता ले जाना चाहिए?", "नहीं, छाते की ज़रूरत नहीं है। आसमान साफ़ रहेगा।"),
    ]),
    "ta": ("ta-IN", "Tamil (தமிழ்)", [
        ("இன்று சென்னையில் வானிலை எப்படி இருக்கிறது?", "இன்று சென்னையில் வெயில் அதிகம். மாலையில் காற்று வீசும்."),
        ("நான் குடை எடுத்துச் செல்ல வேண்டுமா?", "இல்லை, குடை தேவையில்லை. வானம் தெளிவாக இருக்கும்."),
    ]),
}


def _system(request: dict) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "system")


def _tts_configs(sim) -> list[dict]:
    return [r.data["data"] for r in sim.select("sarvam_tts", "tts_message") if r.data.get("type") == "config"]


async def _turn(h: EngineHarness, sim, speech, question: str, reply: str) -> AssistantTurnEnded:
    sim.stt.script([question])
    sim.llm.script([reply])
    since = h.mark()
    await h.push_to_talk(speech("a question asked in the language of the conversation"))
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert [e.text for e in h.of(UserTranscript, since) if e.final] == [question]
    assert [e.text for e in h.of(UserTurnEnded, since)] == [question]
    assert ended.text == reply and ended.spoken and ended.complete
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    return ended


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(120)
@pytest.mark.parametrize("language", ["hi", "ta"])
async def test_a_conversation_in_an_indian_language(language, sim, harness_factory, speech):
    code, instruction_name, exchanges = CONVERSATIONS[language]
    h = await harness_factory(combination_config(sim, SARVAM, stt_language=language, voice_id="kavya"))
    for question, reply in exchanges:
        await _turn(h, sim, speech, question, reply)
    await h.until(lambda: sum(c.ends - c.starts for c in h.backend.audible()) > 2.0, 10, "the replies played")

    assert sim.select("sarvam", "stt_connect")[-1].data["query"]["language-code"] == code
    requests = sim.llm_requests()
    assert len(requests) == 2
    assert all(f"Answer in {instruction_name}" in _system(r) for r in requests)
    assert [m["content"] for m in requests[1]["messages"] if m["role"] == "user"] == [q for q, _ in exchanges]
    config = _tts_configs(sim)[-1]
    assert (config["target_language_code"], config["speaker"]) == (code, "kavya")
    spoken = [r.data["text"] for r in sim.select("sarvam_tts", "tts_reply") if r.data.get("type") == "audio"]
    assert any(exchanges[0][1].split()[0] in text for text in spoken), "the reply was spoken as written"
    assert not h.errors()


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(150)
async def test_switching_english_hindi_english_changes_every_role_from_the_next_turn(sim, harness_factory, speech):
    h = await harness_factory(combination_config(sim, SARVAM, stt_language="en-IN", voice_id="shubh"))
    await _turn(h, sim, speech, "What is the weather in Delhi?", "It is sunny in Delhi. Enjoy the day!")

    since = h.mark()
    h.session.set_language("hi", voice_id="kavya", voice_name="Kavya")
    applied = await h.wait(SettingsApplied, since, where=lambda e: e.language == "hi")
    assert applied.voice == "Kavya"
    await _turn(h, sim, speech, "क्या कल बारिश होगी?", "नहीं, कल बारिश नहीं होगी।")

    since = h.mark()
    h.session.set_language("en-IN", voice_id="shubh", voice_name="Shubh")
    await h.wait(SettingsApplied, since, where=lambda e: e.language == "en-IN")
    await _turn(h, sim, speech, "Thank you, that is all.", "You are welcome. Goodbye!")

    # Speech to text: one connection per language, each opened with its code, and no session restart between.
    languages = [r.data["query"]["language-code"] for r in sim.select("sarvam", "stt_connect") if r.meta["accepted"]]
    assert languages[0] == "en-IN" and "hi-IN" in languages and languages[-1] == "en-IN"
    assert languages.index("hi-IN") < len(languages) - 1
    # The language model: told the turn's language in each request.
    systems = [_system(r) for r in sim.llm_requests()]
    assert ["English (India)" in s for s in systems] == [True, False, True]
    assert "Hindi (हिन्दी)" in systems[1]
    # Text to speech: each turn's reply spoken in its language by its voice.
    spoken_with = {}
    config = None
    for record in sim.select("sarvam_tts"):
        if record.kind == "tts_message" and record.data.get("type") == "config":
            config = record.data["data"]
        elif record.kind == "tts_reply" and record.data.get("type") == "audio" and config is not None:
            spoken_with.setdefault(record.data["text"].split()[0], (config["target_language_code"], config["speaker"]))
    assert spoken_with["It"] == ("en-IN", "shubh")
    assert spoken_with["नहीं,"] == ("hi-IN", "kavya")
    assert spoken_with["You"] == ("en-IN", "shubh")
    assert h.session.config.stt_language == "en-IN"
    assert not h.errors()
