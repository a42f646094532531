"""build_engine_config: settings, keys and the active preset become the engine's config."""

from __future__ import annotations

import pytest

from desktop_agent.config.engine_config import ConfigurationError, build_engine_config
from desktop_agent.config.prompts import PromptLibrary
from desktop_agent.config.settings import AppSettings
from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator
from desktop_agent.state.events import Provider, TurnMode


@pytest.fixture
def prompts(config_dir):
    return PromptLibrary(config_dir / "prompts.json")


def test_every_setting_reaches_the_engine(no_keyring_secrets, prompts):
    secrets = no_keyring_secrets(CARTESIA_API_KEY="sk-car-123456", CEREBRAS_API_KEY="csk-123456",
                                 ELEVENLABS_API_KEY="xi-123456")
    settings = AppSettings()
    settings.providers.llm_url = "https://proxy.example.com/v1"
    settings.models.temperature, settings.models.max_tokens, settings.models.stt_language = 0.2, 90, "de"
    settings.voice.voice_id, settings.voice.voice_name = "v-1", "Bella"
    settings.prompt.active = "Concise tutor"
    settings.audio.input_device, settings.audio.output_device = "pulse", 2
    settings.audio.vad_confidence, settings.audio.vad_stop_secs = 0.6, 0.4
    settings.audio.echo_cancellation, settings.audio.noise_suppression = False, True
    settings.conversation.mode = TurnMode.HANDS_FREE
    settings.conversation.interruption_min_words = 3
    config = build_engine_config(settings, secrets, prompts)

    assert (config.stt.api_key, config.llm.api_key, config.tts.api_key) == ("sk-car-123456", "csk-123456", "xi-123456")
    assert config.llm.base_url == "https://proxy.example.com/v1" and config.stt.base_url == ""
    assert (config.temperature, config.max_tokens, config.stt_language) == (0.2, 90, "de")
    assert (config.voice_id, config.voice_name) == ("v-1", "Bella")
    assert config.prompt_name == "Concise tutor" and config.system_prompt == prompts.get("Concise tutor").text
    assert (config.input_device, config.output_device) == ("pulse", 2)
    assert (config.vad_confidence, config.vad_stop_secs) == (0.6, 0.4)
    assert (config.echo_cancellation, config.noise_suppression) == (False, True)
    assert config.mode is TurnMode.HANDS_FREE and config.interruption_min_words == 3
    assert config.validate() == []


def test_a_deleted_active_preset_falls_back_to_the_default(no_keyring_secrets, prompts):
    secrets = no_keyring_secrets(CARTESIA_API_KEY="a-123456", CEREBRAS_API_KEY="b-123456", ELEVENLABS_API_KEY="c-123456")
    settings = AppSettings()
    settings.prompt.active = "Gone"
    config = build_engine_config(settings, secrets, prompts)
    assert config.prompt_name == "Voice assistant"


def test_missing_keys_name_the_provider_and_the_place_to_fix_it(no_keyring_secrets, prompts):
    secrets = no_keyring_secrets(CEREBRAS_API_KEY="csk-123456")
    with pytest.raises(ConfigurationError) as error:
        build_engine_config(AppSettings(), secrets, prompts)
    assert error.value.missing_keys == [Provider.STT, Provider.TTS]
    assert error.value.problems == [
        "The Cartesia API key is missing. Open Settings > Keys and paste your Cartesia key (or set CARTESIA_API_KEY).",
        "The ElevenLabs API key is missing. Open Settings > Keys and paste your ElevenLabs key "
        "(or set ELEVENLABS_API_KEY).",
    ]


@pytest.mark.asyncio
async def test_simulating_uses_the_simulator_addresses_and_keys(no_keyring_secrets, prompts):
    secrets = no_keyring_secrets()  # no keys at all: not needed when simulating
    async with Simulator(profile="instant") as sim:
        config = build_engine_config(AppSettings(), secrets, prompts, simulator=sim)
        assert config.stt.base_url == sim.cartesia_url and config.stt.api_key == SIMULATOR_API_KEYS["cartesia"]
        assert config.llm.base_url == sim.cerebras_url and config.llm.api_key == SIMULATOR_API_KEYS["cerebras"]
        assert config.tts.base_url == sim.elevenlabs_url and config.tts.api_key == SIMULATOR_API_KEYS["elevenlabs"]
        assert config.validate() == []



