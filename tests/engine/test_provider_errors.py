"""Provider failures become one clear, actionable event naming the provider (never a raw exception or a key), and
the session keeps running or recovers by itself. Faults are injected by the loopback simulator."""

from __future__ import annotations

import asyncio

import pytest

from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault
from desktop_agent.state.events import (
    AgentState,
    AssistantTurnEnded,
    ConnectionStatus,
    ErrorKind,
    ErrorOccurred,
    Provider,
    ProviderStatusChanged,
    UserTurnEnded,
)
from tests.engine.conftest import EngineHarness, config_for

WRONG_KEY = "sk-wrong-key-0123456789"


def provider_errors(h: EngineHarness, provider: Provider, since: int = 0) -> list[ErrorOccurred]:
    return [e for e in h.of(ErrorOccurred, since) if e.provider is provider]


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("provider", "field", "sentence"),
    [
        (Provider.TTS, "tts", "ElevenLabs rejected the API key. Open Settings > Keys."),
        (Provider.STT, "stt", "Cartesia rejected the API key. Open Settings > Keys."),
        (Provider.LLM, "llm", "Cerebras rejected the API key. Open Settings > Keys."),
    ],
)
async def test_rejected_key(sim, speech, provider, field, sentence, assert_no_key_leak):
    config = config_for(sim)
    getattr(config, field).api_key = WRONG_KEY
    h = EngineHarness(config)
    h.task = asyncio.ensure_future(h.session.run_in_loop())
    try:
        if provider is Provider.LLM:  # the LLM is only asked when the user says something
            await h.until(lambda: h.session.ready, 20, "the session to become ready")
            sim.stt.script(["Hello?"])
            await h.push_to_talk(speech("Hello?"))
        error = (await h.until(lambda: provider_errors(h, provider), 20, f"a {provider} error"))[0]
        assert error.kind is ErrorKind.AUTH
        assert error.message == sentence
        assert not error.recoverable
        await h.wait(ProviderStatusChanged, where=lambda e: e.provider is provider and e.status is ConnectionStatus.FAILED)
        # Still running: the other services keep working and a turn still goes through them.
        assert h.session.state is not AgentState.STOPPED and not h.task.done()
        if provider is Provider.TTS:
            sim.stt.script(["Are you there?"])
            since = h.mark()
            h.session.press_talk()
            await h.speak(speech("Are you there?"))
            h.session.release_talk()
            await h.wait(UserTurnEnded, since, timeout=10)
            await h.until(lambda: sim.llm_requests(), 10, "the LLM request")
        assert len(provider_errors(h, provider)) <= 2, "the same failure must not flood the user"
        assert_no_key_leak(h.events)
        assert all(WRONG_KEY not in repr(e) for e in h.events)
    finally:
        await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_rate_limited_llm_is_retried_within_the_turn(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim))
    sim.stt.script(["First question.", "Second question."])
    sim.llm.script(["First answer.", "Second answer."])
    # Every attempt of the first request (the SDK's own two retries included) is refused; the turn retries it.
    sim.fault("cerebras", Fault.http(429, retry_after=0.1, times=3))

    since = h.mark()
    ended = await h.exchange(speech("First question."), timeout=30)
    assert ended.text == "First answer." and ended.spoken and ended.complete
    assert len(sim.llm_requests()) >= 4, "the refused request was tried again"
    assert not provider_errors(h, Provider.LLM, since), "a refusal that a retry got past is not the user's problem"

    ended = await h.exchange(speech("Second question."))
    assert ended.text == "Second answer."


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_llm_refusing_every_retry_gives_the_turn_up_with_retry(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim, llm_retries=1))
    sim.stt.script(["First question."])
    sim.llm.script(["First answer."])
    sim.fault("cerebras", Fault.http(503, retry_after=0.1, path_contains="chat"))

    since = h.mark()
    await h.push_to_talk(speech("First question."))
    error = (await h.until(lambda: provider_errors(h, Provider.LLM, since), 30, "the give-up sentence"))[0]
    assert error.retry and error.recoverable
    assert error.message == "Cerebras had a problem on its side, so this turn got no reply. Press Retry to ask again."
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    sim.clear_faults()
    since = h.mark()
    h.session.retry_last_turn()
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert ended.text == "First answer."


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_dropped_tts_socket_reconnects(sim, speech):
    # Armed before the session connects, so its first TTS connection is the one that drops mid-reply.
    sim.fault("elevenlabs", Fault.disconnect_after(3, times=1, path_contains="multi-stream-input"))
    h = EngineHarness(config_for(sim))
    await h.start()
    try:
        sim.stt.script(["Tell me a story.", "Are you back?"])
        sim.llm.script(["Once upon a time there was a tiny robot. It loved the sea.", "Yes, I am back."])

        since = h.mark()
        await h.push_to_talk(speech("Tell me a story."))
        error = (await h.until(lambda: provider_errors(h, Provider.TTS, since), 15, "the dropped-socket error"))[0]
        assert error.kind is ErrorKind.UNREACHABLE and error.recoverable
        assert error.message == "The connection to ElevenLabs dropped. Reconnecting…"
        statuses = lambda: [e.status for e in h.of(ProviderStatusChanged, since) if e.provider is Provider.TTS]  # noqa: E731
        await h.until(lambda: statuses()[-1:] == [ConnectionStatus.CONNECTED], 15, "the TTS to reconnect")
        assert ConnectionStatus.DISCONNECTED in statuses()

        # Recovered: the next reply is spoken in full over the new connection.
        await h.until(lambda: h.session.state is AgentState.LISTENING, 15, "listening again")
        since = h.mark()
        await h.push_to_talk(speech("Are you back?"))
        ended = await h.wait(AssistantTurnEnded, since, timeout=20, where=lambda e: e.text == "Yes, I am back.")
        assert not ended.interrupted
        assert not provider_errors(h, Provider.TTS, since)
    finally:
        await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_unreachable_llm(sim, speech):
    config = config_for(sim)
    config.llm.base_url = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there
    h = EngineHarness(config)
    await h.start()
    try:
        sim.stt.script(["Anyone there?"])
        await h.push_to_talk(speech("Anyone there?"))
        error = (await h.until(lambda: provider_errors(h, Provider.LLM), 20, "the unreachable error"))[0]
        assert error.kind is ErrorKind.UNREACHABLE and error.retry
        assert error.message == "Cerebras could not be reached, so this turn got no reply. Press Retry to ask again."
        await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    finally:
        await h.stop()


def test_api_keys_are_masked_in_logs(capfd):
    from loguru import logger

    from desktop_agent.engine.logs import configure_logging, mask_secrets

    configure_logging(force=True)
    mask_secrets(SIMULATOR_API_KEYS["elevenlabs"])
    logger.warning(f"connecting with xi-api-key={SIMULATOR_API_KEYS['elevenlabs']}")
    err = capfd.readouterr().err
    assert "connecting with xi-api-key=" in err
    assert SIMULATOR_API_KEYS["elevenlabs"] not in err
