"""Provider addresses: the real defaults, and the HTTP/websocket forms the key tests and the voice catalogue need.

A settings endpoint of "" means the provider's own TLS address. ElevenLabs and Cartesia endpoints are configured as
websocket bases (that is what the engine streams over); their REST calls use the same host with http(s).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from desktop_agent.state.events import Provider

DEFAULT_URLS: dict[Provider, str] = {
    Provider.STT: "wss://api.cartesia.ai",
    Provider.LLM: "https://api.cerebras.ai/v1",
    Provider.TTS: "wss://api.elevenlabs.io",
}
_TO_HTTP = {"ws": "http", "wss": "https", "http": "http", "https": "https"}
_TO_WS = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def effective_url(provider: Provider, url: str) -> str:
    return (url or DEFAULT_URLS[provider]).strip().rstrip("/")


def http_base(provider: Provider, url: str) -> str:
    """The REST base for ``provider`` (``https://api.elevenlabs.io`` for a ``wss://api.elevenlabs.io`` setting)."""
    parts = urlsplit(effective_url(provider, url))
    return urlunsplit((_TO_HTTP.get(parts.scheme, parts.scheme), parts.netloc, parts.path, "", ""))


def websocket_base(provider: Provider, url: str) -> str:
    """The websocket base (scheme and host only, as Pipecat's Cartesia service keeps only those)."""
    parts = urlsplit(effective_url(provider, url))
    return urlunsplit((_TO_WS.get(parts.scheme, parts.scheme), parts.netloc, "", "", ""))
