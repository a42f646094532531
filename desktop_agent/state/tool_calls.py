"""A tool call as the user sees it: the compact card the transcript, the console, the history and the exports show.

The same words everywhere: the tool's name, its arguments on one line, then the result (or the error the model was
told) and how long it took. Arguments and results come from the model and from remote tools: untrusted, so the card
is plain text, shortened, with control characters and bidi overrides removed (:mod:`plain_text`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from desktop_agent.state.plain_text import plain_text, shorten

#: How much of the arguments and of a result a card shows (the history keeps them whole).
CARD_ARGUMENTS_LENGTH = 120
CARD_RESULT_LENGTH = 200
RUNNING = "running…"
AWAITING = "waiting for your yes or no…"


@dataclass(frozen=True, slots=True)
class ToolCallInfo:
    """One tool call. ``finished`` is False while it runs; then ``result`` or ``error`` (a sentence) is set."""

    call_id: str
    name: str
    arguments: str = "{}"
    result: str = ""
    error: str = ""
    seconds: float | None = None
    #: The call runs only if the user says yes, and they have not answered yet.
    awaiting: bool = False

    @property
    def finished(self) -> bool:
        return self.seconds is not None

    @property
    def failed(self) -> bool:
        return bool(self.error)


def arguments_line(arguments: str) -> str:
    """``city: "Paris", days: 2`` for ``{"city": "Paris", "days": 2}``; text that is not a JSON object as it is."""
    try:
        values = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return plain_text(arguments, single_line=True)
    if not isinstance(values, dict):
        return plain_text(arguments, single_line=True)
    return ", ".join(
        plain_text(f"{name}: {json.dumps(value, ensure_ascii=False)}", single_line=True)
        for name, value in values.items()
    )


def duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def card_lines(call: ToolCallInfo) -> list[str]:
    """The card in two lines: ``name(arguments)`` and ``→ result · 0.4 s`` (``✗ error · 5.0 s``, or running)."""
    head = f"{plain_text(call.name)}({shorten(arguments_line(call.arguments), CARD_ARGUMENTS_LENGTH)})"
    if not call.finished:
        return [head, AWAITING if call.awaiting else RUNNING]
    assert call.seconds is not None
    if call.failed:
        outcome = f"✗ {shorten(plain_text(call.error, single_line=True), CARD_RESULT_LENGTH)}"
    else:
        result = shorten(" ".join(plain_text(call.result).split()), CARD_RESULT_LENGTH)
        outcome = f"→ {result or '(no result)'}"
    return [head, f"{outcome} · {duration(call.seconds)}"]


def card_text(call: ToolCallInfo) -> str:
    return "\n".join(card_lines(call))
