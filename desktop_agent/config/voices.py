"""The account's ElevenLabs voices (``GET /v2/voices``: search, filters, paging) and spoken previews.

A preview asks the HTTP ``stream/with-timestamps`` endpoint for raw PCM of a sample sentence in the voice, so it
sounds exactly like the voice in a session (same model), and no MP3 decoder is needed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from desktop_agent.config.endpoints import http_base
from desktop_agent.config.provider_errors import describe_exception, describe_status
from desktop_agent.state.events import Provider

PREVIEW_SAMPLE_RATE = 24000
MAX_PAGE_SIZE = 100

#: Sample sentences for previews, by language code; other languages hear the English one.
SAMPLE_SENTENCES = {
    "en": "Hi! This is how I will sound when we talk. What would you like to do today?",
    "de": "Hallo! So klinge ich, wenn wir uns unterhalten. Was möchtest du heute machen?",
    "es": "¡Hola! Así sonaré cuando hablemos. ¿Qué te gustaría hacer hoy?",
    "fr": "Bonjour ! Voici ma voix quand nous parlerons. Que voulez-vous faire aujourd'hui ?",
    "it": "Ciao! Ecco come suonerò quando parliamo. Cosa ti piacerebbe fare oggi?",
    "pt": "Olá! É assim que vou soar quando conversarmos. O que você gostaria de fazer hoje?",
    "nl": "Hallo! Zo klink ik als we praten. Wat wil je vandaag doen?",
    "pl": "Cześć! Tak będę brzmieć, gdy będziemy rozmawiać. Co chcesz dziś zrobić?",
}


def sample_sentence(language: str) -> str:
    return SAMPLE_SENTENCES.get(language.split("-")[0].lower(), SAMPLE_SENTENCES["en"])


class VoiceError(Exception):
    """A voice list or preview failed; the message is a sentence for the user (never contains a key)."""


@dataclass(frozen=True)
class Voice:
    voice_id: str
    name: str
    category: str = ""
    gender: str = ""
    accent: str = ""
    age: str = ""
    language: str = ""
    use_case: str = ""
    description: str = ""
    preview_url: str = ""

    @property
    def summary(self) -> str:
        """A short line for lists, e.g. "female · american · en · conversational"."""
        return " · ".join(part.replace("_", " ") for part in (self.gender, self.accent, self.language, self.use_case)
                          if part)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Voice:
        labels = data.get("labels") if isinstance(data.get("labels"), dict) else {}
        language = str(labels.get("language") or "")
        verified = data.get("verified_languages")
        if not language and isinstance(verified, list) and verified and isinstance(verified[0], dict):
            language = str(verified[0].get("language") or "")
        return cls(
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
        )


@dataclass(frozen=True)
class VoiceQuery:
    """Filters of ``/v2/voices``; "" means "any"."""

    search: str = ""
    language: str = ""
    gender: str = ""
    accent: str = ""
    page_size: int = 30

    def params(self, page_token: str | None = None) -> dict[str, str]:
        params = {"page_size": str(max(1, min(MAX_PAGE_SIZE, self.page_size))), "include_total_count": "true"}
        for name in ("search", "language", "gender", "accent"):
            value = getattr(self, name).strip()
            if value:
                params[name] = value
        if page_token:
            params["next_page_token"] = page_token
        return params


@dataclass(frozen=True)
class VoicePage:
    voices: list[Voice] = field(default_factory=list)
    has_more: bool = False
    next_page_token: str | None = None
    total_count: int | None = None


class VoiceCatalog:
    """ElevenLabs voices for one key and endpoint (``base_url`` "" = the real service; ws(s) bases are accepted)."""

    def __init__(self, api_key: str, base_url: str = "", timeout: float = 15.0) -> None:
        self._key = api_key.strip()
        self.base = http_base(Provider.TTS, base_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def search(self, query: VoiceQuery | None = None, page_token: str | None = None) -> VoicePage:
        """One page of voices matching ``query``; pass the previous page's ``next_page_token`` for the next."""
        query = query or VoiceQuery()
        data = await self._request("GET", "/v2/voices", params=query.params(page_token))
        try:
            voices = [Voice.from_api(v) for v in data["voices"] if isinstance(v, dict) and v.get("voice_id")]
            return VoicePage(
                voices=voices,
                has_more=bool(data.get("has_more", False)),
                next_page_token=data.get("next_page_token") or None,
                total_count=data.get("total_count") if isinstance(data.get("total_count"), int) else None,
            )
        except (KeyError, TypeError) as exc:
            raise VoiceError("ElevenLabs sent a voice list this app cannot read; try again later.") from exc

    async def preview(
        self, voice_id: str, text: str, model_id: str = "eleven_flash_v2_5", sample_rate: int = PREVIEW_SAMPLE_RATE
    ) -> bytes:
        """``text`` spoken by ``voice_id``: 16-bit mono PCM at ``sample_rate``."""
        path = f"/v1/text-to-speech/{voice_id}/stream/with-timestamps"
        body = {"text": text, "model_id": model_id}
        raw = await self._request("POST", path, params={"output_format": f"pcm_{sample_rate}"}, json_body=body,
                                  want_lines=True)
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
    ) -> Any:
        if not self._key:
            raise VoiceError("The ElevenLabs API key is missing. Open Settings > Keys and paste it.")
        url = f"{self.base}{path}"
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                async with session.request(
                    method, url, params=params, json=json_body, headers={"xi-api-key": self._key}
                ) as response:
                    if response.status >= 300:
                        _, message = describe_status(Provider.TTS, response.status)
                        if response.status == 404 and "/text-to-speech/" in path:
                            message = "ElevenLabs does not know this voice any more; choose another one."
                        raise VoiceError(message)
                    if want_lines:
                        return [line for line in (await response.text()).splitlines() if line.strip()]
                    text = await response.text()
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise VoiceError(describe_exception(Provider.TTS, url, exc)) from None
        try:
            data = json.loads(text)
        except ValueError:
            raise VoiceError("ElevenLabs sent a voice list this app cannot read; try again later.") from None
        if not isinstance(data, dict):
            raise VoiceError("ElevenLabs sent a voice list this app cannot read; try again later.")
        return data
