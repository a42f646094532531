"""The voice follows the conversation's language: a voice of the text-to-speech provider that speaks the new language
is chosen when the one in use does not, against the simulator's voice lists (ElevenLabs' emulator: voices in
English, Spanish, French and German; Sarvam's speakers, who speak every Indian language)."""

from __future__ import annotations

import pytest

from desktop_agent.config.language_voice import voice_for_language, voice_sentence
from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import AppSettings
from desktop_agent.simulator import Simulator


def speaking_with(tts: str) -> AppSettings:
    settings = AppSettings()
    settings.providers.tts = tts
    return settings


@pytest.mark.asyncio
async def test_a_voice_that_cannot_speak_the_new_language_is_replaced_by_one_that_can(tmp_path):
    secrets = Secrets(config_dir=tmp_path)  # not asked: the simulator's keys are used
    settings = speaking_with("elevenlabs")
    rachel = "emu-voice-1"  # English
    async with Simulator(profile="instant") as sim:
        spanish = await voice_for_language(settings, secrets, "es", rachel, sim)
        assert spanish is not None and spanish.language == "es"
        german = await voice_for_language(settings, secrets, "de", rachel, sim)
        assert german is not None and german.language == "de"
        assert await voice_for_language(settings, secrets, "en", rachel, sim) is None  # she speaks English: kept
        assert await voice_for_language(settings, secrets, "auto", rachel, sim) is None  # detected: kept
        assert await voice_for_language(settings, secrets, "ja", rachel, sim) is None  # no voice speaks it: kept
        assert await voice_for_language(settings, secrets, "es", spanish.voice_id, sim) is None
    assert voice_sentence(spanish, "es") == f"The voice is now {spanish.name}, who speaks Spanish."


@pytest.mark.asyncio
async def test_a_speaker_of_the_indian_languages_is_kept_across_them(tmp_path):
    secrets = Secrets(config_dir=tmp_path)
    settings = speaking_with("sarvam_tts")
    async with Simulator(profile="instant") as sim:
        speaker = await voice_for_language(settings, secrets, "ta", "emu-voice-1", sim)
        assert speaker is not None  # a voice of another provider is no Sarvam speaker: one is chosen
        for language in ("hi", "ta", "bn", "or", "en-IN"):
            assert await voice_for_language(settings, secrets, language, speaker.voice_id, sim) is None
        assert await voice_for_language(settings, secrets, "de", "emu-voice-1", sim) is None  # no German: kept
