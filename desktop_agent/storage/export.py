"""Markdown and JSON exports of stored conversations.

Deterministic: the same conversation always gives the same bytes (sorted JSON keys, times as ISO 8601 in UTC with
milliseconds, fixed rounding), so exports can be compared and tested against golden files. Exports carry no local
database ids and nothing from the settings (certainly no keys).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import Stage
from desktop_agent.state.tool_calls import ToolCallInfo
from desktop_agent.state.turn_notes import turn_notes
from desktop_agent.storage.records import StoredConversation, StoredTurn

FORMAT_VERSION = 1
CONVERSATION_FORMAT = "desktop-agent.conversation"
HISTORY_FORMAT = "desktop-agent.history"

#: Keyed by Stage; a stored turn may hold a stage this version does not know (a plain string), shown as it is.
_STAGE_LABELS: dict[Stage | str, str] = {
    Stage.ENDPOINTING: "endpointing",
    Stage.STT_FINAL: "final transcript",
    Stage.LLM_FIRST_TOKEN: "LLM first token",
    Stage.TTS_FIRST_AUDIO: "TTS first audio",
    Stage.VOICE_TO_VOICE: "voice to voice",
    Stage.TOOLS: "tools",
}
_SPEAKERS = {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.TOOL: "Tool"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def iso_utc(seconds: float | None) -> str | None:
    """``2024-05-01T10:00:00.250Z`` for wall-clock seconds; None stays None."""
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def field_text(value: object) -> str:
    """An extracted field's value on one line: a list as its items joined by "; ", nothing as "—"."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "; ".join(field_text(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return " ".join(str(value).split())


def display_title(conversation: StoredConversation) -> str:
    """The title, or "Conversation of <start>" when nothing was said to name it after."""
    return conversation.title or f"Conversation of {iso_utc(conversation.started_at)}"


# ---------------------------------------------------------------------------------------------------- JSON
def conversation_to_dict(conversation: StoredConversation) -> dict[str, object]:
    usage = conversation.usage
    return {
        "title": conversation.title,
        "started_at": iso_utc(conversation.started_at),
        "ended_at": iso_utc(conversation.ended_at),
        "voice": conversation.voice,
        "prompt_name": conversation.prompt_name,
        "usage": {
            "llm_prompt_tokens": usage.llm_prompt_tokens,
            "llm_completion_tokens": usage.llm_completion_tokens,
            "tts_characters": usage.tts_characters,
            "stt_audio_seconds": round(usage.stt_audio_seconds, 3),
        },
        "cost_usd": round(conversation.cost_usd, 6),
        "summary": conversation.summary,
        "fields": conversation.fields,
        "turns": [_turn_to_dict(turn) for turn in conversation.turns],
    }


def _turn_to_dict(turn: StoredTurn) -> dict[str, object]:
    document = _spoken_turn_to_dict(turn)
    if turn.tool is not None:
        document["tool_call"] = _tool_call_to_dict(turn.tool)
    return document


def _tool_call_to_dict(call: ToolCallInfo) -> dict[str, object]:
    """The whole call: its arguments as the JSON the model wrote (as text when it was not JSON), the result or
    the error the model was told, and how long it ran."""
    try:
        arguments: object = json.loads(call.arguments)
    except ValueError:
        arguments = call.arguments
    return {
        "name": call.name,
        "arguments": arguments,
        "result": call.result,
        "error": call.error,
        "seconds": None if call.seconds is None else round(call.seconds, 3),
    }


def _spoken_turn_to_dict(turn: StoredTurn) -> dict[str, object]:
    return {
        "role": str(turn.role),
        "text": turn.text,
        "interrupted": turn.interrupted,
        "spoken": turn.spoken,
        "complete": turn.complete,
        "started_at": iso_utc(turn.started_at),
        "ended_at": iso_utc(turn.ended_at),
        "latency_seconds": {str(stage): round(seconds, 3) for stage, seconds in turn.latencies.items()},
    }


