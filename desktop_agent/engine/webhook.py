"""A webhook action as a tool: the model's arguments sent to the user's URL, the way N8N, Zapier and Make webhooks
take them (a JSON body for POST, PUT and PATCH; query parameters for GET and DELETE), with the user's headers.

The answer goes back to the model as text: JSON as compact JSON, anything else as it came, cut at
:data:`MAX_ANSWER_CHARS`. Failures are sentences that name the tool, never its address or headers (a webhook URL
often carries its token).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from desktop_agent.config.tools import QUERY_METHODS, WebhookTool, url_problem
from desktop_agent.engine.tool_calls import ToolFailed

MAX_ANSWER_CHARS = 4000
_READ_BYTES = 64 * 1024


class WebhookAction:
    """``headers`` are all of the tool's headers with their values (the secret ones read from the keyring)."""

    def __init__(self, tool: WebhookTool, headers: Mapping[str, str]) -> None:
        self.tool = tool
        self._headers = dict(headers)

    @property
    def name(self) -> str:
        return self.tool.name

    @property
    def description(self) -> str:
        return self.tool.description

    @property
    def properties(self) -> dict[str, Any]:
        return self.tool.properties

    @property
    def required(self) -> list[str]:
        return self.tool.required

    @property
    def timeout_secs(self) -> float:
        return self.tool.timeout_secs

    @property
    def ask_first(self) -> bool:
        return self.tool.ask_first

    def __repr__(self) -> str:  # headers never reach a log through a repr
        return f"WebhookAction({self.tool.name!r}, {self.tool.method})"

    async def run(self, arguments: Mapping[str, Any]) -> str:
        tool = self.tool
        if url_problem(tool.url):  # checked when saved too; a hand-edited file must not send in the clear
            raise ToolFailed(f"The {tool.name} tool's address is not allowed (https:// only, http:// only locally).")
        request: dict[str, Any] = {"headers": {"Accept": "application/json, text/plain;q=0.9, */*;q=0.5"}}
        request["headers"].update(self._headers)
        if tool.method in QUERY_METHODS:
            request["params"] = {name: _query_value(value) for name, value in arguments.items()}
        else:
            request["json"] = dict(arguments)
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.request(tool.method, tool.url, allow_redirects=False, **request) as response,
            ):
                body = await response.content.read(_READ_BYTES)
                status = response.status
                charset = response.charset or "utf-8"
        except aiohttp.ClientError as exc:
            raise ToolFailed(f"The {tool.name} tool could not be reached ({type(exc).__name__}).") from None
        text = body.decode(charset, errors="replace").strip()
        if status >= 400:
            raise ToolFailed(f"The {tool.name} tool answered with an error (HTTP {status}).")
        return _answer(text)


def _query_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _answer(text: str) -> str:
    with contextlib.suppress(ValueError):  # not JSON: as it came
        text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_ANSWER_CHARS else text[: MAX_ANSWER_CHARS - 1] + "…"
