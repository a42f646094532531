"""The account's Cartesia voices (``GET /voices``: cursor paging, search, gender and owner filters), whether it still
has a voice (``GET /voices/{id}``), Cartesia's own public voices (the first-run choice) and spoken previews
(``POST /tts/bytes``): the ``voice_catalog`` of the Cartesia text-to-speech provider.

What Cartesia's list can and cannot do (cartesia SDK 4.2, ``VoiceListParams``): it filters by ``q`` (name,
description or ID), ``gender`` (``feminine``/``masculine``/``gender_neutral``) and ``is_owner``, and pages with
``starting_after=<last voice ID>``; it has no language or accent filter and no total count. A language filter (the
app's list follows the speech language) and "Cartesia's own voices" are therefore applied here, to pages of up to
100 voices read in turn, and the next page token is the ID of the last voice read, so the next search goes on from
there. Accents are not filterable (:attr:`VoiceCatalog.filters` says so, and Settings hides that filter).

Categories: a public voice the account does not own is ``premade`` (Cartesia's library, what :func:`choose_voice`
picks from); a voice the organisation owns (a clone, a localised or designed voice) is ``personal``.

A preview asks ``/tts/bytes`` for raw 16-bit PCM of a sample sentence in the voice with the session's model, so it
sounds as it will in a session, and no decoder is needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp

from desktop_agent.config.endpoints import http_base
from desktop_agent.config.provider_errors import describe_exception, describe_status
from desktop_agent.config.voices import (
    MAX_PAGE_SIZE,
    PREVIEW_SAMPLE_RATE,
    SAMPLE_SENTENCES,
    PagedVoiceCatalog,
    Voice,
    VoiceError,
    VoicePage,
    VoiceQuery,
)
from desktop_agent.providers.cartesia_stt import CARTESIA_VERSION

#: Server pages (of up to 100 voices) one search reads at most while filtering here; past that it returns what it
#: found with a token to go on.
MAX_SCAN_PAGES = 10
#: Pages of public voices read for the first-run choice and replacements.
#: The app's gender words -> Cartesia's ``gender`` (``GenderPresentation``).
GENDER_TO_CARTESIA = {"female": "feminine", "male": "masculine", "neutral": "gender_neutral"}
GENDER_FROM_CARTESIA = {value: key for key, value in GENDER_TO_CARTESIA.items()}
PREMADE = "premade"
PERSONAL = "personal"
_CANNOT_READ_LIST = "Cartesia sent a voice list this app cannot read; try again later."


def _spec() -> Any:
    from desktop_agent.providers.cartesia_tts import SPEC

    return SPEC


def _subtag(language: str) -> str:
    return language.split("-")[0].split("_")[0].strip().lower()


def voice_from_api(data: dict[str, Any]) -> Voice:
    """A Cartesia ``Voice`` object as the app's :class:`Voice` (raises KeyError/TypeError for one without ``id``)."""
    voice_id = data["id"]
    if not isinstance(voice_id, str) or not voice_id:
        raise TypeError("a voice without an id")
    language = str(data.get("language") or "") or next(iter(_locales(data)), "")
    owned = data.get("is_owner") is True
    return Voice(
        voice_id=voice_id,
        name=str(data.get("name") or voice_id),
        category=PERSONAL if owned or data.get("access") == "private" else PREMADE,
        gender=GENDER_FROM_CARTESIA.get(str(data.get("gender") or ""), ""),
        accent=str(data.get("accent") or "").replace("-", " "),  # a catalogue ID ("general-american"), shown
        language=_subtag(language),
        use_case=str(data.get("tagline") or "").strip().lower(),
        description=str(data.get("description") or ""),
        preview_url=str(data.get("preview_file_url") or ""),
    )


def _locales(data: dict[str, Any]) -> list[str]:
    """The voice's locale tags, native first (``en-US``, then the cross-lingual ones Cartesia attached)."""
    locales = data.get("locales")
    if not isinstance(locales, list):
        return []
    tags = [
        (not item.get("is_native"), str(item["locale"]))
        for item in locales
        if isinstance(item, dict) and isinstance(item.get("locale"), str)
    ]
    return [tag for _, tag in sorted(tags, key=lambda pair: pair[0])]


