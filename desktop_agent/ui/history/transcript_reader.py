"""Read-only view of one stored conversation: details, then every turn with its time, interruption and latencies.

The view is HTML, so every stored text (what was said, the title, voice and prompt names) is escaped, after
:func:`~desktop_agent.state.plain_text.plain_text` has removed control characters and bidi overrides from it.
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtWidgets import QTextBrowser, QWidget

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import Stage
from desktop_agent.state.plain_text import plain_text
from desktop_agent.storage.export import display_title
from desktop_agent.storage.records import StoredConversation, StoredTurn

_SPEAKERS = {Role.USER: "You", Role.ASSISTANT: "Assistant"}
_STAGE_LABELS = {
    Stage.ENDPOINTING: "endpointing",
    Stage.STT_FINAL: "transcript",
    Stage.LLM_FIRST_TOKEN: "LLM",
    Stage.TTS_FIRST_AUDIO: "TTS",
    Stage.VOICE_TO_VOICE: "voice to voice",
}


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).astimezone().strftime("%H:%M:%S")


def _turn_html(turn: StoredTurn) -> str:
    header = f"<b>{_SPEAKERS[turn.role]}</b> <small>{_clock(turn.started_at)}</small>"
    if turn.interrupted:
        header += " <small><i>(interrupted)</i></small>"
    body = html.escape(plain_text(turn.text) or "…").replace("\n", "<br>")
    parts = [f"<p>{header}<br>{body}</p>"]
    if turn.latencies:
        latency = ", ".join(
            f"{_STAGE_LABELS.get(stage, str(stage))} {seconds * 1000:.0f} ms" for stage, seconds in turn.latencies.items()
        )
        parts.append(f"<p><small>{html.escape(latency)}</small></p>")
    return "".join(parts)


def conversation_html(conversation: StoredConversation) -> str:
    started = datetime.fromtimestamp(conversation.started_at).astimezone().strftime("%Y-%m-%d %H:%M")
    details = [started]
    if conversation.voice:
        details.append(f"voice {conversation.voice}")
    if conversation.prompt_name:
        details.append(f"prompt {conversation.prompt_name}")
    details.append(f"cost ${conversation.cost_usd:.4f}")
    title, details_text = plain_text(display_title(conversation)), plain_text(" · ".join(details))
    head = f"<h3>{html.escape(title)}</h3><p><small>{html.escape(details_text)}</small></p>"
    if not conversation.turns:
        return head + "<p><i>No turns were recorded.</i></p>"
    return head + "".join(_turn_html(turn) for turn in conversation.turns)


class TranscriptReader(QTextBrowser):
    """Shows one conversation, or a short hint when none is open. Text can be selected and copied."""

    EMPTY_HINT = "Pick a conversation on the left to read it."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setAccessibleName("Conversation transcript")
        self.conversation: StoredConversation | None = None
        self.show_conversation(None)

    def show_conversation(self, conversation: StoredConversation | None) -> None:
        self.conversation = conversation
        if conversation is None:
            self.setHtml(f"<p><i>{html.escape(self.EMPTY_HINT)}</i></p>")
        else:
            self.setHtml(conversation_html(conversation))
