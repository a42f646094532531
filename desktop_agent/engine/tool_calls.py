"""Every tool the user gave the assistant runs through here: reported, timed, bounded, and never left unanswered.

:func:`tool_schema` turns a :class:`ToolAction` (a webhook action, an MCP server's tool) into the Pipecat
``FunctionSchema`` the language model is offered, with a handler that

* reports the call (``ToolCallStarted``) and its end (``ToolCallFinished``, and its time as ``Stage.TOOLS``);
* asks the user first when the tool is set to (:mod:`confirmation_gate`), and never runs such a call unasked;
* gives up after the tool's timeout, and turns a failure into a sentence: the model is always told what happened
  (``{"error": ...}``), so it can answer gracefully instead of waiting or inventing a result.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from loguru import logger
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.services.llm_service import FunctionCallParams

from desktop_agent.state.events import (
    Event,
    Stage,
    StageLatency,
    ToolCallFinished,
    ToolCallStarted,
    ToolConfirmationRequested,
)

#: What the model is told when the user refuses a call.
REFUSED = "The user declined to run this tool. Do not call it again for this request; tell them it was not done."
INTERRUPTED = "Interrupted before it answered."


class ToolFailed(Exception):
    """The tool could not do what was asked: ``str()`` is a sentence told to the model and shown on the card (no
    secret, no address: a URL may hold a token)."""


class ToolAction(Protocol):
    """Something the model can call: described by name, description and a JSON schema of its arguments."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def properties(self) -> dict[str, Any]: ...

    @property
    def required(self) -> list[str]: ...

    @property
    def timeout_secs(self) -> float: ...

    @property
    def ask_first(self) -> bool: ...

    async def run(self, arguments: Mapping[str, Any]) -> str:
        """The tool's answer as text; raises :class:`ToolFailed`."""
        ...


#: Takes a call that must be confirmed (its id, the tool, the arguments) and returns what the model is told meanwhile.
AskFirst = Callable[[str, "ToolAction", dict[str, Any]], dict[str, str]]


@dataclass
class ToolReporting:
    """Where a tool call's events go, and who asks the user before a call that must be confirmed."""

    emit: Callable[[Event], None]
    ask_first: AskFirst | None = None
    #: Calls running now, by call id (the session's teardown and tests look at them).
    running: dict[str, str] = field(default_factory=dict)


def tool_schema(action: ToolAction, reporting: ToolReporting) -> FunctionSchema:
    async def handler(params: FunctionCallParams) -> None:
        reply = await run_call(action, params.tool_call_id, dict(params.arguments or {}), reporting)
        await params.result_callback(reply)

    return FunctionSchema(
        name=action.name,
        description=action.description,
        properties=action.properties,
        required=action.required,
        handler=handler,
    )


async def run_call(
    action: ToolAction, call_id: str, arguments: dict[str, Any], reporting: ToolReporting, *, confirmed: bool = False
) -> dict[str, str]:
    """Run one call as the module docstring says; returns what the model is told. A tool that asks first is only
    run ``confirmed``: until then the user is asked (``reporting.ask_first``), or with no one to ask it is refused."""
    arguments_text = json.dumps(arguments, ensure_ascii=False)
    reporting.emit(ToolCallStarted(call_id=call_id, name=action.name, arguments=arguments_text))
    reporting.running[call_id] = action.name
    if action.ask_first and not confirmed:
        if reporting.ask_first is not None:
            reporting.emit(ToolConfirmationRequested(call_id=call_id, name=action.name, arguments=arguments_text))
            return reporting.ask_first(call_id, action, arguments)
        _finish(reporting, action, call_id, "", REFUSED, 0.0)
        return {"error": REFUSED}
    started = time.monotonic()
    result, error = "", ""
    try:
        result = await asyncio.wait_for(action.run(arguments), action.timeout_secs)
    except TimeoutError:
        error = f"The {action.name} tool did not answer within {action.timeout_secs:g} seconds."
    except ToolFailed as failed:
        error = str(failed)
    except asyncio.CancelledError:
        _finish(reporting, action, call_id, "", INTERRUPTED, time.monotonic() - started)
        raise
    except Exception:  # a tool's bug must reach the model as a failure, never hang or end the conversation
        logger.exception(f"The {action.name} tool failed")
        error = f"The {action.name} tool failed unexpectedly."
    _finish(reporting, action, call_id, result, error, time.monotonic() - started)
    return {"error": error} if error else {"result": result}


def _finish(
    reporting: ToolReporting, action: ToolAction, call_id: str, result: str, error: str, seconds: float
) -> None:
    reporting.running.pop(call_id, None)
    seconds = round(seconds, 4)
    reporting.emit(ToolCallFinished(call_id=call_id, name=action.name, result=result, error=error, seconds=seconds))
    if error != REFUSED:
        reporting.emit(StageLatency(stage=Stage.TOOLS, seconds=seconds))
