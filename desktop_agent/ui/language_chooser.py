"""The conversation's language in the status bar: a combo of the languages the speech-to-text provider can hear.

Choosing one asks for the switch (``language_chosen``); the running session applies it from the next turn, for speech
to text, the language model's instruction and the voice, without a restart. :meth:`show_language` shows a language
set elsewhere (Settings, the start) without asking again.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QSizePolicy, QWidget

from desktop_agent.config.language_choice import offered_languages
from desktop_agent.config.languages import language_name
from desktop_agent.providers import ProviderSpec


class LanguageChooser(QComboBox):
    language_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Conversation language")
        self.setToolTip("The language you speak and the assistant answers in; applies from the next turn")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.activated.connect(self._chosen)

    def offer(self, stt: ProviderSpec, current: str) -> None:
        """List the languages ``stt`` hears, with ``current`` selected (added when it is not one of them)."""
        self.blockSignals(True)
        self.clear()
        for code, name in offered_languages(stt):
            self.addItem(name, code)
        self.blockSignals(False)
        self.show_language(current)

    def show_language(self, code: str) -> None:
        index = self.findData(code)
        if index < 0 and code:
            self.addItem(language_name(code), code)
            index = self.count() - 1
        self.blockSignals(True)
        self.setCurrentIndex(index)
        self.blockSignals(False)

    def _chosen(self, index: int) -> None:
        code = self.itemData(index)
        if code:
            self.language_chosen.emit(code)