def speaks(data: dict[str, Any], language: str) -> bool:
    """Whether the voice speaks ``language``: its own language, or one of its locales."""
    wanted = _subtag(language)
    spoken = {_subtag(str(data.get("language") or ""))} | {_subtag(tag) for tag in _locales(data)}
    return wanted in spoken


def query_params(query: VoiceQuery, page_token: str | None, limit: int) -> dict[str, str]:
    """What Cartesia filters itself: ``q``, ``gender`` and, for the account's own voices, ``is_owner``."""
    params = {"limit": str(max(1, min(MAX_PAGE_SIZE, limit)))}
    if query.search.strip():
        params["q"] = query.search.strip()
    gender = query.gender.strip().lower()
    if gender:
        params["gender"] = GENDER_TO_CARTESIA.get(gender, gender)
    if query.category.strip() == PERSONAL:
        params["is_owner"] = "true"
    if page_token:
        params["starting_after"] = page_token
    return params


def _local_filter(query: VoiceQuery) -> Callable[[dict[str, Any]], bool] | None:
    """The part of ``query`` Cartesia cannot apply, as a test on a raw voice; None when there is none."""
    language, category = query.language.strip(), query.category.strip()
    if not language and category != PREMADE:
        return None

    def matches(data: dict[str, Any]) -> bool:
        if language and not speaks(data, language):
            return False
        return category != PREMADE or voice_from_api(data).category == PREMADE

    return matches


