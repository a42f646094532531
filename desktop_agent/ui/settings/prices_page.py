"""Settings > Prices: what each provider charges, for the live cost meter, and the spending limits."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_agent.config.settings import PRICE_RULE, AppSettings
from desktop_agent.state.cost import PriceTable
from desktop_agent.state.events import Provider
from desktop_agent.ui.settings.spending_box import SpendingBox

#: Each price field: the role it prices and its unit.
PRICE_FIELDS = {
    "stt_per_audio_hour": (Provider.STT, " $ per audio hour"),
    "llm_per_million_tokens": (Provider.LLM, " $ per million tokens"),
    "tts_per_thousand_characters": (Provider.TTS, " $ per 1,000 characters"),
}


class PricesPage(QWidget):
    """Emits ``prices_changed(PriceTable)``."""

    prices_changed = Signal(object)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.fields: dict[str, QDoubleSpinBox] = {}
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout()
        for price in dataclasses.fields(PriceTable):
            _role, suffix = PRICE_FIELDS[price.name]
            field = QDoubleSpinBox()
            assert PRICE_RULE.minimum is not None and PRICE_RULE.maximum is not None
            field.setRange(PRICE_RULE.minimum, PRICE_RULE.maximum)
            field.setDecimals(4)
            field.setSingleStep(0.01)
            field.setSuffix(suffix)
            field.setValue(getattr(settings.prices, price.name))
            field.editingFinished.connect(self._edited)
            self.fields[price.name] = field
            self.labels[price.name] = QLabel()
            form.addRow(self.labels[price.name], field)
        self._show_names()
        self.defaults_button = QPushButton("Restore list prices")
        self.defaults_button.clicked.connect(self.restore_defaults)
        explanation = QLabel("The cost meter multiplies what each provider reports using by these prices.")
        explanation.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.defaults_button)
        self.spending = SpendingBox(settings)
        layout.addWidget(self.spending)
        layout.addStretch(1)

    def _edited(self) -> None:
        prices = PriceTable(**{name: round(field.value(), 4) for name, field in self.fields.items()})
        if prices == self._settings.prices:
            return
        self._settings.prices = prices
        self.prices_changed.emit(prices)

    def _label(self, name: str) -> str:
        role = PRICE_FIELDS[name][0]
        return f"{self._settings.providers.spec(role).display_name} {role.role_name}"

    def _show_names(self) -> None:
        for name, field in self.fields.items():
            self.labels[name].setText(self._label(name))
            field.setAccessibleName(f"{self._label(name)} price")

    def refresh(self) -> None:
        """Show the prices and providers now in the settings (another provider was chosen)."""
        self._show_names()
        for name, field in self.fields.items():
            field.setValue(getattr(self._settings.prices, name))

    def restore_defaults(self) -> None:
        """The list prices of the providers now playing each role."""
        for name, field in self.fields.items():
            field.setValue(self._settings.providers.spec(PRICE_FIELDS[name][0]).prices.per_unit)
        self._edited()
