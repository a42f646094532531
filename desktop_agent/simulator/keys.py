"""The only API keys the emulators accept, and redaction of keys in what they record.

These are fake, public values (the standalone server prints them): nothing secret lives here. Recorded headers and
queries still have credentials masked, so a record never shows whichever key a client sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SIMULATOR_API_KEYS: dict[str, str] = {
    "cartesia": "sim-cartesia-key",
    "cerebras": "sim-cerebras-key",
    "elevenlabs": "sim-elevenlabs-key",
    # Cartesia's text-to-speech host: the same key as its speech-to-text, as one Cartesia account has one key.
    "cartesia_tts": "sim-cartesia-key",
    "deepgram": "sim-deepgram-key",
    "openai": "sim-openai-key",
    "groq": "sim-groq-key",
    # Sarvam's speech to text and text to speech: one account, one key (the two emulators listen apart).
    "sarvam": "sim-sarvam-key",
    "sarvam_tts": "sim-sarvam-key",
    # local_llm has none: a local OpenAI-compatible server takes any key, or none.
}

_SECRET_NAMES = frozenset(
    {"api-subscription-key", "x-api-key", "xi-api-key", "xi_api_key", "authorization", "access_token", "api_key"}
)
MASK = "***"


def redact(items: Mapping[str, Any]) -> dict[str, Any]:
    """Header, query or message items with every credential replaced by ``***``."""
    return {name: (MASK if name.lower() in _SECRET_NAMES else value) for name, value in items.items()}


def bearer_token(value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value (None when absent or another scheme)."""
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
