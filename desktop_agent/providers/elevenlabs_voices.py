"""The account's ElevenLabs voices (``GET /v2/voices``: search, filters, paging), whether it still has a voice
(``GET /v1/voices/{id}``), its premade voices (the first-run choice) and spoken previews: the ``voice_catalog`` of
the ElevenLabs provider.

A preview asks the HTTP ``stream/with-timestamps`` endpoint for raw PCM of a sample sentence in the voice, so it
sounds exactly like the voice in a session (same model), and no MP3 decoder is needed.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import aiohttp

from desktop_agent.config.endpoints import http_base
from desktop_agent.config.provider_errors import describe_exception, describe_status
from desktop_agent.config.voices import (
    MAX_PAGE_SIZE,
    PREVIEW_SAMPLE_RATE,
    PagedVoiceCatalog,
    Voice,
    VoiceError,
    VoicePage,
    VoiceQuery,
)


def _spec() -> Any:
    from desktop_agent.providers.elevenlabs_tts import SPEC

    return SPEC


def voice_from_api(data: dict[str, Any]) -> Voice:
    raw_labels = data.get("labels")
    labels: dict[str, Any] = raw_labels if isinstance(raw_labels, dict) else {}
    language = str(labels.get("language") or "")
    verified = data.get("verified_languages")
    if not language and isinstance(verified, list) and verified and isinstance(verified[0], dict):
        language = str(verified[0].get("language") or "")
    return Voice(
        voice_id=str(data["voice_id"]),
        name=str(data.get("name") or data["voice_id"]),
        category=str(data.get("category") or ""),
        gender=str(labels.get("gender") or ""),
        accent=str(labels.get("accent") or ""),
        age=str(labels.get("age") or ""),
        language=language,
        use_case=str(labels.get("use_case") or ""),
        description=str(data.get("description") or ""),
        preview_url=str(data.get("preview_url") or ""),
        legacy=data.get("is_legacy") is True,
    )


def query_params(query: VoiceQuery, page_token: str | None = None) -> dict[str, str]:
    params = {"page_size": str(max(1, min(MAX_PAGE_SIZE, query.page_size))), "include_total_count": "true"}
    for name in ("search", "language", "gender", "accent", "category"):
        value = getattr(query, name).strip()
        if value:
            params[name] = value
    if page_token:
        params["next_page_token"] = page_token
    return params


class VoiceCatalog(PagedVoiceCatalog):
    """ElevenLabs voices for one key and endpoint (``base_url`` "" = the real service; ws(s) bases are accepted)."""

    def __init__(self, api_key: str, base_url: str = "", timeout: float = 15.0) -> None:
        self._key = api_key.strip()
        self.base = http_base(_spec(), base_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def search(self, query: VoiceQuery | None = None, page_token: str | None = None) -> VoicePage:
        """One page of voices matching ``query``; pass the previous page's ``next_page_token`` for the next."""
        query = query or VoiceQuery()
        data = await self._request("GET", "/v2/voices", params=query_params(query, page_token))
        try:
            voices = [voice_from_api(v) for v in data["voices"] if isinstance(v, dict) and v.get("voice_id")]
            return VoicePage(
                voices=voices,
                has_more=bool(data.get("has_more", False)),
                next_page_token=data.get("next_page_token") or None,
                total_count=data.get("total_count") if isinstance(data.get("total_count"), int) else None,
            )
        except (KeyError, TypeError) as exc:
            raise VoiceError("ElevenLabs sent a voice list this app cannot read; try again later.") from exc

    async def find(self, voice_id: str) -> Voice | None:
        """The account's voice ``voice_id``, or None when the account does not have it (any more)."""
        data = await self._request("GET", f"/v1/voices/{voice_id}", params={}, missing_ok=True)
        if data is None:
            return None
        try:
            return voice_from_api({"voice_id": voice_id, **data})
        except (KeyError, TypeError) as exc:
            raise VoiceError("ElevenLabs sent a voice this app cannot read; try again later.") from exc

    async def preview(
        self, voice_id: str, text: str, model_id: str = "eleven_flash_v2_5", sample_rate: int = PREVIEW_SAMPLE_RATE
    ) -> bytes:
        """``text`` spoken by ``voice_id``: 16-bit mono PCM at ``sample_rate``."""
        path = f"/v1/text-to-speech/{voice_id}/stream/with-timestamps"
        body = {"text": text, "model_id": model_id}
        raw = await self._request(
            "POST", path, params={"output_format": f"pcm_{sample_rate}"}, json_body=body, want_lines=True
        )
        audio = bytearray()
        for line in raw:
            try:
                chunk = json.loads(line)
                audio += base64.b64decode(chunk.get("audio_base64") or "")
            except (ValueError, binascii.Error, AttributeError) as exc:
                raise VoiceError("ElevenLabs sent a preview this app cannot read; try again later.") from exc
        if not audio:
            raise VoiceError("ElevenLabs sent no audio for the preview; try another voice or try again later.")
        return bytes(audio[: len(audio) // 2 * 2])

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        json_body: dict | None = None,
        want_lines: bool = False,
        missing_ok: bool = False,
    ) -> Any:
        """The JSON object (or, with ``want_lines``, the lines) ElevenLabs answers; with ``missing_ok`` None when it
        says the voice does not exist (404, or 400 ``voice_not_found``)."""
        if not self._key:
            raise VoiceError("The ElevenLabs API key is missing. Open Settings > Keys and paste it.")
        url = f"{self.base}{path}"
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.request(
                    method, url, params=params, json=json_body, headers={"xi-api-key": self._key}
                ) as response,
            ):
                if (
                    missing_ok
                    and response.status in (400, 404)
                    and _says_missing(response.status, await response.text())
                ):
                    return None
                if response.status >= 300:
                    _, message = describe_status(_spec(), response.status)
                    if response.status == 404 and "/text-to-speech/" in path:
                        message = "ElevenLabs does not know this voice any more; choose another one."
                    raise VoiceError(message)
                if want_lines:
                    return [line for line in (await response.text()).splitlines() if line.strip()]
                text = await response.text()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise VoiceError(describe_exception(_spec(), url, exc)) from None
        try:
            data = json.loads(text)
        except ValueError:
            raise VoiceError("ElevenLabs sent a voice list this app cannot read; try again later.") from None
        if not isinstance(data, dict):
            raise VoiceError("ElevenLabs sent a voice list this app cannot read; try again later.")
        return data


def _says_missing(status: int, body: str) -> bool:
    """Whether an error answer means "no such voice": any 404, or a 400 whose status says so."""
    return status == 404 or any(code in body for code in ("voice_not_found", "voice_does_not_exist"))
