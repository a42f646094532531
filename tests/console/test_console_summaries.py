"""Summaries and ``--continue`` in the console, through the real console, engine, simulator and history file (in a
temporary home; the only fake is the in-memory sound card, as in the other console tests).

Saying goodbye makes the simulated model call ``end_conversation``: the session ends, the conversation is
summarized before the console exits and the summary is in history. ``desktop-agent --console --continue`` then goes
on with it: the model's first request carries its turns, and the new ones are saved to the same conversation."""

from __future__ import annotations

import pytest

from desktop_agent.simulator import Simulator
from desktop_agent.state.conversation import Role
from desktop_agent.storage.history import HistoryStore, default_history_path
from tests.console.test_console_faults import TypedConsole

pytestmark = pytest.mark.e2e

QUESTION = "Please call the plumber on friday"
REPLY = "I will call the plumber on Friday."
FOLLOW_UP = "What did I ask you before?"


@pytest.mark.asyncio
async def test_a_conversation_ended_by_the_model_is_summarized_and_continued(isolated_user_dirs):
    async with Simulator(profile="instant") as sim:
        sim.llm.script([REPLY])
        console = TypedConsole(sim, simulate=False, record_history=True)
        await console.wait_for("Push-to-talk: press Enter")
        console.type(f"t {QUESTION}")
        await console.wait_for(f"Assistant: {REPLY}\n")
        console.type("t Thanks, goodbye")  # the simulated model answers with end_conversation
        code = await console.run  # the session ended: the console exits by itself
        printed = console.out.getvalue()
        assert code == 0, printed
        assert "The conversation's summary is in History." in printed

        with HistoryStore(default_history_path()) as store:
            (row,) = store.list_conversations()
            stored = store.get_conversation(row.id)
        assert stored.summary.startswith(f"The user asked: {QUESTION}.")
        assert stored.fields == {"action_items": [QUESTION], "follow_up_date": "friday"}

        requests_before = len(sim.llm_requests())
        again = TypedConsole(sim, simulate=False, record_history=True, continue_last=True)
        # It says what the assistant remembers, and the last two turns (the goodbye got no words, only the end).
        await again.wait_for(f"Continuing “{stored.title}”: the assistant remembers its last 2 exchanges. Last said:")
        await again.wait_for(f"  Assistant: {REPLY}\n  You: Thanks, goodbye\n")
        await again.wait_for("Push-to-talk: press Enter")
        again.type(f"t {FOLLOW_UP}")
        await again.wait_for(f"You: {FOLLOW_UP}")
        await again.wait_for("This is the simulated assistant answering.")
        code = await again.quit()
        assert code == 0, again.out.getvalue()

    first = next(r for r in sim.llm_requests()[requests_before:] if "response_format" not in r)
    said = [(m["role"], m.get("content")) for m in first["messages"] if m["role"] in ("user", "assistant")]
    assert said[:2] == [("user", QUESTION), ("assistant", REPLY)] and said[-1] == ("user", FOLLOW_UP)
    with HistoryStore(default_history_path()) as store:
        (row,) = store.list_conversations()
        turns = [(t.role, t.text) for t in store.get_conversation(row.id).turns]
    assert turns[:2] == [(Role.USER, QUESTION), (Role.ASSISTANT, REPLY)]
    assert turns[-2][1] == FOLLOW_UP and turns[-1][0] is Role.ASSISTANT
