"""One provider's connection in the status bar: a coloured dot and its name; the reason is in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QWidget

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import ProviderState
from desktop_agent.ui import theme
from desktop_agent.ui.untrusted_text import plain_tooltip, shown_text

ROLES = {ev.Provider.STT: "speech to text", ev.Provider.LLM: "language model", ev.Provider.TTS: "text to speech"}
STATUS_WORDS = {
    ev.ConnectionStatus.CONNECTING: "connecting",
    ev.ConnectionStatus.CONNECTED: "connected",
    ev.ConnectionStatus.DISCONNECTED: "not connected",
    ev.ConnectionStatus.FAILED: "failed",
}
_TONES = {
    ev.ConnectionStatus.CONNECTING: theme.Tone.WARNING,
    ev.ConnectionStatus.CONNECTED: theme.Tone.GOOD,
    ev.ConnectionStatus.DISCONNECTED: theme.Tone.NEUTRAL,
    ev.ConnectionStatus.FAILED: theme.Tone.BAD,
}


class ProviderIndicator(QLabel):
    def __init__(self, provider: ev.Provider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.provider = provider
        self.setAccessibleName(f"{provider.display_name} connection")
        self.setTextFormat(Qt.TextFormat.RichText)  # the coloured dot; the text itself is a constant name
        self._state: tuple[ev.ConnectionStatus, str] | None = None
        self.show_state(ProviderState())

    @property
    def status(self) -> ev.ConnectionStatus:
        assert self._state is not None
        return self._state[0]

    def show_state(self, state: ProviderState, force: bool = False) -> None:
        key = (state.status, state.reason)
        if key == self._state and not force:
            return
        self._state = key
        color = theme.tone_color(_TONES[state.status], self.palette()).name()
        self.setText(f'<span style="color:{color}">●</span> {self.provider.display_name}')
        sentence = f"{self.provider.display_name} ({ROLES[self.provider]}): {STATUS_WORDS[state.status]}"
        if state.reason:
            sentence += f" — {shown_text(state.reason)}"  # the provider's own words, possibly
        self.setToolTip(plain_tooltip(sentence))
        self.setAccessibleDescription(sentence)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._state is not None:
            self.show_state(ProviderState(*self._state), force=True)  # the dot's colour is baked into the text
