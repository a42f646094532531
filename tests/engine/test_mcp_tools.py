"""MCP servers end to end through the real session on the loopback simulator: a tiny MCP server written for the tests
(tests/mcp_test_server.py, the ``mcp`` SDK's own server) is started as a local command over stdio with the session,
its tools are offered to the language model (one the user switched off is not), the model's call (scripted in the
LLM emulator) reaches it and its answer is spoken; a tool error is told to the model; a server that cannot start or
that dies is one sentence and its tools are withdrawn; the server's process ends with the session. The sound card is
the in-memory one (the only fake)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from desktop_agent.config.tools import McpServer
from desktop_agent.simulator import ToolCall
from desktop_agent.state.events import AssistantTurnEnded, ErrorOccurred, ToolCallFinished, ToolCallStarted
from tests.engine.conftest import config_for

SERVER = Path(__file__).resolve().parents[1] / "mcp_test_server.py"


def _server(pid_file: Path, **changes) -> McpServer:
    command = " ".join(shlex.quote(part) for part in (sys.executable, str(SERVER), str(pid_file)))
    server = McpServer(name="weather-service", command=command)
    for name, value in changes.items():
        setattr(server, name, value)
    return server


def _offered(sim) -> list[str]:
    return [tool["function"]["name"] for tool in sim.llm_requests()[-1].get("tools", [])]


def _tool_message(sim) -> dict:
    messages = sim.llm_requests()[-1]["messages"]
    return json.loads(next(m for m in reversed(messages) if m.get("role") == "tool")["content"])


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ")[-1].startswith("Z"))


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_an_mcp_tool_is_offered_called_and_its_answer_spoken(sim, harness_factory, tmp_path):
    pid_file = tmp_path / "server.pid"
    config = config_for(sim)
    config.mcp_servers = [_server(pid_file, disabled_tools=["station_report"])]
    h = await harness_factory(config)
    await h.until(lambda: "weather" in h.session.offered_tools, 30, "the MCP server's tools")
    assert "station_report" not in h.session.offered_tools  # switched off by the user

    sim.llm.script([ToolCall("weather", {"city": "Lisbon"})])
    since = h.mark()
    h.session.send_typed_turn("What is the weather in Lisbon?")
    ended = await h.wait(AssistantTurnEnded, since, timeout=30)

    offered = {t["function"]["name"]: t["function"] for t in sim.llm_requests()[0]["tools"]}
    assert set(offered) == {"end_conversation", "weather", "shut_down"}
    assert offered["weather"]["parameters"]["required"] == ["city"]
    assert offered["weather"]["description"] == "Today's weather in a city."
    assert _tool_message(sim) == {"result": "Sunny and 21 degrees in Lisbon"}
    assert ended.text == "The weather tool answered: Sunny and 21 degrees in Lisbon" and ended.spoken
    [started], [finished] = h.of(ToolCallStarted, since), h.of(ToolCallFinished, since)
    assert started.name == "weather" and json.loads(started.arguments) == {"city": "Lisbon"}
    assert finished.result == "Sunny and 21 degrees in Lisbon" and not finished.error
    assert not h.errors()

    # The server's process ends with the session.
    pid = int(pid_file.read_text())
    assert _running(pid)
    await h.stop()
    await h.until(lambda: not _running(pid), 15, "the MCP server's process to end")


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_an_mcp_tool_error_is_told_to_the_model(sim, harness_factory, tmp_path):
    config = config_for(sim)
    config.mcp_servers = [_server(tmp_path / "server.pid")]
    h = await harness_factory(config)
    await h.until(lambda: "station_report" in h.session.offered_tools, 30, "the MCP server's tools")
    sim.llm.script([ToolCall("station_report", {})])
    since = h.mark()
    h.session.send_typed_turn("Is the weather station working?")
    ended = await h.wait(AssistantTurnEnded, since, timeout=30)
    error = _tool_message(sim)["error"]
    assert error.startswith("The station_report tool reported an error:") and "offline" in error
    assert ended.text.startswith("Sorry, the station_report tool did not work.")


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_server_that_cannot_start_is_one_sentence(sim, harness_factory):
    config = config_for(sim)
    config.mcp_servers = [McpServer(name="calendar", command="no-such-mcp-server-program --stdio")]
    h = await harness_factory(config)
    error = await h.wait(ErrorOccurred, timeout=30)
    assert error.message == (
        "The MCP server calendar could not start: the command no-such-mcp-server-program was not found."
    )
    assert "Traceback" not in error.message and "\n" not in error.message
    # The conversation goes on without it.
    since = h.mark()
    h.session.send_typed_turn("Hello there.")
    await h.wait(AssistantTurnEnded, since, timeout=30)
    assert _offered(sim) == ["end_conversation"]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_server_that_dies_is_reported_and_its_tools_withdrawn(sim, harness_factory, tmp_path):
    config = config_for(sim)
    config.mcp_servers = [_server(tmp_path / "server.pid")]
    h = await harness_factory(config)
    await h.until(lambda: "shut_down" in h.session.offered_tools, 30, "the MCP server's tools")

    sim.llm.script([ToolCall("shut_down", {})])
    since = h.mark()
    h.session.send_typed_turn("Stop the weather service.")
    await h.wait(AssistantTurnEnded, since, timeout=30)
    # The call that killed it is told to the model as a failure.
    assert h.of(ToolCallFinished, since)[0].error
    assert "error" in _tool_message(sim)
    # Within a few pings the server is reported once, in one sentence, and its tools are withdrawn.
    lost = await h.wait(ErrorOccurred, since, timeout=20, where=lambda e: "stopped" in e.message)
    assert lost.message.startswith("The MCP server weather-service stopped, so its tools are no longer offered")
    assert h.session.offered_tools == ["end_conversation"]
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:  # and it is said once, not per ping
        await h.until(lambda: True)
    assert len([e for e in h.errors() if "stopped" in e.message]) == 1

    since = h.mark()
    h.session.send_typed_turn("What is the weather in Lisbon?")
    await h.wait(AssistantTurnEnded, since, timeout=30)
    assert _offered(sim) == ["end_conversation"]
