"""A tool call in the console: the user's webhook action (saved in the tools file) is called when the language model
(the emulator, scripted) asks for it, through the real console, engine and simulator, and the console prints the
same card the window shows: the call with its arguments, then its result or error and its duration."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import sys
import time
from pathlib import Path

import pytest

from desktop_agent.config import paths
from desktop_agent.config.tools import TOOLS_FILE_NAME, McpServer, ToolLibrary, WebhookHeader, WebhookTool
from desktop_agent.console.commands import HELP, Command, parse
from desktop_agent.simulator import Simulator, ToolCall
from desktop_agent.state.conversation import Role
from tests.console.test_console_faults import TypedConsole
from tests.webhook_server import WebhookServer

pytestmark = pytest.mark.e2e


@pytest.mark.asyncio
async def test_the_console_prints_each_tool_call(isolated_user_dirs):
    with WebhookServer() as webhook:
        ToolLibrary(paths.config_dir() / TOOLS_FILE_NAME).put_webhook(
            WebhookTool(
                name="create_ticket",
                description="Open a support ticket.",
                url=webhook.url,
                parameters={"type": "object", "properties": {"title": {"type": "string"}}},
                headers=[WebhookHeader("X-Team", "support")],
            )
        )
        async with Simulator(profile="instant") as sim:
            sim.llm.script([ToolCall("create_ticket", {"title": "Printer jam"})])
            console = TypedConsole(sim, simulate=False)
            await console.wait_for("Push-to-talk: press Enter")

            console.type("t Open a ticket about the printer jam.")
            await console.wait_for('Tool: create_ticket(title: "Printer jam") running…')
            await console.wait_for('  → {"ticket":"T-1042","status":"open"} · ')
            await console.wait_for("Assistant: The create_ticket tool answered:")
            assert json.loads(webhook.requests[0]["body"]) == {"title": "Printer jam"}
            assert webhook.requests[0]["headers"]["X-Team"] == "support"

            webhook.status = 503
            sim.llm.script([ToolCall("create_ticket", {"title": "Stapler"})])
            console.type("t Once more please.")
            await console.wait_for("  ✗ The create_ticket tool answered with an error (HTTP 503). · ")
            await console.wait_for("Assistant: Sorry, the create_ticket tool did not work.")
            code = await console.quit()

    printed = console.out.getvalue()
    assert code == 0, printed
    assert re.search(r'  → \{"ticket":"T-1042","status":"open"\} · \d+ ms\n', printed)
    assert [t.role for t in console.app.printer.conversation.turns] == [
        Role.USER,
        Role.TOOL,
        Role.ASSISTANT,
        Role.USER,
        Role.TOOL,
        Role.ASSISTANT,
    ]
    assert "Traceback" not in printed


@pytest.mark.asyncio
async def test_the_console_asks_before_running_and_y_runs_it(isolated_user_dirs):
    with WebhookServer() as webhook:
        ToolLibrary(paths.config_dir() / TOOLS_FILE_NAME).put_webhook(
            WebhookTool(
                name="create_ticket",
                description="Open a support ticket.",
                url=webhook.url,
                parameters={"type": "object", "properties": {"title": {"type": "string"}}},
                ask_first=True,
            )
        )
        async with Simulator(profile="instant") as sim:
            console = TypedConsole(sim, simulate=False)
            await console.wait_for("Push-to-talk: press Enter")
            console.type("y")
            await console.wait_for("No tool call is waiting for an answer.")

            sim.llm.script([ToolCall("create_ticket", {"title": "Printer jam"})])
            console.type("t Open a ticket about the printer jam.")
            await console.wait_for(
                '  waiting for your yes or no… Run create_ticket(title: "Printer jam")? Say yes or no, or type y or no.'
            )
            await console.wait_for("Assistant: Shall I run the create_ticket tool? Please say yes or no.")
            assert webhook.requests == []
            console.type("y")
            await console.wait_for("You: Yes.")
            await console.wait_for('  → {"ticket":"T-1042","status":"open"} · ')
            await console.wait_for('Assistant: The create_ticket tool answered: {"ticket":"T-1042","status":"open"}')
            assert json.loads(webhook.requests[0]["body"]) == {"title": "Printer jam"}

            sim.llm.script([ToolCall("create_ticket", {"title": "Stapler"})])
            console.type("t And one about the stapler.")
            await console.wait_for('Run create_ticket(title: "Stapler")?')
            question = "Assistant: Shall I run the create_ticket tool? Please say yes or no."
            deadline = time.monotonic() + 30
            while console.out.getvalue().count(question) < 2:
                assert time.monotonic() < deadline, console.out.getvalue()
                await asyncio.sleep(0.02)
            console.type("no")
            await console.wait_for("  ✗ The user declined to run this tool.")
            await console.wait_for("Assistant: All right, I did not run the create_ticket tool.")
            assert len(webhook.requests) == 1
            code = await console.quit()
    assert code == 0
    assert "Traceback" not in console.out.getvalue()


def test_y_and_no_answer_and_n_stays_a_new_conversation():
    assert parse("y") is parse("yes") is Command.YES
    assert parse("no") is Command.NO
    assert parse("n") is Command.NEW_CONVERSATION
    assert "y / no  run, or not, a tool call waiting for your answer" in HELP


@pytest.mark.asyncio
async def test_the_console_uses_an_mcp_server_and_says_when_one_cannot_start(isolated_user_dirs):
    server = Path(__file__).resolve().parents[1] / "mcp_test_server.py"
    library = ToolLibrary(paths.config_dir() / TOOLS_FILE_NAME)
    library.put_server(McpServer(name="weather", command=f"{shlex.quote(sys.executable)} {shlex.quote(str(server))}"))
    library.put_server(McpServer(name="calendar", command="no-such-mcp-server-program"))
    async with Simulator(profile="instant") as sim:
        console = TypedConsole(sim, simulate=False)
        await console.wait_for(
            "! The MCP server calendar could not start: the command no-such-mcp-server-program was not found."
        )
        await console.wait_for("Push-to-talk: press Enter")
        deadline = time.monotonic() + 30
        while "weather" not in (console.app.session.offered_tools if console.app.session else []):
            assert time.monotonic() < deadline, console.out.getvalue()
            await asyncio.sleep(0.05)
        sim.llm.script([ToolCall("weather", {"city": "Lisbon"})])
        console.type("t What is the weather in Lisbon?")
        await console.wait_for('Tool: weather(city: "Lisbon") running…')
        await console.wait_for("  → Sunny and 21 degrees in Lisbon · ")
        await console.wait_for("Assistant: The weather tool answered: Sunny and 21 degrees in Lisbon")
        code = await console.quit()
    assert code == 0 and "Traceback" not in console.out.getvalue()
