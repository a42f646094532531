"""Settings > Models & language: the language model, temperature, reply length, memory; STT language; TTS model.

The models offered are those the language model provider serves to the key (``GET /v1/models``, cached), fetched
when the page is first shown; until then, or when they cannot be fetched, the provider's known ones. A chosen model
the provider no longer serves is said in one sentence, with a button that switches to an available one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from desktop_agent.config.languages import LANGUAGES, language_name
from desktop_agent.config.llm_models import ModelCatalog
from desktop_agent.config.settings import AppSettings, rule_for, setting_problem
from desktop_agent.engine.catalogue import check_model
from desktop_agent.engine.config import ProviderEndpoint
from desktop_agent.providers import ProviderSpec
from desktop_agent.state.events import Provider
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.switch_notice import SwitchNotice
from desktop_agent.ui.untrusted_text import plain_label


def _range(section: str, name: str) -> tuple[float, float]:
    """A setting's range from its rule (the one place it is written)."""
    rule = rule_for(section, name)
    assert rule.minimum is not None and rule.maximum is not None
    return rule.minimum, rule.maximum


class ModelsPage(QWidget):
    """Emits ``llm_changed(model, temperature, max_tokens)`` and ``language_changed(code)`` (both apply at once) and
    ``restart_needed(reason)`` for what takes effect in the next session (voice model, memory)."""

    llm_changed = Signal(str, float, int)
    language_changed = Signal(str)
    restart_needed = Signal(str)

    def __init__(
        self,
        settings: AppSettings,
        endpoint: Callable[[], ProviderEndpoint] | None = None,
        runner: AsyncRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``endpoint`` (the language model provider's key and address) and ``runner`` let the page ask which models
        are served."""
        super().__init__(parent)
        self._settings = settings
        self._endpoint = endpoint
        self._runner = runner
        self._served: list[str] = []
        self._asked = False
        models = settings.models

        self.llm_model = QComboBox()
        self.llm_model.setEditable(True)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(*_range("models", "temperature"))
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setValue(models.temperature)
        self.temperature.setToolTip("Lower is more predictable, higher more varied.")
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(*(int(limit) for limit in _range("models", "max_tokens")))
        self.max_tokens.setValue(models.max_tokens)
        self.max_tokens.setToolTip("The longest reply, in tokens (about three quarters of a word each).")
        self.history = QSpinBox()
        self.history.setRange(*(int(limit) for limit in _range("conversation", "max_history_exchanges")))
        self.history.setSpecialValueText("The whole conversation")
        self.history.setValue(settings.conversation.max_history_exchanges)
        self.history.setToolTip(
            "Past exchanges sent to the model with each turn (0 keeps everything, else 10 or more)."
        )
        self.stt_language = QComboBox()
        for code, name in LANGUAGES:
            self.stt_language.addItem(name, code)
        if self.stt_language.findData(models.stt_language) < 0:
            self.stt_language.addItem(language_name(models.stt_language), models.stt_language)
        self.stt_language.setCurrentIndex(self.stt_language.findData(models.stt_language))
        self.tts_model = QComboBox()
        self.tts_model.setEditable(True)
        self.status_label = plain_label(QLabel())
        self.status_label.setWordWrap(True)
        self.models_label = plain_label(QLabel())  # where the list came from, or why it could not be fetched
        self.models_label.setWordWrap(True)
        self.retired_notice = SwitchNotice()

        self.llm_box = llm_box = QGroupBox()
        llm_form = QFormLayout(llm_box)
        llm_form.addRow("Model", self.llm_model)
        llm_form.addRow("", self.models_label)
        llm_form.addRow(self.retired_notice)
        llm_form.addRow("Temperature", self.temperature)
        llm_form.addRow("Maximum reply length", self.max_tokens)
        llm_form.addRow("Conversation memory", self.history)
        speech_box = QGroupBox("Speech")
        speech_form = QFormLayout(speech_box)
        speech_form.addRow("Language you speak", self.stt_language)
        self.tts_model_label = QLabel()
        speech_form.addRow(self.tts_model_label, self.tts_model)
        layout = QVBoxLayout(self)
        layout.addWidget(llm_box)
        layout.addWidget(speech_box)
        layout.addWidget(self.status_label)
        layout.addStretch(1)

        llm_line, tts_line = self.llm_model.lineEdit(), self.tts_model.lineEdit()
        assert llm_line is not None and tts_line is not None  # editable combo boxes have one
        llm_line.editingFinished.connect(self._llm_edited)
        self.llm_model.activated.connect(self._llm_edited)
        self.temperature.editingFinished.connect(self._llm_edited)
        self.max_tokens.editingFinished.connect(self._llm_edited)
        self.history.editingFinished.connect(self._history_edited)
        self.stt_language.currentIndexChanged.connect(self._language_edited)
        tts_line.editingFinished.connect(self._tts_edited)
        self.tts_model.activated.connect(self._tts_edited)
        self.retired_notice.switch_requested.connect(self._switch)
        self._show_providers()

    def _spec(self, role: Provider) -> ProviderSpec:
        return self._settings.providers.spec(role)

    def _show_providers(self) -> None:
        """Titles, known models and current choices of the providers now playing each role."""
        llm, tts = self._spec(Provider.LLM), self._spec(Provider.TTS)
        self.llm_box.setTitle(f"Language model ({llm.display_name})")
        self.tts_model_label.setText(f"Voice model ({tts.display_name})")
        for combo, spec, chosen in (
            (self.llm_model, llm, self._settings.models.llm_model),
            (self.tts_model, tts, self._settings.models.tts_model),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(list(spec.known_models))
            combo.setCurrentText(spec.model_or_default(chosen))
            combo.blockSignals(False)

    def provider_changed(self) -> None:
        """Another provider plays a role: offer its models (and ask it which it serves when the page shows)."""
        self._served = []
        self._asked = False
        self.models_label.setText("")
        self.retired_notice.show_problem(None)
        self._show_providers()
        if self.isVisible():
            self.refresh_models()

    # ------------------------------------------------------------------------------------------- served models
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._asked:
            self.refresh_models()

    def refresh_models(self) -> None:
        """Ask the provider which models it serves (a recent answer comes from the cache) and offer those."""
        spec = self._spec(Provider.LLM)
        if self._endpoint is None or self._runner is None or not spec.lists_models:
            return
        self._asked = True
        endpoint = self._endpoint()
        self.models_label.setText(f"Asking {spec.display_name} which models it serves…")
        models = ModelCatalog(endpoint.api_key, endpoint.base_url, spec=spec).models()
        self._runner.start("models", models, self._show_served, self.models_label.setText)

    def offered_models(self) -> list[str]:
        return [self.llm_model.itemText(i) for i in range(self.llm_model.count())]

    def _show_served(self, served: list[str]) -> None:
        self._served = list(served)
        spec = self._spec(Provider.LLM)
        name = spec.display_name
        if not served:
            self.models_label.setText(f"{name} lists no models for this key; the known ones are offered.")
            return
        self.llm_model.blockSignals(True)
        self.llm_model.clear()
        self.llm_model.addItems(served)
        self.llm_model.setCurrentText(spec.model_or_default(self._settings.models.llm_model))
        self.llm_model.blockSignals(False)
        count = len(served)
        self.models_label.setText(f"{name} serves {count} model{'s' if count != 1 else ''} to this key.")
        self._check_served()

    def _check_served(self) -> None:
        spec = self._spec(Provider.LLM)
        model = spec.model_or_default(self._settings.models.llm_model)
        self.retired_notice.show_problem(check_model(self._served, model, spec))

    def _switch(self, model: str, _name: str) -> None:
        self.llm_model.setCurrentText(model)
        self._llm_edited()

    def show_llm_model(self, model: str) -> None:
        """Show ``model``, chosen elsewhere (the window's "Switch to …"), as the current one."""
        self.llm_model.setCurrentText(model)
        self._check_served()

    def _llm_edited(self) -> None:
        models = self._settings.models
        spec = self._spec(Provider.LLM)
        model = self.llm_model.currentText().strip()
        if not model:
            self.status_label.setText(f"Choose a {spec.display_name} model.")
            self.llm_model.setCurrentText(spec.model_or_default(models.llm_model))
            return
        values = (model, round(self.temperature.value(), 2), self.max_tokens.value())
        if values == (spec.model_or_default(models.llm_model), models.temperature, models.max_tokens):
            return
        models.llm_model, models.temperature, models.max_tokens = values
        self.status_label.setText("")
        self._check_served()
        self.llm_changed.emit(*values)

    def _history_edited(self) -> None:
        value = self.history.value()
        problem = setting_problem("conversation", "max_history_exchanges", value)
        if problem:
            self.status_label.setText(problem)
            self.history.setValue(self._settings.conversation.max_history_exchanges)
            return
        if value == self._settings.conversation.max_history_exchanges:
            return
        self._settings.conversation.max_history_exchanges = value
        self.status_label.setText("")
        self.restart_needed.emit("The conversation memory applies from the next session.")

    def _language_edited(self) -> None:
        code = self.stt_language.currentData()
        if not code or code == self._settings.models.stt_language:
            return
        self._settings.models.stt_language = code
        self.language_changed.emit(code)  # the running session switches from the next turn

    def _tts_edited(self) -> None:
        spec = self._spec(Provider.TTS)
        model = self.tts_model.currentText().strip()
        if not model:
            self.tts_model.setCurrentText(spec.model_or_default(self._settings.models.tts_model))
            return
        if model == spec.model_or_default(self._settings.models.tts_model):
            return
        self._settings.models.tts_model = model
        self.restart_needed.emit("The voice model applies from the next session.")
