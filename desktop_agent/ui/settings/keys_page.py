"""Settings > Keys: where keys are kept, and one :class:`KeyRow` per provider."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import AppSettings, endpoint_problem, set_endpoint
from desktop_agent.state.events import Provider
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.key_row import KeyRow
from desktop_agent.ui.untrusted_text import plain_label


class KeysPage(QWidget):
    """Emits ``keys_changed()`` after a key is saved or removed and ``endpoints_changed()`` after an endpoint edit
    (both need a new session to take effect)."""

    keys_changed = Signal()
    endpoints_changed = Signal()

    def __init__(self, settings: AppSettings, secrets: Secrets, runner: AsyncRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._secrets = secrets
        self.keyring_label = plain_label(QLabel())  # may carry the keyring's reason
        self.keyring_label.setWordWrap(True)
        self.session_only = QCheckBox("Keep keys I save now for this session only")
        self.session_only.toggled.connect(self._session_only_toggled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.keyring_label)
        layout.addWidget(self.session_only)
        self.rows: dict[Provider, KeyRow] = {}
        for provider in Provider:
            row = KeyRow(
                provider, secrets, settings.providers.url(provider), partial(endpoint_problem, provider), runner
            )
            row.key_changed.connect(self._key_changed)
            row.endpoint_edited.connect(self._endpoint_edited)
            self.rows[provider] = row
            layout.addWidget(row)
        layout.addStretch(1)
        self._show_keyring_state()

    def _show_keyring_state(self) -> None:
        if self._secrets.available:
            self.keyring_label.setText(
                "Keys are kept in the system keyring, never in the settings file. The environment variables "
                "CARTESIA_API_KEY, CEREBRAS_API_KEY and ELEVENLABS_API_KEY override them."
            )
            self.session_only.setEnabled(True)
        else:
            self.keyring_label.setText(self._secrets.unavailable_reason)
            self.session_only.setChecked(True)
            self.session_only.setEnabled(False)

    def _session_only_toggled(self, checked: bool) -> None:
        for row in self.rows.values():
            row.set_session_only(checked)

    def _key_changed(self, _provider: Provider) -> None:
        self._show_keyring_state()  # a failing keyring is noticed on use
        self.keys_changed.emit()

    def _endpoint_edited(self, provider: Provider, url: str) -> None:
        if self._settings.providers.url(provider) == url:
            return
        set_endpoint(self._settings, provider, url)
        self.endpoints_changed.emit()
