"""The conversation the LLM sees: all earlier turns by default (at least 10 exchanges are always kept), and with a
limit only the most recent exchanges, oldest dropped first, the system prompt never."""

from __future__ import annotations

import pytest
from pipecat.processors.aggregators.llm_context import LLMContext

from desktop_agent.engine.history import trim_history
from tests.engine.conftest import config_for

WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


def said(n: int) -> str:
    return f"Number {WORDS[n]}."


def replied(n: int) -> str:
    return f"Got {WORDS[n]}."


def conversation(exchanges: int) -> list[dict]:
    messages = []
    for n in range(exchanges):
        messages += [{"role": "user", "content": said(n)}, {"role": "assistant", "content": replied(n)}]
    return messages


async def twelve_exchanges(sim, h, speech) -> list[dict]:
    sim.stt.script([said(n) for n in range(12)])
    sim.llm.script([replied(n) for n in range(12)])
    for n in range(12):
        ended = await h.exchange(speech(said(n), words_per_minute=260))
        assert ended.text == replied(n)
    requests = sim.llm_requests()
    assert len(requests) == 12
    return requests[-1]["messages"]


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("limit", [20, 10])
async def test_twelfth_request_holds_the_conversation(sim, harness_factory, speech, limit):
    h = await harness_factory(config_for(sim, max_history_exchanges=limit))
    messages = await twelve_exchanges(sim, h, speech)

    assert messages[0]["role"] == "system"
    expected = conversation(11)[-2 * limit:] + [{"role": "user", "content": said(11)}]
    assert messages[1:] == expected


def test_trim_keeps_the_newest_exchanges_and_tool_calls_whole():
    tool_call = {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                                      "function": {"name": "lookup", "arguments": "{}"}}]}
    tool_result = {"role": "tool", "tool_call_id": "c1", "content": "{}"}
    u0, a0, u1, a1, u2, a2 = conversation(3)
    messages = [u0, a0, u1, tool_call, tool_result, a1, u2, a2, {"role": "user", "content": "now"}]

    context = LLMContext(messages=list(messages))
    assert trim_history(context, 2) == 2
    assert context.get_messages() == messages[2:]  # exchange 0 dropped; the tool call stays with exchange 1
    assert trim_history(context, 2) == 0  # already within the window

    unlimited = LLMContext(messages=list(messages))
    assert trim_history(unlimited, 0) == 0
    assert unlimited.get_messages() == messages
