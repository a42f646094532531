"""The status bar's note while a provider connection is down: "STT down 0:42 · retry in 3 s", one per provider.

Hidden while every connection is up. The status bar redraws it once a second, and only while something is down.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import ProviderState
from desktop_agent.state.outage import down_sentence, down_summary, is_down
from desktop_agent.ui import theme
from desktop_agent.ui.untrusted_text import plain_label, plain_tooltip


class OutageLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plain_label(self)
        self.setAccessibleName("Connections down")
        self._recolour()
        self.hide()

    def show_outages(self, providers: Mapping[ev.Provider, ProviderState], now: float) -> bool:
        """Say which connections are down as of ``now`` (wall clock); False (and hidden) when none is."""
        down = [(provider, state) for provider, state in providers.items() if is_down(state)]
        if not down:
            self.hide()
            return False
        text = "; ".join(down_summary(provider, state, now) for provider, state in down)
        sentences = "\n".join(down_sentence(provider, state, now) for provider, state in down)
        if text != self.text():
            self.setText(text)
        if sentences != self.accessibleDescription():
            self.setToolTip(plain_tooltip(sentences))
            self.setAccessibleDescription(sentences)
        self.show()
        return True

    def _recolour(self) -> None:
        palette = self.palette()
        colour = theme.tone_color(theme.Tone.WARNING, palette)
        if palette.color(QPalette.ColorRole.WindowText) != colour:  # (setting it is itself a palette change)
            palette.setColor(QPalette.ColorRole.WindowText, colour)
            self.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._recolour()  # the warning colour has a light and a dark variant
