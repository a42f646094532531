"""Key tests against the loopback simulator: a good key, a wrong key, an unreachable endpoint, a provider error."""

from __future__ import annotations

import socket

import pytest

from desktop_agent import providers
from desktop_agent.config.key_check import KeyStatus, check_key
from desktop_agent.providers import ProviderSpec
from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault, Simulator
from desktop_agent.state.events import Provider

#: The default provider of each role (the others have their own tests beside their emulators).
DEFAULTS = [providers.default_for(role) for role in Provider]


def endpoint(sim: Simulator, provider: ProviderSpec) -> str:
    """The URL a user would put in Settings > Keys: a websocket base or a base ending in /v1."""
    return sim.url(provider.emulator)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.mark.asyncio
@pytest.mark.parametrize("provider", DEFAULTS, ids=lambda spec: spec.id)
async def test_good_key_is_accepted(provider):
    async with Simulator(profile="instant") as sim:
        result = await check_key(provider, SIMULATOR_API_KEYS[provider.emulator], endpoint(sim, provider))
        assert result.ok and result.status is KeyStatus.OK
        assert result.message.startswith(f"The {provider.display_name} key works")
        rejected = sim.select(provider.emulator, "rejected")
        assert rejected == []


@pytest.mark.asyncio
async def test_good_key_messages_say_what_the_key_can_see():
    async with Simulator(profile="instant") as sim:
        tts = await check_key(providers.get("elevenlabs"), SIMULATOR_API_KEYS["elevenlabs"], sim.elevenlabs_url)
        assert tts.message == "The ElevenLabs key works: 18 voices are available to it."
        stt = await check_key(providers.get("cartesia"), SIMULATOR_API_KEYS["cartesia"], sim.cartesia_url)
        assert stt.message == "The Cartesia key works: the speech to text service accepted it."
        assert len(sim.stt_connections()) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("provider", DEFAULTS, ids=lambda spec: spec.id)
async def test_wrong_key_is_reported_as_wrong(provider):
    wrong = "wrong-key-0123456789"
    async with Simulator(profile="instant") as sim:
        result = await check_key(provider, wrong, endpoint(sim, provider))
        assert result.status is KeyStatus.WRONG_KEY and not result.ok
        name = provider.display_name
        assert result.message == (
            f"{name} rejected this key. Check that you copied the whole key from your {name} account."
        )
        assert wrong not in result.message
        assert len(sim.select(provider.emulator, "rejected")) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("provider", "url"),
    [(providers.get("cartesia"), "ws://127.0.0.1:{port}"), (providers.get("cerebras"), "http://127.0.0.1:{port}/v1"),
     (providers.get("elevenlabs"), "ws://127.0.0.1:{port}")],
    ids=["stt", "llm", "tts"],
)
async def test_unreachable_endpoint_is_reported_as_unreachable(provider, url):
    port = closed_port()
    result = await check_key(provider, "any-key-123456", url.format(port=port), timeout=5)
    assert result.status is KeyStatus.UNREACHABLE
    assert result.message == (
        f"Could not reach {provider.display_name} at 127.0.0.1:{port}: the connection was refused. Check your "
        "internet connection, or the endpoint in Settings > Keys if you changed it."
    )


@pytest.mark.asyncio
async def test_provider_side_failure_is_not_blamed_on_the_key():
    async with Simulator(profile="instant") as sim:
        sim.fault("elevenlabs", Fault.http(503, times=1))
        result = await check_key(providers.get("elevenlabs"), SIMULATOR_API_KEYS["elevenlabs"], sim.elevenlabs_url)
        assert result.status is KeyStatus.PROVIDER_ERROR
        assert result.message == "ElevenLabs has a problem on its side (HTTP 503); try again later."
        sim.fault("cartesia", Fault.http(429, times=1))
        limited = await check_key(providers.get("cartesia"), SIMULATOR_API_KEYS["cartesia"], sim.cartesia_url)
        assert limited.status is KeyStatus.PROVIDER_ERROR and "too many requests" in limited.message


@pytest.mark.asyncio
async def test_a_hanging_provider_times_out_as_unreachable():
    async with Simulator(profile="instant") as sim:
        sim.fault("elevenlabs", Fault.hang(times=1))
        result = await check_key(providers.get("elevenlabs"), SIMULATOR_API_KEYS["elevenlabs"], sim.elevenlabs_url,
                                 timeout=0.5)
        assert result.status is KeyStatus.UNREACHABLE and "it did not answer in time" in result.message


@pytest.mark.asyncio
async def test_empty_key_is_not_sent():
    result = await check_key(providers.get("cerebras"), "  ")
    assert result.status is KeyStatus.MISSING and result.message == "Enter a Cerebras key first."
