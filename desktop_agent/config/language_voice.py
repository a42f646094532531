"""The voice follows the conversation's language: when the language changes and the voice in use cannot speak the
new one, one of the text-to-speech provider's voices that can is chosen, as a first run chooses its voice
(:func:`~desktop_agent.config.voices.choose_voice`, among the voices the catalogue finds for that language).

The voice in use is kept when the catalogue lists it for the new language, when the language is detected (auto),
when the provider does not speak the language at all, or when the catalogue finds no voice for it or cannot be
asked: a switch of language never leaves the conversation without a voice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from loguru import logger

from desktop_agent.config.engine_config import resolve_endpoint
from desktop_agent.config.languages import AUTO, language_name
from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import AppSettings
from desktop_agent.config.voices import MAX_PAGE_SIZE, MAX_PREMADE_PAGES, Voice, VoiceError, VoiceQuery, choose_voice
from desktop_agent.state.events import Provider


async def voices_speaking(catalog: Any, language: str) -> list[Voice]:
    """The voices ``catalog`` finds for ``language`` (up to :data:`MAX_PREMADE_PAGES` pages)."""
    query = VoiceQuery(language=language, page_size=MAX_PAGE_SIZE)
    page = await catalog.search(query)
    voices = list(page.voices)
    for _ in range(MAX_PREMADE_PAGES - 1):
        if not (page.has_more and page.next_page_token):
            break
        page = await catalog.search(query, page.next_page_token)
        voices += page.voices
    return voices


async def voice_for_language(
    settings: AppSettings, secrets: Secrets, language: str, voice_id: str, simulator: Any = None
) -> Voice | None:
    """A voice that speaks ``language`` when ``voice_id`` (the voice in use) does not; None to keep it. The provider
    and its key come from ``settings`` and ``secrets`` (the simulator's when given). Changes nothing."""
    spec = settings.providers.spec(Provider.TTS)
    if language == AUTO or spec.voice_catalog is None or not spec.speaks(language):
        return None
    endpoint = await asyncio.to_thread(resolve_endpoint, Provider.TTS, settings, secrets, simulator)  # the keyring
    if not endpoint.api_key:
        return None
    try:
        speakers = await voices_speaking(spec.voice_catalog(endpoint.api_key, endpoint.base_url), language)
    except VoiceError as exc:
        logger.info(f"The voice is kept for {language}: the voice list could not be read ({exc})")
        return None
    if any(voice.voice_id == voice_id for voice in speakers):
        return None
    return choose_voice(speakers, language)


def voice_sentence(voice: Voice, language: str) -> str:
    """What the user is told when the voice changed with the language."""
    return f"The voice is now {voice.name}, who speaks {language_name(language)}."