class VoiceCatalog(PagedVoiceCatalog):
    """Cartesia voices for one key and endpoint (``base_url`` "" = the real service; ws(s) bases are accepted)."""

    #: The :class:`VoiceQuery` fields this catalogue honours (no ``accent``: Cartesia cannot filter by it).
    filters = frozenset({"search", "language", "gender", "category"})

    def __init__(self, api_key: str, base_url: str = "", timeout: float = 15.0) -> None:
        self._key = api_key.strip()
        self.base = http_base(_spec(), base_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def search(self, query: VoiceQuery | None = None, page_token: str | None = None) -> VoicePage:
        """One page of voices matching ``query``; pass the previous page's ``next_page_token`` for the next."""
        query = query or VoiceQuery()
        wanted = max(1, min(MAX_PAGE_SIZE, query.page_size))
        matches = _local_filter(query)
        if matches is None:  # Cartesia filters it all: one request of the page's size
            items, more = await self._page(query_params(query, page_token, wanted), wanted)
            voices = [voice_from_api(item) for item in items]
            return VoicePage(voices=voices, has_more=more, next_page_token=items[-1]["id"] if more else None)
        found: list[dict[str, Any]] = []
        cursor, more = page_token, True
        for _ in range(MAX_SCAN_PAGES):
            items, more = await self._page(query_params(query, cursor, MAX_PAGE_SIZE), MAX_PAGE_SIZE)
            for index, item in enumerate(items):
                if not matches(item):
                    continue
                found.append(item)
                if len(found) == wanted:
                    rest = items[index + 1 :]
                    more = more or any(matches(other) for other in rest)
                    return self._found(found, more, item["id"])
            if not items or not more:
                return self._found(found, False, None)
            cursor = items[-1]["id"]
        return self._found(found, more, cursor)  # read enough for one search; the token goes on from here

    @staticmethod
    def _found(items: list[dict[str, Any]], more: bool, cursor: str | None) -> VoicePage:
        return VoicePage(
            voices=[voice_from_api(item) for item in items], has_more=more, next_page_token=cursor if more else None
        )

    async def _page(self, params: dict[str, str], limit: int) -> tuple[list[dict[str, Any]], bool]:
        """One ``GET /voices``: its voices (each with an ``id``) and whether more follow. Cartesia's ``has_more`` is
        used when sent; without it a full page means there may be more (the SDK reads on until an empty page)."""
        data = await self._request("GET", "/voices", params=params)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise VoiceError(_CANNOT_READ_LIST)
        voices = [item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]]
        has_more = data.get("has_more")
        more = has_more if isinstance(has_more, bool) else len(items) >= limit
        return voices, more and bool(voices)

    async def find(self, voice_id: str) -> Voice | None:
        """The account's voice ``voice_id``, or None when the account does not have it (any more)."""
        if not voice_id.strip():
            return None
        data = await self._request("GET", f"/voices/{quote(voice_id, safe='')}", params={}, missing_ok=True)
        if data is None:
            return None
        try:
            return voice_from_api({**data, "id": data.get("id") or voice_id})
        except (KeyError, TypeError, AttributeError) as exc:
            raise VoiceError("Cartesia sent a voice this app cannot read; try again later.") from exc

    async def preview(
        self, voice_id: str, text: str, model_id: str = "", sample_rate: int = PREVIEW_SAMPLE_RATE, language: str = ""
    ) -> bytes:
        """``text`` spoken by ``voice_id``: 16-bit mono PCM at ``sample_rate``. ``model_id`` "" is the provider's
        default model; ``language`` "" is the sample sentence's own language when ``text`` is one of them."""
        spec = _spec()
        if sample_rate not in spec.sample_rates:
            raise VoiceError(
                f"Cartesia cannot speak at {sample_rate} Hz; use one of {', '.join(map(str, spec.sample_rates))} Hz."
            )
        body: dict[str, Any] = {
            "model_id": spec.model_or_default(model_id),
            "transcript": text,
            "voice": {"mode": "id", "id": voice_id},
            "output_format": {"container": "raw", "encoding": "pcm_s16le", "sample_rate": sample_rate},
        }
        language = language or next((code for code, sentence in SAMPLE_SENTENCES.items() if sentence == text), "")
        if language:
            body["language"] = _subtag(language)
        audio = await self._request("POST", "/tts/bytes", params={}, json_body=body, want_bytes=True)
        if not audio:
            raise VoiceError("Cartesia sent no audio for the preview; try another voice or try again later.")
        return bytes(audio[: len(audio) // 2 * 2])

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        json_body: dict | None = None,
        want_bytes: bool = False,
        missing_ok: bool = False,
    ) -> Any:
        """The JSON object (or, with ``want_bytes``, the body) Cartesia answers; with ``missing_ok`` None when it
        says the voice does not exist."""
        if not self._key:
            raise VoiceError("The Cartesia API key is missing. Open Settings > Keys and paste it.")
        url = f"{self.base}{path}"
        headers = {"X-API-Key": self._key, "Cartesia-Version": CARTESIA_VERSION}
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.request(method, url, params=params, json=json_body, headers=headers) as response,
            ):
                if response.status >= 300:
                    error = await response.text()
                    if missing_ok and _says_missing(response.status, error):
                        return None
                    raise VoiceError(_refusal(response.status, error, path, json_body))
                if want_bytes:
                    return await response.read()
                text = await response.text()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise VoiceError(describe_exception(_spec(), url, exc)) from None
        try:
            data = json.loads(text)
        except ValueError:
            raise VoiceError(_CANNOT_READ_LIST) from None
        if not isinstance(data, dict):
            raise VoiceError(_CANNOT_READ_LIST)
        return data


def _refusal(status: int, body: str, path: str, json_body: dict | None) -> str:
    """The sentence for an error answer: the voice or model a preview named, else what the status means."""
    if path == "/tts/bytes" and _says_missing(status, body):
        return "Cartesia does not know this voice any more; choose another one."
    if path == "/tts/bytes" and "model_not_found" in body and json_body:
        return (
            f"Cartesia does not offer the voice model {json_body.get('model_id')} to this account; choose "
            "another one in Settings > Models."
        )
    return describe_status(_spec(), status)[1]


def _says_missing(status: int, body: str) -> bool:
    """Whether an error answer means "no such voice": its error code says so, or a 404 that is not about the model."""
    if status not in (400, 404):
        return False
    return "voice_not_found" in body or (status == 404 and "model_not_found" not in body)
