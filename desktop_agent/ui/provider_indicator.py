"""One provider's connection in the status bar: a coloured dot and its name; the reason is in the tooltip, and while
the connection is down, since when and when the next attempt is."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QWidget

from desktop_agent import providers
from desktop_agent.state import events as ev
from desktop_agent.state.conversation import ProviderState
from desktop_agent.state.outage import STANDS_IN_AS, down_sentence, is_down
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
    def __init__(self, provider: ev.Provider, parent: QWidget | None = None, name: str = "") -> None:
        """``provider`` is the role; ``name`` the provider playing it (the default one's until the settings say)."""
        super().__init__(parent)
        self.provider = provider
        self.name = name or providers.default_for(provider).display_name
        self.setAccessibleName(f"{self.name} connection")
        self.setTextFormat(Qt.TextFormat.RichText)  # the coloured dot; the text itself is a constant name
        self._state: ProviderState | None = None
        self._shown: tuple[ev.ConnectionStatus, str] | None = None
        self._now: float | None = None
        self.show_state(ProviderState())

    def set_name(self, name: str) -> None:
        """Another provider plays this role."""
        if name == self.name:
            return
        self.name = name
        self.setAccessibleName(f"{name} connection")
        if self._state is not None:
            self.show_state(self._state, self._now, force=True)

    @property
    def status(self) -> ev.ConnectionStatus:
        assert self._state is not None
        return self._state.status

    def show_state(self, state: ProviderState, now: float | None = None, force: bool = False) -> None:
        """Show ``state``; ``now`` (wall clock, default the time now) dates an outage's countdown."""
        self._state = ProviderState(
            state.status, state.reason, state.down_since, state.retry_at, state.attempt, state.standing_in
        )
        self._now = now
        sentence = self._sentence(state, time.time() if now is None else now)
        if (state.status, sentence) == self._shown and not force:
            return
        self._shown = (state.status, sentence)
        tone = _TONES[state.status]
        if is_down(state) and state.status is ev.ConnectionStatus.DISCONNECTED:
            tone = theme.Tone.WARNING  # amber while it is being brought back
        color = theme.tone_color(tone, self.palette()).name()
        shown = f"{state.standing_in} (for {self.name})" if state.standing_in else self.name
        self.setText(f'<span style="color:{color}">●</span> {html.escape(shown_text(shown))}')
        self.setToolTip(plain_tooltip(sentence))
        self.setAccessibleDescription(sentence)

    def _sentence(self, state: ProviderState, now: float) -> str:
        reason = shown_text(state.reason)  # the provider's own words, possibly
        does = STANDS_IN_AS[self.provider]
        standing_in = f". {state.standing_in} {does} until {self.name} is back" if state.standing_in else ""
        if is_down(state):
            return down_sentence(self.provider, state, now) + (f". Cause: {reason}" if reason else "") + standing_in
        sentence = f"{shown_text(self.name)} ({ROLES[self.provider]}): {STATUS_WORDS[state.status]}"
        return sentence + (f" — {reason}" if reason else "") + standing_in

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._state is not None:
            self.show_state(self._state, self._now, force=True)  # the dot's colour is baked into the text
