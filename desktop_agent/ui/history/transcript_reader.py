"""Read-only view of one stored conversation: details and its summary, then every turn with its time, its marks
and latencies.

The document is built with a text cursor, not from HTML: every stored text (what was said, the title, voice and
prompt names) is inserted as the characters it holds, so nothing in it can become markup, a link or an image. It
first goes through :func:`~desktop_agent.state.plain_text.plain_text`, which removes control characters and bidi
overrides. What was said is a paragraph of its own, laid out right to left when its text reads so (Arabic, Urdu),
in a font that goes on to a family for each script (:mod:`desktop_agent.ui.script_fonts`).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QTextBrowser, QWidget

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import Stage
from desktop_agent.state.plain_text import plain_text
from desktop_agent.state.turn_notes import turn_notes
from desktop_agent.state.writing_direction import is_right_to_left
from desktop_agent.storage.export import display_title, field_text
from desktop_agent.storage.records import StoredConversation, StoredTurn
from desktop_agent.ui.script_fonts import with_script_fallbacks

_SPEAKERS = {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.TOOL: "Tool"}
#: Keyed by Stage; a stored turn may hold a stage this version does not know (a plain string), shown as it is.
_STAGE_LABELS: dict[Stage | str, str] = {
    Stage.ENDPOINTING: "endpointing",
    Stage.STT_FINAL: "transcript",
    Stage.LLM_FIRST_TOKEN: "LLM",
    Stage.TTS_FIRST_AUDIO: "TTS",
    Stage.VOICE_TO_VOICE: "voice to voice",
    Stage.TOOLS: "tools",
}
_PARAGRAPH_GAP = 8.0  # pixels above each turn and each details line
_LINE_BREAK = "\u2028"  # a line break inside one paragraph (a "\n" would start a new one)


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).astimezone().strftime("%H:%M:%S")


def _char_format(*, bold: bool = False, italic: bool = False, size: int = 0) -> QTextCharFormat:
    """``size`` is Qt's relative font size: -1 is <small>, +1 a heading a step bigger than the text."""
    fmt = QTextCharFormat()
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    if size:
        fmt.setProperty(QTextFormat.Property.FontSizeAdjustment, size)
    return fmt


_HEADING = _char_format(bold=True, size=1)
_SMALL = _char_format(size=-1)
_SPEAKER = _char_format(bold=True)
_NOTE = _char_format(italic=True, size=-1)
_TEXT = _char_format()


def turn_header_notes(turn: StoredTurn) -> str:
    """The marks after a turn's time, e.g. "(interrupted, not spoken)"; empty when it has none."""
    notes = turn_notes(turn)
    return f"({', '.join(notes)})" if notes else ""


class TranscriptReader(QTextBrowser):
    """Shows one conversation, or a short hint when none is open. Text can be selected and copied."""

    EMPTY_HINT = "Pick a conversation on the left to read it."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setAccessibleName("Conversation transcript")
        self.setFont(with_script_fallbacks(self.font()))
        self.conversation: StoredConversation | None = None
        self.show_conversation(None)

    def show_conversation(self, conversation: StoredConversation | None) -> None:
        self.conversation = conversation
        self.clear()
        cursor = QTextCursor(self.document())
        if conversation is None:
            cursor.insertText(self.EMPTY_HINT, _char_format(italic=True))
            return
        self._write_head(cursor, conversation)
        if not conversation.turns:
            self._paragraph(cursor)
            cursor.insertText("No turns were recorded.", _char_format(italic=True))
        for turn in conversation.turns:
            self._write_turn(cursor, turn)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    @staticmethod
    def _paragraph(cursor: QTextCursor) -> None:
        block = QTextBlockFormat()
        block.setTopMargin(_PARAGRAPH_GAP)
        cursor.insertBlock(block, _TEXT)

    def _write_head(self, cursor: QTextCursor, conversation: StoredConversation) -> None:
        started = datetime.fromtimestamp(conversation.started_at).astimezone().strftime("%Y-%m-%d %H:%M")
        details = [started]
        if conversation.voice:
            details.append(f"voice {conversation.voice}")
        if conversation.prompt_name:
            details.append(f"prompt {conversation.prompt_name}")
        details.append(f"cost ${conversation.cost_usd:.4f}")
        cursor.insertText(plain_text(display_title(conversation), single_line=True), _HEADING)
        self._paragraph(cursor)
        cursor.insertText(plain_text(" · ".join(details), single_line=True), _SMALL)
        if conversation.summary or conversation.fields:
            self._write_summary(cursor, conversation)

    def _write_summary(self, cursor: QTextCursor, conversation: StoredConversation) -> None:
        """What the language model wrote when the conversation ended: remote text, inserted as plain characters."""
        self._paragraph(cursor)
        cursor.insertText("Summary", _SPEAKER)
        if conversation.summary:
            self._paragraph(cursor)
            cursor.insertText(plain_text(conversation.summary).replace("\n", _LINE_BREAK), _TEXT)
        for name, value in conversation.fields.items():
            self._paragraph(cursor)
            cursor.insertText(plain_text(f"{name.replace('_', ' ')}:", single_line=True), _NOTE)
            cursor.insertText(" ", _TEXT)
            cursor.insertText(plain_text(field_text(value), single_line=True), _TEXT)

    def _write_turn(self, cursor: QTextCursor, turn: StoredTurn) -> None:
        self._paragraph(cursor)
        cursor.insertText(_SPEAKERS[turn.role], _SPEAKER)
        cursor.insertText(" ", _TEXT)
        cursor.insertText(_clock(turn.started_at), _SMALL)
        notes = turn_header_notes(turn)
        if notes:
            cursor.insertText(" ", _TEXT)
            cursor.insertText(notes, _NOTE)
        text = plain_text(turn.text) or "…"
        said = QTextBlockFormat()
        rtl = is_right_to_left(text)
        said.setLayoutDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
        cursor.insertBlock(said, _TEXT)
        cursor.insertText(text.replace("\n", _LINE_BREAK), _TEXT)
        if turn.latencies:
            latency = ", ".join(
                f"{_STAGE_LABELS.get(stage, str(stage))} {seconds * 1000:.0f} ms"
                for stage, seconds in turn.latencies.items()
            )
            self._paragraph(cursor)
            cursor.insertText(plain_text(latency, single_line=True), _SMALL)