def _dump(document: dict[str, object]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_json(conversation: StoredConversation) -> str:
    """One conversation as a JSON document."""
    return _dump(
        {"format": CONVERSATION_FORMAT, "format_version": FORMAT_VERSION, **conversation_to_dict(conversation)}
    )


def all_to_json(conversations: Iterable[StoredConversation]) -> str:
    """Several conversations (oldest first as given) as one JSON document."""
    return _dump(
        {
            "format": HISTORY_FORMAT,
            "format_version": FORMAT_VERSION,
            "conversations": [conversation_to_dict(c) for c in conversations],
        }
    )


# ---------------------------------------------------------------------------------------------------- Markdown
def escape_markdown(text: str) -> str:
    """Backslash-escape what Markdown would otherwise read as formatting, so spoken words stay words."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _format_cost(cost: float) -> str:
    return f"${cost:.4f}"


def _usage_line(conversation: StoredConversation) -> str:
    usage = conversation.usage
    tokens = usage.llm_prompt_tokens + usage.llm_completion_tokens
    return (
        f"{tokens:,} LLM tokens ({usage.llm_prompt_tokens:,} prompt, {usage.llm_completion_tokens:,} completion), "
        f"{usage.tts_characters:,} characters spoken, {usage.stt_audio_seconds:.1f} s of speech transcribed"
    )


def _latency_line(turn: StoredTurn) -> str:
    parts = [f"{_STAGE_LABELS.get(stage, str(stage))} {seconds:.3f} s" for stage, seconds in turn.latencies.items()]
    return "*Latency: " + ", ".join(parts) + "*"


def _render(conversation: StoredConversation, level: int) -> list[str]:
    heading = "#" * level
    lines = [f"{heading} {escape_markdown(display_title(conversation))}", ""]
    lines.append(f"- Started: {iso_utc(conversation.started_at)}")
    if conversation.ended_at is not None:
        lines.append(f"- Ended: {iso_utc(conversation.ended_at)}")
    if conversation.voice:
        lines.append(f"- Voice: {escape_markdown(conversation.voice)}")
    if conversation.prompt_name:
        lines.append(f"- Prompt: {escape_markdown(conversation.prompt_name)}")
    lines.append(f"- Usage: {_usage_line(conversation)}")
    lines.append(f"- Cost: {_format_cost(conversation.cost_usd)}")
    if conversation.summary or conversation.fields:
        lines += ["", f"{heading}# Summary", ""]
        if conversation.summary:
            lines += [escape_markdown(line) if line.strip() else "" for line in conversation.summary.splitlines()]
        if conversation.fields:
            lines += [""] if conversation.summary else []
            lines += [
                f"- {escape_markdown(name)}: {escape_markdown(field_text(value))}"
                for name, value in conversation.fields.items()
            ]
    lines += ["", f"{heading}# Transcript", ""]
    if not conversation.turns:
        lines += ["*No turns were recorded.*", ""]
    for turn in conversation.turns:
        header = f"**{_SPEAKERS[turn.role]}** · {iso_utc(turn.started_at)}"
        header += "".join(f" · {note}" for note in turn_notes(turn))
        lines += [header, ""]
        lines += [escape_markdown(line) if line.strip() else "" for line in (turn.text or "…").splitlines()]
        lines.append("")
        if turn.latencies:
            lines += [_latency_line(turn), ""]
    return lines


def to_markdown(conversation: StoredConversation) -> str:
    """One conversation as a Markdown document: title, details, then the transcript."""
    return "\n".join(_render(conversation, 1)).rstrip("\n") + "\n"


def all_to_markdown(conversations: Iterable[StoredConversation]) -> str:
    """Several conversations (oldest first as given) as one Markdown document."""
    lines = ["# Conversation history", ""]
    for conversation in conversations:
        lines += _render(conversation, 2)
    return "\n".join(lines).rstrip("\n") + "\n"
