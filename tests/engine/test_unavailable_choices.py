"""A model the provider retired, or a voice the account no longer has, is said once at the start of the session
(before any turn fails), with one that is offered to switch to; the session keeps running."""

from __future__ import annotations

import asyncio

import pytest

from desktop_agent.state.events import ChoiceUnavailable, ErrorOccurred, Provider
from tests.engine.conftest import EngineHarness, config_for


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_retired_model_is_said_at_start_with_a_replacement(sim):
    h = EngineHarness(config_for(sim, llm_model="llama-3.3-70b"))  # retired by Cerebras in 2026
    await h.start()
    try:
        event = await h.wait(ChoiceUnavailable, timeout=15, where=lambda e: e.provider is Provider.LLM)
        assert event.current == "llama-3.3-70b"
        assert event.replacement and event.replacement != "llama-3.3-70b"
        assert event.message == f"The language model llama-3.3-70b is no longer offered by Cerebras. " \
                                f"Switch to {event.replacement}."
        assert not sim.llm_requests(), "said before any turn was tried"
        assert len([e for e in h.of(ErrorOccurred) if e.provider is Provider.LLM]) == 1
    finally:
        await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_voice_the_account_lacks_is_said_at_start_with_a_replacement(sim):
    h = EngineHarness(config_for(sim, voice_id="21m00Tcm4TlvDq8ikWAM", voice_name="Rachel"))  # a retired voice
    h.task = asyncio.ensure_future(h.session.run_in_loop())  # never ready: its voice cannot connect
    try:
        event = await h.wait(ChoiceUnavailable, timeout=20, where=lambda e: e.provider is Provider.TTS)
        assert event.current == "21m00Tcm4TlvDq8ikWAM" and event.replacement
        assert event.message.startswith("The voice Rachel is no longer in your ElevenLabs account. Switch to ")
        # The connection keeps being refused (the healer keeps trying); none of that repeats the sentence.
        await h.until(lambda: len([r for r in sim.records if r.kind == "tts_connect"]) >= 3, 20, "reconnects")
        tts_errors = [e for e in h.of(ErrorOccurred) if e.provider is Provider.TTS]
        assert len(tts_errors) == 1, f"one sentence, not the failed reconnects behind it: {tts_errors}"
    finally:
        await h.stop()
