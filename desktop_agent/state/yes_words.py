"""Is the user's answer a yes? In the conversation's language, for a tool that runs only when the user says so.

The answer comes as a transcript or typed text, in whichever language the conversation is held. English always
counts (the window's Yes button and the console's ``y`` send "yes"); the conversation's language adds its own words;
with automatic language detection every language's words count except the few that mean something else in another
of the app's languages (Polish "tak" is yes, Indonesian "tak" is not).

An answer counts as yes when it begins with one of the words or phrases, followed by the end, a space or
punctuation, so "Yes, please" and "हाँ, चलाओ" are yes while "Yesterday" is not. Chinese and Japanese write no spaces,
so there the words only need to begin the answer. Anything else is no: the tool is not run unless asked for clearly.
"""

from __future__ import annotations

import unicodedata

_ENGLISH = (
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "go ahead",
    "do it",
    "please do",
    "run it",
    "confirm",
    "confirmed",
)

#: Yes in each language the app speaks, by its ISO 639-1 code (as spoken, lower case; matched case-insensitively).
YES_WORDS: dict[str, tuple[str, ...]] = {
    "de": ("ja", "jawohl", "klar", "genau", "mach das", "los"),
    "es": ("sí", "si", "claro", "vale", "dale", "adelante"),
    "fr": ("oui", "ouais", "d'accord", "vas-y", "allez-y", "bien sûr"),
    "it": ("sì", "si", "certo", "va bene", "vai"),
    "pt": ("sim", "claro", "pode", "certo"),
    "nl": ("ja", "jazeker", "prima", "doe maar"),
    "pl": ("tak", "jasne", "dobrze"),
    "sv": ("ja", "visst", "kör"),
    "da": ("ja", "jo", "gerne"),
    "fi": ("kyllä", "joo", "juu"),
    "no": ("ja", "jo", "gjerne"),
    "cs": ("ano", "jo", "jasně"),
    "ro": ("da", "sigur"),
    "hu": ("igen", "persze"),
    "el": ("ναι", "βεβαίως", "εντάξει"),  # noqa: RUF001 (Greek letters, meant)
    "tr": ("evet", "tamam", "olur"),
    "ru": ("да", "конечно", "давай", "хорошо"),
    "uk": ("так", "звісно", "гаразд", "давай"),
    "ar": ("نعم", "أجل", "أيوه", "تمام"),
    "hi": ("हाँ", "हां", "जी", "ठीक है", "haan", "han"),
    "bn": ("হ্যাঁ", "হাঁ", "ঠিক আছে"),
    "ta": ("ஆம்", "ஆமாம்", "சரி"),
    "te": ("అవును", "సరే"),
    "kn": ("ಹೌದು", "ಸರಿ"),
    "ml": ("അതെ", "ശരി"),
    "mr": ("हो", "होय", "ठीक आहे"),
    "gu": ("હા", "ઠીક છે"),
    "pa": ("ਹਾਂ", "ਠੀਕ ਹੈ"),
    "or": ("ହଁ", "ଠିକ ଅଛି"),
    "id": ("ya", "iya", "boleh", "oke"),
    "ja": ("はい", "うん", "ええ", "お願いします"),
    "ko": ("네", "예", "응", "좋아요"),
    "zh": ("是的", "是", "好的", "好", "可以", "行", "对"),
}

#: Conversations whose speakers mix in another language's yes: Indian English counts Hindi's "haan" and "ji".
_ALSO = {"en-in": "hi"}
#: Words that are yes in one of the app's languages and not in another: they count only in their own language.
_AMBIGUOUS = frozenset({"tak"})
#: Languages written without spaces between words.
_UNSPACED = frozenset({"ja", "zh"})


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _words_for(language: str | None) -> list[tuple[str, bool]]:
    """(word, needs a boundary after it) for ``language`` (a code such as ``hi`` or ``en-IN``, ``auto`` or None)."""
    code = (language or "").lower()
    base = _ALSO.get(code, code.split("-")[0])
    if base in YES_WORDS:
        chosen = {base: YES_WORDS[base]}
    elif base in ("", "auto"):
        chosen = {code: tuple(w for w in words if w not in _AMBIGUOUS) for code, words in YES_WORDS.items()}
    else:
        chosen = {}
    words = [(_fold(w), True) for w in _ENGLISH]
    for code, said in chosen.items():
        words += [(_fold(w), code not in _UNSPACED) for w in said]
    return sorted(words, key=lambda item: -len(item[0]))  # the longest phrase first


def _starts_with_word(text: str, word: str, bounded: bool) -> bool:
    if not text.startswith(word):
        return False
    if not bounded or len(text) == len(word):
        return True
    following = unicodedata.category(text[len(word)])
    return following[0] not in "LMN"  # not the same word going on (a letter, a combining vowel sign, a digit)


def is_yes(text: str, language: str | None = None) -> bool:
    """Whether ``text`` answers yes, in English or in ``language``."""
    folded = _fold(text).lstrip()
    while folded and unicodedata.category(folded[0])[0] in "PZS":  # leading quotes, dashes, spaces
        folded = folded[1:]
    return any(_starts_with_word(folded, word, bounded) for word, bounded in _words_for(language))
