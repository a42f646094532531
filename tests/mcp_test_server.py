"""A tiny MCP server the tests start as a local command (stdio), written with the ``mcp`` SDK's own server.

``python tests/mcp_test_server.py PID_FILE`` writes its process id to PID_FILE (so a test can tell it has ended)
and serves three tools: ``weather`` answers, ``station_report`` reports an error, ``shut_down`` ends the process
mid-call (a server that dies)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("test-weather")


@server.tool()
def weather(city: str) -> str:
    """Today's weather in a city."""
    return f"Sunny and 21 degrees in {city}"


@server.tool()
def station_report() -> str:
    """The weather station's status."""
    raise ToolError("the weather station is offline")


@server.tool()
def shut_down() -> str:
    """Stops the weather service."""
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(str(os.getpid()))
    server.run()
