"""Settings > Providers & keys: which provider plays each role, where keys are kept, and each provider's key row.

Per role (speech to text, language model, text to speech) a list of the providers that can play it and the
chosen one's :class:`KeyRow` (key in the keyring with Test, and its address). Choosing another provider saves the
choice with that provider's own default model (and, for text to speech, its voice and price): a model or voice of
one vendor means nothing to another. Each role can also have a fallback, another provider of that role that takes
over when the chosen one fails, with its own key row.
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
FALLBACK_TIPS = {
    Provider.STT: "Hears you when the chosen speech-to-text provider's connection fails, until it is back.",
    Provider.LLM: "Answers a turn the chosen language model failed, until it is back.",
    Provider.TTS: "Speaks in its own default voice when the chosen voice's connection fails, until it is back.",
}


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
        self.fallback_choosers: dict[Provider, QComboBox] = {}
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
            fallback = QComboBox()
            fallback.setAccessibleName(f"{ROLE_TITLES[role]} fallback")
            fallback.setToolTip(FALLBACK_TIPS[role])
            self.fallback_choosers[role] = fallback
            self._fill_fallbacks(role)
            fallback.currentIndexChanged.connect(partial(self._fallback_chosen, role))
            choices.addRow("    When it fails", fallback)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(choices)
        self._layout.addWidget(self.keyring_label)
        self._layout.addWidget(self.session_only)
        self.rows: dict[Provider, KeyRow] = {}
        for role in Provider:
            self._add_row(role)
        self.fallback_rows: dict[Provider, KeyRow] = {}
        for role in Provider:
            self._show_fallback_row(role)
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
        self._fill_fallbacks(role)
        self._show_fallback_row(role)
        self.provider_changed.emit(role)

    # ------------------------------------------------------------------------------------------------ fallback
    @property
    def fallback_chooser(self) -> QComboBox:
        """The language model's fallback list (the one most people set)."""
        return self.fallback_choosers[Provider.LLM]

    @property
    def fallback_row(self) -> KeyRow | None:
        """The language model fallback's key row, if one is chosen."""
        return self.fallback_rows.get(Provider.LLM)

    def _fill_fallbacks(self, role: Provider) -> None:
        """ "No fallback" and every provider of ``role`` but the chosen one that takes turns as it does (a speech to
        text that decides turns itself stands in only for another such)."""
        combo = self.fallback_choosers[role]
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("No fallback", "")
        chosen = self._settings.providers.spec(role)
        for spec in providers.for_role(role):
            if spec.id != chosen.id and spec.decides_turns is chosen.decides_turns:
                combo.addItem(spec.display_name, spec.id)
        combo.setCurrentIndex(max(0, combo.findData(self._settings.providers.fallback(role))))
        combo.blockSignals(False)

    def _fallback_chosen(self, role: Provider, _index: int) -> None:
        provider_id = self.fallback_choosers[role].currentData() or ""
        if provider_id == self._settings.providers.fallback(role):
            return
        self._settings.providers.set_fallback(role, provider_id)
        self._show_fallback_row(role)
        self.fallback_changed.emit()

    def _show_fallback_row(self, role: Provider) -> None:
        """The fallback's key (it works at its own address)."""
        old = self.fallback_rows.pop(role, None)
        if old is not None:
            self._layout.removeWidget(old)
            old.deleteLater()
        fallback = self._settings.providers.fallback(role)
        if not fallback or fallback == self._settings.providers.chosen(role):
            return
        spec = providers.get(fallback)
        row = KeyRow(
            spec,
            self._secrets,
            "",
            partial(endpoint_problem, role, name=spec.display_name),
            self._runner,
            show_endpoint=False,
        )
        row.setTitle(f"Fallback: {row.title()}")
        row.set_session_only(self.session_only.isChecked())
        row.key_changed.connect(self._key_changed)
        after = max(self._layout.indexOf(w) for w in [*self.rows.values(), *self.fallback_rows.values()])
        self._layout.insertWidget(after + 1, row)
        self.fallback_rows[role] = row

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
        for row in [*self.rows.values(), *self.fallback_rows.values()]:
            row.set_session_only(checked)

    def _key_changed(self, _spec: ProviderSpec) -> None:
        self._show_keyring_state()  # a failing keyring is noticed on use
        self.keys_changed.emit()

    def _endpoint_edited(self, role: Provider, _spec: ProviderSpec, url: str) -> None:
        if self._settings.providers.url(role) == url:
            return
        set_endpoint(self._settings, role, url)
        self.endpoints_changed.emit()
