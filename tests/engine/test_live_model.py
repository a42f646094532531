"""The default language model is one Cerebras serves, asked for its lowest reasoning effort; the reasoning it streams
before the answer is never shown, spoken or kept. Runs the real engine against the loopback simulator (its Cerebras
serves the 2026 catalogue and streams gpt-oss reasoning as Cerebras does) on the in-memory sound card."""

from __future__ import annotations

import pytest

from desktop_agent.config.settings import AppSettings
from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
from desktop_agent.engine.services import build_llm
from desktop_agent.providers.chat_completions import gpt_oss_effort as reasoning_effort
from desktop_agent.simulator.cerebras import MODELS, RETIRED_MODELS
from desktop_agent.simulator.responder import tokens
from desktop_agent.state.events import (
    AssistantText,
    AssistantTurnEnded,
    AssistantWordSpoken,
    ErrorOccurred,
    Provider,
    UsageReported,
)
from tests.engine.conftest import config_for

QUESTION = "What is the weather like in Paris today?"
REPLY = "It is sunny in Paris today. Enjoy the warm weather!"


def test_the_default_model_is_live_and_asked_for_the_lowest_reasoning_effort():
    config = EngineConfig(stt=ProviderEndpoint("k"), llm=ProviderEndpoint("k"), tts=ProviderEndpoint("k"))
    assert config.llm_model == AppSettings().providers.spec(Provider.LLM).model_or_default(
        AppSettings().models.llm_model) == "gpt-oss-120b"
    assert config.llm_model in MODELS and config.llm_model not in RETIRED_MODELS
    assert reasoning_effort("gpt-oss-120b") == "low" and reasoning_effort("qwen-3.8-27b") is None
    assert build_llm(config)._settings.extra == {"reasoning_effort": "low"}
    config.llm_model = "qwen-3.8-27b"
    assert build_llm(config)._settings.extra == {}, "a model without the setting is not sent it"


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_reasoning_streams_first_but_is_neither_shown_nor_spoken(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim))
    sim.stt.script([QUESTION])
    sim.llm.script([REPLY])

    since = h.mark()
    await h.push_to_talk(speech(QUESTION))
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)

    request = sim.llm_requests()[-1]
    assert (request["model"], request["reasoning_effort"]) == ("gpt-oss-120b", "low")
    reasoning = sim.select("cerebras", "llm_reply")[-1].data["reasoning"]
    assert reasoning.endswith("Keep it short.") and len(tokens(reasoning)) > 5, "the reasoning really streamed"

    assert "".join(e.text for e in h.of(AssistantText, since)) == REPLY
    assert " ".join(e.word for e in h.of(AssistantWordSpoken, since)) == REPLY
    assert ended.text == REPLY, "only the answer is spoken and kept in the conversation"
    assert "Keep it short" not in " ".join(e.word for e in h.of(AssistantWordSpoken))

    # The reasoning tokens are billed as completion tokens, as Cerebras bills them.
    usage = [e for e in h.of(UsageReported, since) if e.provider is Provider.LLM]
    assert usage and usage[-1].completion_tokens == len(tokens(reasoning)) + len(tokens(REPLY))
    assert not h.of(ErrorOccurred)
