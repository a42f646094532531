"""Cartesia Ink-2 turn-based speech to text (``/stt/turns/websocket``): the server says when a turn starts, probably
ends (``turn.eager_end``, a reply is prepared then and held), resumes and ends, so hands-free turn-taking comes from
it rather than from the app's own voice detection and smart-turn. English only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.cartesia_stt import CARTESIA_VERSION

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig

DEFAULT_URL = "wss://api.cartesia.ai"
PATH = "/stt/turns/websocket"


def turns_url(base_url: str) -> str:
    """The turn-based endpoint below ``base_url`` (the Cartesia host; "" for Cartesia's own)."""
    return (base_url or DEFAULT_URL).rstrip("/") + PATH


def build(config: EngineConfig) -> Any:
    from desktop_agent.providers.cartesia_turns_service import KeyAwareCartesiaTurnsSTTService as Service

    return Service(
        api_key=config.stt.api_key,
        url=turns_url(config.stt.base_url),
        # Replies start at the server's predicted end of a turn; held until it commits, dropped if the user goes on.
        enable_eager_end_of_turn=True,
        settings=Service.Settings(model=config.stt_model),
        reconnect_on_error=False,  # desktop_agent.engine.healing is the one reconnect policy
    )


SPEC = ProviderSpec(
    id="cartesia_turns",
    role=Role.STT,
    display_name="Cartesia Ink-2 (turn-based)",
    key_variable="CARTESIA_API_KEY",
    keyring_name="cartesia",
    key_hint="play.cartesia.ai > API keys",
    default_url=DEFAULT_URL,
    url_variable="CARTESIA_BASE_URL",
    default_model="ink-2",
    known_models=("ink-2",),
    prices=Prices(0.13, "Ink-2, per audio hour (Cartesia's speech-to-text price)"),
    build=build,
    key_check=KeyCheck(
        "websocket",
        PATH,
        headers={"Cartesia-Version": CARTESIA_VERSION, "X-API-Key": "{key}"},
        query={"model": "ink-2", "encoding": "pcm_s16le", "sample_rate": "16000"},
    ),
    emulator="cartesia",
    summary=(
        "Cartesia Ink-2, streaming, English: in hands-free it decides when you have finished speaking and a reply "
        "is prepared as you pause; push-to-talk works as with any other"
    ),
    languages=("en",),
    decides_turns=True,
)
