"""Languages the conversation can be held in: the app's code, its English name and its own name.

One language serves all three roles: speech to text hears it, the language model is told to answer in it
(:func:`answer_instruction`), and text to speech speaks it. Which provider speaks which is the provider's own
(``ProviderSpec.languages``, see :mod:`desktop_agent.providers`): the general providers speak
:data:`GENERAL_LANGUAGES`, the Indian-language provider :data:`INDIAN_LANGUAGES`. ``auto`` asks speech to text to
detect the language of each turn, where the provider can.

Codes are ISO 639-1 with a region where it matters (``en-IN``); Odia is ``or`` (``od``, the Indian-language provider's
spelling, is read as ``or``).

The prompt presets (and the user's own) are written once, in English, and serve every language: what they ask (the
role, short spoken sentences, no markdown) holds in any language, and the answer-language sentence after them names
the language and its script and turns the one English-only rule, numbers and dates written as spoken words, into
that language's words. So no preset needs a copy per language, and a change of language never replaces a preset the
user chose.
"""

from __future__ import annotations

#: Detect the language of each turn (speech to text that can); the reply follows the user's language.
AUTO = "auto"

#: The languages the general providers speak (ISO 639-1 code, English name).
GENERAL_LANGUAGES: tuple[tuple[str, str], ...] = (
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

#: Ten Indian languages and Indian English.
INDIAN_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("hi", "Hindi"),
    ("bn", "Bengali"),
    ("ta", "Tamil"),
    ("te", "Telugu"),
    ("kn", "Kannada"),
    ("ml", "Malayalam"),
    ("mr", "Marathi"),
    ("gu", "Gujarati"),
    ("pa", "Punjabi"),
    ("or", "Odia"),
    ("en-IN", "English (India)"),
)

#: Every language offered, each once: the general ones, then the Indian ones they lack, then detection.
LANGUAGES: tuple[tuple[str, str], ...] = (
    *GENERAL_LANGUAGES,
    *(item for item in INDIAN_LANGUAGES if item not in GENERAL_LANGUAGES),
    (AUTO, "Detect automatically"),
)

#: Each language's name in itself (its script), for the language model's instruction.
NATIVE_NAMES: dict[str, str] = {
    "hi": "हिन्दी",
    "bn": "বাংলা",
    "ta": "தமிழ்",
    "te": "తెలుగు",
    "kn": "ಕನ್ನಡ",
    "ml": "മലയാളം",
    "mr": "मराठी",
    "gu": "ગુજરાતી",
    "pa": "ਪੰਜਾਬੀ",
    "or": "ଓଡ଼ିଆ",
    "ar": "العربية",
}

#: Other spellings read as the app's code.
ALIASES = {"od": "or", "od-IN": "or", "or-IN": "or"}


def canonical(code: str) -> str:
    """The app's code for ``code`` (``od`` -> ``or``), else ``code`` itself."""
    return ALIASES.get(code, code)


def language_name(code: str) -> str:
    return dict(LANGUAGES).get(canonical(code), code)


def answer_instruction(code: str) -> str:
    """The sentence added to the system prompt that tells the language model which language to answer in."""
    code = canonical(code)
    if code == AUTO:
        return (
            "Answer in the language the user speaks in their last turn, and write numbers, dates, times and amounts "
            "as that language's words, the way they are said."
        )
    name = language_name(code)
    native = NATIVE_NAMES.get(code)
    spelled = f"{name} ({native})" if native else name
    script = " in its own script" if native else ""
    return (
        f"Answer in {spelled}{script}, whatever language earlier turns were in, and write numbers, dates, times "
        f"and amounts as {name} words, the way they are said."
    )


def with_answer_language(prompt: str, code: str) -> str:
    """``prompt`` with the answer-language sentence after it, as the language model is given it."""
    return f"{prompt.rstrip()}\n\n{answer_instruction(code)}"
