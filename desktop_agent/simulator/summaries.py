"""The language models' answer to the app's summary request, offline: JSON built from the conversation sent.

The app asks for a conversation's record (title, summary, the user's fields) with a JSON schema named
``conversation_summary`` in ``response_format`` (OpenAI's structured outputs, which every emulated vendor takes). The
emulators answer it here, not from the reply script, so a scripted conversation is not thrown off by its summary:
the title is the user's first words, the summary quotes the first question and the last answer, and each field
gets a value of its type taken from what was said (action items from sentences that promise or ask for something,
a date from the first date mentioned).
"""

from __future__ import annotations

import json
import re

SCHEMA_NAME = "conversation_summary"
_QUOTED_WORDS = 12
_TITLE_WORDS = 6
_ACTION = re.compile(
    r"\b(i will|i'll|we will|we'll|need to|have to|must|remind me|please|send|call|book|buy|schedule)\b", re.I
)
_DATE = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|today|tomorrow|(?:next )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)


def is_summary_request(body: dict) -> bool:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return False
    schema = response_format.get("json_schema")
    return isinstance(schema, dict) and schema.get("name") == SCHEMA_NAME


def summary_reply(body: dict) -> str:
    """The JSON answer to a summary request (see :func:`is_summary_request`)."""
    said = _lines(body)
    user = [text for role, text in said if role == "user"]
    assistant = [text for role, text in said if role == "assistant"]
    title = " ".join(user[0].split()[:_TITLE_WORDS]).rstrip(".,!?") if user else "A short conversation"
    summary = f"The user asked: {_quote(user[0])}." if user else "The user said nothing."
    if assistant:
        summary += f" The assistant answered: {_quote(assistant[-1])}."
    schema = body["response_format"]["json_schema"].get("schema") or {}
    wanted = ((schema.get("properties") or {}).get("fields") or {}).get("properties") or {}
    fields = {name: _field(name, spec, user) for name, spec in wanted.items() if isinstance(spec, dict)}
    return json.dumps({"title": title, "summary": summary, "fields": fields}, ensure_ascii=False)


def _lines(body: dict) -> list[tuple[str, str]]:
    """The "User: …" / "Assistant: …" lines of the transcript the request carries."""
    said: list[tuple[str, str]] = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) and message.get("role") == "user" else None
        if not isinstance(content, str):
            continue
        for line in content.splitlines():
            speaker, _, text = line.partition(": ")
            if speaker in ("User", "Assistant") and text.strip():
                said.append((speaker.lower(), text.strip()))
    return said


def _quote(text: str) -> str:
    words = text.rstrip(".!?").split()
    return " ".join(words[:_QUOTED_WORDS]) + (" ..." if len(words) > _QUOTED_WORDS else "")


def _field(name: str, spec: dict, user: list[str]) -> object:
    kind = spec.get("type", "string")
    about = f"{name} {spec.get('description', '')}".lower()
    if kind == "array":
        return [text for text in user if _ACTION.search(text)]
    if kind in ("number", "integer"):
        return len(user)
    if kind == "boolean":
        return bool(user)
    if kind == "object":
        return {}
    if "date" in about:
        found = next((match.group(1) for text in user if (match := _DATE.search(text))), "")
        return found
    return user[0] if user else ""
