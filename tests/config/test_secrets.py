"""Secrets: the real Secret Service keyring, environment overrides, and the no-keyring fallback."""

from __future__ import annotations

import json
import uuid

import keyring
import pytest

from desktop_agent import providers
from desktop_agent.config.logging_setup import configure_logging
from desktop_agent.config.secrets import KEYRING_SERVICE, KeySource, Secrets, SecretsError
from desktop_agent.config.settings import SettingsStore
from desktop_agent.state.events import Provider

#: The default provider of each role; each has its own keyring entry.
STT, LLM, TTS = DEFAULTS = tuple(providers.default_for(role) for role in Provider)


def unique_key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def test_keys_round_trip_through_secret_service_and_never_reach_settings_or_log(
    secret_service_keyring, config_dir, make_env, tmp_path, restore_logging
):
    log_file = configure_logging("DEBUG", log_dir=tmp_path / "logs", to_stderr=False)
    env = make_env()
    secrets = Secrets(environment=env, config_dir=config_dir)
    assert secrets.available and secrets.backend_name == "keyring.backends.SecretService.Keyring"
    keys = {provider: unique_key(provider.id) for provider in DEFAULTS}
    try:
        for provider, key in keys.items():
            assert secrets.set(provider, f"  {key}\n") is KeySource.KEYRING  # pasted with whitespace
        # A fresh instance (a restart) reads them back from the keyring itself.
        again = Secrets(environment=env, config_dir=config_dir)
        for provider, key in keys.items():
            assert again.get(provider) == key
            assert again.source(provider) is KeySource.KEYRING
            assert keyring.get_password(KEYRING_SERVICE, provider.keyring_name) == key

        store = SettingsStore(config_dir / "settings.json", env, again)
        settings, problems = store.load()
        assert problems == []
        store.save(settings)
        from loguru import logger

        for provider, key in keys.items():  # a careless log line and a header dump: both must be redacted
            logger.info("testing {} with key {}", provider.id, key)
            logger.debug("request headers {}", {"xi-api-key": key, "Authorization": f"Bearer {key}"})
        import logging

        logging.getLogger("aiohttp.client").warning("stdlib says %s", keys[LLM])

        settings_text = (config_dir / "settings.json").read_text()
        log_text = log_file.read_text()
        assert "testing cartesia with key [redacted]" in log_text
        assert "stdlib says [redacted]" in log_text
        for key in keys.values():
            assert key not in settings_text
            assert key not in log_text
        assert [p.name for p in config_dir.iterdir()] == ["settings.json"]
    finally:
        for provider in DEFAULTS:
            secrets.delete(provider)
    assert all(Secrets(environment=env, config_dir=config_dir).get(p) is None for p in DEFAULTS)


def test_a_key_found_in_the_settings_file_moves_into_the_keyring(secret_service_keyring, config_dir, make_env):
    key = unique_key("xi")
    path = config_dir / "settings.json"
    path.write_text(json.dumps({"elevenlabs_api_key": key, "voice": {"voice_name": "Bella"}}))
    secrets = Secrets(environment=make_env(), config_dir=config_dir)
    try:
        settings, problems = SettingsStore(path, make_env(), secrets).load()
        assert key not in path.read_text()
        assert settings.voice.voice_name == "Bella"
        assert keyring.get_password(KEYRING_SERVICE, "elevenlabs") == key
        assert problems == [
            "The settings file held the ElevenLabs API key (“elevenlabs_api_key”); settings files are no place for "
            "keys, so it was moved to the system keyring and removed from the file."
        ]
        assert not (config_dir / ".env").exists()
    finally:
        secrets.delete(TTS)


def test_environment_and_dotenv_keys_win_over_the_keyring(secret_service_keyring, config_dir, make_env):
    stored = Secrets(environment=make_env(), config_dir=config_dir)
    stored.set(LLM, "csk-in-keyring-123")
    stored.set(TTS, "xi-in-keyring-123")
    try:
        secrets = Secrets(
            environment=make_env(dotenv="ELEVENLABS_API_KEY=xi-from-dotenv-1\n", CEREBRAS_API_KEY="csk-from-env-1"),
            config_dir=config_dir,
        )
        assert secrets.get(LLM) == "csk-from-env-1" and secrets.source(LLM) is KeySource.ENV
        assert secrets.get(TTS) == "xi-from-dotenv-1"
        assert secrets.env_origin(TTS) == str((config_dir / ".env").resolve())
        assert secrets.env_origin(LLM) == "the environment"
        assert secrets.get(STT) is None and secrets.source(STT) is None
    finally:
        stored.delete(LLM)
        stored.delete(TTS)


def test_without_a_keyring_keys_are_kept_for_the_session_only(no_keyring_secrets):
    secrets = no_keyring_secrets()
    assert not secrets.available
    assert secrets.unavailable_reason.startswith("No system keyring is available")
    assert "for this session only" in secrets.unavailable_reason
    assert secrets.get(STT) is None
    assert secrets.set(STT, "sk-session-12345") is KeySource.SESSION
    assert secrets.get(STT) == "sk-session-12345" and secrets.source(STT) is KeySource.SESSION
    assert no_keyring_secrets().get(STT) is None, "a new session does not see it"
    secrets.delete(STT)
    assert secrets.get(STT) is None


def test_session_only_is_honoured_even_with_a_keyring(secret_service_keyring, config_dir, make_env):
    secrets = Secrets(environment=make_env(), config_dir=config_dir)
    assert secrets.set(STT, "sk-only-now-123", session_only=True) is KeySource.SESSION
    assert keyring.get_password(KEYRING_SERVICE, "cartesia") is None
    assert secrets.get(STT) == "sk-only-now-123"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("   ", "The Cartesia key is empty; paste the key from your Cartesia account."),
        ("sk-one two", "The Cartesia key contains spaces or line breaks; check that you copied only the key."),
    ],
)
def test_unusable_keys_are_refused_with_a_sentence(no_keyring_secrets, key, message):
    with pytest.raises(SecretsError) as error:
        no_keyring_secrets().set(STT, key)
    assert str(error.value) == message
