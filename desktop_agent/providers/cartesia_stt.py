"""Cartesia speech to text (ink-whisper, streaming over a websocket): the default STT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig

#: The version header Pipecat 1.14's Cartesia services send (the key test sends the same).
CARTESIA_VERSION = "2026-03-01"


def build(config: EngineConfig) -> Any:
    from desktop_agent.providers.cartesia_finalizing import FinalizingCartesiaSTTService

    kwargs: dict[str, Any] = {"base_url": config.stt.base_url} if config.stt.base_url else {}
    return FinalizingCartesiaSTTService(
        api_key=config.stt.api_key,
        settings=FinalizingCartesiaSTTService.Settings(model=config.stt_model, language=config.stt_language),
        reconnect_on_error=False,  # desktop_agent.engine.healing is the one reconnect policy
        **kwargs,
    )


SPEC = ProviderSpec(
    id="cartesia",
    role=Role.STT,
    display_name="Cartesia",
    key_variable="CARTESIA_API_KEY",
    keyring_name="cartesia",
    key_hint="play.cartesia.ai > API keys",
    default_url="wss://api.cartesia.ai",
    url_variable="CARTESIA_BASE_URL",
    default_model="ink-whisper",
    known_models=("ink-whisper",),
    prices=Prices(0.13, "ink-whisper, per audio hour"),
    build=build,
    # Opening the STT websocket with the headers Pipecat sends, then closing it at once.
    key_check=KeyCheck(
        "websocket",
        "/stt/websocket",
        headers={"Cartesia-Version": CARTESIA_VERSION, "X-API-Key": "{key}"},
        query={"model": "ink-whisper", "encoding": "pcm_s16le", "sample_rate": "16000"},
    ),
    emulator="cartesia",
    summary="Cartesia ink-whisper, streaming",
)
