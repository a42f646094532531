"""Deepgram speech to text (Nova-3, streaming over a websocket through Deepgram's own SDK)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig


def build(config: EngineConfig) -> Any:
    # Pipecat's service with its own reconnect loop off: desktop_agent.engine.healing is the one reconnect policy.
    from desktop_agent.providers.deepgram_service import SingleAttemptDeepgramSTTService as Service

    return Service(
        api_key=config.stt.api_key,
        base_url=config.stt.base_url,  # "" keeps Deepgram's own address
        settings=Service.Settings(
            model=config.stt_model,
            language=config.stt_language,
            interim_results=True,
            punctuate=True,
            smart_format=True,
        ),
    )


SPEC = ProviderSpec(
    id="deepgram",
    role=Role.STT,
    display_name="Deepgram",
    key_variable="DEEPGRAM_API_KEY",
    keyring_name="deepgram",
    key_hint="console.deepgram.com > API Keys",
    default_url="wss://api.deepgram.com",
    url_variable="DEEPGRAM_BASE_URL",
    default_model="nova-3",
    known_models=("nova-3", "nova-3-general", "nova-2"),
    prices=Prices(0.46, "Nova-3 streaming, per audio hour"),
    build=build,
    key_check=KeyCheck(
        "websocket",
        "/v1/listen",
        headers={"Authorization": "Token {key}"},
        query={"model": "nova-3", "encoding": "linear16", "sample_rate": "16000"},
    ),
    emulator="deepgram",
    summary="Deepgram Nova-3, streaming",
)
