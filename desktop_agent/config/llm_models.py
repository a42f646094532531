"""The language models a provider serves to this key (``GET {base}/models``), cached, and which one to suggest.

Providers retire models (``llama-3.3-70b``, this app's first default, answers 404 since), so Settings lists what the
provider serves at run time instead of a fixed list, and a model it no longer serves is answered with an available
one to switch to (:func:`suggest_model`). The list is kept for :data:`CACHE_SECONDS` per endpoint and key, so
opening Settings again costs no request.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable

import aiohttp

from desktop_agent import providers
from desktop_agent.config.endpoints import http_base
from desktop_agent.config.provider_errors import describe_exception, describe_status
from desktop_agent.providers import ProviderSpec
from desktop_agent.state.events import Provider
from desktop_agent.state.plain_text import plain_text

CACHE_SECONDS = 600.0
MAX_MODEL_ID = 100  # longer "IDs" in a reply are not model names: they are left out

_cache: dict[tuple[str, str], tuple[float, list[str]]] = {}


class ModelListError(Exception):
    """The model list could not be fetched; the message is a sentence for the user (never contains a key)."""


def suggest_model(available: Iterable[str], current: str = "", spec: ProviderSpec | None = None) -> str | None:
    """The model to offer instead of ``current``: the app's preferred live one (the provider's ``known_models``
    order), else the first the provider lists; None when it lists nothing else."""
    spec = spec or providers.default_for(Provider.LLM)
    others = [model for model in available if model != current]
    for preferred in spec.known_models:
        if preferred in others:
            return preferred
    return others[0] if others else None


class ModelCatalog:
    """A language model provider's models for one key and endpoint (``base_url`` "" = the real service, else a base
    ending in /v1)."""

    def __init__(
        self, api_key: str, base_url: str = "", timeout: float = 10.0, spec: ProviderSpec | None = None
    ) -> None:
        self.spec = spec or providers.default_for(Provider.LLM)
        self._key = api_key.strip()
        self.base = http_base(self.spec, base_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def _cache_key(self) -> tuple[str, str]:
        return self.base, hashlib.sha256(self._key.encode()).hexdigest()

    def cached(self) -> list[str] | None:
        """The list fetched within :data:`CACHE_SECONDS`, without asking; None when there is none."""
        entry = _cache.get(self._cache_key)
        if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
            return None
        return list(entry[1])

    async def models(self, refresh: bool = False) -> list[str]:
        """The IDs of the models this key may use, in the provider's order (from the cache unless ``refresh``)."""
        if not refresh:
            cached = self.cached()
            if cached is not None:
                return cached
        name = self.spec.display_name
        if not self._key and self.spec.key_required:
            raise ModelListError(f"The {name} API key is missing. Open Settings > Keys and paste it.")
        url = f"{self.base}/models"
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.get(url, headers=headers) as response,
            ):
                if response.status >= 300:
                    raise ModelListError(describe_status(self.spec, response.status)[1])
                text = await response.text()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ModelListError(describe_exception(self.spec, url, exc)) from None
        models = _model_ids(text, name)
        _cache[self._cache_key] = (time.monotonic(), models)
        return list(models)


def _model_ids(text: str, name: str) -> list[str]:
    unreadable = ModelListError(f"{name} sent a model list this app cannot read; try again later.")
    try:
        data = json.loads(text)
    except ValueError:
        raise unreadable from None
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise unreadable
    ids = [
        plain_text(str(entry["id"]), single_line=True).strip()
        for entry in entries
        if isinstance(entry, dict) and entry.get("id")
    ]
    return [model for model in ids if model and len(model) <= MAX_MODEL_ID]
