"""Sarvam's voices: the fixed speakers of its Bulbul model (Sarvam has no voice list to ask for), each speaking the
ten Indian languages and Indian English, and a preview spoken over the streaming websocket.

A search for a language Sarvam does not speak finds no voice, so a voice list filtered by the conversation's
language shows Sarvam's speakers exactly when they can speak it.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from desktop_agent.config.voices import (
    PREVIEW_SAMPLE_RATE,
    SAMPLE_SENTENCES,
    PagedVoiceCatalog,
    Voice,
    VoiceError,
    VoicePage,
    VoiceQuery,
)
from desktop_agent.providers.sarvam_languages import SARVAM_CODES, sarvam_code

#: Bulbul v3's speakers (Pipecat 1.14's list), in Sarvam's order.
SPEAKERS: tuple[str, ...] = (
    "shubh",
    "aditya",
    "ritu",
    "priya",
    "neha",
    "rahul",
    "pooja",
    "rohan",
    "simran",
    "kavya",
    "amit",
    "dev",
    "ishita",
    "shreya",
    "ratan",
    "varun",
    "manan",
    "sumit",
    "roopa",
    "kabir",
    "aayan",
    "ashutosh",
    "advait",
    "amelia",
    "sophia",
)
#: How long a preview may take, from the handshake to the last audio.
PREVIEW_TIMEOUT_SECS = 20.0


def speaks(language: str) -> bool:
    """Whether Sarvam's speakers speak ``language`` (an app code; "" = any)."""
    if not language:
        return True
    code = sarvam_code(language)
    return code in SARVAM_CODES.values()


def speaker_voice(speaker: str) -> Voice:
    return Voice(voice_id=speaker, name=speaker.capitalize(), category="premade", use_case="conversational")


class SpeakerCatalog(PagedVoiceCatalog):
    """Search, find and preview Sarvam's speakers; only the search text and the language filter apply."""

    filters = frozenset({"search", "language"})

    def __init__(self, api_key: str, base_url: str = "") -> None:
        self._api_key = api_key
        self._base_url = (base_url or "wss://api.sarvam.ai").rstrip("/")

    async def search(self, query: VoiceQuery | None = None, page_token: str | None = None) -> VoicePage:
        query = query or VoiceQuery()
        if not speaks(query.language):
            return VoicePage([], total_count=0)
        words = query.search.strip().casefold()
        found = [speaker_voice(s) for s in SPEAKERS if words in s]
        return VoicePage(found, total_count=len(found))

    async def find(self, voice_id: str) -> Voice | None:
        return speaker_voice(voice_id) if voice_id in SPEAKERS else None

    async def first_run_voice(self, language: str = "en") -> Voice | None:
        return speaker_voice(SPEAKERS[0])

    async def preview(
        self, voice_id: str, text: str, model_id: str = "", sample_rate: int = PREVIEW_SAMPLE_RATE, language: str = ""
    ) -> bytes:
        """``text`` spoken by ``voice_id``: 16-bit mono PCM at ``sample_rate``, in ``language`` ("" = the sample
        sentence's own language when ``text`` is one of them; a language Sarvam does not speak: Indian English)."""
        try:
            return await asyncio.wait_for(
                self._speak(voice_id, text, model_id, sample_rate, language), PREVIEW_TIMEOUT_SECS
            )
        except TimeoutError:
            raise VoiceError("Sarvam did not finish the preview in time; try again later.") from None
        except OSError as exc:
            raise VoiceError("Sarvam could not be reached for the preview; check the connection.") from exc

    async def _speak(self, voice_id: str, text: str, model_id: str, sample_rate: int, language: str) -> bytes:
        import websockets

        from desktop_agent.providers.sarvam_tts import SPEC

        url = f"{self._base_url}/text-to-speech/ws?model={SPEC.model_or_default(model_id)}&send_completion_event=true"
        language = language or next((code for code, sentence in SAMPLE_SENTENCES.items() if sentence == text), "en")
        code = sarvam_code(language) if speaks(language) else "en-IN"
        config = {
            "target_language_code": code,
            "speaker": voice_id,
            "speech_sample_rate": str(sample_rate),
            "output_audio_codec": "linear16",
        }
        audio = bytearray()
        try:
            async with websockets.connect(url, additional_headers={"api-subscription-key": self._api_key}) as ws:
                await ws.send(json.dumps({"type": "config", "data": config}))
                await ws.send(json.dumps({"type": "text", "data": {"text": text}}))
                await ws.send(json.dumps({"type": "flush"}))
                async for raw in ws:
                    message: Any = json.loads(raw)
                    kind = message.get("type")
                    if kind == "audio":
                        audio += base64.b64decode(message["data"]["audio"])
                    elif kind == "error":
                        raise VoiceError(f"Sarvam could not speak the preview: {message['data'].get('message', '')}")
                    elif kind == "event" and message["data"].get("event_type") == "final":
                        break
        except websockets.InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise VoiceError("Sarvam refused the key; check it in Settings > Providers & keys.") from None
            raise VoiceError(f"Sarvam refused the preview (status {status}); try again later.") from None
        if not audio:
            raise VoiceError("Sarvam sent no audio for the preview; try another voice or try again later.")
        return bytes(audio[: len(audio) // 2 * 2])
