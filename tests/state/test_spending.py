"""Spending limits folded from the live conversation's events: 80 % and 100 % said once each, a stop that waits
for the reply under way, the day counting the earlier conversations; and each reply carrying its exchange's usage."""

from __future__ import annotations

from datetime import date

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation
from desktop_agent.state.cost import PriceTable
from desktop_agent.state.spending import AtLimit, Level, Scope, SpendingLimits, SpendingWatch

#: $1 a character spoken, nothing else: costs are the characters reported.
PRICES = PriceTable(stt_per_audio_hour=0.0, llm_per_million_tokens=0.0, tts_per_thousand_characters=1000.0)


def _exchange(conversation: Conversation, watch: SpendingWatch, characters: int) -> list[tuple]:
    """A reply that speaks ``characters``; what the watch said and asked at each step."""
    said = []
    for event in (
        ev.UserTurnEnded(text="Hello"),
        ev.AssistantTurnStarted(),
        ev.UsageReported(provider=ev.Provider.LLM, prompt_tokens=50, completion_tokens=10),
        ev.UsageReported(provider=ev.Provider.TTS, characters=characters),
        ev.AssistantWordSpoken(word="Hi"),
        ev.AssistantTurnEnded(text="Hi", interrupted=False),
    ):
        notices, stop = watch.follow(conversation, conversation.apply(event))
        said.append((type(event).__name__, [(n.scope, n.level, n.stop) for n in notices], stop))
    return said


def test_each_reply_carries_the_usage_and_cost_of_its_exchange():
    conversation = Conversation(PRICES)
    watch = SpendingWatch(SpendingLimits())
    _exchange(conversation, watch, 7)
    _exchange(conversation, watch, 5)
    replies = [t for t in conversation.turns if t.role.value == "assistant"]
    assert [(r.usage.tts_characters, r.usage.llm_prompt_tokens, r.cost_usd) for r in replies] == [
        (7, 50, 7.0), (5, 50, 5.0)
    ]
    assert conversation.cost_usd == 12.0


def test_warn_at_80_percent_then_stop_at_100_once_the_reply_is_over():
    conversation = Conversation(PRICES)
    watch = SpendingWatch(SpendingLimits(per_conversation_usd=10.0, at_limit=AtLimit.STOP))
    first = _exchange(conversation, watch, 8)
    assert [step for step in first if step[1]] == [("UsageReported", [(Scope.CONVERSATION, Level.NEAR, False)], False)]
    second = _exchange(conversation, watch, 3)
    # The stop waits for the reply under way: it is said, and asked for, when the reply has ended, not before.
    crossed = [step for step in second if step[1] or step[2]]
    assert crossed == [("AssistantTurnEnded", [(Scope.CONVERSATION, Level.REACHED, True)], True)]
    assert "raise the budget in Settings > Prices, or start a new conversation (Ctrl+N), then start the session " \
        "again (Ctrl+Return); everything said so far is kept." in watch.refusal(11.0)
    # A new conversation starts from nothing; its cost so far counts for the day.
    notices, stop = watch.follow(conversation, conversation.apply(ev.ConversationReset()))
    assert (notices, stop, watch.refusal(conversation.cost_usd), watch.day_spent(0.0)) == ([], False, None, 11.0)


def test_warn_only_says_the_limit_and_goes_on():
    conversation = Conversation(PRICES)
    watch = SpendingWatch(SpendingLimits(per_conversation_usd=10.0, at_limit=AtLimit.WARN))
    steps = _exchange(conversation, watch, 12)
    assert [notices for _name, notices, _stop in steps if notices] == [[(Scope.CONVERSATION, Level.REACHED, False)]]
    assert not any(stop for _name, _notices, stop in steps)
    assert watch.refusal(12.0) is None
    assert _exchange(conversation, watch, 12) == [(name, [], False) for name, _n, _s in steps], "said once"


def test_the_day_counts_earlier_conversations_and_starts_over_the_next_day():
    today = [date(2026, 12, 7)]
    watch = SpendingWatch(
        SpendingLimits(per_day_usd=20.0, at_limit=AtLimit.STOP), day_spent_before=15.0, today=lambda: today[0]
    )
    [near] = watch.check(1.0)
    assert (near.scope, near.level, near.sentence) == (
        Scope.DAY, Level.NEAR, "Today's conversations have cost $16.0000, 80% of the daily $20.0000 budget."
    )
    [reached] = watch.check(5.0)
    assert reached.stop and "wait until tomorrow" in reached.sentence
    assert watch.refusal(5.0) == reached.sentence
    watch.set_limits(SpendingLimits(per_day_usd=40.0, at_limit=AtLimit.STOP))  # raised: it goes on
    assert watch.refusal(5.0) is None
    today[0] = date(2026, 12, 8)
    assert watch.day_changed()
    watch.new_day(0.0)
    assert watch.check(5.0) == [] and not watch.day_changed()
