"""Key tests: one real, minimal, authenticated request per provider, with the answer as a plain sentence.

What the request is (an HTTP GET such as a model or voice list, or opening the streaming websocket and closing it
at once) is the provider's own :class:`~desktop_agent.providers.KeyCheck`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import websockets
from websockets.exceptions import InvalidStatus, WebSocketException

from desktop_agent.config.endpoints import http_base, websocket_base
from desktop_agent.config.provider_errors import KeyStatus, describe_exception, describe_status
from desktop_agent.providers import ProviderSpec

__all__ = ["KeyCheckResult", "KeyStatus", "check_key"]

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class KeyCheckResult:
    provider: ProviderSpec
    status: KeyStatus
    message: str

    @property
    def ok(self) -> bool:
        return self.status is KeyStatus.OK


async def check_key(
    provider: ProviderSpec, key: str, base_url: str = "", timeout: float = DEFAULT_TIMEOUT
) -> KeyCheckResult:
    """Test ``key`` against ``provider`` (at ``base_url``, "" = the real service). Never raises for network trouble."""
    key = key.strip()
    if not key and provider.key_required:
        return KeyCheckResult(provider, KeyStatus.MISSING, f"Enter a {provider.display_name} key first.")
    check = provider.key_check
    headers = {
        name: value.replace("{key}", key) for name, value in check.headers.items() if key or "{key}" not in value
    }
    if check.kind == "websocket":
        return await _check_websocket(provider, headers, check.path, check.query, base_url, timeout)
    url = f"{http_base(provider, base_url)}{check.path}"
    return await _check_http(provider, url, headers, timeout)


async def _check_http(provider: ProviderSpec, url: str, headers: dict[str, str], timeout: float) -> KeyCheckResult:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.get(url, headers=headers) as response,
        ):
            body = await response.read()
            status = response.status
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return KeyCheckResult(provider, KeyStatus.UNREACHABLE, describe_exception(provider, url, exc))
    if 200 <= status < 300:
        return KeyCheckResult(provider, KeyStatus.OK, _ok_message(provider, body))
    kind, message = describe_status(provider, status)
    return KeyCheckResult(provider, kind, message)


def _ok_message(provider: ProviderSpec, body: bytes) -> str:
    name = provider.display_name
    try:
        data = json.loads(body)
    except ValueError:
        return f"The {name} key works."
    counts = provider.key_check.counts
    if counts == "voices" and isinstance(data, dict) and isinstance(data.get("total_count"), int):
        return f"The {name} key works: {data['total_count']} voices are available to it."
    if counts == "models" and isinstance(data, dict) and isinstance(data.get("data"), list):
        return f"The {name} key works: {len(data['data'])} models are available to it."
    return f"The {name} key works."


async def _check_websocket(
    provider: ProviderSpec, headers: dict[str, str], path: str, query: dict[str, str], base_url: str, timeout: float
) -> KeyCheckResult:
    url = f"{websocket_base(provider, base_url)}{path}?{urlencode(query)}"
    try:
        async with websockets.connect(url, additional_headers=headers, open_timeout=timeout, close_timeout=2):
            pass  # connected and authenticated: closing right away costs no audio time
    except InvalidStatus as exc:
        kind, message = describe_status(provider, exc.response.status_code)
        return KeyCheckResult(provider, kind, message)
    except (TimeoutError, OSError, WebSocketException) as exc:
        return KeyCheckResult(provider, KeyStatus.UNREACHABLE, describe_exception(provider, url, exc))
    role = provider.role.role_name
    return KeyCheckResult(
        provider, KeyStatus.OK, f"The {provider.display_name} key works: the {role} service accepted it."
    )
