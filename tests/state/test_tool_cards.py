"""Tool calls folded into the conversation: a card per call (a ``tool`` turn) placed before the reply it led to,
waiting, running, then its result or error and duration; the turn's tool time is the sum of its calls; a call the
session ended before is closed with a sentence, never left running or waiting."""

from __future__ import annotations

import itertools

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import SESSION_ENDED, Area, Conversation, Role

CLOCK = itertools.count(1000.0, 0.5)


def fresh() -> Conversation:
    return Conversation(clock=lambda: next(CLOCK))


def test_a_card_runs_then_shows_its_result_before_the_reply():
    c = fresh()
    c.apply(ev.UserTurnEnded(text="Open a ticket."))
    c.apply(ev.AssistantTurnStarted())  # the reply's bubble opened before the model chose a tool: it follows the card
    areas = c.apply(ev.ToolCallStarted(call_id="c1", name="create_ticket", arguments='{"title": "Jam"}'))
    assert Area.TRANSCRIPT in areas
    assert [t.role for t in c.turns] == [Role.USER, Role.TOOL]
    assert c.turns[1].text == 'create_ticket(title: "Jam")\nrunning…' and not c.turns[1].finished
    areas = c.apply(ev.ToolCallFinished(call_id="c1", name="create_ticket", result='{"id": 7}', seconds=0.25))
    assert Area.TURN_FINISHED in areas and c.last_finished == [c.turns[1]]
    assert c.turns[1].text == 'create_ticket(title: "Jam")\n→ {"id": 7} · 250 ms'
    c.apply(ev.StageLatency(stage=ev.Stage.TOOLS, seconds=0.25))
    c.apply(ev.ToolCallStarted(call_id="c2", name="notify", arguments="{}"))
    c.apply(ev.ToolCallFinished(call_id="c2", name="notify", error="The notify tool failed.", seconds=1.5))
    c.apply(ev.StageLatency(stage=ev.Stage.TOOLS, seconds=1.5))
    assert c.turns[2].text == "notify()\n✗ The notify tool failed. · 1.5 s" and c.turns[2].tool.failed
    c.apply(ev.AssistantWordSpoken(word="Done."))
    c.apply(ev.AssistantTurnEnded(text="Done.", interrupted=False))
    assert [t.role for t in c.turns] == [Role.USER, Role.TOOL, Role.TOOL, Role.ASSISTANT]
    assert c.turns[3].latencies[ev.Stage.TOOLS] == 1.75  # the turn's tool time: both calls


def test_a_call_waiting_for_a_yes_then_run():
    c = fresh()
    c.apply(ev.ToolCallStarted(call_id="c1", name="create_ticket", arguments="{}"))
    c.apply(ev.ToolConfirmationRequested(call_id="c1", name="create_ticket", arguments="{}"))
    assert c.awaiting_confirmation is not None and c.awaiting_confirmation.call_id == "c1"
    assert c.turns[0].text == "create_ticket()\nwaiting for your yes or no…"
    c.apply(ev.ToolCallStarted(call_id="c1", name="create_ticket", arguments="{}"))  # yes: the same card runs
    assert len(c.turns) == 1 and c.turns[0].text.endswith("running…") and c.awaiting_confirmation is None


def test_a_call_the_session_ended_before_is_closed_with_a_sentence():
    c = fresh()
    c.apply(ev.ToolCallStarted(call_id="c1", name="create_ticket", arguments="{}"))
    c.apply(ev.ToolConfirmationRequested(call_id="c1", name="create_ticket", arguments="{}"))
    c.apply(ev.SessionEnded(reason="stopped"))
    card = c.turns[0]
    assert card.finished and card.tool is not None and card.tool.error == SESSION_ENDED
    assert c.awaiting_confirmation is None and card.text == f"create_ticket()\n✗ {SESSION_ENDED} · 0 ms"


def test_arguments_and_results_are_plain_text_on_one_line_each():
    c = fresh()
    c.apply(ev.ToolCallStarted(call_id="c1", name="look\x1b[2Jup", arguments='{"q": "a\\nb\\u202e"}'))
    c.apply(ev.ToolCallFinished(call_id="c1", name="lookup", result="line one\nline two \x1b]0;title\x07", seconds=0.1))
    head, outcome = c.turns[0].text.splitlines()
    assert head == 'lookup(q: "a\\nb")'  # the bidi override is removed
    assert outcome == "→ line one line two · 100 ms"
