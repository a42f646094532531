"""The tools the user gives the assistant: webhook actions and MCP servers, kept in ``tools.json`` beside the settings.

A **webhook action** is a tool the user defines (name, description, JSON-schema parameters) that calls a URL with
the model's arguments, the shape an N8N, Zapier or Make webhook expects: a JSON body (POST, PUT, PATCH) or query
parameters (GET, DELETE), with headers. A header marked secret keeps its value in the keyring
(:mod:`desktop_agent.config.tool_secrets`), never in the file. Plain ``http://`` only to this computer.

An **MCP server** is a local command (spoken to over stdio) or a streamable-HTTP URL; its tools are found when a
session starts. Each tool of either kind can be switched off and can ask before it runs.

Loading never loses anything: an entry the app cannot use is left out with a sentence in ``problems`` and the file
as it was is kept beside it; a damaged file is moved aside.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from loguru import logger

from desktop_agent.config import paths
from desktop_agent.config.atomic import write_text_atomic
from desktop_agent.config.local_files import DamagedFile, error_words, parse_json_object, read_text_limited
from desktop_agent.config.settings import is_loopback
from desktop_agent.state.plain_text import shorten

TOOLS_FILE_NAME = "tools.json"
SCHEMA_VERSION = 1
MAX_TOOLS_BYTES = 1_000_000
METHODS = ("POST", "GET", "PUT", "PATCH", "DELETE")
#: Methods whose arguments travel as query parameters (no body).
QUERY_METHODS = ("GET", "DELETE")
#: Names the app's own tools use: a user's tool cannot take them.
RESERVED_NAMES = frozenset({"end_conversation"})
MIN_TIMEOUT_SECS, MAX_TIMEOUT_SECS = 1.0, 120.0
_TOOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")


class ToolsError(ValueError):
    """A tool definition the app cannot use, or a library that cannot be saved: a sentence for the user."""


class McpUnavailable(ToolsError):
    """An MCP server could not start or be reached: a sentence for the user."""


@dataclass
class WebhookHeader:
    """``value`` is kept in the file for a plain header; a secret one's value lives in the keyring ("" here)."""

    name: str
    value: str = ""
    secret: bool = False


@dataclass
class WebhookTool:
    name: str
    description: str
    url: str
    method: str = "POST"
    #: The arguments as a JSON schema object: ``{"type": "object", "properties": {...}, "required": [...]}``.
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    headers: list[WebhookHeader] = field(default_factory=list)
    timeout_secs: float = 10.0
    enabled: bool = True
    ask_first: bool = False

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.parameters.get("properties") or {})

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required") or [])


@dataclass
class McpServer:
    """A local ``command`` (a command line, run with stdio) or a streamable-HTTP ``url``: exactly one is set."""

    name: str
    command: str = ""
    url: str = ""
    enabled: bool = True
    #: Tools of this server the user switched off, and those that ask before they run (by the server's tool name).
    disabled_tools: list[str] = field(default_factory=list)
    ask_first_tools: list[str] = field(default_factory=list)
    timeout_secs: float = 30.0


# ---------------------------------------------------------------------------------------------------- checks
def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be called, as a sentence; None when it can (https anywhere, http to this computer)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "The address must be an https:// URL (or http:// to this computer)."
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return (
            "Plain http:// is only allowed to this computer (localhost); use https:// so what the tool sends "
            "travels encrypted."
        )
    return None


def name_problem(name: str) -> str | None:
    if not _TOOL_NAME.fullmatch(name):
        return "A tool name starts with a letter and has only letters, digits, _ and - (up to 64), e.g. create_ticket."
    if name in RESERVED_NAMES:
        return f"{name} is the assistant's own tool; choose another name."
    return None


def parameters_problem(parameters: object) -> str | None:
    """Why ``parameters`` is not a JSON schema of an object's arguments; None when it is."""
    if not isinstance(parameters, dict):
        return 'The parameters must be a JSON object such as {"type": "object", "properties": {}}.'
    if parameters.get("type", "object") != "object":
        return 'The parameters\' "type" must be "object".'
    properties = parameters.get("properties", {})
    if not isinstance(properties, dict) or not all(isinstance(v, dict) for v in properties.values()):
        return (
            "The parameters' \"properties\" must map each argument's name to its schema, e.g. "
            '{"city": {"type": "string"}}.'
        )
    required = parameters.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) and r in properties for r in required):
        return 'The parameters\' "required" must list names found in "properties".'
    return None


