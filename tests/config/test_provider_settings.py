"""Choosing providers in settings: by the file, by the environment, by the panel's helper; their addresses,
models, voices and prices follow the choice."""

from __future__ import annotations

from desktop_agent import providers
from desktop_agent.config.engine_config import build_engine_config
from desktop_agent.config.prompts import PromptLibrary
from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import AppSettings, SettingsStore, choose_provider
from desktop_agent.state.events import Provider


def test_defaults_are_the_product_defaults():
    settings = AppSettings()
    assert [settings.providers.chosen(role) for role in Provider] == ["cartesia", "cerebras", "elevenlabs"]
    assert settings.models.llm_model == "" and settings.providers.spec(Provider.LLM).model_or_default("") == \
        "gpt-oss-120b"


def test_the_environment_chooses_a_provider_and_its_own_address_variable(config_dir, make_env):
    env = make_env(DESKTOP_AGENT_PROVIDERS__LLM="groq", GROQ_BASE_URL="http://127.0.0.1:9/openai/v1",
                   CEREBRAS_BASE_URL="http://127.0.0.1:8/v1", DESKTOP_AGENT_PROVIDERS__TTS="cartesia_tts")
    settings, problems = SettingsStore(config_dir / "settings.json", env).load()
    assert problems == []
    assert settings.providers.llm == "groq" and settings.providers.tts == "cartesia_tts"
    assert settings.providers.llm_url == "http://127.0.0.1:9/openai/v1", "Groq's variable, not Cerebras'"


def test_an_explicit_address_override_wins_over_the_vendor_variable(config_dir, make_env):
    env = make_env(CEREBRAS_BASE_URL="http://127.0.0.1:8/v1", DESKTOP_AGENT_PROVIDERS__LLM_URL="http://127.0.0.1:7/v1")
    settings, _ = SettingsStore(config_dir / "settings.json", env).load()
    assert settings.providers.llm_url == "http://127.0.0.1:7/v1"


def test_an_unknown_provider_in_the_file_gets_a_sentence_and_the_default(config_dir, make_env):
    (config_dir / "settings.json").write_text('{"providers": {"stt": "whisperer", "llm": "openai"}}')
    settings, problems = SettingsStore(config_dir / "settings.json", make_env()).load()
    assert settings.providers.stt == "cartesia" and settings.providers.llm == "openai"
    assert problems == ["Setting “providers.stt” in the settings file is 'whisperer', which is not a speech to "
                        "text provider (cartesia, deepgram, sarvam, cartesia_turns); using the default “cartesia”."]


def test_choosing_a_provider_resets_what_belonged_to_the_previous_one():
    settings = AppSettings()
    settings.models.tts_model = "eleven_turbo_v2_5"
    settings.voice.voice_id, settings.voice.voice_name = "emu-voice-3", "Emu Charlotte"
    settings.providers.tts_url = "wss://proxy.example.com"
    choose_provider(settings, providers.get("cartesia_tts"))
    assert settings.providers.tts == "cartesia_tts" and settings.providers.tts_url == ""
    assert settings.models.tts_model == "" and settings.voice.voice_id == ""
    assert settings.prices.tts_per_thousand_characters == providers.get("cartesia_tts").prices.per_unit
    choose_provider(settings, providers.get("local"))
    assert settings.prices.llm_per_million_tokens == 0.0


def test_the_engine_configuration_follows_the_choice_and_its_keys(config_dir, make_env, no_keyring_secrets):
    secrets: Secrets = no_keyring_secrets(GROQ_API_KEY="gsk-env-1234567", DEEPGRAM_API_KEY="dg-12345",
                                          CARTESIA_API_KEY="sk-car-12345")
    settings = AppSettings()
    for provider_id in ("deepgram", "groq", "cartesia_tts"):
        choose_provider(settings, providers.get(provider_id))
    config = build_engine_config(settings, secrets, PromptLibrary(config_dir / "prompts.json"))
    assert (config.stt_provider, config.llm_provider, config.tts_provider) == ("deepgram", "groq", "cartesia_tts")
    assert (config.stt_model, config.llm_model, config.tts_model) == ("nova-3", "llama-3.3-70b-versatile", "sonic-3")
    assert (config.stt.api_key, config.llm.api_key, config.tts.api_key) == ("dg-12345", "gsk-env-1234567",
                                                                             "sk-car-12345")
    assert config.voice_id == providers.get("cartesia_tts").default_voice_id


def test_one_rule_per_setting_checks_the_file_the_environment_and_the_engine(config_dir, make_env):
    """The settings file, an override variable and the engine's own check use the same rule and the same words."""
    from desktop_agent.config.settings import rule_for, setting_problem
    from desktop_agent.engine.config import EngineConfig, ProviderEndpoint

    assert (rule_for("models", "temperature").minimum, rule_for("models", "temperature").maximum) == (0.0, 2.0)
    env = make_env(DESKTOP_AGENT_MODELS__TEMPERATURE="3")
    _, problems = SettingsStore(config_dir / "settings.json", env).load()
    assert any("is not between 0 and 2" in p for p in problems)
    engine = EngineConfig(stt=ProviderEndpoint("k"), llm=ProviderEndpoint("k"), tts=ProviderEndpoint("k"),
                          temperature=3.0, vad_confidence=0.99)
    assert engine.validate() == [setting_problem("models", "temperature", 3.0),
                                 setting_problem("audio", "vad_confidence", 0.99)]
    assert setting_problem("audio", "vad_confidence", 0.99) == \
        "Voice detection confidence is not between 0.05 and 0.95 (it is 0.99)."
    assert EngineConfig(stt=ProviderEndpoint("k"), llm=ProviderEndpoint("k"), tts=ProviderEndpoint("k")).prompt_name \
        == AppSettings().prompt.active, "one default prompt name"
