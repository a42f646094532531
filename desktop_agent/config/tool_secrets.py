"""The secret header values of webhook actions (an API key, a bearer token): in the keyring, never in a file.

Each value is kept under the keyring service the API keys use (``desktop-agent``), as the user name
``webhook/<tool>/<header>``. Where no keyring works, values are kept for this session only (as API keys are), and
:attr:`ToolSecrets.available` says so. Every value this class sees is registered with the log redaction filter.
"""

from __future__ import annotations

import keyring
import keyring.errors
from keyring.backends import fail
from loguru import logger

from desktop_agent.config.logging_setup import add_redaction
from desktop_agent.config.secrets import KEYRING_SERVICE, SecretsError


def entry_name(tool: str, header: str) -> str:
    return f"webhook/{tool}/{header.lower()}"


class ToolSecrets:
    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._session: dict[str, str] = {}
        self.available = not isinstance(self._backend, fail.Keyring)

    def get(self, tool: str, header: str) -> str:
        """The header's value, "" when none is kept."""
        name = entry_name(tool, header)
        if name in self._session:
            return self._session[name]
        if not self.available:
            return ""
        try:
            value = self._backend.get_password(KEYRING_SERVICE, name) or ""
        except keyring.errors.KeyringError as exc:
            logger.warning(f"The keyring could not be read for a webhook header: {type(exc).__name__}")
            return ""
        if value:
            add_redaction([value])
        return value

    def set(self, tool: str, header: str, value: str) -> None:
        """Keep ``value`` (in the keyring, or for this session when there is none). Raises :class:`SecretsError`."""
        add_redaction([value])
        name = entry_name(tool, header)
        if not self.available:
            self._session[name] = value
            return
        try:
            self._backend.set_password(KEYRING_SERVICE, name, value)
        except keyring.errors.KeyringError as exc:
            raise SecretsError(
                f"The value of header {header} could not be stored in the keyring ({type(exc).__name__}); "
                "check that the keyring is unlocked and save the action again."
            ) from None
        self._session.pop(name, None)

    def delete(self, tool: str, header: str) -> None:
        name = entry_name(tool, header)
        self._session.pop(name, None)
        if not self.available:
            return
        try:
            self._backend.delete_password(KEYRING_SERVICE, name)
        except keyring.errors.PasswordDeleteError:
            pass  # there was none
        except keyring.errors.KeyringError as exc:
            logger.warning(f"A webhook header's value could not be removed from the keyring: {type(exc).__name__}")
