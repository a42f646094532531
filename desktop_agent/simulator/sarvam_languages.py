"""Sarvam's language codes as its endpoints take them, and the detection both Sarvam emulators use.

Sarvam writes Odia ``od-IN`` on its streaming speech-to-text and text-to-speech endpoints and ``or-IN`` on realtime
speech to text (provider-protocols-2.md §5); these emulators serve the streaming endpoints, so ``or-IN`` is refused
there as the service refuses any code it does not know.
"""

from __future__ import annotations

import unicodedata

#: The eleven languages both streaming endpoints speak: BCP-47 code -> the Unicode script its text is written in.
SPOKEN: dict[str, str] = {
    "hi-IN": "DEVANAGARI",
    "bn-IN": "BENGALI",
    "ta-IN": "TAMIL",
    "te-IN": "TELUGU",
    "kn-IN": "KANNADA",
    "ml-IN": "MALAYALAM",
    "mr-IN": "DEVANAGARI",
    "gu-IN": "GUJARATI",
    "pa-IN": "GURMUKHI",
    "od-IN": "ORIYA",
    "en-IN": "LATIN",
}
#: Further codes the streaming speech-to-text endpoint accepts (saaras models), and ``unknown`` = detect.
STT_ONLY = frozenset(
    {"unknown", "as-IN", "ur-IN", "ne-IN", "kok-IN", "ks-IN", "sd-IN", "sa-IN", "sat-IN", "mni-IN", "brx-IN", "mai-IN"}
    | {"doi-IN"}
)
STT_LANGUAGES = frozenset(SPOKEN) | STT_ONLY
TTS_LANGUAGES = frozenset(SPOKEN)


def detect_language(text: str) -> str:
    """The code of the language ``text`` is written in, by its first letter's script (Devanagari counts as Hindi);
    ``en-IN`` for Latin letters or none."""
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for code, script in SPOKEN.items():
            if name.startswith(script):
                return code
        return "en-IN"
    return "en-IN"
