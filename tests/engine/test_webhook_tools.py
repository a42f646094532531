"""Webhook actions end to end through the real session on the loopback simulator: the language model is offered the
user's tool with its JSON schema, calls it (scripted in the LLM emulator), the session sends the call's arguments to
a webhook served by this test on 127.0.0.1 with the headers, the secret one included, and the model is told the
answer, which it speaks. A webhook that fails or does not answer in time is told to the model as an error, so the
reply says so instead of hanging. The sound card is the in-memory one (the only fake)."""

from __future__ import annotations

import json

import pytest

from desktop_agent.config.tools import WebhookHeader, WebhookTool
from desktop_agent.simulator import ToolCall
from desktop_agent.state.events import (
    AssistantTurnEnded,
    Stage,
    StageLatency,
    ToolCallFinished,
    ToolCallStarted,
    ToolConfirmationRequested,
)
from tests.engine.conftest import config_for
from tests.webhook_server import WebhookServer

SECRET = "whk-secret-7f3a9c1e"
PARAMETERS = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "What the ticket is about"},
        "priority": {"type": "string", "enum": ["low", "high"]},
    },
    "required": ["title"],
}


@pytest.fixture
def webhook():
    with WebhookServer() as server:
        yield server


def _config(sim, hook: WebhookServer, **tool_changes):
    tool = WebhookTool(
        name="create_ticket",
        description="Open a support ticket.",
        url=hook.url,
        parameters=PARAMETERS,
        headers=[WebhookHeader("X-Api-Key", secret=True), WebhookHeader("X-Team", "support")],
        timeout_secs=5.0,
    )
    for name, value in tool_changes.items():
        setattr(tool, name, value)
    config = config_for(sim)
    config.webhooks = [tool]
    config.webhook_headers = {tool.name: {"X-Api-Key": SECRET, "X-Team": "support"}}
    return config


