"""The extraction request (a title, a summary and the user's fields, as one JSON object) and the reading of its answer.

The request asks for JSON twice over: a JSON schema in ``response_format`` where the server takes one, and the
instruction in words for a server that does not. The answer is read robustly (code fences, words around the object)
and is remote text: every string in it goes through :func:`~desktop_agent.state.plain_text.plain_text` before it
is stored, and only the fields the user asked for are kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from desktop_agent.state.plain_text import plain_text, shorten

#: The schema's name in ``response_format`` (the simulator's language models recognise the request by it).
SCHEMA_NAME = "conversation_summary"
INSTRUCTION = (
    "You write the record of a finished conversation between a user and a voice assistant. Answer with one JSON "
    'object and nothing else, with the keys "title" (at most eight words), "summary" (two or three plain '
    'sentences) and "fields" (an object with the fields described by this JSON schema: {fields}). Write in the '
    "language of the conversation. Leave a field empty when the conversation does not say it; never invent one."
)
#: The transcript sent is at most this long (its end is kept: that is where a conversation concludes).
MAX_TRANSCRIPT_CHARS = 24_000
MAX_SUMMARY_CHARS = 2_000
MAX_FIELD_CHARS = 500
_SPEAKERS = {"user": "User", "assistant": "Assistant"}


class UnusableAnswer(ValueError):
    """The answer holds no JSON object with a summary."""


@dataclass(frozen=True, slots=True)
class Extraction:
    title: str
    summary: str
    fields: dict[str, object] = field(default_factory=dict)


def transcript_text(turns: Sequence[tuple[str, str]]) -> str:
    """``(role, text)`` pairs as "User: …" / "Assistant: …" lines, the most recent :data:`MAX_TRANSCRIPT_CHARS`."""
    lines = [f"{_SPEAKERS.get(role, role)}: {' '.join(text.split())}" for role, text in turns if text.strip()]
    text = "\n".join(lines)
    return text[-MAX_TRANSCRIPT_CHARS:]


def response_schema(fields_schema: dict) -> dict:
    return {
        "type": "object",
        "properties": {"title": {"type": "string"}, "summary": {"type": "string"}, "fields": fields_schema},
        "required": ["title", "summary", "fields"],
    }


def request_messages(turns: Sequence[tuple[str, str]], fields_schema: dict) -> list[dict]:
    instruction = INSTRUCTION.format(fields=json.dumps(fields_schema, ensure_ascii=False))
    return [
        {"role": "system", "content": instruction},
        {"role": "user", "content": "The conversation:\n" + transcript_text(turns)},
    ]


def read_answer(text: str, fields_schema: dict) -> Extraction:
    """The extraction in ``text`` (the model's answer). Raises :class:`UnusableAnswer`."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise UnusableAnswer("no JSON object")
    try:
        answer = json.loads(text[start : end + 1])
    except ValueError:
        raise UnusableAnswer("not JSON") from None
    if not isinstance(answer, dict):
        raise UnusableAnswer("not an object")
    summary = shorten(plain_text(_string(answer.get("summary"))).strip(), MAX_SUMMARY_CHARS)
    if not summary:
        raise UnusableAnswer("no summary")
    title = plain_text(_string(answer.get("title")), single_line=True).strip()
    wanted = fields_schema.get("properties") or {}
    found = answer.get("fields")
    if not isinstance(found, dict):
        found = {}
    fields = {name: _clean(found[name]) for name in wanted if name in found}
    return Extraction(title=title, summary=summary, fields=fields)


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _clean(value: object, depth: int = 0) -> object:
    """A field's value with every string made plain text and bounded; what JSON cannot hold becomes empty."""
    if isinstance(value, str):
        return shorten(plain_text(value).strip(), MAX_FIELD_CHARS)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth > 3:
        return None
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value[:50]]
    if isinstance(value, dict):
        return {str(key): _clean(item, depth + 1) for key, item in list(value.items())[:50]}
    return None
