"""Settings > Prices: what each provider charges, for the live cost meter."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_agent.config.settings import PRICE_RULE, AppSettings
from desktop_agent.state.cost import PriceTable

PRICE_LABELS = {
    "stt_per_audio_hour": ("Cartesia speech to text", " $ per audio hour"),
    "llm_per_million_tokens": ("Cerebras language model", " $ per million tokens"),
    "tts_per_thousand_characters": ("ElevenLabs voice", " $ per 1,000 characters"),
}


class PricesPage(QWidget):
    """Emits ``prices_changed(PriceTable)``."""

    prices_changed = Signal(object)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.fields: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        for price in dataclasses.fields(PriceTable):
            label, suffix = PRICE_LABELS[price.name]
            field = QDoubleSpinBox()
            field.setRange(PRICE_RULE.minimum, PRICE_RULE.maximum)
            field.setDecimals(4)
            field.setSingleStep(0.01)
            field.setSuffix(suffix)
            field.setValue(getattr(settings.prices, price.name))
            field.setAccessibleName(f"{label} price")
            field.editingFinished.connect(self._edited)
            self.fields[price.name] = field
            form.addRow(label, field)
        self.defaults_button = QPushButton("Restore list prices")
        self.defaults_button.clicked.connect(self.restore_defaults)
        explanation = QLabel("The cost meter multiplies what each provider reports using by these prices.")
        explanation.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.defaults_button)
        layout.addStretch(1)

    def _edited(self) -> None:
        prices = PriceTable(**{name: round(field.value(), 4) for name, field in self.fields.items()})
        if prices == self._settings.prices:
            return
        self._settings.prices = prices
        self.prices_changed.emit(prices)

    def restore_defaults(self) -> None:
        defaults = PriceTable()
        for name, field in self.fields.items():
            field.setValue(getattr(defaults, name))
        self._edited()
