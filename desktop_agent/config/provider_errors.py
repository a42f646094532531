"""Plain sentences for what providers answer: HTTP statuses and network failures, shared by key tests and voices.

Messages name the provider and, for network failures, the host; never a key (keys travel in headers only).
"""

from __future__ import annotations

import asyncio
import enum
import errno
import ssl
from urllib.parse import urlsplit

import aiohttp

from desktop_agent.providers import ProviderSpec


class KeyStatus(enum.StrEnum):
    OK = "ok"
    MISSING = "missing"
    WRONG_KEY = "wrong_key"
    UNREACHABLE = "unreachable"
    PROVIDER_ERROR = "provider_error"


def describe_status(provider: ProviderSpec, status: int) -> tuple[KeyStatus, str]:
    """What a non-2xx answer means for the user."""
    name = provider.display_name
    if status == 401:
        return KeyStatus.WRONG_KEY, (
            f"{name} rejected this key. Check that you copied the whole key from your {name} account."
        )
    if status == 403:
        return KeyStatus.WRONG_KEY, (
            f"{name} refused the request (HTTP 403): the key is not valid or lacks the permission needed. Check the "
            f"key's permissions in your {name} account."
        )
    if status == 429:
        return KeyStatus.PROVIDER_ERROR, f"{name} says too many requests are being made; wait a minute and try again."
    if status >= 500:
        return KeyStatus.PROVIDER_ERROR, f"{name} has a problem on its side (HTTP {status}); try again later."
    return KeyStatus.PROVIDER_ERROR, f"{name} answered with an unexpected error (HTTP {status})."


def describe_exception(provider: ProviderSpec, url: str, exc: BaseException) -> str:
    """Why ``url`` could not be reached, in a sentence with what to check."""
    name = provider.display_name
    host = urlsplit(url).netloc or url
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return (
            f"Could not reach {name} at {host}: its address could not be looked up. Check your internet connection, "
            "or the endpoint in Settings > Keys if you changed it."
        )
    if isinstance(exc, aiohttp.ClientConnectorError) and not isinstance(exc, aiohttp.ClientSSLError):
        exc = exc.os_error  # the underlying socket error says more than aiohttp's wrapper
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        why = "it did not answer in time"
    elif isinstance(exc, (ssl.SSLError, aiohttp.ClientSSLError)):
        why = "the secure connection could not be established"
    elif isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == errno.ECONNREFUSED:
        why = "the connection was refused"
    elif isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, ConnectionResetError)):
        why = "the connection was dropped"
    else:
        why = f"the connection failed ({type(exc).__name__})"
    return (
        f"Could not reach {name} at {host}: {why}. Check your internet connection, or the endpoint in "
        "Settings > Keys if you changed it."
    )
