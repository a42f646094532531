"""The words for a connection that is down, from the state the healer's events leave behind."""

from __future__ import annotations

import time

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation
from desktop_agent.state.outage import (
    about_lost_connection,
    clock_time,
    down_sentence,
    down_summary,
    elapsed,
    is_down,
    span,
)

DOWN_AT = time.mktime((2026, 3, 14, 14, 2, 11, 0, 0, -1))  # 14:02:11 local time


def provider_state(*events: ev.ProviderStatusChanged):
    conversation = Conversation()
    for event in events:
        conversation.apply(event)
    return conversation.providers[events[-1].provider]


def lost(provider=ev.Provider.STT, status=ev.ConnectionStatus.DISCONNECTED, *, retry_in=3.0, attempt=4):
    return ev.ProviderStatusChanged(provider, status, "connection lost", down_since=DOWN_AT,
                                    retry_at=DOWN_AT + 42 + retry_in, attempt=attempt)


def test_a_reconnecting_provider_says_since_when_and_when_it_tries_next():
    state = provider_state(lost())
    now = DOWN_AT + 42
    assert is_down(state)
    assert clock_time(DOWN_AT) == "14:02:11"
    assert down_sentence(ev.Provider.STT, state, now) == (
        "Speech-to-text: reconnecting — down since 14:02:11, next attempt in 3 s (attempt 4)"
    )
    assert down_summary(ev.Provider.STT, state, now) == "STT down 0:42 · retry in 3 s"


def test_the_wait_is_rounded_up_and_an_overdue_attempt_is_now():
    state = provider_state(lost(ev.Provider.TTS, retry_in=0.2, attempt=0))
    assert down_summary(ev.Provider.TTS, state, DOWN_AT + 42) == "TTS down 0:42 · retry in 1 s"
    assert down_summary(ev.Provider.TTS, state, DOWN_AT + 43) == "TTS down 0:43 · retry now"
    assert down_sentence(ev.Provider.TTS, state, DOWN_AT + 43).endswith("next attempt now"), "no attempt count yet"


def test_a_refused_provider_says_it_keeps_trying():
    state = provider_state(lost(ev.Provider.LLM, ev.ConnectionStatus.FAILED, retry_in=30, attempt=2))
    assert down_sentence(ev.Provider.LLM, state, DOWN_AT + 42).startswith("Language model: refused; trying again — ")


def test_a_provider_that_is_back_is_not_down():
    state = provider_state(lost(), ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED))
    assert not is_down(state)


@pytest.mark.parametrize(("seconds", "clock", "words"), [
    (0, "0:00", "0 s"), (42.4, "0:42", "42 s"), (125, "2:05", "2 min 5 s"), (120, "2:00", "2 min"),
    (3723, "1:02:03", "1 h 2 min"), (7200, "2:00:00", "2 h"),
])
def test_durations(seconds, clock, words):
    assert (elapsed(seconds), span(seconds)) == (clock, words)


@pytest.mark.parametrize(("error", "about"), [
    (ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "The connection dropped. Reconnecting…", provider=ev.Provider.STT), True),
    (ev.ErrorOccurred(ev.ErrorKind.AUTH, "Refused the key while reconnecting; keeps trying.", provider=ev.Provider.TTS),
     True),
    (ev.ErrorOccurred(ev.ErrorKind.AUTH, "Rejected the API key.", provider=ev.Provider.TTS, recoverable=False), False),
    (ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "Could not be reached. Press Retry.", provider=ev.Provider.LLM,
                      retry=True), False),
    (ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "The network is gone."), False),
])
def test_which_errors_are_about_a_lost_connection(error, about):
    assert about_lost_connection(error) is about
