"""SettingsStore: the JSON file, its failures, and the environment / .env overrides above it."""

from __future__ import annotations

import json
import stat

from desktop_agent import providers
from desktop_agent.config.settings import SCHEMA_VERSION, AppSettings, SettingsStore, env_name
from desktop_agent.state.cost import PriceTable
from desktop_agent.state.events import Provider, Stage, TurnMode


def store_at(config_dir, env):
    return SettingsStore(config_dir / "settings.json", env)


def test_first_run_gives_defaults_without_problems_or_files(config_dir, make_env):
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings == AppSettings()
    assert problems == []
    assert list(config_dir.iterdir()) == []
    assert settings.models.max_tokens == 150
    assert settings.audio.push_to_talk_key == "Space"
    assert settings.privacy.keep_history is True and settings.privacy.retention_days == 0


def test_save_then_load_round_trips_every_section(config_dir, make_env):
    store = store_at(config_dir, make_env())
    settings, _ = store.load()
    settings.models.temperature = 0.3
    settings.models.stt_language = "de"
    settings.voice.voice_id, settings.voice.voice_name = "voice-9", "Nine"
    settings.audio.input_device = "pulse"
    settings.audio.output_device = 3
    settings.conversation.mode = TurnMode.HANDS_FREE
    settings.budgets[Stage.VOICE_TO_VOICE] = 0.95
    settings.prices = PriceTable(stt_per_audio_hour=0.2, llm_per_million_tokens=0.5, tts_per_thousand_characters=0.1)
    settings.privacy.retention_days = 30
    store.save(settings)

    raw = json.loads((config_dir / "settings.json").read_text())
    assert raw["schema_version"] == SCHEMA_VERSION
    reloaded, problems = store_at(config_dir, make_env()).load()
    assert problems == []
    assert reloaded == settings
    assert not [p for p in config_dir.iterdir() if p.name != "settings.json"], "no temporary files left behind"


def test_invalid_values_fall_back_to_their_defaults_and_keep_the_rest(config_dir, make_env):
    path = config_dir / "settings.json"
    original = {
        "schema_version": 1,
        "models": {"temperature": "warm", "max_tokens": 99, "llm_model": "gpt-oss-120b"},
        "audio": {"vad_confidence": 7, "echo_cancellation": "yes", "push_to_talk_key": "F9"},
        "conversation": {"mode": "telepathy", "max_history_exchanges": 4},
        "budgets": {"voice_to_voice": -1, "stt_final": 0.4, "warp": 1},
        "privacy": "forever",
        "future_feature": {"x": 1},
    }
    path.write_text(json.dumps(original))
    store = store_at(config_dir, make_env())
    settings, problems = store.load()

    # the good values survive ...
    assert settings.models.max_tokens == 99 and settings.models.llm_model == "gpt-oss-120b"
    assert settings.audio.push_to_talk_key == "F9"
    assert settings.budgets[Stage.STT_FINAL] == 0.4
    # ... the bad ones are their defaults, each with a sentence naming the setting and the default used
    defaults = AppSettings()
    assert settings.models.temperature == defaults.models.temperature
    assert settings.audio.vad_confidence == defaults.audio.vad_confidence
    assert settings.audio.echo_cancellation is True
    assert settings.conversation.mode is TurnMode.PUSH_TO_TALK
    assert settings.conversation.max_history_exchanges == 20
    assert settings.budgets[Stage.VOICE_TO_VOICE] == defaults.budgets[Stage.VOICE_TO_VOICE]
    assert settings.privacy == defaults.privacy
    text = "\n".join(problems)
    for expected in (
        "“models.temperature” in the settings file is 'warm', which is not a number; using the default 0.7.",
        "“audio.vad_confidence” in the settings file is 7, which is not between 0.05 and 0.95",
        "“audio.echo_cancellation” in the settings file is 'yes', which is not true or false",
        "“conversation.mode” in the settings file is 'telepathy', which is not one of push_to_talk, hands_free",
        "“conversation.max_history_exchanges” in the settings file is 4, which must be 0 (keep everything)",
        "“budgets.voice_to_voice” in the settings file is -1",
        "“budgets.warp” in the settings file is not a latency stage",
        "“privacy” in the settings file is not a group of settings; its defaults are used.",
    ):
        assert expected in text
    assert len(problems) == 8
    # loading never rewrites the file
    assert json.loads(path.read_text()) == original

    # saving replaces only the bad values and keeps what this version does not know
    store.save(settings)
    saved = json.loads(path.read_text())
    assert saved["future_feature"] == {"x": 1}
    assert saved["models"]["max_tokens"] == 99 and saved["models"]["temperature"] == 0.7
    assert saved["budgets"]["warp"] == 1
    assert store_at(config_dir, make_env()).load()[0] == settings


