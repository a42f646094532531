"""A turn's marks come from one place, folded from the engine's events into the live turn."""

from __future__ import annotations

import itertools

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation
from desktop_agent.state.turn_notes import INCOMPLETE, INTERRUPTED, NOT_SPOKEN, turn_notes


@pytest.fixture
def conversation() -> Conversation:
    ticks = itertools.count(1000.0, 0.5)
    return Conversation(clock=lambda: next(ticks))


def reply(conversation: Conversation, end: ev.AssistantTurnEnded):
    conversation.apply(ev.UserTurnEnded("Tell me a story."))
    conversation.apply(ev.AssistantTurnStarted())
    conversation.apply(end)
    return conversation.turns[-1]


def test_a_reply_said_in_full_has_no_notes(conversation):
    assert turn_notes(reply(conversation, ev.AssistantTurnEnded("Once upon a time.", interrupted=False))) == ()


@pytest.mark.parametrize(
    ("end", "notes"),
    [
        (ev.AssistantTurnEnded("Once upon", interrupted=True), (INTERRUPTED,)),
        (ev.AssistantTurnEnded("Once upon a time.", interrupted=False, spoken=False), (NOT_SPOKEN,)),
        (ev.AssistantTurnEnded("Once upon a", interrupted=False, complete=False), (INCOMPLETE,)),
        (ev.AssistantTurnEnded("Once upon a", interrupted=False, spoken=False, complete=False), (NOT_SPOKEN, INCOMPLETE)),
    ],
)
def test_each_mark_of_the_event_becomes_a_note_in_a_fixed_order(conversation, end, notes):
    assert turn_notes(reply(conversation, end)) == notes


def test_the_notes_are_the_words_people_read():
    assert (INTERRUPTED, NOT_SPOKEN, INCOMPLETE) == ("interrupted", "not spoken", "incomplete")


def test_a_provider_outage_keeps_since_when_the_next_attempt_and_its_count(conversation):
    down = ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.DISCONNECTED, "connection lost",
                                    down_since=5000.0, retry_at=5003.0, attempt=1)
    assert conversation.apply(down)
    state = conversation.providers[ev.Provider.STT]
    assert (state.down_since, state.retry_at, state.attempt) == (5000.0, 5003.0, 1)
    again = ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.DISCONNECTED, "connection lost",
                                     down_since=5000.0, retry_at=5003.0, attempt=2)
    assert conversation.apply(again), "another attempt at the same time is still news"
    assert conversation.providers[ev.Provider.STT].attempt == 2
    conversation.apply(ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED))
    state = conversation.providers[ev.Provider.STT]
    assert (state.down_since, state.retry_at, state.attempt) == (None, None, 0)
