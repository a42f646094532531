"""The app's language codes as Sarvam's endpoints spell them.

Sarvam speaks ten Indian languages and Indian English. Its streaming speech to text and its text to speech write Odia
``od-IN``; its realtime speech to text writes it ``or-IN`` (provider-protocols-2.md §5), and the app, following
ISO 639-1, calls it ``or``. Every code goes through :func:`sarvam_code` before it reaches a Sarvam service, so the
difference lives here only.
"""

from __future__ import annotations

#: The app's language codes Sarvam speaks (in both roles) -> the streaming endpoints' code.
SARVAM_CODES: dict[str, str] = {
    "hi": "hi-IN",
    "bn": "bn-IN",
    "ta": "ta-IN",
    "te": "te-IN",
    "kn": "kn-IN",
    "ml": "ml-IN",
    "mr": "mr-IN",
    "gu": "gu-IN",
    "pa": "pa-IN",
    "or": "od-IN",
    "en-IN": "en-IN",
}
#: What the streaming speech to text is told when it should detect the language itself.
DETECT = "unknown"
#: The realtime endpoint's spelling where it differs from the streaming one's.
REALTIME_SPELLING = {"od-IN": "or-IN"}


def sarvam_code(language: str, realtime: bool = False) -> str:
    """``language`` (an app code, or a Sarvam code already) as a Sarvam endpoint takes it; English of any region is
    Indian English, the only English Sarvam speaks."""
    if language.lower().startswith("en"):
        code = "en-IN"
    else:
        code = SARVAM_CODES.get(language, SARVAM_CODES.get(language.split("-")[0].lower(), language))
        if code == "od-IN" or language.lower() in ("od", "od-in", "or-in"):
            code = "od-IN"
    return REALTIME_SPELLING.get(code, code) if realtime else code
