"""What the emulated LLM says: scripted replies first, then a deterministic default responder.

The default answers in two short sentences that quote the last user message, so a transcript shows which turn a
reply belongs to. When the request offers an ``end_conversation`` tool and the user says goodbye, it calls that tool,
which lets the app's hang-up path run without a script. Asked to use one of the offered tools by its name ("run
create ticket", "use the weather tool"), it calls that tool, its arguments made up from the tool's schema, so a
person trying the app on the simulator sees their own tools called. After a tool result it says what the tool
answered (a ``{"result": ...}`` quoted, an ``{"error": ...}`` apologised for) or, for any other result, that it
finished.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

_MAX_QUOTED_WORDS = 12
_MAX_TOOL_WORDS = 30
_GOODBYE = re.compile(r"\b(good ?bye|bye|see you|that'?s all|end the (call|conversation))\b", re.IGNORECASE)


@dataclass(frozen=True)
class ToolCall:
    """A scripted tool call; streamed as one call per SSE chunk with its arguments in fragments."""

    name: str
    arguments: dict = field(default_factory=dict)
    id: str | None = None


Reply = str | ToolCall | tuple[ToolCall, ...]
#: What a test or the console may script: a reply, or several tool calls as a list (kept as a tuple).
ScriptItem = Reply | list[ToolCall]


class ReplyScript:
    """A thread-safe queue of scripted items (for STT: transcripts; for the LLM: replies)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[Reply] = deque()

    def script(self, items: Iterable[ScriptItem]) -> None:
        """Replace what is pending with ``items``, used in order, one per utterance or request."""
        with self._lock:
            self._items = deque(_normalise(item) for item in items)

    def add(self, *items: ScriptItem) -> None:
        with self._lock:
            self._items.extend(_normalise(item) for item in items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def peek(self) -> Reply | None:
        with self._lock:
            return self._items[0] if self._items else None

    def pop(self) -> Reply | None:
        with self._lock:
            return self._items.popleft() if self._items else None

    @property
    def pending(self) -> list[Reply]:
        with self._lock:
            return list(self._items)


def _normalise(item: ScriptItem) -> Reply:
    if isinstance(item, list):  # several tool calls in one reply
        return tuple(item)
    return item


def message_text(message: dict) -> str:
    """The text of a chat message, whose content may be a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict)).strip()
    return ""


def default_reply(body: dict) -> Reply:
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        return _after_tool(messages, last)
    user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    if user is None:
        return "Hello! How can I help you today?"
    said = " ".join(message_text(user).split())
    if _GOODBYE.search(said) and _offers_tool(body, "end_conversation"):
        return ToolCall("end_conversation", {})
    asked_for = _tool_asked_for(body, said)
    if asked_for is not None:
        return asked_for
    if not said:
        return "Sorry, I did not catch that. Could you say it again?"
    words = said.rstrip(".!?").split()
    quoted = " ".join(words[:_MAX_QUOTED_WORDS]) + (" ..." if len(words) > _MAX_QUOTED_WORDS else "")
    return f"You said: {quoted}. This is the simulated assistant answering."


#: What a reasoning model thinks before it answers, longer for a higher ``reasoning_effort``: one sentence for
#: ``low``, about four times as many tokens for ``medium`` (the default) and ten times for ``high``.
_THOUGHTS = {
    "low": ("Keep it short.",),
    "medium": (
        "This is a spoken conversation, so the answer should be plain speech without lists or markdown.",
        "One or two short sentences are enough, and a question back is fine if the request is unclear.",
        "Nothing here needs a tool.",
        "Keep it short.",
    ),
    "high": (
        "This is a spoken conversation, so the answer should be plain speech without lists or markdown.",
        "One or two short sentences are enough, and a question back is fine if the request is unclear.",
        "Let me check the request once more for anything that could be read two ways.",
        "The words come from speech recognition, so a word may be misheard; the meaning is still clear.",
        "The system prompt asks for a friendly tone and short replies.",
        "If the user wants to end the conversation, the end_conversation tool would be the right call.",
        "That is not the case here.",
        "Nothing here needs a tool.",
        "So the reply quotes what was said and answers briefly.",
        "Keep it short.",
    ),
}


def reasoning_text(body: dict, effort: str) -> str:
    """The reasoning a reasoning model streams before its reply (``effort``: low, medium or high)."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        opening = "A tool has answered, so I should tell the user it is done."
    else:
        user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
        said = " ".join(message_text(user).split()[:_MAX_QUOTED_WORDS]) if user else ""
        opening = f'The user said "{said}".' if said else "There is nothing from the user yet, so I greet them."
    return " ".join((opening, *_THOUGHTS.get(effort, _THOUGHTS["medium"])))


def _after_tool(messages: list[dict], last: dict) -> str:
    name = _tool_name_for(messages, last.get("tool_call_id"))
    try:
        answer = json.loads(message_text(last))
    except ValueError:
        answer = None
    if name and isinstance(answer, dict) and isinstance(answer.get("result"), str):
        words = answer["result"].split()
        quoted = " ".join(words[:_MAX_TOOL_WORDS]) + (" ..." if len(words) > _MAX_TOOL_WORDS else "")
        return f"The {name} tool answered: {quoted}"
    if name and isinstance(answer, dict) and "awaiting_confirmation" in answer:
        return f"Shall I run the {name} tool? Please say yes or no."
    if name and isinstance(answer, dict) and "declined" in answer:
        return f"All right, I did not run the {name} tool."
    if name and isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return f"Sorry, the {name} tool did not work. {answer['error']}"
    return f"Done, the {name} tool has finished." if name else "Done."


_USE = re.compile(r"\b(use|run|call|try)\b", re.IGNORECASE)


def _tool_asked_for(body: dict, said: str) -> ToolCall | None:
    """A call of the offered tool the user asked for by name after use / run / call / try (``end_conversation``
    aside: goodbye calls that one), or None."""
    verb = _USE.search(said)
    if verb is None:
        return None
    rest = said[verb.end() :].lower()
    for tool in body.get("tools") or []:
        function = (tool.get("function") or {}) if isinstance(tool, dict) else {}
        name = function.get("name")
        if not isinstance(name, str) or name == "end_conversation":
            continue
        spoken = " ".join(re.split(r"[\W_]+", name.lower())).strip()
        if spoken and re.search(rf"\b{re.escape(spoken)}\b", " ".join(re.split(r"[\W_]+", rest))):
            return ToolCall(name, made_up_arguments(function.get("parameters"), said))
    return None


def made_up_arguments(parameters: object, said: str) -> dict:
    """Arguments for a tool's required parameters, by their JSON-schema type: the user's words for a string, the
    first number said (else 1) for a number, the first choice of an enum, true, or an empty list or object."""
    if not isinstance(parameters, dict):
        return {}
    properties = parameters.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    number = re.search(r"-?\d+(\.\d+)?", said)
    arguments: dict = {}
    for key in parameters.get("required") or []:
        found = properties.get(key)
        schema: dict = found if isinstance(found, dict) else {}
        kind = schema.get("type")
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            arguments[key] = schema["enum"][0]
        elif kind == "integer":
            arguments[key] = int(float(number.group())) if number else 1
        elif kind == "number":
            arguments[key] = float(number.group()) if number else 1.0
        elif kind == "boolean":
            arguments[key] = True
        elif kind == "array":
            arguments[key] = []
        elif kind == "object":
            arguments[key] = {}
        else:
            arguments[key] = said
    return arguments


def _offers_tool(body: dict, name: str) -> bool:
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and (tool.get("function") or {}).get("name") == name:
            return True
    return False


def _tool_name_for(messages: list[dict], call_id: str | None) -> str | None:
    for message in reversed(messages):
        for call in message.get("tool_calls") or []:
            if call.get("id") == call_id:
                return (call.get("function") or {}).get("name")
    return None


_TOKEN = re.compile(r"\s*[\w']+|\s*[^\w\s]+|\s+")


def tokens(text: str) -> list[str]:
    """Split into word-sized streaming tokens (each keeps its leading space), whose join is ``text``."""
    return _TOKEN.findall(text)


def argument_fragments(arguments: dict) -> list[str]:
    """The JSON arguments cut into a few fragments, as providers stream them."""
    encoded = json.dumps(arguments)
    size = max(4, len(encoded) // 3)
    return [encoded[i : i + size] for i in range(0, len(encoded), size)] or ["{}"]


def prompt_token_estimate(body: dict) -> int:
    """A plausible prompt size: about four characters per token plus a few per message and per tool."""
    chars = 0
    for message in body.get("messages", []):
        if isinstance(message, dict):
            chars += len(message_text(message)) + len(json.dumps(message.get("tool_calls") or []))
    chars += len(json.dumps(body.get("tools") or []))
    return max(1, chars // 4 + 4 * len(body.get("messages", [])))
