"""Ask before running: which answers count as yes, in English and in the conversation's language."""

from __future__ import annotations

import pytest

from desktop_agent.config.languages import GENERAL_LANGUAGES, INDIAN_LANGUAGES
from desktop_agent.state.yes_words import YES_WORDS, is_yes


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("Yes.", "en"),
        ("  yeah, go on", None),
        ("Okay!", "de"),  # English always counts: the window's Yes button and the console's y send it
        ("Confirmed", "en"),
        ("Ja, bitte.", "de"),
        ("Sí, claro", "es"),
        ("D'accord.", "fr"),
        ("Да, давай", "ru"),
        ("हाँ, चलाओ", "hi"),
        ("जी", "hi"),
        ("ஆமாம்", "ta"),
        ("はい、お願いします", "ja"),
        ("好的，运行吧", "zh"),  # noqa: RUF001 (a Chinese comma, meant)
        ("네 좋아요", "ko"),
        ("Tak", "pl"),
        ("Oui", "auto"),  # detected language: every language's words
        ("हाँ", "en-IN"),
    ],
)
def test_yes(said, language):
    assert is_yes(said, language)


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("No.", "en"),
        ("Yesterday was fine", "en"),
        ("Nein", "de"),
        ("Non, merci", "fr"),
        ("नहीं", "hi"),
        ("いいえ", "ja"),
        ("不要", "zh"),
        ("", "en"),
        ("Ja", "en"),  # German yes counts in a German conversation, not in an English one
        ("Tak", "id"),  # Indonesian "tak" is "not": yes only in Polish
        ("Tak", "auto"),
        ("Sicher nicht", "de"),
        ("हांगकांग", "hi"),  # a longer word that begins like yes
    ],
)
def test_not_yes(said, language):
    assert not is_yes(said, language)


def test_every_language_the_app_speaks_has_its_yes():
    spoken = {code.split("-")[0] for code, _ in GENERAL_LANGUAGES + INDIAN_LANGUAGES} - {"en"}
    assert spoken <= set(YES_WORDS), sorted(spoken - set(YES_WORDS))