def test_corrupt_file_is_moved_aside_and_defaults_are_used(config_dir, make_env):
    path = config_dir / "settings.json"
    damaged = '{"models": {"temperature": 0.2,, }'
    path.write_text(damaged)
    store = store_at(config_dir, make_env())
    settings, problems = store.load()

    assert settings == AppSettings()
    asides = list(config_dir.glob("settings.json.corrupt-*"))
    assert len(asides) == 1 and asides[0].read_text() == damaged, "the damaged file is kept, byte for byte"
    assert not path.exists()
    assert len(problems) == 1
    assert "was damaged (it is not valid JSON (line 1, column" in problems[0]
    assert str(asides[0]) in problems[0] and "default settings are used" in problems[0]

    store.save(settings)  # the app keeps working: the next save writes a fresh file
    assert store_at(config_dir, make_env()).load() == (settings, [])


def test_a_file_that_is_not_an_object_is_moved_aside(config_dir, make_env):
    (config_dir / "settings.json").write_text("[1, 2, 3]")
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings == AppSettings()
    assert "it does not hold a JSON object" in problems[0]
    assert len(list(config_dir.glob("settings.json.corrupt-*"))) == 1


def test_newer_schema_is_read_as_far_as_possible(config_dir, make_env):
    (config_dir / "settings.json").write_text(json.dumps({"schema_version": 9, "models": {"max_tokens": 300}}))
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings.models.max_tokens == 300
    assert problems == [
        "The settings file was written by a newer version of Desktop Agent (schema 9); settings this version "
        "knows are used and the others are kept unchanged."
    ]


def test_environment_and_dotenv_override_the_file_in_order(config_dir, make_env):
    (config_dir / "settings.json").write_text(
        json.dumps({"models": {"temperature": 0.1, "max_tokens": 100, "llm_model": "file-model", "stt_language": "fr"}})
    )
    env = make_env(
        dotenv="DESKTOP_AGENT_MODELS__TEMPERATURE=0.2\nDESKTOP_AGENT_MODELS__MAX_TOKENS=200\n"
        "DESKTOP_AGENT_MODELS__LLM_MODEL=config-dotenv-model\n",
        cwd_dotenv="DESKTOP_AGENT_MODELS__TEMPERATURE=0.3\nDESKTOP_AGENT_MODELS__MAX_TOKENS=300\n",
        DESKTOP_AGENT_MODELS__TEMPERATURE="0.4",
    )
    store = store_at(config_dir, env)
    settings, problems = store.load()
    assert problems == []
    assert settings.models.temperature == 0.4  # process environment beats both .env files
    assert settings.models.max_tokens == 300  # working-directory .env beats the config-directory one
    assert settings.models.llm_model == "config-dotenv-model"  # any .env beats the file
    assert settings.models.stt_language == "fr"  # not overridden: the file's value
    assert store.overrides["models.temperature"] == "DESKTOP_AGENT_MODELS__TEMPERATURE (from the environment)"
    assert store.overrides["models.max_tokens"].endswith(f"(from {(config_dir.parent / 'cwd' / '.env').resolve()})")


def test_every_kind_of_setting_can_be_overridden(config_dir, make_env):
    env = make_env(
        **{
            env_name("audio", "echo_cancellation"): "off",
            env_name("audio", "input_device"): "4",
            env_name("audio", "output_device"): "pulse",
            env_name("conversation", "mode"): "HANDS_FREE",
            env_name("budgets", "voice_to_voice"): "1.2",
            env_name("prices", "llm_per_million_tokens"): "0.85",
            env_name("privacy", "keep_history"): "no",
            env_name("voice", "voice_name"): "Bella",
            "CEREBRAS_BASE_URL": "http://127.0.0.1:9000/v1",
            "ELEVENLABS_BASE_URL": "wss://eu.example.com",
        }
    )
    settings, problems = store_at(config_dir, env).load()
    assert problems == []
    assert settings.audio.echo_cancellation is False
    assert settings.audio.input_device == 4 and settings.audio.output_device == "pulse"
    assert settings.conversation.mode is TurnMode.HANDS_FREE
    assert settings.budgets[Stage.VOICE_TO_VOICE] == 1.2
    assert settings.prices.llm_per_million_tokens == 0.85
    assert settings.privacy.keep_history is False
    assert settings.voice.voice_name == "Bella"
    assert settings.providers.url(Provider.LLM) == "http://127.0.0.1:9000/v1"
    assert settings.providers.tts_url == "wss://eu.example.com"


