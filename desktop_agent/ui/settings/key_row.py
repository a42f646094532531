"""One provider's API key: a masked field with Show, Save, Test and Remove, its endpoint, and a plain result line."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from desktop_agent.config.key_check import KeyCheckResult, check_key
from desktop_agent.config.secrets import KeySource, Secrets, SecretsError
from desktop_agent.providers import ProviderSpec
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.untrusted_text import plain_label

log = logging.getLogger(__name__)


def how_to_get(spec: ProviderSpec) -> str:
    """The row's title: the provider, its role, and where its key comes from."""
    return f"{spec.display_name} ({spec.role.role_name}): {spec.key_hint}"


class KeyRow(QGroupBox):
    """One provider's key and address. Emits ``key_changed(spec)`` after a save or removal and
    ``endpoint_edited(spec, url)``."""

    key_changed = Signal(object)
    endpoint_edited = Signal(object, str)

    def __init__(
        self,
        provider: ProviderSpec,
        secrets: Secrets,
        endpoint: str,
        endpoint_problem: Callable[[str], str | None],
        runner: AsyncRunner,
        parent: QWidget | None = None,
        *,
        show_endpoint: bool = True,
    ) -> None:
        """``show_endpoint`` False for a provider used at its own address only (a fallback)."""
        super().__init__(how_to_get(provider), parent)
        self.provider = provider
        self._secrets = secrets
        self._runner = runner
        self._endpoint_problem = endpoint_problem
        self.session_only = False
        name = provider.display_name

        self.key_field = QLineEdit()
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_field.setPlaceholderText(
            f"Paste your {name} API key" if provider.key_required else f"Only if your {name} asks for one"
        )
        self.key_field.setAccessibleName(f"{name} API key")
        self.show_button = QToolButton()
        self.show_button.setText("Show")
        self.show_button.setCheckable(True)
        self.show_button.setAccessibleName(f"Show the {name} key")
        self.show_button.toggled.connect(self._toggle_shown)
        self.save_button = QPushButton("Save")
        self.test_button = QPushButton("Test")
        self.remove_button = QPushButton("Remove")
        self.save_button.clicked.connect(self.save)
        self.test_button.clicked.connect(self.test)
        self.remove_button.clicked.connect(self.remove)

        self.endpoint_field = QLineEdit(endpoint)
        self.endpoint_field.setPlaceholderText(f"{provider.default_url} (the default)")
        self.endpoint_field.setAccessibleName(f"{name} endpoint")
        self.endpoint_field.editingFinished.connect(self._endpoint_finished)

        self.source_label = plain_label(QLabel())  # names a .env path
        self.source_label.setWordWrap(True)
        self.result_label = plain_label(QLabel())  # may quote the provider's answer
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName(f"{name} key test result")

        buttons = QHBoxLayout()
        for button in (self.show_button, self.save_button, self.test_button, self.remove_button):
            buttons.addWidget(button)
        grid = QGridLayout(self)
        grid.addWidget(QLabel("Key"), 0, 0)
        grid.addWidget(self.key_field, 0, 1)
        grid.addLayout(buttons, 0, 2)
        if show_endpoint:
            grid.addWidget(QLabel("Endpoint"), 1, 0)
            grid.addWidget(self.endpoint_field, 1, 1, 1, 2)
        else:
            self.endpoint_field.hide()
        grid.addWidget(self.source_label, 2, 1, 1, 2)
        grid.addWidget(self.result_label, 3, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        self.refresh()

    # ------------------------------------------------------------------------------------------------ state
    def refresh(self) -> None:
        """Show the key in use (masked) and where it comes from."""
        self.key_field.setText(self._secrets.get(self.provider) or "")
        self.source_label.setText(self.source_text())
        self.save_button.setText("Use for this session" if self._saves_to_session() else "Save to keyring")
        env = self._secrets.source(self.provider) is KeySource.ENV
        self.remove_button.setEnabled(self._secrets.source(self.provider) in (KeySource.KEYRING, KeySource.SESSION))
        self.key_field.setReadOnly(env)

    def source_text(self) -> str:
        source = self._secrets.source(self.provider)
        if source is KeySource.ENV:
            variable = self._secrets.env_variable(self.provider)
            return (
                f"Set by {variable} in {self._secrets.env_origin(self.provider)}; that value wins over the keyring, "
                "so change it there."
            )
        if source is KeySource.KEYRING:
            return "Saved in the system keyring."
        if source is KeySource.SESSION:
            return "Kept for this session only; it will be gone when the app closes."
        return "No key yet." if self.provider.key_required else "No key: none is needed on this computer."

    def set_session_only(self, session_only: bool) -> None:
        self.session_only = session_only
        self.save_button.setText("Use for this session" if self._saves_to_session() else "Save to keyring")

    def _saves_to_session(self) -> bool:
        return self.session_only or not self._secrets.available

    def _toggle_shown(self, shown: bool) -> None:
        self.key_field.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_button.setText("Hide" if shown else "Show")

    def _show_result(self, ok: bool, text: str) -> None:
        self.result_label.setText(("✓ " if ok else "✗ ") + text)
        self.result_label.setProperty("ok", ok)

    # ------------------------------------------------------------------------------------------------ actions
    def save(self) -> None:
        try:
            where = self._secrets.set(self.provider, self.key_field.text(), session_only=self._saves_to_session())
        except SecretsError as exc:
            self._show_result(False, str(exc))
            self.source_label.setText(self.source_text())
            self.set_session_only(self.session_only)
            return
        self._show_result(
            True, "Saved in the system keyring." if where is KeySource.KEYRING else "Kept for this session only."
        )
        self.refresh()
        self.key_changed.emit(self.provider)

    def remove(self) -> None:
        try:
            self._secrets.delete(self.provider)
        except SecretsError as exc:
            self._show_result(False, str(exc))
            return
        self._show_result(True, f"The {self.provider.display_name} key was removed.")
        self.refresh()
        self.key_changed.emit(self.provider)

    def test(self) -> None:
        problem = self._endpoint_problem(self.endpoint_field.text().strip())
        if problem:
            self._show_result(False, problem)
            return
        self.test_button.setEnabled(False)
        self.result_label.setText(f"Testing the {self.provider.display_name} key…")
        self._runner.start(
            f"test:{self.provider.id}",
            check_key(self.provider, self.key_field.text(), self.endpoint_field.text().strip()),
            self._tested,
            self._test_failed,
        )

    def _tested(self, result: KeyCheckResult) -> None:
        log.info("Key test for %s: %s", self.provider.display_name, result.status.value)
        self.test_button.setEnabled(True)
        self._show_result(result.ok, result.message)

    def _test_failed(self, message: str) -> None:
        self.test_button.setEnabled(True)
        self._show_result(False, message)

    def _endpoint_finished(self) -> None:
        url = self.endpoint_field.text().strip()
        problem = self._endpoint_problem(url)
        if problem:
            self._show_result(False, problem)
            return
        self.endpoint_edited.emit(self.provider, url)
