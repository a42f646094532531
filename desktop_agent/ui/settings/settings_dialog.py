"""The settings panel: a non-modal dialog with a page list on the left and the chosen page on the right.

It edits the app's live :class:`AppSettings` in place, saves after every change (atomically, through
:class:`SettingsStore`) and re-emits each page's change as a typed signal, so ``app.py`` can hand it to the running
session. Settings set by environment variables are listed at the top: their file values are kept on save.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Any

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.config.engine_config import resolve_endpoint
from desktop_agent.config.llm_models import ModelListError
from desktop_agent.config.local_files import error_words
from desktop_agent.config.pcm_player import PcmPlayer, PlaybackError
from desktop_agent.config.prompts import PromptLibrary
from desktop_agent.config.secrets import Secrets, SecretsError
from desktop_agent.config.settings import AppSettings, SettingsStore
from desktop_agent.config.tool_secrets import ToolSecrets
from desktop_agent.config.tools import TOOLS_FILE_NAME, McpUnavailable, ToolLibrary
from desktop_agent.config.voices import VoiceError
from desktop_agent.engine.audio_backend import AudioBackend, AudioDeviceError, SoundDeviceBackend
from desktop_agent.state.events import Provider
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.audio_page import AudioPage
from desktop_agent.ui.settings.budgets_page import BudgetsPage
from desktop_agent.ui.settings.desktop_page import DesktopPage
from desktop_agent.ui.settings.keys_page import KeysPage
from desktop_agent.ui.settings.models_page import ModelsPage
from desktop_agent.ui.settings.prices_page import PricesPage
from desktop_agent.ui.settings.privacy_page import PrivacyPage
from desktop_agent.ui.settings.prompts_page import PromptsPage
from desktop_agent.ui.settings.tools_page import ToolsPage
from desktop_agent.ui.settings.voice_page import VoicePage
from desktop_agent.ui.untrusted_text import plain_label, shown_text


class SettingsPage(enum.Enum):
    KEYS = "Providers & keys"
    VOICE = "Voice"
    PROMPTS = "Prompts"
    MODELS = "Models & language"
    AUDIO = "Audio"
    BUDGETS = "Latency budgets"
    PRICES = "Prices"
    PRIVACY = "Privacy"
    DESKTOP = "Desktop"
    TOOLS = "Tools"


class SettingsDialog(QDialog):
    """See the module docstring. Signals that apply to the running session:

    ``voice_changed(voice_id, name)``, ``prompt_changed(text, name)``, ``llm_changed(model, temperature,
    max_tokens)``, ``devices_changed(input, output)``, ``echo_changed(echo_cancellation, noise_suppression)``,
    ``mode_changed(TurnMode)``, ``vad_changed(confidence, stop_secs)``, ``push_to_talk_key_changed(key)``; for the
    window: ``budgets_changed(dict)``, ``prices_changed(PriceTable)``, ``spending_changed(SpendingLimits)``; for
    storage: ``history_settings_changed(keep, days)``, ``summaries_changed(on)``, ``summary_fields_changed()``,
    ``delete_history_requested()``; for the app: ``desktop_changed(close_to_tray, sound_cues)``; ``keys_changed()``
    and ``restart_needed(reason)`` for what needs a new session; ``provider_changed(role)`` after another provider
    was chosen for a role (its model, address, price and voice reset to that provider's defaults);
    ``settings_saved(AppSettings)`` after every save.
    """

    voice_changed = Signal(str, str)
    prompt_changed = Signal(str, str)
    llm_changed = Signal(str, float, int)
    devices_changed = Signal(object, object)
    echo_changed = Signal(bool, bool)
    mode_changed = Signal(object)
    vad_changed = Signal(float, float)
    push_to_talk_key_changed = Signal(str)
    budgets_changed = Signal(object)
    prices_changed = Signal(object)
    spending_changed = Signal(object)
    history_settings_changed = Signal(bool, int)
    summaries_changed = Signal(bool)
    summary_fields_changed = Signal()
    delete_history_requested = Signal()
    desktop_changed = Signal(bool, bool)
    keys_changed = Signal()
    provider_changed = Signal(object)
    restart_needed = Signal(str)
    settings_saved = Signal(object)

    def __init__(
        self,
        store: SettingsStore,
        settings: AppSettings,
        secrets: Secrets,
        prompts: PromptLibrary,
        simulator: Any = None,
        audio_backend: AudioBackend | None = None,
        problems: list[str] | tuple[str, ...] = (),
        tray_available: bool | None = None,
        tools: ToolLibrary | None = None,
        tool_secrets: ToolSecrets | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setModal(False)
        self.resize(820, 600)
        self.store = store
        self.settings = settings
        self.runner = AsyncRunner(
            self, expected=(VoiceError, ModelListError, PlaybackError, AudioDeviceError, SecretsError, McpUnavailable)
        )
        self.player = PcmPlayer()
        self._stopping_tests: asyncio.Future | None = None  # the microphone test stopping as the panel closes

        self.keys_page = KeysPage(settings, secrets, self.runner)
        self.voice_page = VoicePage(
            settings, lambda: resolve_endpoint(Provider.TTS, settings, secrets, simulator), self.runner, self.player
        )
        self.prompts_page = PromptsPage(settings, prompts)
        self.models_page = ModelsPage(
            settings, lambda: resolve_endpoint(Provider.LLM, settings, secrets, simulator), self.runner
        )
        self.audio_page = AudioPage(settings, audio_backend or SoundDeviceBackend(), self.runner, self.player)
        self.budgets_page = BudgetsPage(settings)
        self.prices_page = PricesPage(settings)
        self.privacy_page = PrivacyPage(settings)
        self.desktop_page = DesktopPage(settings, tray_available)
        self.tools_page = ToolsPage(
            tools if tools is not None else ToolLibrary(store.path.parent / TOOLS_FILE_NAME),
            tool_secrets if tool_secrets is not None else ToolSecrets(),
            self.runner,
        )
        self._pages: dict[SettingsPage, QWidget] = {
            SettingsPage.KEYS: self.keys_page,
            SettingsPage.VOICE: self.voice_page,
            SettingsPage.PROMPTS: self.prompts_page,
            SettingsPage.MODELS: self.models_page,
            SettingsPage.AUDIO: self.audio_page,
            SettingsPage.BUDGETS: self.budgets_page,
            SettingsPage.PRICES: self.prices_page,
            SettingsPage.PRIVACY: self.privacy_page,
            SettingsPage.DESKTOP: self.desktop_page,
            SettingsPage.TOOLS: self.tools_page,
        }

        self.notice_label = plain_label(QLabel())  # quotes values from the settings and prompt files
        self.notice_label.setWordWrap(True)
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = plain_label(QLabel())
        self.status_label.setWordWrap(True)
        self.page_list = QListWidget()
        self.page_list.setAccessibleName("Settings pages")
        self.page_list.setMaximumWidth(190)
        self.stack = QStackedWidget()
        for page, widget in self._pages.items():
            self.page_list.addItem(page.value)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(widget)
            self.stack.addWidget(scroll)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice_label)
        layout.addLayout(body, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.status_label, 1)
        footer.addWidget(buttons)
        layout.addLayout(footer)
        self._show_notice(list(problems))
        self._connect_pages()
        self.page_list.setCurrentRow(0)

    # ------------------------------------------------------------------------------------------------ wiring
    def _connect_pages(self) -> None:
        forward = (
            (self.voice_page.voice_applied, self.voice_changed),
            (self.prompts_page.prompt_applied, self.prompt_changed),
            (self.models_page.llm_changed, self.llm_changed),
            (self.audio_page.devices_changed, self.devices_changed),
            (self.audio_page.echo_changed, self.echo_changed),
            (self.audio_page.mode_changed, self.mode_changed),
            (self.audio_page.vad_changed, self.vad_changed),
            (self.audio_page.push_to_talk_key_changed, self.push_to_talk_key_changed),
            (self.budgets_page.budgets_changed, self.budgets_changed),
            (self.prices_page.prices_changed, self.prices_changed),
            (self.prices_page.spending.limits_changed, self.spending_changed),
            (self.privacy_page.history_settings_changed, self.history_settings_changed),
            (self.privacy_page.summaries_changed, self.summaries_changed),
            (self.privacy_page.summary_fields_changed, self.summary_fields_changed),
            (self.desktop_page.desktop_changed, self.desktop_changed),
        )
        for source, target in forward:
            source.connect(lambda *args, target=target: self._save_then(target, *args))
        self.models_page.language_changed.connect(self.voice_page.set_language)
        self.models_page.language_changed.connect(lambda _code: self.save())
        for source in (self.models_page.restart_needed, self.audio_page.restart_needed):
            source.connect(lambda reason: self._save_then(self.restart_needed, reason))
        self.keys_page.endpoints_changed.connect(
            lambda: self._save_then(self.restart_needed, "New endpoints apply from the next session.")
        )
        self.keys_page.keys_changed.connect(self.keys_changed)
        self.tools_page.tools_changed.connect(lambda: self.restart_needed.emit("Tools apply from the next session."))
        self.keys_page.provider_changed.connect(self._provider_changed)
        self.keys_page.fallback_changed.connect(
            lambda: self._save_then(self.restart_needed, "The fallback applies from the next session.")
        )
        self.privacy_page.delete_history_requested.connect(self.delete_history_requested)

    def _provider_changed(self, role: Provider) -> None:
        """Another provider plays ``role``: the pages that show its models, voices and prices show the new one's."""
        self.models_page.provider_changed()
        self.voice_page.provider_changed()
        self.prices_page.refresh()
        self._save_then(self.provider_changed, role)

    def _save_then(self, signal: SignalInstance, *args: Any) -> None:
        self.save()
        signal.emit(*args)
        if signal is self.restart_needed:
            self.status_label.setText(args[0])

    def save(self) -> None:
        """Write the settings now; a failure is shown in the dialog (the change still applies to this session)."""
        try:
            self.store.save(self.settings)
        except OSError as exc:
            self.status_label.setText(
                f"Settings could not be saved to {self.store.path} ({error_words(exc)}); your change applies to "
                "this session only."
            )
            return
        self.status_label.setText("")
        self.settings_saved.emit(self.settings)

    def _show_notice(self, problems: list[str]) -> None:
        lines = list(problems)
        if self.store.overrides:
            overridden = "; ".join(f"{path} by {origin}" for path, origin in sorted(self.store.overrides.items()))
            lines.append(f"Set outside the app, so changes made here last only until it restarts: {overridden}.")
        self.notice_label.setText(shown_text("\n".join(lines)))
        self.notice_label.setVisible(bool(lines))

    # ------------------------------------------------------------------------------------------------ public
    def show_page(self, page: SettingsPage) -> None:
        """Open the dialog on ``page`` (e.g. KEYS when a key is missing) and bring it to the front."""
        self.page_list.setCurrentRow(list(self._pages).index(page))
        self.show()
        self.raise_()
        self.activateWindow()

    def current_page(self) -> SettingsPage:
        return list(self._pages)[self.page_list.currentRow()]

    def hideEvent(self, event: QHideEvent) -> None:
        """Closing the panel stops what it started: previews, the microphone test, pending fetches."""
        self.player.stop()
        self.runner.cancel_all()
        if self.audio_page.probe.running:
            self._stopping_tests = asyncio.ensure_future(self.audio_page.stop_tests())  # held until it is done
        super().hideEvent(event)