def _tool_message(sim) -> dict:
    """What the model was told of the call: the tool message of the last request."""
    messages = sim.llm_requests()[-1]["messages"]
    return json.loads(next(m for m in reversed(messages) if m.get("role") == "tool")["content"])


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_webhook_is_called_with_the_arguments_and_its_answer_spoken(sim, webhook, harness_factory):
    h = await harness_factory(_config(sim, webhook))
    sim.llm.script([ToolCall("create_ticket", {"title": "Printer jam", "priority": "high"})])

    since = h.mark()
    assert h.session.send_typed_turn("Open a ticket about the printer jam, high priority.")
    ended = await h.wait(AssistantTurnEnded, since, timeout=30)

    # The tool was offered with the user's schema.
    offered = {t["function"]["name"]: t["function"] for t in sim.llm_requests()[0]["tools"]}
    assert offered["create_ticket"]["parameters"]["properties"] == PARAMETERS["properties"]
    assert offered["create_ticket"]["parameters"]["required"] == ["title"]
    assert offered["create_ticket"]["description"] == "Open a support ticket."
    # The webhook got the model's arguments as a JSON body, with both headers, the secret one included.
    [request] = webhook.requests
    assert request["method"] == "POST"
    assert json.loads(request["body"]) == {"title": "Printer jam", "priority": "high"}
    assert request["headers"]["X-Api-Key"] == SECRET
    assert request["headers"]["X-Team"] == "support"
    # The model was told the answer, and its reply (the emulator quotes it) was spoken.
    assert _tool_message(sim) == {"result": '{"ticket":"T-1042","status":"open"}'}
    assert "T-1042" in ended.text and ended.spoken
    # The call was reported, with its time as a stage of its own.
    [started] = h.of(ToolCallStarted, since)
    [finished] = h.of(ToolCallFinished, since)
    assert started.name == finished.name == "create_ticket" and started.call_id == finished.call_id
    assert json.loads(started.arguments) == {"title": "Printer jam", "priority": "high"}
    assert finished.result == '{"ticket":"T-1042","status":"open"}' and not finished.error
    [tool_time] = [e for e in h.of(StageLatency, since) if e.stage is Stage.TOOLS]
    assert tool_time.seconds == finished.seconds > 0
    # The secret never reaches an event.
    assert all(SECRET not in repr(event) for event in h.events)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_get_webhook_takes_the_arguments_as_query_parameters(sim, webhook, harness_factory):
    h = await harness_factory(_config(sim, webhook, method="GET"))
    sim.llm.script([ToolCall("create_ticket", {"title": "Printer jam", "priority": "low"})])
    since = h.mark()
    h.session.send_typed_turn("Open a ticket about the printer jam.")
    await h.wait(AssistantTurnEnded, since, timeout=30)
    [request] = webhook.requests
    assert request["method"] == "GET" and request["query"] == {"title": "Printer jam", "priority": "low"}


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_failing_webhook_is_told_to_the_model(sim, webhook, harness_factory):
    webhook.status = 500
    h = await harness_factory(_config(sim, webhook))
    sim.llm.script([ToolCall("create_ticket", {"title": "Printer jam"})])
    since = h.mark()
    h.session.send_typed_turn("Open a ticket about the printer jam.")
    ended = await h.wait(AssistantTurnEnded, since, timeout=30)

    error = "The create_ticket tool answered with an error (HTTP 500)."
    assert _tool_message(sim) == {"error": error}
    assert h.of(ToolCallFinished, since)[0].error == error
    assert ended.text.startswith("Sorry, the create_ticket tool did not work.")
    assert webhook.url not in repr(h.events)  # an address may hold a token: never in a message


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_webhook_past_its_timeout_is_told_to_the_model(sim, webhook, harness_factory):
    webhook.delay = 5.0
    h = await harness_factory(_config(sim, webhook, timeout_secs=1.0))
    sim.llm.script([ToolCall("create_ticket", {"title": "Printer jam"})])
    since = h.mark()
    h.session.send_typed_turn("Open a ticket about the printer jam.")
    ended = await h.wait(AssistantTurnEnded, since, timeout=30)

    error = "The create_ticket tool did not answer within 1 seconds."
    assert _tool_message(sim) == {"error": error}
    finished = h.of(ToolCallFinished, since)[0]
    assert finished.error == error and finished.seconds >= 1.0
    assert "did not work" in ended.text


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_ask_before_running_refused_by_a_typed_no(sim, webhook, harness_factory):
    h = await harness_factory(_config(sim, webhook, ask_first=True))
    sim.llm.script([ToolCall("create_ticket", {"title": "Printer jam"})])
    since = h.mark()
    h.session.send_typed_turn("Open a ticket about the printer jam.")
    question = await h.wait(AssistantTurnEnded, since, timeout=30)

    # Not run: the model was told to ask, and its question was spoken.
    assert webhook.requests == []
    [asked] = h.of(ToolConfirmationRequested, since)
    assert asked.name == "create_ticket" and json.loads(asked.arguments) == {"title": "Printer jam"}
    assert "awaiting_confirmation" in _tool_message(sim)
    assert question.text == "Shall I run the create_ticket tool? Please say yes or no." and question.spoken
    assert not h.of(ToolCallFinished, since)

    since = h.mark()
    assert h.session.answer_confirmation(False)  # the window's No, the console's n: the word, typed
    reply = await h.wait(AssistantTurnEnded, since, timeout=30)
    assert webhook.requests == []
    [finished] = h.of(ToolCallFinished, since)
    assert finished.call_id == asked.call_id and finished.error.startswith("The user declined")
    assert _tool_message(sim) == {"declined": finished.error}
    assert reply.text == "All right, I did not run the create_ticket tool."
    assert not [e for e in h.of(StageLatency, since) if e.stage is Stage.TOOLS]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_ask_before_running_accepted_by_a_spoken_yes(sim, webhook, harness_factory, speech):
    h = await harness_factory(_config(sim, webhook, ask_first=True))
    sim.llm.script([ToolCall("create_ticket", {"title": "Printer jam"})])
    sim.stt.script(["Open a ticket about the printer jam.", "Yes, go ahead."])
    since = h.mark()
    question = await h.exchange(speech("Open a ticket about the printer jam."))
    assert question.text == "Shall I run the create_ticket tool? Please say yes or no."
    [asked] = h.of(ToolConfirmationRequested, since)
    assert webhook.requests == []

    since = h.mark()
    reply = await h.exchange(speech("Yes, go ahead."))
    # Run now, with the arguments the model gave when it asked, and the model answered with its result.
    [request] = webhook.requests
    assert json.loads(request["body"]) == {"title": "Printer jam"} and request["headers"]["X-Api-Key"] == SECRET
    [started], [finished] = h.of(ToolCallStarted, since), h.of(ToolCallFinished, since)
    assert started.call_id == finished.call_id == asked.call_id
    assert finished.result == '{"ticket":"T-1042","status":"open"}' and not finished.error
    assert _tool_message(sim) == {"result": finished.result}
    assert reply.text == 'The create_ticket tool answered: {"ticket":"T-1042","status":"open"}' and reply.spoken
    assert [e.seconds for e in h.of(StageLatency, since) if e.stage is Stage.TOOLS] == [finished.seconds]
