"""Voices as the app knows them, whichever provider speaks: :class:`Voice`, a search (:class:`VoiceQuery`), a page of
results, the voice to choose when none is (:func:`choose_voice`) and preview sentences.

Providers retire voices ("Rachel", the app's first default, answers 404 ``voice_not_found`` since 2026-02-28), so
no voice ID is safe to hard-code: the first run picks one of the account's own premade voices, and a saved voice the
account no longer has is answered with one to switch to. Each provider's catalogue (its ``voice_catalog``: search,
find, premade voices, first-run voice, preview) lives with the provider in :mod:`desktop_agent.providers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    "hi": "नमस्ते! जब हम बात करेंगे तो मेरी आवाज़ ऐसी होगी। आज आप क्या करना चाहेंगे?",
    "bn": "নমস্কার! আমরা যখন কথা বলব, আমার কণ্ঠ এমন শোনাবে। আজ আপনি কী করতে চান?",
    "ta": "வணக்கம்! நாம் பேசும்போது என் குரல் இப்படித்தான் இருக்கும். இன்று என்ன செய்ய விரும்புகிறீர்கள்?",
    "te": "నమస్కారం! మనం మాట్లాడేటప్పుడు నా గొంతు ఇలా ఉంటుంది. ఈ రోజు మీరు ఏమి చేయాలనుకుంటున్నారు?",
    "kn": "ನಮಸ್ಕಾರ! ನಾವು ಮಾತನಾಡುವಾಗ ನನ್ನ ಧ್ವನಿ ಹೀಗಿರುತ್ತದೆ. ಇಂದು ನೀವು ಏನು ಮಾಡಲು ಬಯಸುತ್ತೀರಿ?",
    "ml": "നമസ്കാരം! നമ്മൾ സംസാരിക്കുമ്പോൾ എന്റെ ശബ്ദം ഇങ്ങനെയായിരിക്കും. ഇന്ന് നിങ്ങൾ എന്ത് ചെയ്യാൻ ആഗ്രഹിക്കുന്നു?",
    "mr": "नमस्कार! आपण बोलू तेव्हा माझा आवाज असा असेल. आज तुम्हाला काय करायला आवडेल?",
    "gu": "નમસ્તે! આપણે વાત કરીશું ત્યારે મારો અવાજ આવો લાગશે. આજે તમે શું કરવા માંગો છો?",
    "pa": "ਸਤ ਸ੍ਰੀ ਅਕਾਲ! ਜਦੋਂ ਅਸੀਂ ਗੱਲ ਕਰਾਂਗੇ ਤਾਂ ਮੇਰੀ ਆਵਾਜ਼ ਇਸ ਤਰ੍ਹਾਂ ਹੋਵੇਗੀ। ਅੱਜ ਤੁਸੀਂ ਕੀ ਕਰਨਾ ਚਾਹੋਗੇ?",
    "or": "ନମସ୍କାର! ଆମେ କଥା ହେବାବେଳେ ମୋ ସ୍ୱର ଏମିତି ଶୁଣାଯିବ। ଆଜି ଆପଣ କଣ କରିବାକୁ ଚାହାଁନ୍ତି?",
}


def sample_sentence(language: str) -> str:
    """The preview sentence in ``language`` (an app code, ``od`` read as ``or``; English for the others)."""
    base = language.split("-")[0].lower()
    return SAMPLE_SENTENCES.get({"od": "or"}.get(base, base), SAMPLE_SENTENCES["en"])


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
    legacy: bool = False  # the provider has announced its retirement

    @property
    def summary(self) -> str:
        """A short line for lists, e.g. "female · american · en · conversational"."""
        return " · ".join(
            part.replace("_", " ") for part in (self.gender, self.accent, self.language, self.use_case) if part
        )


@dataclass(frozen=True)
class VoiceQuery:
    """A voice search; "" means "any"."""

    search: str = ""
    language: str = ""
    gender: str = ""
    accent: str = ""
    category: str = ""  # "premade" for the provider's own (default) voices
    page_size: int = 30


@dataclass(frozen=True)
class VoicePage:
    voices: list[Voice] = field(default_factory=list)
    has_more: bool = False
    next_page_token: str | None = None
    total_count: int | None = None


def choose_voice(voices: list[Voice], language: str = "en") -> Voice | None:
    """The voice to use when none is chosen: a current premade conversational voice, the same one every time.

    The first of these that has any, by name: premade conversational voices in ``language`` (or with no language
    label), premade conversational voices, premade voices in ``language``, premade voices, any voice. Voices
    the provider has marked legacy (to be retired) are never chosen. None when the list has no usable voice.
    """
    wanted = language.split("-")[0].lower()
    usable = [v for v in voices if not v.legacy]

    def speaks(voice: Voice) -> bool:
        return not voice.language or voice.language.split("-")[0].lower() == wanted

    premade = [v for v in usable if v.category == "premade"]
    conversational = [v for v in premade if v.use_case == "conversational"]
    for tier in (
        [v for v in conversational if speaks(v)],
        conversational,
        [v for v in premade if speaks(v)],
        premade,
        usable,
    ):
        if tier:
            return min(tier, key=lambda v: (v.name.casefold(), v.voice_id))
    return None


#: Pages of a provider's own voices read for the first-run choice (a provider lists a few dozen).
MAX_PREMADE_PAGES = 5


class PagedVoiceCatalog:
    """What every provider's voice catalogue does the same way on top of its own :meth:`search`: read its premade
    voices page by page, and choose the first-run voice among them. A provider's catalogue subclasses this."""

    async def search(self, query: VoiceQuery | None = None, page_token: str | None = None) -> VoicePage:
        raise NotImplementedError  # each provider's catalogue asks its own API

    async def premade_voices(self) -> list[Voice]:
        """The provider's own voices as this account has them (up to :data:`MAX_PREMADE_PAGES` pages)."""
        query = VoiceQuery(category="premade", page_size=MAX_PAGE_SIZE)
        page = await self.search(query)
        voices = list(page.voices)
        for _ in range(MAX_PREMADE_PAGES - 1):
            if not (page.has_more and page.next_page_token):
                break
            page = await self.search(query, page.next_page_token)
            voices += page.voices
        return voices

    async def first_run_voice(self, language: str = "en") -> Voice | None:
        """The voice to save when none is saved yet (see :func:`choose_voice`)."""
        return choose_voice(await self.premade_voices(), language)
