"""API keys: the OS keyring first, environment variables (and ``.env`` files) as overrides, session-only as a fallback.

Keys live under the keyring service ``desktop-agent`` with the provider's ``keyring_name`` as user name (one key per
vendor, whichever roles it plays). Each provider's variable (``ProviderSpec.key_variable``, ``<VENDOR>_API_KEY``) wins
over the keyring. Where no keyring backend works (e.g. Linux without a Secret Service), :attr:`Secrets.available` is
False, :attr:`Secrets.unavailable_reason` says so in a sentence, and keys can still be used for this session only.

Every key this class sees is registered with the log redaction filter; no message here ever contains a key.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path

import keyring
import keyring.errors
from keyring.backends import fail
from loguru import logger

from desktop_agent import providers
from desktop_agent.config import paths
from desktop_agent.config.atomic import write_text_atomic
from desktop_agent.config.environment import Environment, parse_dotenv
from desktop_agent.config.local_files import error_words
from desktop_agent.config.logging_setup import add_redaction
from desktop_agent.providers import ProviderSpec

KEYRING_SERVICE = "desktop-agent"
KEY_VARIABLES: tuple[str, ...] = providers.key_variables()

NO_KEYRING = (
    "No system keyring is available (on Linux, a Secret Service such as GNOME Keyring or KWallet must be running "
    "and unlocked), so keys you enter are kept for this session only; to keep them, set {variables} in the "
    "environment or in a .env file."
).format(variables=", ".join(KEY_VARIABLES))


class KeySource(enum.StrEnum):
    ENV = "env"
    KEYRING = "keyring"
    SESSION = "session"


class SecretsError(Exception):
    """A key could not be stored; the message is a sentence for the user and never contains the key."""


class Secrets:
    """The providers' API keys; see the module docstring for where each comes from."""

    def __init__(
        self,
        environment: Environment | None = None,
        backend: keyring.backend.KeyringBackend | None = None,
        config_dir: Path | None = None,
    ) -> None:
        self.config_dir = paths.config_dir() if config_dir is None else config_dir
        self._env = environment if environment is not None else Environment.load(config_dir=self.config_dir)
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._session: dict[str, str] = {}  # by keyring name
        # Keyring reads are cached: each is a D-Bus round trip, and on a desktop the first one may wait for the
        # user to unlock the keyring. set/delete keep the cache right; refresh() forgets it.
        self._cache: dict[str, str | None] = {}
        self.backend_name = f"{type(self._backend).__module__}.{type(self._backend).__name__}"
        self.unavailable_reason = ""
        if isinstance(self._backend, fail.Keyring) or _priority(self._backend) <= 0:
            self.unavailable_reason = NO_KEYRING
        add_redaction(v for v in (self._env_key(p) for p in providers.all_providers()) if v)

    @property
    def available(self) -> bool:
        """Whether keys can be kept in a system keyring across sessions."""
        return not self.unavailable_reason

    # ------------------------------------------------------------------------------------------------ reading
    def get(self, provider: ProviderSpec) -> str | None:
        """The key in use for ``provider``: environment, then this session's, then the keyring's; None if none."""
        source = self.source(provider)
        if source is KeySource.ENV:
            return self._env_key(provider)
        if source is KeySource.SESSION:
            return self._session[provider.keyring_name]
        if source is KeySource.KEYRING:
            return self._keyring_key(provider)
        return None

    def source(self, provider: ProviderSpec) -> KeySource | None:
        if self._env_key(provider):
            return KeySource.ENV
        if provider.keyring_name in self._session:
            return KeySource.SESSION
        if self._keyring_key(provider):
            return KeySource.KEYRING
        return None

    def env_variable(self, provider: ProviderSpec) -> str:
        return provider.key_variable or ""

    def env_origin(self, provider: ProviderSpec) -> str:
        """Where the overriding variable came from ("the environment" or a .env path); "" when not set."""
        return self._env.origin(provider.key_variable or "") if self._env_key(provider) else ""

    def values(self) -> list[str]:
        """Every key currently known (for the log redaction filter)."""
        return [key for key in (self.get(p) for p in providers.all_providers()) if key]

    def _env_key(self, provider: ProviderSpec) -> str | None:
        value = (self._env.get(provider.key_variable) or "").strip() if provider.key_variable else ""
        return value or None

    def refresh(self) -> None:
        """Read the keyring afresh next time (another program may have changed it)."""
        self._cache.clear()

    def _keyring_key(self, provider: ProviderSpec) -> str | None:
        if not self.available:
            return None
        if provider.keyring_name in self._cache:
            return self._cache[provider.keyring_name]
        try:
            value = self._backend.get_password(KEYRING_SERVICE, provider.keyring_name)
        except Exception as exc:  # noqa: BLE001 - backends raise their own types (D-Bus, locked, ...): all "unusable"
            self._lose_keyring(exc)
            return None
        if value:
            add_redaction([value])
        self._cache[provider.keyring_name] = value or None
        return value or None

    # ------------------------------------------------------------------------------------------------ writing
    def set(self, provider: ProviderSpec, key: str, session_only: bool = False) -> KeySource:
        """Store ``key`` (surrounding whitespace removed): in the keyring, or for this session only.

        Returns where it went. Raises :class:`SecretsError` for an unusable key; if the keyring refuses, the key is
        kept for this session and :class:`SecretsError` says so.
        """
        key = key.strip()
        name = provider.display_name
        if not key:
            raise SecretsError(f"The {name} key is empty; paste the key from your {name} account.")
        if any(ch.isspace() or not ch.isprintable() for ch in key):
            raise SecretsError(f"The {name} key contains spaces or line breaks; check that you copied only the key.")
        add_redaction([key])
        if session_only or not self.available:
            self._session[provider.keyring_name] = key
            return KeySource.SESSION
        try:
            self._backend.set_password(KEYRING_SERVICE, provider.keyring_name, key)
        except Exception as exc:  # noqa: BLE001 - see _keyring_key
            self._session[provider.keyring_name] = key
            self._lose_keyring(exc)
            raise SecretsError(
                f"The system keyring did not accept the {name} key ({type(exc).__name__}); it is kept for this "
                "session only."
            ) from None
        self._session.pop(provider.keyring_name, None)
        self._cache[provider.keyring_name] = key
        logger.info("Saved the {} key to the system keyring", name)
        return KeySource.KEYRING

    def delete(self, provider: ProviderSpec) -> None:
        """Forget the session key and remove the keyring entry (environment variables are not touched)."""
        self._session.pop(provider.keyring_name, None)
        self._cache.pop(provider.keyring_name, None)
        if not self.available:
            return
        try:
            self._backend.delete_password(KEYRING_SERVICE, provider.keyring_name)
        except keyring.errors.PasswordDeleteError:
            return  # there was none
        except Exception as exc:  # noqa: BLE001 - see _keyring_key
            self._lose_keyring(exc)
            raise SecretsError(
                f"The system keyring did not remove the {provider.display_name} key ({type(exc).__name__})."
            ) from None

    def adopt(self, provider: ProviderSpec, key: str) -> str:
        """Take a key found somewhere unsafe (the settings file) and keep it safely; returns where, as a phrase."""
        try:
            where = self.set(provider, key)
        except SecretsError:
            where = KeySource.SESSION
        if where is KeySource.KEYRING:
            return "moved to the system keyring"
        variable = provider.key_variable or f"{provider.keyring_name.upper().replace('-', '_')}_API_KEY"
        dotenv = self.config_dir / paths.DOTENV_FILE_NAME
        try:
            self._write_dotenv_key(dotenv, variable, key.strip())
        except OSError as exc:
            return (
                f"kept for this session only (no keyring is available and {dotenv} could not be written: "
                f"{error_words(exc)})"
            )
        return f"moved to {dotenv} as {variable} (no system keyring is available; only you can read it)"

    @staticmethod
    def _write_dotenv_key(dotenv: Path, variable: str, key: str) -> None:
        try:
            lines = dotenv.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        kept = [line for line in lines if variable not in parse_dotenv(line)[0]]
        write_text_atomic(dotenv, "\n".join([*kept, f"{variable}={key}"]) + "\n", mode=0o600)
        os.chmod(dotenv, 0o600)

    def _lose_keyring(self, exc: BaseException) -> None:
        logger.warning("The system keyring failed ({}); keys are kept for this session only", type(exc).__name__)
        self.unavailable_reason = (
            f"The system keyring stopped working ({type(exc).__name__}), so keys you enter are kept for this "
            f"session only; to keep them, set {', '.join(KEY_VARIABLES)} in the environment or a .env file."
        )


def _priority(backend: object) -> float:
    try:
        return float(getattr(type(backend), "priority", 1))
    except Exception:  # noqa: BLE001 - keyring signals an unusable backend by raising from the priority property
        return 0.0
