"""The tools a session offers the language model, kept in step with its context as MCP servers come and go.

The assistant's own tool and the user's webhook actions are there from the start; each MCP server's tools join when
the server has started (the conversation does not wait for it) and leave when it stops answering. A server that
cannot start, or stops, is one sentence (``ErrorOccurred``). A tool whose name is already offered is left out (the
first one keeps it), with a line in the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from loguru import logger
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.processors.aggregators.llm_context import LLMContext

from desktop_agent.config.tools import McpServer, McpUnavailable
from desktop_agent.engine.tool_calls import ToolReporting, tool_schema
from desktop_agent.state.events import ErrorKind, ErrorOccurred

if TYPE_CHECKING:
    from desktop_agent.engine.mcp_servers import McpConnection


class ToolBox:
    def __init__(self, context: LLMContext, reporting: ToolReporting, emit: Callable[[ErrorOccurred], None]) -> None:
        self._context = context
        self._reporting = reporting
        self._emit = emit
        self._connections: list[McpConnection] = []
        self._closed = False
        tools = context.tools
        #: Offered now, by name: the schema and the MCP connection it comes from (None: the app's or a webhook).
        self._offered: dict[str, tuple[FunctionSchema, McpConnection | None]] = {
            schema.name: (schema, None) for schema in getattr(tools, "standard_tools", [])
        }

    @property
    def offered(self) -> list[str]:
        return list(self._offered)

    async def start_servers(self, servers: Sequence[McpServer]) -> None:
        if not servers:
            return  # the MCP SDK takes a second or two to import: only a session with servers pays for it
        from desktop_agent.engine.mcp_servers import McpConnection

        await asyncio.gather(*(self._start(McpConnection(server, on_lost=self._lost)) for server in servers))

    async def _start(self, connection: McpConnection) -> None:
        server = connection.server
        self._connections.append(connection)
        try:
            tools = await connection.start()
        except McpUnavailable as why:
            self._emit(ErrorOccurred(kind=ErrorKind.CONFIG, message=str(why)))
            return
        if self._closed:
            return
        for tool in tools:
            if tool.name in self._offered:
                logger.warning(f"MCP server {server.name}: a tool called {tool.name} is already offered; left out")
                continue
            self._offered[tool.name] = (tool_schema(tool, self._reporting), connection)
        logger.info(f"MCP server {server.name} started with {len(tools)} tool(s)")
        self._apply()

    def _lost(self, connection: McpConnection) -> None:
        if self._closed:
            return
        self._offered = {name: entry for name, entry in self._offered.items() if entry[1] is not connection}
        self._apply()
        self._emit(
            ErrorOccurred(
                kind=ErrorKind.CONFIG,
                message=f"The MCP server {connection.name} stopped, so its tools are no longer offered to the "
                "assistant; start a new session to try it again.",
            )
        )

    def _apply(self) -> None:
        self._context.set_tools([schema for schema, _connection in self._offered.values()])

    async def close(self) -> None:
        """Stop every server (their processes end): with the session."""
        self._closed = True
        await asyncio.gather(*(connection.close() for connection in self._connections))
