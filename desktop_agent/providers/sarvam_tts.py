"""Sarvam Bulbul text to speech (streaming over a websocket): ten Indian languages and Indian English, every speaker
in each. The same key as Sarvam's speech to text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.sarvam_languages import SARVAM_CODES, sarvam_code

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig


def language_code(language: str) -> str:
    """The ``target_language_code`` for the conversation's language (detection has no voice: Indian English)."""
    return sarvam_code("en-IN" if language == "auto" else language)


def build(config: EngineConfig) -> Any:
    from pipecat.services.sarvam.tts import SarvamTTSService

    base = (config.tts.base_url or SPEC.default_url).rstrip("/")
    return SarvamTTSService(
        api_key=config.tts.api_key,
        url=f"{base}/text-to-speech/ws",
        settings=SarvamTTSService.Settings(
            model=config.tts_model, voice=config.voice_id, language=language_code(config.stt_language)
        ),
        reconnect_on_error=False,  # desktop_agent.engine.healing is the one reconnect policy
    )


def voice_catalog(api_key: str, base_url: str) -> Any:
    from desktop_agent.providers.sarvam_voices import SpeakerCatalog

    return SpeakerCatalog(api_key, base_url)


SPEC = ProviderSpec(
    id="sarvam_tts",
    role=Role.TTS,
    display_name="Sarvam",
    key_variable="SARVAM_API_KEY",
    keyring_name="sarvam",
    key_hint="dashboard.sarvam.ai > API keys",
    default_url="wss://api.sarvam.ai",
    url_variable="SARVAM_TTS_BASE_URL",
    default_model="bulbul:v3",
    known_models=("bulbul:v3", "bulbul:v4-flash"),
    prices=Prices(0.036, "Bulbul, per thousand characters (3 rupees)"),
    build=build,
    key_check=KeyCheck(
        "websocket",
        "/text-to-speech/ws",
        headers={"api-subscription-key": "{key}"},
        query={"model": "bulbul:v3"},
    ),
    emulator="sarvam_tts",
    default_voice_id="shubh",
    default_voice_name="Shubh",
    sample_rates=(8000, 16000, 22050, 24000),
    summary="Sarvam Bulbul, streaming, Indian languages",
    voice_catalog=voice_catalog,
    aliases=("api-subscription-key",),
    languages=(*SARVAM_CODES, "en"),  # any English is spoken as Indian English
    language_code=language_code,
    word_timing=False,  # Bulbul's stream carries no word timestamps
)
