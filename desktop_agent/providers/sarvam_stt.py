"""Sarvam speech to text (Saaras/Saarika, streaming over a websocket through the ``sarvamai`` SDK): ten Indian
languages and Indian English, or the language detected in each utterance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.sarvam_languages import DETECT, SARVAM_CODES, sarvam_code

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig

#: The app's code for "detect the language" (see desktop_agent.config.languages).
AUTO = "auto"


def language_code(language: str) -> str:
    """The ``language-code`` the streaming endpoint is opened with: Sarvam's spelling, or ``unknown`` to detect."""
    return DETECT if language == AUTO else sarvam_code(language)


def build(config: EngineConfig) -> Any:
    # Pipecat's service made healable, pointed at the configured address and hearing Sarvam's in-band errors.
    from desktop_agent.providers.sarvam_service import HealableSarvamSTTService as Service

    return Service(
        api_key=config.stt.api_key,
        base_url=config.stt.base_url,  # "" keeps Sarvam's own address
        settings=Service.Settings(model=config.stt_model, language=language_code(config.stt_language)),
    )


SPEC = ProviderSpec(
    id="sarvam",
    role=Role.STT,
    display_name="Sarvam",
    key_variable="SARVAM_API_KEY",
    keyring_name="sarvam",
    key_hint="dashboard.sarvam.ai > API keys",
    default_url="wss://api.sarvam.ai",
    url_variable="SARVAM_BASE_URL",
    default_model="saaras:v3",
    known_models=("saaras:v3", "saaras:v4"),
    prices=Prices(0.36, "Saaras streaming, per audio hour (30 rupees)"),
    build=build,
    key_check=KeyCheck(
        "websocket",
        "/speech-to-text/ws",
        headers={"api-subscription-key": "{key}"},
        query={"language-code": DETECT, "model": "saaras:v3", "sample_rate": "16000"},
    ),
    emulator="sarvam",
    summary="Sarvam Saaras, streaming, Indian languages",
    aliases=("api-subscription-key",),
    languages=(*SARVAM_CODES, "en", AUTO),  # any English is heard as Indian English
    language_code=language_code,
)
