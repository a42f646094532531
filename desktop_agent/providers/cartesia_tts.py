"""Cartesia Sonic text to speech (streaming over a websocket, with word timestamps). The same key as Cartesia's
speech to text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.cartesia_stt import CARTESIA_VERSION

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig


def build(config: EngineConfig) -> Any:
    from pipecat.services.cartesia.tts import CartesiaTTSService

    base = (config.tts.base_url or SPEC.default_url).rstrip("/")
    return CartesiaTTSService(
        api_key=config.tts.api_key,
        url=f"{base}/tts/websocket",
        settings=CartesiaTTSService.Settings(voice=config.voice_id, model=config.tts_model),
        reconnect_on_error=False,  # desktop_agent.engine.healing is the one reconnect policy
    )


def voice_catalog(api_key: str, base_url: str) -> Any:
    from desktop_agent.providers.cartesia_voices import VoiceCatalog

    return VoiceCatalog(api_key, base_url)


SPEC = ProviderSpec(
    id="cartesia_tts",
    role=Role.TTS,
    display_name="Cartesia",
    key_variable="CARTESIA_API_KEY",
    keyring_name="cartesia",
    key_hint="play.cartesia.ai > API keys",
    default_url="wss://api.cartesia.ai",
    url_variable="CARTESIA_TTS_BASE_URL",
    default_model="sonic-3",
    known_models=("sonic-3", "sonic-2", "sonic-turbo"),
    prices=Prices(0.04, "Sonic, per thousand characters"),
    build=build,
    key_check=KeyCheck("http", "/voices?limit=1", headers={"X-API-Key": "{key}", "Cartesia-Version": CARTESIA_VERSION}),
    emulator="cartesia_tts",
    default_voice_id="71a7ad14-091c-4e8e-a314-022ece01c121",
    default_voice_name="British Reading Lady",
    sample_rates=(8000, 16000, 22050, 24000, 44100, 48000),
    summary="Cartesia Sonic, streaming with word timestamps",
    voice_catalog=voice_catalog,
)
