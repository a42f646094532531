"""Languages offered for speech recognition (and as the voice list's language filter): ISO 639-1 code and name.

The default speech-to-text and voice models (see :mod:`desktop_agent.providers`) support each of these.
"""

from __future__ import annotations

LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English"),
    ("de", "German"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("sv", "Swedish"),
    ("da", "Danish"),
    ("fi", "Finnish"),
    ("no", "Norwegian"),
    ("cs", "Czech"),
    ("ro", "Romanian"),
    ("hu", "Hungarian"),
    ("el", "Greek"),
    ("tr", "Turkish"),
    ("ru", "Russian"),
    ("uk", "Ukrainian"),
    ("ar", "Arabic"),
    ("hi", "Hindi"),
    ("id", "Indonesian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("zh", "Chinese"),
)


def language_name(code: str) -> str:
    return dict(LANGUAGES).get(code, code)
