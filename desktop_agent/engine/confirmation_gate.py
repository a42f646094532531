"""Ask before running: a tool the user marked so runs only after they said yes, aloud, typed or with a click.

When the model calls such a tool, the call is not run: the model is told that the user is being asked
(``{"awaiting_confirmation": ...}``), so its reply is the question ("Shall I create the ticket?"), spoken and shown,
and the window and the console show the call waiting for a yes or a no. The user's next turn answers it: this gate
sits between the user aggregator and the language model and reads that turn before the model does. "Yes" (yeah,
sure, go ahead, ..., or yes in the conversation's language: state/yes_words.py) runs the call then, through the
same reporting as any call; "no" (or anything else) does not.
Either way the outcome is added to the context as the tool's answer to a call of the assistant's, so the model's
reply to the "yes" is about the result. A click on the window's Yes / No, and the console's ``y`` / ``n``, send that
word as a typed turn: one path for every way of answering.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipecat.frames.frames import Frame, LLMContextFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from desktop_agent.engine.tool_calls import REFUSED, ToolAction, ToolReporting, run_call
from desktop_agent.state.events import ToolCallFinished
from desktop_agent.state.yes_words import is_yes

AWAITING = (
    "Not run yet: the user must confirm it first. Ask them in one short sentence whether to run it, and wait for "
    "their answer; the app runs it if they say yes."
)
NOT_ANSWERED = "The user did not confirm, so it was not run."


@dataclass
class _Pending:
    call_id: str
    action: ToolAction
    arguments: dict[str, Any]


class ConfirmationGate(FrameProcessor):
    def __init__(
        self, reporting: ToolReporting, language: Callable[[], str | None] = lambda: None, **kwargs: Any
    ) -> None:
        """``language`` gives the conversation's language now (it can change between turns)."""
        super().__init__(name="ConfirmationGate", **kwargs)
        self._reporting = reporting
        self._language = language
        self._pending: _Pending | None = None

    @property
    def waiting(self) -> bool:
        return self._pending is not None

    def ask(self, call_id: str, action: ToolAction, arguments: dict[str, Any]) -> dict[str, str]:
        """A call to confirm: remembered until the user's next turn; returns what the model is told now."""
        previous, self._pending = self._pending, _Pending(call_id, action, arguments)
        if previous is not None:  # asked again before an answer: the earlier one is not run
            self._settle(previous, NOT_ANSWERED)
        return {"awaiting_confirmation": AWAITING}

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        pending = self._pending
        if (
            pending is not None
            and isinstance(frame, LLMContextFrame)
            and direction is FrameDirection.DOWNSTREAM
            and not frame.speculation
        ):
            self._pending = None
            messages = frame.context.get_messages()
            said = next((m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), None)
            content = said.get("content") if said is not None else None
            text = content if isinstance(content, str) else ""
            if is_yes(text, self._language()):
                answer = await run_call(
                    pending.action, pending.call_id, pending.arguments, self._reporting, confirmed=True
                )
            else:
                answer = {"declined": REFUSED if text else NOT_ANSWERED}
                self._settle(pending, answer["declined"])
            frame.context.add_messages(_answered_call(pending, answer))  # type: ignore[arg-type]
        await self.push_frame(frame, direction)

    def _settle(self, pending: _Pending, why: str) -> None:
        self._reporting.running.pop(pending.call_id, None)
        self._reporting.emit(ToolCallFinished(call_id=pending.call_id, name=pending.action.name, error=why))


def _answered_call(pending: _Pending, answer: dict[str, str]) -> list[dict[str, Any]]:
    """The call as the assistant's, made again now that the user answered, and its outcome as the tool's answer."""
    call_id = f"confirmed-{uuid.uuid4().hex[:12]}"
    arguments = json.dumps(pending.arguments, ensure_ascii=False)
    return [
        {
            "role": "assistant",
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": pending.action.name, "arguments": arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": json.dumps(answer, ensure_ascii=False)},
    ]
