"""While a provider connection is down the status bar says which, since when and when the next attempt is, and keeps
counting once a second; with every connection up there is no note and no timer."""

from __future__ import annotations

import time

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation
from desktop_agent.ui import theme
from desktop_agent.ui.session_status_bar import SessionStatusBar
from tests.ui.conftest import feed

DOWN_AT = time.mktime((2026, 3, 14, 14, 2, 11, 0, 0, -1))  # 14:02:11 local time


class Clock:
    """The bar's wall clock, moved by hand; the bar's one-second timer is real."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(DOWN_AT + 42)


@pytest.fixture
def bar(qtbot, clock):
    bar = SessionStatusBar(clock=clock)
    qtbot.addWidget(bar)
    bar.show()
    return bar


def all_connected(conversation: Conversation) -> None:
    feed(conversation, *(ev.ProviderStatusChanged(p, ev.ConnectionStatus.CONNECTED) for p in ev.Provider))


def stt_down(attempt: int, retry_at: float) -> ev.ProviderStatusChanged:
    return ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.DISCONNECTED, "connection lost",
                                    down_since=DOWN_AT, retry_at=retry_at, attempt=attempt)


def test_all_well_shows_no_note_and_runs_no_timer(bar):
    conversation = Conversation()
    all_connected(conversation)
    bar.refresh_providers(conversation)
    assert not bar.outage_label.isVisible()
    assert not bar.outage_timer.isActive()


def test_a_dropped_connection_says_since_when_and_counts_down_to_the_next_attempt(qtbot, bar, clock):
    conversation = Conversation()
    all_connected(conversation)
    bar.refresh_providers(conversation)
    feed(conversation, stt_down(attempt=4, retry_at=DOWN_AT + 45))
    bar.refresh_providers(conversation)

    assert bar.outage_label.isVisible() and bar.outage_label.text() == "STT down 0:42 · retry in 3 s"
    sentence = "Speech-to-text: reconnecting — down since 14:02:11, next attempt in 3 s (attempt 4)"
    indicator = bar.providers[ev.Provider.STT]
    assert indicator.accessibleDescription() == f"{sentence}. Cause: connection lost"
    assert indicator.toolTip() == f"{sentence}. Cause: connection lost"
    assert bar.outage_label.accessibleDescription() == sentence
    assert bar.outage_timer.isActive()
    assert theme.tone_color(theme.Tone.WARNING).name() in indicator.text(), "an amber dot while it is brought back"

    clock.now += 2  # no event comes; the bar's own timer redraws the countdown
    qtbot.waitUntil(lambda: bar.outage_label.text() == "STT down 0:44 · retry in 1 s", timeout=5000)
    assert "next attempt in 1 s (attempt 4)" in indicator.toolTip()

    clock.now += 1.5
    feed(conversation, stt_down(attempt=5, retry_at=clock.now + 4))  # the attempt failed; the next is scheduled
    bar.refresh_providers(conversation)
    assert bar.outage_label.text() == "STT down 0:45 · retry in 4 s"
    assert indicator.toolTip().endswith("next attempt in 4 s (attempt 5). Cause: connection lost")

    feed(conversation, ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED))
    bar.refresh_providers(conversation)
    assert not bar.outage_label.isVisible()
    assert not bar.outage_timer.isActive(), "the timer stops with the outage"
    assert indicator.toolTip() == "Cartesia (speech to text): connected"


def test_two_providers_down_are_both_named_and_the_timer_runs_until_both_are_back(bar):
    conversation = Conversation()
    all_connected(conversation)
    feed(conversation, stt_down(attempt=1, retry_at=DOWN_AT + 43),
         ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.DISCONNECTED, "no answer",
                                  down_since=DOWN_AT + 40, retry_at=DOWN_AT + 42, attempt=2))
    bar.refresh_providers(conversation)
    assert bar.outage_label.text() == "STT down 0:42 · retry in 1 s; TTS down 0:02 · retry now"
    feed(conversation, ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED))
    bar.refresh_providers(conversation)
    assert bar.outage_label.text() == "TTS down 0:02 · retry now" and bar.outage_timer.isActive()
    feed(conversation, ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.CONNECTED))
    bar.refresh_providers(conversation)
    assert not bar.outage_label.isVisible() and not bar.outage_timer.isActive()
