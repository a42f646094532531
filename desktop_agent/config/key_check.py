"""Key tests: one real, minimal, authenticated request per provider, with the answer as a plain sentence.

- ElevenLabs: ``GET /v2/voices?page_size=1`` with ``xi-api-key``.
- Cerebras: ``GET {base}/models`` with ``Authorization: Bearer``.
- Cartesia: open the STT websocket (``/stt/websocket``) with the headers Pipecat sends, then close it at once.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import websockets
from websockets.exceptions import InvalidStatus, WebSocketException

from desktop_agent.config.endpoints import http_base, websocket_base
from desktop_agent.config.provider_errors import KeyStatus, describe_exception, describe_status
from desktop_agent.state.events import Provider

__all__ = ["KeyCheckResult", "KeyStatus", "check_key"]

CARTESIA_VERSION = "2026-03-01"  # the version header Pipecat 1.14's Cartesia STT sends
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class KeyCheckResult:
    provider: Provider
    status: KeyStatus
    message: str

    @property
    def ok(self) -> bool:
        return self.status is KeyStatus.OK


async def check_key(provider: Provider, key: str, base_url: str = "", timeout: float = DEFAULT_TIMEOUT) -> KeyCheckResult:
    """Test ``key`` against ``provider`` (at ``base_url``, "" = the real service). Never raises for network trouble."""
    key = key.strip()
    if not key:
        return KeyCheckResult(provider, KeyStatus.MISSING, f"Enter a {provider.display_name} key first.")
    if provider is Provider.STT:
        return await _check_cartesia(key, base_url, timeout)
    if provider is Provider.LLM:
        url = f"{http_base(provider, base_url)}/models"
        return await _check_http(provider, url, {"Authorization": f"Bearer {key}"}, timeout)
    url = f"{http_base(provider, base_url)}/v2/voices?page_size=1"
    return await _check_http(provider, url, {"xi-api-key": key}, timeout)


async def _check_http(provider: Provider, url: str, headers: dict[str, str], timeout: float) -> KeyCheckResult:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(url, headers=headers) as response:
                body = await response.read()
                status = response.status
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        return KeyCheckResult(provider, KeyStatus.UNREACHABLE, describe_exception(provider, url, exc))
    if 200 <= status < 300:
        return KeyCheckResult(provider, KeyStatus.OK, _ok_message(provider, body))
    kind, message = describe_status(provider, status)
    return KeyCheckResult(provider, kind, message)


def _ok_message(provider: Provider, body: bytes) -> str:
    name = provider.display_name
    try:
        data = json.loads(body)
    except ValueError:
        return f"The {name} key works."
    if provider is Provider.TTS and isinstance(data, dict) and isinstance(data.get("total_count"), int):
        return f"The {name} key works: {data['total_count']} voices are available to it."
    if provider is Provider.LLM and isinstance(data, dict) and isinstance(data.get("data"), list):
        return f"The {name} key works: {len(data['data'])} models are available to it."
    return f"The {name} key works."


async def _check_cartesia(key: str, base_url: str, timeout: float) -> KeyCheckResult:
    provider = Provider.STT
    query = urlencode({"model": "ink-whisper", "language": "en", "encoding": "pcm_s16le", "sample_rate": 16000})
    url = f"{websocket_base(provider, base_url)}/stt/websocket?{query}"
    headers = {"Cartesia-Version": CARTESIA_VERSION, "X-API-Key": key}
    try:
        async with websockets.connect(url, additional_headers=headers, open_timeout=timeout, close_timeout=2):
            pass  # connected and authenticated: closing right away costs no audio time
    except InvalidStatus as exc:
        kind, message = describe_status(provider, exc.response.status_code)
        return KeyCheckResult(provider, kind, message)
    except (OSError, asyncio.TimeoutError, WebSocketException) as exc:
        return KeyCheckResult(provider, KeyStatus.UNREACHABLE, describe_exception(provider, url, exc))
    return KeyCheckResult(provider, KeyStatus.OK, "The Cartesia key works: the speech-to-text service accepted it.")
