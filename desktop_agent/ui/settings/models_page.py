"""Settings > Models & language: Cerebras model, temperature, reply length, memory; STT language; TTS model."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from desktop_agent.config.languages import LANGUAGES, language_name
from desktop_agent.config.settings import LLM_MODELS, TTS_MODELS, AppSettings
from desktop_agent.ui.untrusted_text import plain_label


class ModelsPage(QWidget):
    """Emits ``llm_changed(model, temperature, max_tokens)`` (applies at once), ``language_changed(code)`` and
    ``restart_needed(reason)`` for what takes effect in the next session (language, voice model, memory)."""

    llm_changed = Signal(str, float, int)
    language_changed = Signal(str)
    restart_needed = Signal(str)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        models = settings.models

        self.llm_model = QComboBox()
        self.llm_model.setEditable(True)
        self.llm_model.addItems(list(LLM_MODELS))
        self.llm_model.setCurrentText(models.llm_model)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setValue(models.temperature)
        self.temperature.setToolTip("Lower is more predictable, higher more varied.")
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 8192)
        self.max_tokens.setValue(models.max_tokens)
        self.max_tokens.setToolTip("The longest reply, in tokens (about three quarters of a word each).")
        self.history = QSpinBox()
        self.history.setRange(0, 1000)
        self.history.setSpecialValueText("The whole conversation")
        self.history.setValue(settings.conversation.max_history_exchanges)
        self.history.setToolTip("Past exchanges sent to the model with each turn (0 keeps everything, else 10 or more).")
        self.stt_language = QComboBox()
        for code, name in LANGUAGES:
            self.stt_language.addItem(name, code)
        if self.stt_language.findData(models.stt_language) < 0:
            self.stt_language.addItem(language_name(models.stt_language), models.stt_language)
        self.stt_language.setCurrentIndex(self.stt_language.findData(models.stt_language))
        self.tts_model = QComboBox()
        self.tts_model.setEditable(True)
        self.tts_model.addItems(list(TTS_MODELS))
        self.tts_model.setCurrentText(models.tts_model)
        self.status_label = plain_label(QLabel())
        self.status_label.setWordWrap(True)

        llm_box = QGroupBox("Language model (Cerebras)")
        llm_form = QFormLayout(llm_box)
        llm_form.addRow("Model", self.llm_model)
        llm_form.addRow("Temperature", self.temperature)
        llm_form.addRow("Maximum reply length", self.max_tokens)
        llm_form.addRow("Conversation memory", self.history)
        speech_box = QGroupBox("Speech")
        speech_form = QFormLayout(speech_box)
        speech_form.addRow("Language you speak", self.stt_language)
        speech_form.addRow("Voice model (ElevenLabs)", self.tts_model)
        layout = QVBoxLayout(self)
        layout.addWidget(llm_box)
        layout.addWidget(speech_box)
        layout.addWidget(self.status_label)
        layout.addStretch(1)

        self.llm_model.lineEdit().editingFinished.connect(self._llm_edited)
        self.llm_model.activated.connect(self._llm_edited)
        self.temperature.editingFinished.connect(self._llm_edited)
        self.max_tokens.editingFinished.connect(self._llm_edited)
        self.history.editingFinished.connect(self._history_edited)
        self.stt_language.currentIndexChanged.connect(self._language_edited)
        self.tts_model.lineEdit().editingFinished.connect(self._tts_edited)
        self.tts_model.activated.connect(self._tts_edited)

    def _llm_edited(self) -> None:
        models = self._settings.models
        model = self.llm_model.currentText().strip()
        if not model:
            self.status_label.setText("Choose a Cerebras model.")
            self.llm_model.setCurrentText(models.llm_model)
            return
        values = (model, round(self.temperature.value(), 2), self.max_tokens.value())
        if values == (models.llm_model, models.temperature, models.max_tokens):
            return
        models.llm_model, models.temperature, models.max_tokens = values
        self.status_label.setText("")
        self.llm_changed.emit(*values)

    def _history_edited(self) -> None:
        value = self.history.value()
        if 0 < value < 10:
            self.status_label.setText("Keep at least 10 exchanges, or 0 for the whole conversation.")
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
        self.language_changed.emit(code)
        self.restart_needed.emit(f"Speech recognition switches to {language_name(code)} in the next session.")

    def _tts_edited(self) -> None:
        model = self.tts_model.currentText().strip()
        if not model:
            self.tts_model.setCurrentText(self._settings.models.tts_model)
            return
        if model == self._settings.models.tts_model:
            return
        self._settings.models.tts_model = model
        self.restart_needed.emit("The voice model applies from the next session.")