def test_bad_overrides_are_ignored_with_a_sentence(config_dir, make_env):
    (config_dir / "settings.json").write_text(json.dumps({"models": {"temperature": 0.5}}))
    env = make_env(
        DESKTOP_AGENT_MODELS__TEMPERATURE="hot",
        DESKTOP_AGENT_MODELS__TEMPRATURE="0.1",
        DESKTOP_AGENT_NOPE="1",
        CEREBRAS_BASE_URL="http://api.example.com/v1",
    )
    settings, problems = store_at(config_dir, env).load()
    assert settings.models.temperature == 0.5
    assert settings.providers.llm_url == ""
    assert (
        "DESKTOP_AGENT_MODELS__TEMPERATURE (from the environment) is 'hot', which is not a number; it is ignored "
        "and 0.5 is used." in problems
    )
    assert any(p.startswith("DESKTOP_AGENT_MODELS__TEMPRATURE does not name a setting") for p in problems)
    assert any(p.startswith("DESKTOP_AGENT_NOPE does not name a setting") for p in problems)
    assert any("CEREBRAS_BASE_URL" in p and "use https:// so the API key travels encrypted" in p for p in problems)


def test_saving_never_writes_an_overridden_value_into_the_file(config_dir, make_env):
    path = config_dir / "settings.json"
    path.write_text(json.dumps({"models": {"temperature": 0.5, "max_tokens": 120}}))
    store = store_at(config_dir, make_env(DESKTOP_AGENT_MODELS__TEMPERATURE="1.5"))
    settings, _ = store.load()
    settings.models.max_tokens = 222
    store.save(settings)
    saved = json.loads(path.read_text())
    assert saved["models"]["temperature"] == 0.5
    assert saved["models"]["max_tokens"] == 222


def test_dotenv_lines_that_cannot_be_read_are_reported(config_dir, make_env):
    env = make_env(dotenv="DESKTOP_AGENT_MODELS__MAX_TOKENS=90\nthis is not a setting\nA='unclosed\n")
    settings, problems = store_at(config_dir, env).load()
    assert settings.models.max_tokens == 90
    dotenv = (config_dir / ".env").resolve()
    assert f"Line 2 of {dotenv} is not of the form NAME=value, so it is ignored." in problems
    assert f"Line 3 of {dotenv} (A) has an unclosed quote, so it is ignored." in problems


def test_api_key_in_the_file_moves_out_and_the_rest_stays(config_dir, make_env, no_keyring_secrets):
    """No keyring here (keyring's fail backend), so the key goes to the config directory's private .env file."""
    path = config_dir / "settings.json"
    path.write_text(json.dumps({"models": {"max_tokens": 111}, "keys": {"cerebras_api_key": "csk-moved-9876543"}}))
    secrets = no_keyring_secrets()
    settings, problems = SettingsStore(path, make_env(), secrets).load()

    assert settings.models.max_tokens == 111
    assert "csk-moved-9876543" not in path.read_text()
    assert json.loads(path.read_text()) == {"schema_version": 1, "models": {"max_tokens": 111}}
    dotenv = config_dir / ".env"
    assert dotenv.read_text() == "CEREBRAS_API_KEY=csk-moved-9876543\n"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    assert secrets.get(providers.get("cerebras")) == "csk-moved-9876543"
    assert len(problems) == 1
    assert problems[0].startswith("The settings file held the Cerebras API key (“keys.cerebras_api_key”)")
    assert "csk-moved-9876543" not in problems[0]


def test_without_a_secrets_store_a_key_in_the_file_is_left_alone(config_dir, make_env):
    path = config_dir / "settings.json"
    original = {"providers": {"tts_api_key": "xi-left-alone-123"}, "misc": {"session_token": "abc123456"}}
    path.write_text(json.dumps(original))
    settings, problems = store_at(config_dir, make_env()).load()
    assert json.loads(path.read_text()) == original
    assert any("ElevenLabs API key (“providers.tts_api_key”)" in p and "Settings > Keys" in p for p in problems)
    assert any("looks like a secret (“misc.session_token”)" in p for p in problems)
    assert all("xi-left-alone-123" not in p and "abc123456" not in p for p in problems)


def test_every_listed_override_variable_is_understood(config_dir, make_env):
    """Each documented variable, set to its setting's default, is accepted without a problem."""
    from desktop_agent.config import schema
    from desktop_agent.config.settings import override_variables

    defaults = schema.encode(AppSettings())
    variables = override_variables()
    names = [name for name, _ in variables]
    assert len(names) == len(set(names)) and "DESKTOP_AGENT_MODELS__TEMPERATURE" in names
    environ = {}
    for name, _ in variables:
        if not name.startswith("DESKTOP_AGENT_"):
            continue
        section, field = name[len("DESKTOP_AGENT_"):].lower().split("__")
        value = defaults[section][field]
        environ[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    store = store_at(config_dir, make_env(**environ))
    settings, problems = store.load()
    assert problems == []
    assert settings == AppSettings()
    assert len(store.overrides) == len(environ)
