"""The emulators' voice catalogue, served in Cartesia's and ElevenLabs' list shapes with their paging and filters.

Twelve voices across languages, genders, ages and accents, so that filters and searches select real subsets. Each
voice also carries the pitch the synthetic TTS speaks it with.

The ElevenLabs account also has ElevenLabs' own premade ("default") voices, with their real IDs and names as public
code used them in 2026; their labels follow ElevenLabs' descriptions. "Rachel" (``21m00Tcm4TlvDq8ikWAM``), a legacy
voice retired on 2026-02-28, is not among them: like any voice the account does not have, the TTS endpoints answer it
with ``voice_not_found``.

Cartesia's library voices are public: every Cartesia account speaks with them, and the app's default Cartesia voice is
one (``CARTESIA_PUBLIC_VOICES``, real ID and name). The Cartesia endpoints speak it and describe it by ID; their list
stays the twelve, standing for a library far too long to list whole.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class EmuVoice:
    voice_id: str
    name: str
    language: str
    locale: str
    gender: str  # "female" | "male" | "neutral"
    age: str  # "young" | "middle_aged" | "old"
    accent: str  # ElevenLabs label
    cartesia_accent: str  # Cartesia catalogue id
    use_case: str
    description: str
    pitch_hz: float
    # ElevenLabs: "professional" = a voice the account added from the library, "premade" = default; Cartesia: "public"
    category: str = "professional"


VOICES: tuple[EmuVoice, ...] = (
    EmuVoice(
        "emu-voice-1",
        "Emu Rachel",
        "en",
        "en-US",
        "female",
        "young",
        "american",
        "general-american",
        "conversational",
        "Calm, warm American voice for assistants.",
        205.0,
    ),
    EmuVoice(
        "emu-voice-2",
        "Emu Adam",
        "en",
        "en-US",
        "male",
        "middle_aged",
        "american",
        "midwestern-american",
        "narration",
        "Deep, steady American narrator.",
        110.0,
    ),
    EmuVoice(
        "emu-voice-3",
        "Emu Charlotte",
        "en",
        "en-GB",
        "female",
        "young",
        "british",
        "british",
        "conversational",
        "Bright British voice, quick and friendly.",
        220.0,
    ),
    EmuVoice(
        "emu-voice-4",
        "Emu George",
        "en",
        "en-GB",
        "male",
        "old",
        "british",
        "british",
        "narration",
        "Warm, raspy British storyteller.",
        100.0,
    ),
    EmuVoice(
        "emu-voice-5",
        "Emu Matilda",
        "en",
        "en-AU",
        "female",
        "middle_aged",
        "australian",
        "australian",
        "conversational",
        "Relaxed Australian voice.",
        195.0,
    ),
    EmuVoice(
        "emu-voice-6",
        "Emu Liam",
        "en",
        "en-IE",
        "male",
        "young",
        "irish",
        "irish",
        "social_media",
        "Energetic Irish voice.",
        130.0,
    ),
    EmuVoice(
        "emu-voice-7",
        "Emu Sofia",
        "es",
        "es-ES",
        "female",
        "young",
        "castilian",
        "castilian",
        "conversational",
        "Clear Castilian Spanish voice.",
        215.0,
    ),
    EmuVoice(
        "emu-voice-8",
        "Emu Mateo",
        "es",
        "es-MX",
        "male",
        "middle_aged",
        "mexican",
        "mexican",
        "narration",
        "Friendly Mexican Spanish narrator.",
        120.0,
    ),
    EmuVoice(
        "emu-voice-9",
        "Emu Camille",
        "fr",
        "fr-FR",
        "female",
        "middle_aged",
        "parisian",
        "parisian",
        "conversational",
        "Soft Parisian French voice.",
        200.0,
    ),
    EmuVoice(
        "emu-voice-10",
        "Emu Lukas",
        "de",
        "de-DE",
        "male",
        "young",
        "german",
        "high-german",
        "conversational",
        "Crisp German voice.",
        125.0,
    ),
    EmuVoice(
        "emu-voice-11",
        "Emu Priya",
        "en",
        "en-IN",
        "female",
        "young",
        "indian",
        "indian-english",
        "conversational",
        "Clear Indian English voice.",
        225.0,
    ),
    EmuVoice(
        "emu-voice-12",
        "Emu Sam",
        "en",
        "en-US",
        "neutral",
        "young",
        "american",
        "new-york",
        "characters",
        "Neutral, even voice for characters.",
        160.0,
    ),
)

#: ElevenLabs' premade voices the emulated account has (English, as the real ones are).
PREMADE_VOICES: tuple[EmuVoice, ...] = tuple(
    EmuVoice(voice_id, name, "en", locale, gender, age, accent, "", use_case, description, pitch, "premade")
    for voice_id, name, locale, gender, age, accent, use_case, description, pitch in (
        (
            "CwhRBWXzGAHq8TQ4Fs17",
            "Roger",
            "en-US",
            "male",
            "middle_aged",
            "american",
            "conversational",
            "Laid-back, casual and resonant.",
            115.0,
        ),
        (
            "EXAVITQu4vr4xnSDxMaL",
            "Sarah",
            "en-US",
            "female",
            "young",
            "american",
            "entertainment_tv",
            "Mature, reassuring and confident.",
            200.0,
        ),
        (
            "JBFqnCBsd6RMkjVDRZzb",
            "George",
            "en-GB",
            "male",
            "middle_aged",
            "british",
            "narrative_story",
            "Warm, captivating storyteller.",
            105.0,
        ),
        (
            "SAz9YHcvj6GT2YYXdXww",
            "River",
            "en-US",
            "neutral",
            "middle_aged",
            "american",
            "conversational",
            "Relaxed, neutral and informative.",
            165.0,
        ),
        (
            "cgSgspJ2msm6clMCkdW9",
            "Jessica",
            "en-US",
            "female",
            "young",
            "american",
            "conversational",
            "Playful, bright and warm.",
            215.0,
        ),
        (
            "cjVigY5qzO86Huf0OWal",
            "Eric",
            "en-US",
            "male",
            "middle_aged",
            "american",
            "conversational",
            "Smooth and trustworthy.",
            120.0,
        ),
    )
)
#: Everything the emulated ElevenLabs account can speak with: its own voices, then the premade ones.
ELEVENLABS_VOICES: tuple[EmuVoice, ...] = VOICES + PREMADE_VOICES
#: The voice ElevenLabs retired, absent from the account (as from every account since 2026-02-28).
RETIRED_VOICE_ID = "21m00Tcm4TlvDq8ikWAM"

#: Cartesia's public library voices the app relies on (its default Cartesia voice), with their real IDs and names.
CARTESIA_PUBLIC_VOICES: tuple[EmuVoice, ...] = (
    EmuVoice(
        "71a7ad14-091c-4e8e-a314-022ece01c121",
        "British Reading Lady",
        "en",
        "en-GB",
        "female",
        "middle_aged",
        "british",
        "gb",
        "narration",
        "Calm, elegant British voice for reading aloud.",
        190.0,
        "public",
    ),
)
#: Everything the emulated Cartesia account can speak with: the twelve, then the public library voices.
CARTESIA_VOICES: tuple[EmuVoice, ...] = VOICES + CARTESIA_PUBLIC_VOICES

_BY_ID = {voice.voice_id: voice for voice in ELEVENLABS_VOICES}
_CARTESIA_BY_ID = {voice.voice_id: voice for voice in CARTESIA_VOICES}
DEFAULT_PITCH_HZ = 170.0
_CREATED_AT = "2025-01-01T00:00:00Z"
_CREATED_UNIX = 1735689600
_CARTESIA_GENDER = {"female": "feminine", "male": "masculine", "neutral": "gender_neutral"}


def find_voice(voice_id: str) -> EmuVoice | None:
    """A voice of the emulated ElevenLabs account."""
    return _BY_ID.get(voice_id)


def find_cartesia_voice(voice_id: str) -> EmuVoice | None:
    """A voice of the emulated Cartesia account."""
    return _CARTESIA_BY_ID.get(voice_id)


def pitch_for(voice_id: str) -> float:
    voice = _BY_ID.get(voice_id) or _CARTESIA_BY_ID.get(voice_id)
    return voice.pitch_hz if voice else DEFAULT_PITCH_HZ


# --------------------------------------------------------------------------------------------------------- Cartesia
def cartesia_voice(voice: EmuVoice, base_url: str, with_preview: bool) -> dict:
    body = {
        "id": voice.voice_id,
        "name": voice.name,
        "description": voice.description,
        "language": voice.language,
        "is_owner": False,
        "access": "public",
        "visibility": "all",
        "created_at": _CREATED_AT,
        "locales": [{"locale": voice.locale, "is_native": True}],
        "tagline": voice.use_case.replace("_", " "),
        "gender": _CARTESIA_GENDER[voice.gender],
        "accent": voice.cartesia_accent,
        "country": voice.locale.split("-")[1],
    }
    if with_preview:
        body["preview_file_url"] = f"{base_url}/voices/{voice.voice_id}/preview"
    return body


def cartesia_page(query: dict[str, list[str]], base_url: str) -> dict:
    """``GET /voices``: cursor paging with ``starting_after``/``ending_before``; the SDK stops on an empty page."""
    voices = list(VOICES)
    q = _first(query, "q")
    if q:
        needle = q.lower()
        voices = [v for v in voices if needle in f"{v.name} {v.description} {v.voice_id}".lower()]
    gender = _first(query, "gender")
    if gender:
        voices = [v for v in voices if _CARTESIA_GENDER[v.gender] == gender]
    if _first(query, "is_owner") == "true":
        voices = []
    limit = _bounded_int(_first(query, "limit"), default=10, low=1, high=100)
    ids = [v.voice_id for v in voices]
    after, before = _first(query, "starting_after"), _first(query, "ending_before")
    if after:
        start = ids.index(after) + 1 if after in ids else len(ids)
        page = voices[start : start + limit]
        has_more = start + limit < len(voices)
    elif before:
        end = ids.index(before) if before in ids else 0
        page = voices[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page = voices[:limit]
        has_more = limit < len(voices)
    with_preview = "preview_file_url" in query.get("expand[]", []) + query.get("expand", [])
    return {"data": [cartesia_voice(v, base_url, with_preview) for v in page], "has_more": has_more}


# ------------------------------------------------------------------------------------------------------- ElevenLabs
def elevenlabs_voice(voice: EmuVoice, base_url: str) -> dict:
    return {
        "voice_id": voice.voice_id,
        "name": voice.name,
        "category": voice.category,
        "labels": {
            "accent": voice.accent,
            "gender": voice.gender,
            "age": voice.age,
            "use_case": voice.use_case,
            "language": voice.language,
            "description": voice.description.split(",")[0].lower(),
        },
        "description": voice.description,
        "preview_url": f"{base_url}/previews/{voice.voice_id}.mp3",
        "available_for_tiers": [],
        "settings": None,
        "samples": None,
        "high_quality_base_model_ids": ["eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_multilingual_v2"],
        "verified_languages": [
            {
                "language": voice.language,
                "model_id": "eleven_flash_v2_5",
                "accent": voice.accent,
                "locale": voice.locale,
            }
        ],
        "is_owner": False,
        "is_legacy": False,
        "created_at_unix": _CREATED_UNIX,
    }


def elevenlabs_v1(base_url: str) -> dict:
    return {"voices": [elevenlabs_voice(v, base_url) for v in ELEVENLABS_VOICES]}


#: ``voice_type`` of ``/v2/voices``: which of the account's voices each value selects ("community" is the shared
#: library, of which the account has none).
_VOICE_TYPES = {
    "default": lambda v: v.category == "premade",
    "personal": lambda v: v.category != "premade",
    "workspace": lambda v: v.category != "premade",
    "non-default": lambda v: v.category != "premade",
    "non-community": lambda v: v.category != "premade",
    "saved": lambda v: v.category != "premade",
    "community": lambda v: False,
}


def elevenlabs_v2(query: dict[str, list[str]], base_url: str) -> dict:
    """``GET /v2/voices``: search, label filters, sorting and opaque ``next_page_token`` paging."""
    voices = list(ELEVENLABS_VOICES)
    search = _first(query, "search")
    if search:
        needle = search.lower()
        voices = [
            v
            for v in voices
            if needle
            in " ".join((v.name, v.description, v.accent, v.gender, v.age, v.use_case, v.language, v.category)).lower()
        ]
    for name, attribute in (("gender", "gender"), ("age", "age"), ("accent", "accent")):
        wanted = _first(query, name)
        if wanted:
            voices = [v for v in voices if getattr(v, attribute) == wanted.lower()]
    languages = _many(query, "language")
    if languages:
        voices = [v for v in voices if v.language in languages]
    use_cases = _many(query, "use_cases")
    if use_cases:
        voices = [v for v in voices if v.use_case in use_cases]
    voice_ids = _many(query, "voice_ids")
    if voice_ids:
        voices = [v for v in voices if v.voice_id in voice_ids]
    category = _first(query, "category")
    if category:
        voices = [v for v in voices if v.category == category]
    voice_type = _first(query, "voice_type")
    if voice_type in _VOICE_TYPES:
        voices = [v for v in voices if _VOICE_TYPES[voice_type](v)]
    if _first(query, "sort") == "name":
        voices.sort(key=lambda v: v.name)
    if _first(query, "sort_direction") == "desc":
        voices.reverse()
    page_size = _bounded_int(_first(query, "page_size"), default=10, low=1, high=100)
    offset = _decode_token(_first(query, "next_page_token"))
    page = voices[offset : offset + page_size]
    has_more = offset + page_size < len(voices)
    return {
        "voices": [elevenlabs_voice(v, base_url) for v in page],
        "has_more": has_more,
        "total_count": len(voices),
        "next_page_token": _encode_token(offset + page_size) if has_more else None,
    }


# ---------------------------------------------------------------------------------------------------------- helpers
def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _many(query: dict[str, list[str]], name: str) -> set[str]:
    """Values given repeated or comma separated."""
    out: set[str] = set()
    for value in query.get(name, []):
        out.update(part.strip().lower() for part in value.split(",") if part.strip())
    return out


def _bounded_int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return max(low, min(high, number))


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return max(0, int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]))
    except (ValueError, KeyError, TypeError):
        return 0


def voice_ids(voices: Iterable[EmuVoice] = VOICES) -> list[str]:
    return [v.voice_id for v in voices]
