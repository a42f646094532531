"""ElevenLabs text to speech (Flash v2.5, streaming over a websocket): the default TTS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.elevenlabs_key_check import elevenlabs_key_rejected

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig


def build(config: EngineConfig) -> Any:
    from pipecat.services.elevenlabs.tts import ElevenLabsTTSService

    kwargs: dict[str, Any] = {"url": config.tts.base_url} if config.tts.base_url else {}
    return ElevenLabsTTSService(
        api_key=config.tts.api_key,
        settings=ElevenLabsTTSService.Settings(voice=config.voice_id, model=config.tts_model),
        reconnect_on_error=False,  # desktop_agent.engine.healing is the one reconnect policy
        **kwargs,
    )


def voice_catalog(api_key: str, base_url: str) -> Any:
    from desktop_agent.providers.elevenlabs_voices import VoiceCatalog

    return VoiceCatalog(api_key, base_url)


SPEC = ProviderSpec(
    id="elevenlabs",
    role=Role.TTS,
    display_name="ElevenLabs",
    key_variable="ELEVENLABS_API_KEY",
    keyring_name="elevenlabs",
    key_hint="elevenlabs.io > Developers > API keys",
    default_url="wss://api.elevenlabs.io",
    url_variable="ELEVENLABS_BASE_URL",
    default_model="eleven_flash_v2_5",
    known_models=("eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_multilingual_v2"),
    prices=Prices(0.05, "Flash v2.5, per thousand characters"),
    build=build,
    key_check=KeyCheck("http", "/v2/voices?page_size=1", headers={"xi-api-key": "{key}"}, counts="voices"),
    emulator="elevenlabs",
    # "Eric", a current premade conversational voice. ElevenLabs retires voices ("Rachel", the earlier default, is
    # gone): the first run picks from the account's own list, so this is only the last resort.
    default_voice_id="cjVigY5qzO86Huf0OWal",
    default_voice_name="Eric",
    sample_rates=(8000, 16000, 22050, 24000, 32000, 44100, 48000),
    summary="ElevenLabs Flash v2.5, streaming",
    # Its websocket accepts a bad key and then closes (1008), which reads as a dropped connection.
    key_rejected=elevenlabs_key_rejected,
    aliases=("eleven", "xi"),
    voice_catalog=voice_catalog,
)
