"""The conversation knows whether a Retry is on offer: from the engine's error until the failed turn is superseded."""

from __future__ import annotations

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area, Conversation

GIVEN_UP = ev.ErrorOccurred(ev.ErrorKind.PROVIDER, "Cerebras did not answer, so this turn got no reply. Press Retry "
                            "to ask again.", provider=ev.Provider.LLM, retry=True)


@pytest.fixture
def offered() -> Conversation:
    conversation = Conversation()
    conversation.apply(ev.UserTranscript("What's the weather?", final=True))
    conversation.apply(ev.UserTurnEnded("What's the weather?"))
    assert not conversation.retry_offered
    assert conversation.apply(GIVEN_UP) == Area.ERRORS
    assert conversation.retry_offered
    return conversation


def test_an_error_without_retry_offers_nothing():
    conversation = Conversation()
    conversation.apply(ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "The connection to Cartesia dropped. Reconnecting…",
                                        provider=ev.Provider.STT))
    assert not conversation.retry_offered


@pytest.mark.parametrize(
    "superseding",
    [
        [ev.AssistantTurnStarted(), ev.AssistantSpeechStarted()],  # a reply is heard (the retry worked, or another)
        [ev.UserTranscript("Never mind", final=True), ev.UserTurnEnded("Never mind")],  # the user said something new
        [ev.ConversationReset()],
        [ev.SessionEnded("stopped")],
    ],
)
def test_the_offer_is_withdrawn_once_the_failed_turn_is_superseded(offered, superseding):
    areas = Area.NONE
    for event in superseding:
        areas |= offered.apply(event)
    assert not offered.retry_offered
    assert Area.ERRORS in areas, "the window hears of it (its Retry action and banner button go)"


def test_a_reply_cut_off_midway_keeps_the_offer_while_its_start_is_still_being_spoken(offered):
    offered.apply(ev.AssistantTurnStarted())
    offered.apply(ev.AssistantWordSpoken("Sunny"))
    offered.apply(ev.AssistantTurnEnded("Sunny", interrupted=False, complete=False))
    assert offered.retry_offered


def test_an_empty_user_turn_does_not_withdraw_it(offered):
    offered.apply(ev.UserTurnEnded(""))  # a press of the talk key with nothing said
    assert offered.retry_offered
