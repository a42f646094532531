"""The voice of a first run: with none saved, one of the account's own current premade voices is chosen.

Voice providers retire voices ("Rachel", once every app's default, is gone), so no voice ID is a safe default. The
window and the console call :func:`choose_first_voice` before their first session and save what it chose (not when
they run on the simulator, whose account is not the user's). When the account cannot be asked, nothing is saved:
the session uses the built-in voice this time and the next start asks again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from loguru import logger

from desktop_agent.config.engine_config import resolve_endpoint
from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import AppSettings
from desktop_agent.config.voices import Voice, VoiceError
from desktop_agent.state.events import Provider


async def choose_first_voice(settings: AppSettings, secrets: Secrets, simulator: Any = None) -> Voice | None:
    """Put the chosen voice in ``settings`` and return it; None when a voice is saved already or none was chosen."""
    if settings.voice.voice_id:
        return None
    spec = settings.providers.spec(Provider.TTS)
    if spec.voice_catalog is None:
        return None  # the provider's own default voice is used
    endpoint = await asyncio.to_thread(resolve_endpoint, Provider.TTS, settings, secrets, simulator)  # the keyring
    if not endpoint.api_key:
        return None
    try:
        catalog = spec.voice_catalog(endpoint.api_key, endpoint.base_url)
        voice = await catalog.first_run_voice(settings.models.stt_language)
    except VoiceError as exc:
        logger.info(f"No voice chosen yet, the built-in one is used this time: {exc}")
        return None
    if voice is not None:
        settings.voice.voice_id, settings.voice.voice_name = voice.voice_id, voice.name
        logger.info(f"First run: chose the voice {voice.name} ({voice.voice_id}) from the account")
    return voice