def test_deadlines_come_from_settings_and_the_environment(tmp_path, no_keyring_secrets, prompts):
    from desktop_agent.config.environment import Environment
    from desktop_agent.config.settings import SettingsStore

    store = SettingsStore(tmp_path / "settings.json", environment=Environment(
        {"DESKTOP_AGENT_DEADLINES__LLM_FIRST_TOKEN_SECS": "9", "DESKTOP_AGENT_DEADLINES__STT_FINAL_SECS": "0.1"}))
    settings, problems = store.load()
    assert settings.deadlines.llm_first_token_secs == 9.0
    assert settings.deadlines.stt_final_secs == 2.5, "out of range: its default, with a sentence"
    assert any("DEADLINES__STT_FINAL_SECS" in p and "between 0.5 and 30" in p for p in problems), problems
    secrets = no_keyring_secrets(CARTESIA_API_KEY="a-123456", CEREBRAS_API_KEY="b-123456", ELEVENLABS_API_KEY="c-123456")
    config = build_engine_config(settings, secrets, prompts)
    assert config.llm_first_token_timeout == 9.0 and config.stt_final_timeout == 2.5
    assert config.tts_first_audio_timeout == 4.0 and config.llm_retries == 3


def test_speech_fallbacks_reach_the_engine_on_their_own_keys(no_keyring_secrets, prompts):
    secrets = no_keyring_secrets(CARTESIA_API_KEY="sk-car-123456", CEREBRAS_API_KEY="csk-123456",
                                 ELEVENLABS_API_KEY="xi-123456", DEEPGRAM_API_KEY="dg-123456")
    settings = AppSettings()
    settings.providers.stt_fallback, settings.providers.tts_fallback = "deepgram", "cartesia_tts"
    config = build_engine_config(settings, secrets, prompts)
    assert (config.stt_fallback, config.tts_fallback) == ("deepgram", "cartesia_tts")
    endpoints = config.speech_fallback_endpoints
    assert endpoints["deepgram"].api_key == "dg-123456" and endpoints["deepgram"].base_url == ""
    assert endpoints["cartesia_tts"].api_key == "sk-car-123456", "Cartesia's one key serves both its roles"
    assert config.validate() == []


def test_a_speech_fallback_without_its_key_is_a_sentence(no_keyring_secrets, prompts):
    secrets = no_keyring_secrets(CARTESIA_API_KEY="sk-car-123456", CEREBRAS_API_KEY="csk-123456",
                                 ELEVENLABS_API_KEY="xi-123456")
    settings = AppSettings()
    settings.providers.stt_fallback = "deepgram"
    with pytest.raises(ConfigurationError) as error:
        build_engine_config(settings, secrets, prompts)
    assert error.value.problems == [
        "The fallback speech to text provider Deepgram has no API key. Open Settings > Providers & keys."
    ]


def test_a_voice_fallback_must_play_at_the_output_rate(no_keyring_secrets, prompts):
    secrets = no_keyring_secrets(CARTESIA_API_KEY="sk-car-123456", CEREBRAS_API_KEY="csk-123456",
                                 ELEVENLABS_API_KEY="xi-123456")
    settings = AppSettings()
    settings.providers.tts_fallback = "cartesia_tts"
    settings.audio.output_sample_rate = 32000  # ElevenLabs plays it, Cartesia does not
    with pytest.raises(ConfigurationError) as error:
        build_engine_config(settings, secrets, prompts)
    assert error.value.problems == [
        "The fallback voice provider Cartesia cannot play at 32000 Hz; choose another output sample rate in "
        "Settings > Audio or another fallback."
    ]
