"""A retired model or a voice the account no longer has becomes one sentence with an available one to switch to:
at start-up (no failed turn needed) and from the very errors Pipecat's own services push against the simulator,
whose Cerebras and ElevenLabs refuse them as the real ones do."""

from __future__ import annotations

import pytest
from openai import AsyncOpenAI
from pipecat.frames.frames import ErrorFrame, LLMContextFrame
from pipecat.processors.aggregators.llm_context import LLMContext

from desktop_agent.config import llm_models
from desktop_agent.engine.catalogue import (
    check_model,
    check_voice,
    explain_unavailable,
    missing_voice_in,
    model_unavailable,
    names_unavailable_choice,
    retired_model_in,
)
from desktop_agent.engine.config import ProviderEndpoint
from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault
from desktop_agent.simulator.voices import RETIRED_VOICE_ID
from desktop_agent.state.events import AssistantTurnEnded, ChoiceUnavailable, ErrorKind, ErrorOccurred, Provider
from tests.engine.conftest import config_for
from tests.simulator.pipeline_rig import VoiceRig

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture(autouse=True)
def empty_model_cache(monkeypatch):
    monkeypatch.setattr(llm_models, "_cache", {})


@pytest.mark.asyncio
async def test_at_start_the_model_list_tells_a_retired_model(sim):
    """What the LLM warm-up fetches (``client.models.list()``) is enough: no turn has to fail first."""
    async with AsyncOpenAI(base_url=sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"]) as client:
        served = [model.id for model in (await client.models.list()).data]
    problem = check_model(served, "llama-3.3-70b")
    assert isinstance(problem, ChoiceUnavailable) and isinstance(problem, ErrorOccurred)
    assert problem.message == "The language model llama-3.3-70b is no longer offered by Cerebras. Switch to gpt-oss-120b."
    assert (problem.provider, problem.kind, problem.current, problem.replacement, problem.replacement_name) == (
        Provider.LLM, ErrorKind.CONFIG, "llama-3.3-70b", "gpt-oss-120b", "gpt-oss-120b")
    assert check_model(served, "gpt-oss-120b") is None and check_model(served, "qwen-3.8-27b") is None
    assert check_model([], "llama-3.3-70b") is None, "an empty list proves nothing"
    assert check_model(["future-model"], "zai-glm-4.6").replacement == "future-model", "whatever is served"
    assert model_unavailable("zai-glm-4.6", None).message == (
        "The language model zai-glm-4.6 is no longer offered by Cerebras. Choose another one in Settings > Models.")


@pytest.mark.asyncio
async def test_at_start_the_account_tells_a_voice_it_no_longer_has(sim):
    gone = await check_voice(config_for(sim, voice_id=RETIRED_VOICE_ID, voice_name="Rachel"))
    assert gone.message == "The voice Rachel is no longer in your ElevenLabs account. Switch to Eric."
    assert (gone.provider, gone.current, gone.replacement, gone.replacement_name) == (
        Provider.TTS, RETIRED_VOICE_ID, "cjVigY5qzO86Huf0OWal", "Eric")
    assert await check_voice(config_for(sim)) is None, "the default voice is one the account has"
    assert await check_voice(config_for(sim, voice_id="emu-voice-3")) is None
    # Nothing known (a rejected key, an unreachable service): no claim about the voice.
    bad_key = config_for(sim, voice_id=RETIRED_VOICE_ID)
    bad_key.tts = ProviderEndpoint("wrong-key-123", sim.elevenlabs_url)
    assert await check_voice(bad_key) is None


@pytest.mark.asyncio
async def test_pipecats_404_for_a_retired_model_becomes_the_sentence_and_the_switch(sim):
    async with VoiceRig(sim, model="llama-3.3-70b") as rig:
        await rig.worker.queue_frame(LLMContextFrame(LLMContext(messages=list(HELLO))))
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
    frame = rig.frames(ErrorFrame)[0]
    assert names_unavailable_choice(frame) is Provider.LLM and retired_model_in(frame) == "llama-3.3-70b"
    assert retired_model_in(frame.exception) == "llama-3.3-70b", "the exception alone says it too"
    event = await explain_unavailable(frame, config_for(sim, llm_model="llama-3.3-70b"))
    assert event.message == "The language model llama-3.3-70b is no longer offered by Cerebras. Switch to gpt-oss-120b."
    assert event.replacement == "gpt-oss-120b"


@pytest.mark.asyncio
async def test_pipecats_failed_reconnect_for_a_missing_voice_becomes_the_sentence_and_the_switch(sim):
    async with VoiceRig(sim, voice=RETIRED_VOICE_ID, wait_connected=False) as rig:
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
    frame = rig.frames(ErrorFrame)[0]
    assert "reconnect" in frame.error, "Pipecat's own text says nothing about the voice"
    assert names_unavailable_choice(frame) is Provider.TTS and missing_voice_in(frame) == RETIRED_VOICE_ID
    config = config_for(sim, voice_id=RETIRED_VOICE_ID, voice_name="Rachel")
    event = await explain_unavailable(frame, config)
    assert event.message == "The voice Rachel is no longer in your ElevenLabs account. Switch to Eric."
    assert (event.current, event.replacement) == (RETIRED_VOICE_ID, "cjVigY5qzO86Huf0OWal")


@pytest.mark.asyncio
async def test_other_errors_are_left_to_the_usual_sentences(sim):
    sim.fault("cerebras", Fault.http(503))
    async with VoiceRig(sim) as rig:
        await rig.worker.queue_frame(LLMContextFrame(LLMContext(messages=list(HELLO))))
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=15)
    frame = rig.frames(ErrorFrame)[0]
    assert names_unavailable_choice(frame) is None
    assert await explain_unavailable(frame, config_for(sim)) is None
    assert missing_voice_in(ErrorFrame(error="ElevenLabs API error: {'detail': {'status': 'voice_not_found'}}")) == ""
    assert names_unavailable_choice(ErrorFrame(error="connection closed")) is None


def test_remote_names_are_shown_as_plain_short_text():
    problem = check_model(["gpt-oss-120b"], "evil\x1b[2Jmodel" + "x" * 200)
    assert "\x1b" not in problem.message and len(problem.message) < 200


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_switching_the_model_in_a_running_session_brings_the_replies_back(sim, harness_factory, speech):
    """What the window's "Switch to …" does to a running session (``update_llm``): the next turn is answered."""
    question, reply = "What is the weather like in Paris today?", "It is sunny in Paris today."
    h = await harness_factory(config_for(sim, llm_model="llama-3.3-70b"))
    sim.stt.script([question, question])
    sim.llm.script([reply])

    since = h.mark()
    await h.push_to_talk(speech(question))
    await h.wait(ErrorOccurred, since, timeout=20)
    assert not h.of(AssistantTurnEnded, since), "a retired model answers nothing"

    h.session.update_llm(model="gpt-oss-120b")
    ended = await h.exchange(speech(question))
    assert ended.text == reply
    assert sim.llm_requests()[-1]["model"] == "gpt-oss-120b"
