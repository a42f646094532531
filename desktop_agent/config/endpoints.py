"""Provider addresses: the HTTP and websocket forms the key tests and the voice and model catalogues need.

A settings endpoint of "" means the provider's own TLS address (``ProviderSpec.default_url``). Websocket providers
are configured as websocket bases (that is what the engine streams over); their REST calls use the same host with
http(s).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from desktop_agent.providers import ProviderSpec

_TO_HTTP = {"ws": "http", "wss": "https", "http": "http", "https": "https"}
_TO_WS = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def effective_url(spec: ProviderSpec, url: str) -> str:
    return (url or spec.default_url).strip().rstrip("/")


def http_base(spec: ProviderSpec, url: str) -> str:
    """The REST base (``https://api.example.com`` for a ``wss://api.example.com`` setting)."""
    parts = urlsplit(effective_url(spec, url))
    return urlunsplit((_TO_HTTP.get(parts.scheme, parts.scheme), parts.netloc, parts.path, "", ""))


def websocket_base(spec: ProviderSpec, url: str) -> str:
    """The websocket base: scheme and host only, as Pipecat's websocket services keep only those."""
    parts = urlsplit(effective_url(spec, url))
    return urlunsplit((_TO_WS.get(parts.scheme, parts.scheme), parts.netloc, "", "", ""))
