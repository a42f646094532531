"""A fallback language model answers the turn the chosen one failed, until the chosen one is back; and the user
switches language models between turns without a new session. Real Pipecat services on the simulator's emulators:
Cerebras as the chosen provider, Groq as the fallback, OpenAI chosen at run time."""

from __future__ import annotations

import time

import pytest

from desktop_agent.engine.config import ProviderEndpoint
from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault, Simulator
from desktop_agent.state.events import (
    AssistantTurnEnded,
    ConnectionStatus,
    ErrorOccurred,
    Provider,
    ProviderStatusChanged,
    ProviderSwitched,
)
from tests.engine.conftest import EngineHarness, config_for

FAST = {"llm_first_token_timeout": 2.0, "llm_retries": 1, "fallback_hold_secs": 15.0}


def alternatives(sim: Simulator) -> dict[str, ProviderEndpoint]:
    return {name: ProviderEndpoint(SIMULATOR_API_KEYS.get(emulator, ""), sim.url(emulator))
            for name, emulator in (("groq", "groq"), ("openai", "openai"), ("local", "local_llm"))}


def requests_to(sim: Simulator, emulator: str) -> int:
    return len(sim.select(emulator, "llm_request"))


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(150)
async def test_the_fallback_answers_the_failed_turn_until_the_chosen_provider_is_back(speech):
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim, llm_fallback="groq", llm_alternatives=alternatives(sim), **FAST))
        await h.start()
        try:
            first = await h.exchange(speech("Hello there."))
            assert first.spoken and requests_to(sim, "cerebras") >= 1 and requests_to(sim, "groq") == 0

            # -- the chosen provider fails past its retries: the same turn is answered by the fallback
            sim.fault("cerebras", Fault.http(500))
            during = h.mark()
            ended = await h.exchange(speech("What time is it in Lisbon right now, please?"), timeout=40)
            assert ended.spoken and not ended.interrupted and "I spoke for" in ended.text
            assert requests_to(sim, "groq") == 1, "the turn that hit the failure was answered by the fallback"
            switched = h.of(ProviderSwitched, during)
            assert [(e.name, e.primary_name, e.standing_in) for e in switched] == [("Groq", "Cerebras", True)]
            asks = [e for e in h.of(ErrorOccurred, during) if e.retry or not e.recoverable]
            assert not asks, f"nothing for the user to do: the fallback answered ({asks})"

            # -- while the chosen one is down, the fallback keeps answering
            again = await h.exchange(speech("Are you back? I hope you are."), timeout=40)
            assert again.spoken and requests_to(sim, "groq") == 2

            # -- the chosen one is reachable again: the probe switches back, and it answers the next turn
            back = h.mark()
            sim.clear_faults("cerebras")
            cleared = time.monotonic()
            await h.wait(ProviderSwitched, back, timeout=40, where=lambda e: not e.standing_in)
            print(f"\nswitched back {time.monotonic() - cleared:.2f} s after the chosen provider was reachable")
            # The healer's probe (the free model list) says the chosen provider is up; the hold decides when.
            assert any(e.provider is Provider.LLM and e.status is ConnectionStatus.CONNECTED
                       for e in h.of(ProviderStatusChanged, during))
            before = requests_to(sim, "cerebras")
            last = await h.exchange(speech("Thank you."))
            assert last.spoken and requests_to(sim, "cerebras") > before and requests_to(sim, "groq") == 2
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_without_a_fallback_a_failed_turn_is_given_up_with_retry(speech):
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim, llm_alternatives=alternatives(sim), **FAST))
        await h.start()
        try:
            sim.fault("cerebras", Fault.http(500))
            during = h.mark()
            await h.push_to_talk(speech("Hello there."))
            told = await h.wait(ErrorOccurred, during, timeout=40, where=lambda e: e.retry)
            assert told.provider is Provider.LLM and "Cerebras" in told.message
            assert requests_to(sim, "groq") == 0 and not h.of(ProviderSwitched, during)
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_the_user_switches_language_models_between_turns_in_the_same_session(speech):
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim, llm_alternatives=alternatives(sim)))
        await h.start()
        try:
            await h.exchange(speech("Hello there."))
            assert h.session.choose_language_model("openai")
            assert not h.session.choose_language_model("nonesuch")
            ended = await h.exchange(speech("What time is it in Lisbon right now, please?"))
            assert ended.spoken and requests_to(sim, "openai") == 1
            request = sim.select("openai", "llm_request")[0].data
            assert request["model"] == "gpt-4.1-mini"
            assert [m["role"] for m in request["messages"]].count("user") == 2, "the conversation went along"
            assert h.session.config.llm_provider == "openai"
            assert h.session.choose_language_model("cerebras")
            before = requests_to(sim, "cerebras")
            await h.exchange(speech("Thank you."))
            assert requests_to(sim, "cerebras") == before + 1 and requests_to(sim, "openai") == 1
            assert not isinstance(h.of(AssistantTurnEnded)[-1], ErrorOccurred)
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_a_session_started_with_the_conversation_so_far_carries_it_on(speech):
    """What the window does when another speech provider is chosen: a new session, the conversation kept."""
    said = [{"role": "user", "content": "My name is Ada."}, {"role": "assistant", "content": "Nice to meet you, Ada."}]
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim), history=said)
        await h.start()
        try:
            ended = await h.exchange(speech("Hello there."))
            assert ended.spoken
            messages = sim.llm_requests()[-1]["messages"]
            assert [m["content"] for m in messages if m["role"] != "system"][:2] == [m["content"] for m in said]
            assert h.session.context_messages()[:2] == said
        finally:
            await h.stop()
        assert h.session.context_messages()[:2] == said and len(h.session.context_messages()) >= 4
