"""The status bar: each provider's connection (reason on hover), current voice and prompt, and the cost so far.

While a connection is down, a note beside the dots counts how long and when the next attempt is; a one-second timer
keeps it current and runs only while something is down.

The voice name comes from the provider's list and the prompt name from the user's library: both are shown as plain
text, cut short on the bar, whole in the tooltip.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation, ProviderState
from desktop_agent.ui.language_chooser import LanguageChooser
from desktop_agent.ui.outage_label import OutageLabel
from desktop_agent.ui.provider_indicator import ProviderIndicator
from desktop_agent.ui.untrusted_text import plain_label, plain_tooltip, shown_name, shown_text

TRANSIENT_MS = 4000
NAME_LENGTH = 40  # characters of a voice or prompt name on the bar
OUTAGE_TICK_MS = 1000


def format_cost(usd: float) -> str:
    if usd < 1.0:
        return f"${usd:.4f}"
    return f"${usd:.2f}"


class SessionStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.setAccessibleName("Status")
        self.setSizeGripEnabled(True)
        self._clock = clock
        self._provider_states: Mapping[ev.Provider, ProviderState] = {}
        self.outage_label = OutageLabel(self)
        self.addPermanentWidget(self.outage_label)
        self.outage_timer = QTimer(self)
        self.outage_timer.setInterval(OUTAGE_TICK_MS)
        self.outage_timer.timeout.connect(self._show_providers)
        self.providers: dict[ev.Provider, ProviderIndicator] = {}
        for provider in ev.Provider:
            indicator = ProviderIndicator(provider, self)
            self.providers[provider] = indicator
            self.addPermanentWidget(indicator)
        self.language_chooser = LanguageChooser(self)
        self.addPermanentWidget(self.language_chooser)
        self.voice_label = QLabel(self)
        self.voice_label.setAccessibleName("Voice")
        self.prompt_label = QLabel(self)
        self.prompt_label.setAccessibleName("Prompt")
        self.cost_label = QLabel(self)
        self.cost_label.setAccessibleName("Cost of this conversation")
        for label in (self.voice_label, self.prompt_label, self.cost_label):
            plain_label(label)
            self.addPermanentWidget(label)
        self._voice: str | None = None
        self._prompt: str | None = None
        self.show_voice_and_prompt("", "")
        self.show_cost(0.0, "")

    def set_provider_names(self, names: Mapping[ev.Provider, str]) -> None:
        """The names of the providers playing each role (from the settings)."""
        for provider, name in names.items():
            self.providers[provider].set_name(name)

    def refresh_providers(self, conversation: Conversation) -> None:
        self._provider_states = conversation.providers
        self._show_providers()

    def _show_providers(self) -> None:
        now = self._clock()
        for provider, indicator in self.providers.items():
            if provider in self._provider_states:
                indicator.show_state(self._provider_states[provider], now)
        if self.outage_label.show_outages(self._provider_states, now):
            if not self.outage_timer.isActive():
                self.outage_timer.start()
        else:
            self.outage_timer.stop()

    def refresh_session(self, conversation: Conversation) -> None:
        self.show_voice_and_prompt(conversation.voice, conversation.prompt_name)

    def refresh_usage(self, conversation: Conversation) -> None:
        usage = conversation.usage
        parts = conversation.cost.breakdown(usage)
        detail = (
            f"Speech to text: {usage.stt_audio_seconds:.1f} s of audio, {format_cost(parts.stt)}\n"
            f"Language model: {usage.llm_prompt_tokens} prompt + {usage.llm_completion_tokens} completion tokens, "
            f"{format_cost(parts.llm)}\n"
            f"Text to speech: {usage.tts_characters} characters, {format_cost(parts.tts)}"
        )
        self.show_cost(parts.total, detail)

    def show_voice_and_prompt(self, voice: str, prompt: str) -> None:
        if voice != self._voice:
            self._voice = voice
            self.voice_label.setText(f"Voice: {shown_name(voice, NAME_LENGTH) or '—'}")
            self.voice_label.setToolTip(plain_tooltip(voice))
        if prompt != self._prompt:
            self._prompt = prompt
            self.prompt_label.setText(f"Prompt: {shown_name(prompt, NAME_LENGTH) or '—'}")
            self.prompt_label.setToolTip(plain_tooltip(prompt))

    def show_cost(self, usd: float, detail: str) -> None:
        self.cost_label.setText(f"Cost: {format_cost(usd)}")
        self.cost_label.setToolTip(f"Estimated cost of this conversation at the configured prices.\n{detail}".strip())

    def flash(self, message: str) -> None:
        """A short-lived note (e.g. "Copied")."""
        self.showMessage(shown_text(message), TRANSIENT_MS)
