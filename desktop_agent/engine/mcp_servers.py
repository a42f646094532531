"""The user's MCP servers, through the ``mcp`` SDK: started with the session, their tools offered, stopped with it.

Each :class:`McpConnection` owns one server: a local command spoken to over stdio, or a streamable-HTTP URL. The
SDK's transports are bound to the task that opens them, so one task per server opens the session, lists the tools,
then holds the session open and pings it every :data:`PING_SECS`; a server that stops answering (its process exited,
the connection dropped) is reported once through ``on_lost`` and its tools are withdrawn by the session. A server
that cannot start is one sentence (:class:`McpUnavailable`), never a traceback.

The server's own messages (its stderr) go to the log, not the terminal: the console's output stays the app's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import tempfile
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from loguru import logger
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from desktop_agent.config.tools import McpServer, McpUnavailable, url_problem
from desktop_agent.engine.tool_calls import ToolFailed

#: How long a server may take to start and list its tools, and how often a running one is asked whether it is alive.
START_SECS = 20.0
PING_SECS = 2.0
PING_ANSWER_SECS = 5.0
MAX_ANSWER_CHARS = 4000


@dataclass(frozen=True, slots=True)
class McpTool:
    """A tool a server offers, as a :class:`~desktop_agent.engine.tool_calls.ToolAction`."""

    connection: McpConnection
    name: str
    description: str
    properties: dict[str, Any]
    required: list[str]
    timeout_secs: float
    ask_first: bool

    async def run(self, arguments: Mapping[str, Any]) -> str:
        return await self.connection.call(self.name, arguments)


class McpConnection:
    def __init__(self, server: McpServer, on_lost: Callable[[McpConnection], None] = lambda _c: None) -> None:
        self.server = server
        self._on_lost = on_lost
        self._session: ClientSession | None = None
        self._task: asyncio.Task | None = None
        self._closing = asyncio.Event()
        self._lost = False
        self._errors = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed in close()

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def alive(self) -> bool:
        return self._session is not None and not self._lost

    async def start(self, timeout: float = START_SECS, *, switched_off: bool = False) -> list[McpTool]:
        """Start the server and list its tools (those the user switched off left out, unless ``switched_off``);
        raises :class:`McpUnavailable`."""
        ready: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._task = asyncio.ensure_future(self._own(ready))
        try:
            listed = await asyncio.wait_for(asyncio.shield(ready), timeout)
        except TimeoutError:
            await self.close()
            raise McpUnavailable(
                f"The MCP server {self.name} did not start within {timeout:g} seconds, so its tools are not offered."
            ) from None
        except McpUnavailable:
            await self.close()
            raise
        server = self.server
        return [
            McpTool(
                connection=self,
                name=tool.name,
                description=(tool.description or tool.title or tool.name).strip(),
                properties=dict((tool.input_schema or {}).get("properties") or {}),
                required=list((tool.input_schema or {}).get("required") or []),
                timeout_secs=server.timeout_secs,
                ask_first=tool.name in server.ask_first_tools,
            )
            for tool in listed
            if switched_off or tool.name not in server.disabled_tools
        ]

    async def call(self, name: str, arguments: Mapping[str, Any]) -> str:
        session = self._session
        if session is None or self._lost:
            raise ToolFailed(f"The MCP server {self.name} has stopped, so {name} could not run.")
        try:
            result = await session.call_tool(name, dict(arguments))
        except Exception as exc:  # noqa: BLE001 - the SDK raises its own and the transport's errors: all are a failure
            logger.warning(f"MCP tool {name} of {self.name} failed: {type(exc).__name__}: {exc}")
            raise ToolFailed(f"The {name} tool of the MCP server {self.name} failed ({type(exc).__name__}).") from None
        text = _text_of(result)
        if getattr(result, "is_error", False):
            raise ToolFailed(f"The {name} tool reported an error: {text[:300]}" if text else f"The {name} tool failed.")
        return text

    async def close(self) -> None:
        """Stop the server (its process ends with the session); safe to call more than once."""
        self._closing.set()
        task, self._task = self._task, None
        if task is not None and self._session is None:
            task.cancel()  # still starting (or hung while starting): nothing to stop gracefully
        if task is not None:
            try:
                await asyncio.wait_for(task, 10.0)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
            except Exception:  # noqa: BLE001 - a server that fails while it stops is stopped all the same
                logger.opt(exception=True).debug(f"MCP server {self.name} failed while stopping")
        self._log_errors()
        self._errors.close()

    # -- the owner task ---------------------------------------------------------------------------------------
    async def _own(self, ready: asyncio.Future[list[Any]]) -> None:
        stack = AsyncExitStack()
        try:
            await stack.__aenter__()
            read, write = await stack.enter_async_context(self._transport())
            session = await stack.enter_async_context(ClientSession(read, write))
            await session.initialize()
            listed = await session.list_tools()
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                await stack.aclose()
            if not ready.done():
                ready.set_exception(McpUnavailable(self._why_not_started(exc)))
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self._session = session
        ready.set_result(list(listed.tools))
        try:
            await self._watch(session)
        finally:
            self._session = None
            with contextlib.suppress(BaseException):
                await stack.aclose()

    async def _watch(self, session: ClientSession) -> None:
        while not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), PING_SECS)
                return
            try:
                await asyncio.wait_for(session.send_ping(), PING_ANSWER_SECS)
            except Exception as exc:  # noqa: BLE001 - no answer, in whatever form: the server is gone
                if self._closing.is_set():
                    return
                logger.warning(f"MCP server {self.name} stopped answering: {type(exc).__name__}")
                self._lost = True
                self._log_errors()
                self._on_lost(self)
                return

    def _transport(self) -> Any:
        server = self.server
        if server.url.strip():
            problem = url_problem(server.url)
            if problem:
                raise McpUnavailable(problem)
            return streamable_http_client(server.url.strip())
        argv = shlex.split(server.command)
        return stdio_client(StdioServerParameters(command=argv[0], args=argv[1:]), errlog=self._errors)

    def _why_not_started(self, exc: BaseException) -> str:
        self._log_errors()
        cause = _innermost(exc)
        if isinstance(cause, McpUnavailable):
            return str(cause)
        if isinstance(cause, FileNotFoundError) and self.server.command.strip():
            program = shlex.split(self.server.command)[0]
            return f"The MCP server {self.name} could not start: the command {program} was not found."
        what = "connect" if self.server.url.strip() else "start"
        return f"The MCP server {self.name} could not {what} ({type(cause).__name__}), so its tools are not offered."

    def _log_errors(self) -> None:
        """What the server wrote on its stderr, to the log (it may explain a failure)."""
        with contextlib.suppress(OSError, ValueError):
            self._errors.seek(0)
            text = self._errors.read()[-2000:].strip()
            self._errors.seek(0)
            self._errors.truncate()
            if text:
                logger.info(f"MCP server {self.name} said: {text}")


def _innermost(exc: BaseException) -> BaseException:
    """The error inside the SDK's task groups (an exception group wraps what the transport raised)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _text_of(result: Any) -> str:
    parts = [getattr(item, "text", "") for item in (getattr(result, "content", None) or [])]
    text = "\n".join(part for part in parts if part).strip()
    structured = getattr(result, "structured_content", None)
    if not text and structured is not None:
        text = json.dumps(structured, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_ANSWER_CHARS else text[: MAX_ANSWER_CHARS - 1] + "…"


async def server_tools(server: McpServer) -> list[McpTool]:
    """Start ``server`` just to list all its tools (Settings), then stop it; raises :class:`McpUnavailable`.

    On a loop of its own in a worker thread: the window's loop (qasync) watches its sockets through Qt, and a
    server's process pipes opened and closed there left it watching closed descriptors (a crash later)."""
    return await asyncio.to_thread(asyncio.run, _all_tools(server))


async def _all_tools(server: McpServer) -> list[McpTool]:
    connection = McpConnection(server)
    try:
        return await connection.start(switched_off=True)
    finally:
        await connection.close()
