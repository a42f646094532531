"""Settings > Providers & keys: which provider plays each role, where keys are kept, and each provider's key row.

Per role (speech to text, language model, text to speech) a list of the providers that can play it and the
chosen one's :class:`KeyRow` (key in the keyring with Test, and its address). Choosing another provider saves the
choice with that provider's own default model (and, for text to speech, its voice and price): a model or voice of
one vendor means nothing to another.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from desktop_agent import providers
from desktop_agent.config.secrets import KEY_VARIABLES, Secrets
from desktop_agent.config.settings import AppSettings, choose_provider, endpoint_problem, set_endpoint
from desktop_agent.providers import ProviderSpec
from desktop_agent.state.events import Provider
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.key_row import KeyRow
from desktop_agent.ui.untrusted_text import plain_label

ROLE_TITLES = {Provider.STT: "Speech to text", Provider.LLM: "Language model", Provider.TTS: "Text to speech"}


class KeysPage(QWidget):
    """Emits ``keys_changed()`` after a key is saved or removed, ``endpoints_changed()`` after an endpoint edit and
    ``provider_changed(role)`` after another provider was chosen for a role."""

    keys_changed = Signal()
    endpoints_changed = Signal()
    provider_changed = Signal(object)
    fallback_changed = Signal()

    def __init__(
        self, settings: AppSettings, secrets: Secrets, runner: AsyncRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._secrets = secrets
        self._runner = runner
        self.keyring_label = plain_label(QLabel())  # may carry the keyring's reason
        self.keyring_label.setWordWrap(True)
        self.session_only = QCheckBox("Keep keys I save now for this session only")
        self.session_only.toggled.connect(self._session_only_toggled)
        self.choosers: dict[Provider, QComboBox] = {}
        choices = QFormLayout()
        for role in Provider:
            combo = QComboBox()
            combo.setAccessibleName(f"{ROLE_TITLES[role]} provider")
            for spec in providers.for_role(role):
                combo.addItem(spec.display_name, spec.id)
                combo.setItemData(combo.count() - 1, spec.summary, 3)  # Qt.ToolTipRole
            combo.setCurrentIndex(max(0, combo.findData(settings.providers.spec(role).id)))
            combo.currentIndexChanged.connect(partial(self._chosen, role))
            self.choosers[role] = combo
            choices.addRow(ROLE_TITLES[role], combo)
            if role is Provider.LLM:
                self.fallback_chooser = QComboBox()
                self.fallback_chooser.setAccessibleName("Language model fallback")
                self.fallback_chooser.setToolTip("Answers a turn the chosen language model failed, until it is back.")
                self._fill_fallbacks()
                self.fallback_chooser.currentIndexChanged.connect(self._fallback_chosen)
                choices.addRow("When it fails", self.fallback_chooser)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(choices)
        self._layout.addWidget(self.keyring_label)
        self._layout.addWidget(self.session_only)
        self.rows: dict[Provider, KeyRow] = {}
        for role in Provider:
            self._add_row(role)
        self.fallback_row: KeyRow | None = None
        self._show_fallback_row()
        self._layout.addStretch(1)
        self._show_keyring_state()

    def _add_row(self, role: Provider) -> None:
        spec = self._settings.providers.spec(role)
        row = KeyRow(
            spec,
            self._secrets,
            self._settings.providers.url(role),
            partial(endpoint_problem, role, name=spec.display_name),
            self._runner,
        )
        row.set_session_only(self.session_only.isChecked())
        row.key_changed.connect(self._key_changed)
        row.endpoint_edited.connect(partial(self._endpoint_edited, role))
        old = self.rows.get(role)
        if old is None:
            self._layout.addWidget(row)
        else:
            self._layout.replaceWidget(old, row)
            old.deleteLater()
        self.rows[role] = row

    def _chosen(self, role: Provider, _index: int) -> None:
        provider_id = self.choosers[role].currentData()
        if provider_id == self._settings.providers.chosen(role):
            return
        choose_provider(self._settings, providers.get(provider_id))
        self._add_row(role)
        if role is Provider.LLM:
            self._fill_fallbacks()
            self._show_fallback_row()
        self.provider_changed.emit(role)

    # ------------------------------------------------------------------------------------------------ fallback
    def _fill_fallbacks(self) -> None:
        """ "None" and every language model provider but the chosen one."""
        combo = self.fallback_chooser
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("No fallback", "")
        for spec in providers.for_role(Provider.LLM):
            if spec.id != self._settings.providers.llm:
                combo.addItem(spec.display_name, spec.id)
        combo.setCurrentIndex(max(0, combo.findData(self._settings.providers.llm_fallback)))
        combo.blockSignals(False)

    def _fallback_chosen(self, _index: int) -> None:
        provider_id = self.fallback_chooser.currentData() or ""
        if provider_id == self._settings.providers.llm_fallback:
            return
        self._settings.providers.llm_fallback = provider_id
        self._show_fallback_row()
        self.fallback_changed.emit()

    def _show_fallback_row(self) -> None:
        """The fallback's key (it answers at its own address)."""
        if self.fallback_row is not None:
            self._layout.removeWidget(self.fallback_row)
            self.fallback_row.deleteLater()
            self.fallback_row = None
        fallback = self._settings.providers.llm_fallback
        if not fallback or fallback == self._settings.providers.llm:
            return
        spec = providers.get(fallback)
        row = KeyRow(
            spec,
            self._secrets,
            "",
            partial(endpoint_problem, Provider.LLM, name=spec.display_name),
            self._runner,
            show_endpoint=False,
        )
        row.setTitle(f"Fallback: {row.title()}")
        row.set_session_only(self.session_only.isChecked())
        row.key_changed.connect(self._key_changed)
        self._layout.insertWidget(self._layout.indexOf(self.rows[Provider.TTS]) + 1, row)
        self.fallback_row = row

    def _show_keyring_state(self) -> None:
        if self._secrets.available:
            self.keyring_label.setText(
                "Keys are kept in the system keyring, never in the settings file. Environment variables "
                f"({', '.join(KEY_VARIABLES)}) override them."
            )
            self.session_only.setEnabled(True)
        else:
            self.keyring_label.setText(self._secrets.unavailable_reason)
            self.session_only.setChecked(True)
            self.session_only.setEnabled(False)

    def _session_only_toggled(self, checked: bool) -> None:
        for row in [*self.rows.values(), *([self.fallback_row] if self.fallback_row is not None else [])]:
            row.set_session_only(checked)

    def _key_changed(self, _spec: ProviderSpec) -> None:
        self._show_keyring_state()  # a failing keyring is noticed on use
        self.keys_changed.emit()

    def _endpoint_edited(self, role: Provider, _spec: ProviderSpec, url: str) -> None:
        if self._settings.providers.url(role) == url:
            return
        set_endpoint(self._settings, role, url)
        self.endpoints_changed.emit()
