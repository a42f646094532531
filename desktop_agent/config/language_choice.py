"""Reading a language the user asks for (a code or a name, typed in the console or chosen in the window) against
what the speech-to-text provider can hear: the app's code, or one sentence that says what to choose instead."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_agent.config.languages import LANGUAGES, canonical, language_name
from desktop_agent.providers import ProviderSpec


@dataclass(frozen=True)
class LanguageChoice:
    code: str | None  # None: refused, and ``sentence`` says why
    sentence: str


def offered_languages(stt: ProviderSpec) -> list[tuple[str, str]]:
    """The languages (code, name) the conversation can switch to with ``stt`` hearing it, in the app's order."""
    return [(code, name) for code, name in LANGUAGES if stt.speaks(code)]


def read_language(text: str, stt: ProviderSpec) -> LanguageChoice:
    """``text`` (``hi``, ``Hindi``, ``od``, ``auto``) as the code to switch to."""
    wanted = text.strip()
    offered = offered_languages(stt)
    listing = ", ".join(f"{code} ({name})" for code, name in offered)
    if not wanted:
        return LanguageChoice(None, f"Name a language after l, e.g. l hi. {stt.display_name} hears: {listing}.")
    by_name = {name.casefold(): code for code, name in LANGUAGES}
    code = by_name.get(wanted.casefold()) or canonical(wanted if "-" in wanted else wanted.lower())
    if code not in dict(LANGUAGES):
        return LanguageChoice(None, f"There is no language called {wanted!r}; choose one of {listing}.")
    if not stt.speaks(code):
        return LanguageChoice(
            None,
            f"{stt.display_name} speech to text cannot hear {language_name(code)}; choose one of {listing}, or "
            "another speech-to-text provider in Settings.",
        )
    return LanguageChoice(code, f"The conversation is in {language_name(code)} from the next turn.")