def parse_parameters(text: str) -> dict[str, Any]:
    """The JSON schema typed in the editor; raises :class:`ToolsError` with a sentence when it is not one."""
    try:
        value = json.loads(text) if text.strip() else {"type": "object", "properties": {}}
    except json.JSONDecodeError as exc:
        raise ToolsError(f"The parameters are not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    problem = parameters_problem(value)
    if problem:
        raise ToolsError(problem)
    value.setdefault("type", "object")
    value.setdefault("properties", {})
    return value


def webhook_problem(tool: WebhookTool) -> str | None:
    """The first reason ``tool`` cannot be used, as a sentence; None when it can."""
    checks = (
        name_problem(tool.name),
        "Describe what the tool does, so the assistant knows when to call it."
        if not tool.description.strip()
        else None,
        url_problem(tool.url),
        f"The method must be one of {', '.join(METHODS)}." if tool.method not in METHODS else None,
        parameters_problem(tool.parameters),
        timeout_problem(tool.timeout_secs),
        *(header_problem(header) for header in tool.headers),
    )
    return next((problem for problem in checks if problem), None)


def header_problem(header: WebhookHeader) -> str | None:
    if not _HEADER_NAME.fullmatch(header.name):
        return f"“{shorten(header.name, 40)}” is not a header name (letters, digits and - such as X-Api-Key)."
    if "\n" in header.value or "\r" in header.value:
        return f"The value of header {header.name} must be one line."
    return None


def timeout_problem(seconds: float) -> str | None:
    if not MIN_TIMEOUT_SECS <= seconds <= MAX_TIMEOUT_SECS:
        return f"The timeout must be between {MIN_TIMEOUT_SECS:g} and {MAX_TIMEOUT_SECS:g} seconds."
    return None


def server_problem(server: McpServer) -> str | None:
    if not server.name.strip() or len(server.name) > 64:
        return "Give the MCP server a name (up to 64 characters)."
    if bool(server.command.strip()) == bool(server.url.strip()):
        return "An MCP server is either a command to run on this computer or a URL, one of the two."
    if server.url.strip():
        return url_problem(server.url)
    try:
        if not shlex.split(server.command):
            return "The command is empty."
    except ValueError as exc:
        return f"The command cannot be read ({exc}); check its quotes."
    return timeout_problem(server.timeout_secs)


# ---------------------------------------------------------------------------------------------------- library
class ToolLibrary:
    """The user's webhook actions and MCP servers, loaded from and saved to ``path`` at once on each change."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else paths.config_dir() / TOOLS_FILE_NAME
        self.webhooks: list[WebhookTool] = []
        self.servers: list[McpServer] = []
        self.problems: list[str] = []
        self._load()

    # -- webhooks ---------------------------------------------------------------------------------------------
    def webhook(self, name: str) -> WebhookTool | None:
        return next((tool for tool in self.webhooks if tool.name == name), None)

    def put_webhook(self, tool: WebhookTool, replacing: str = "") -> None:
        """Add ``tool``, or put it in place of the one named ``replacing``; saved at once. Raises
        :class:`ToolsError` for a definition that cannot be used or a name another tool has."""
        problem = webhook_problem(tool)
        if problem:
            raise ToolsError(problem)
        if tool.name != replacing and self.webhook(tool.name) is not None:
            raise ToolsError(f"Another webhook action is already called {tool.name}.")
        index = next((i for i, t in enumerate(self.webhooks) if t.name == replacing), None)
        if index is None:
            self.webhooks.append(tool)
        else:
            self.webhooks[index] = tool
        self.save()

    def remove_webhook(self, name: str) -> None:
        self.webhooks = [tool for tool in self.webhooks if tool.name != name]
        self.save()

    # -- MCP servers ------------------------------------------------------------------------------------------
    def server(self, name: str) -> McpServer | None:
        return next((server for server in self.servers if server.name == name), None)

    def put_server(self, server: McpServer, replacing: str = "") -> None:
        problem = server_problem(server)
        if problem:
            raise ToolsError(problem)
        if server.name != replacing and self.server(server.name) is not None:
            raise ToolsError(f"Another MCP server is already called {server.name}.")
        index = next((i for i, s in enumerate(self.servers) if s.name == replacing), None)
        if index is None:
            self.servers.append(server)
        else:
            self.servers[index] = server
        self.save()

    def remove_server(self, name: str) -> None:
        self.servers = [server for server in self.servers if server.name != name]
        self.save()

    # -- file -------------------------------------------------------------------------------------------------
    def save(self) -> None:
        data = {
            "schema_version": SCHEMA_VERSION,
            "webhooks": [asdict(tool) for tool in self.webhooks],
            "mcp_servers": [asdict(server) for server in self.servers],
        }
        try:
            write_text_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise ToolsError(
                f"The tools could not be saved to {self.path} ({error_words(exc)}); the change lasts until "
                "Desktop Agent closes."
            ) from None

    def _load(self) -> None:
        try:
            text = read_text_limited(self.path, MAX_TOOLS_BYTES)
            data = parse_json_object(text) if text.strip() else {}
        except FileNotFoundError:
            return
        except DamagedFile as damage:
            self._set_aside(str(damage))
            return
        except OSError as exc:
            self.problems.append(
                f"The tools file {self.path} could not be read ({error_words(exc)}); no tools are used."
            )
            return
        left_out: list[str] = []
        for number, item in enumerate(_list(data.get("webhooks")), start=1):
            tool, why = _webhook_from(item)
            if tool is None or why:
                left_out.append(f"webhook action {number}: {why}")
            elif self.webhook(tool.name) is not None:
                left_out.append(f"webhook action {number}: another one is called {tool.name}")
            else:
                self.webhooks.append(tool)
        for number, item in enumerate(_list(data.get("mcp_servers")), start=1):
            server, why = _server_from(item)
            if server is None or why:
                left_out.append(f"MCP server {number}: {why}")
            elif self.server(server.name) is not None:
                left_out.append(f"MCP server {number}: another one is called {server.name}")
            else:
                self.servers.append(server)
        if left_out:
            aside = self._aside_path("left-out")
            try:
                write_text_atomic(aside, text)
                kept = f"the file as it was is kept at {aside}"
            except OSError as exc:
                kept = f"the file as it was could not be kept aside ({error_words(exc)})"
            self.problems.append(f"Some tools cannot be used and are left out ({'; '.join(left_out[:5])}); {kept}.")

    def _set_aside(self, damage: str) -> None:
        aside = self._aside_path("corrupt")
        try:
            self.path.replace(aside)
        except OSError as exc:
            self.problems.append(
                f"The tools file {self.path} is damaged ({damage}) and could not be moved aside ({error_words(exc)}); "
                "no tools are used."
            )
            return
        self.problems.append(f"The tools file was damaged ({damage}), so it was moved to {aside}; no tools are used.")
        logger.warning("Tools file damaged; moved to {}", aside)

    def _aside_path(self, why: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside, counter = self.path.with_name(f"{self.path.name}.{why}-{stamp}"), 1
        while aside.exists():
            counter += 1
            aside = self.path.with_name(f"{self.path.name}.{why}-{stamp}-{counter}")
        return aside


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _webhook_from(item: object) -> tuple[WebhookTool | None, str]:
    if not isinstance(item, dict):
        return None, "not a webhook action"
    try:
        headers = [
            WebhookHeader(str(h["name"]), "" if h.get("secret") else str(h.get("value", "")), bool(h.get("secret")))
            for h in _list(item.get("headers"))
            if isinstance(h, dict)
        ]
        tool = WebhookTool(
            name=str(item["name"]),
            description=str(item.get("description", "")),
            url=str(item["url"]),
            method=str(item.get("method", "POST")).upper(),
            parameters=item.get("parameters", {"type": "object", "properties": {}}),
            headers=headers,
            timeout_secs=float(item.get("timeout_secs", 10.0)),
            enabled=bool(item.get("enabled", True)),
            ask_first=bool(item.get("ask_first", False)),
        )
    except (KeyError, TypeError, ValueError):
        return None, "its name, URL or timeout is missing or not usable"
    problem = webhook_problem(tool)
    return tool, (problem or "").rstrip(".")


def _server_from(item: object) -> tuple[McpServer | None, str]:
    if not isinstance(item, dict):
        return None, "not an MCP server"
    try:
        server = McpServer(
            name=str(item["name"]),
            command=str(item.get("command", "")),
            url=str(item.get("url", "")),
            enabled=bool(item.get("enabled", True)),
            disabled_tools=[str(n) for n in _list(item.get("disabled_tools"))],
            ask_first_tools=[str(n) for n in _list(item.get("ask_first_tools"))],
            timeout_secs=float(item.get("timeout_secs", 30.0)),
        )
    except (KeyError, TypeError, ValueError):
        return None, "its name is missing or a value is not usable"
    problem = server_problem(server)
    return server, (problem or "").rstrip(".")
