"""A start-up check of the ElevenLabs key (the ``key_rejected`` hook of its provider spec).

Most providers refuse a bad key with HTTP 401, which Pipecat classifies as an authentication error. The
ElevenLabs websocket instead accepts the connection and then closes it (code 1008), which Pipecat can only report
as a dropped connection, over and over, for ten seconds. One small authenticated REST request at start-up (the
same one the settings' key test makes) tells the user the real reason at once. It runs alongside the start-up,
so it costs no latency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from loguru import logger

if TYPE_CHECKING:
    from desktop_agent.engine.config import ProviderEndpoint


ELEVENLABS_DEFAULT = "wss://api.elevenlabs.io"


def elevenlabs_rest_base(endpoint: ProviderEndpoint) -> str:
    base = (endpoint.base_url or ELEVENLABS_DEFAULT).rstrip("/")
    if base.startswith("wss://"):
        return "https://" + base[len("wss://") :]
    if base.startswith("ws://"):
        return "http://" + base[len("ws://") :]
    return base


async def elevenlabs_key_rejected(endpoint: ProviderEndpoint, timeout: float = 5.0) -> bool:
    """True only when ElevenLabs answers 401/403; network trouble or anything else counts as "not known"."""
    url = f"{elevenlabs_rest_base(endpoint)}/v2/voices?page_size=1"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.get(url, headers={"xi-api-key": endpoint.api_key}) as response,
        ):
            return response.status in (401, 403)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        logger.debug(f"ElevenLabs key check inconclusive: {type(exc).__name__}")
        return False
