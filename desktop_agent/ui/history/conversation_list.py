"""The list of past conversations: title, when, how many turns, what it cost, and the matching words in a search
(else the start of the conversation's summary)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from desktop_agent.storage.records import ConversationSummary
from desktop_agent.ui.untrusted_text import plain_tooltip, shown_name

_ID_ROLE = Qt.ItemDataRole.UserRole


def local_time(seconds: float) -> str:
    """Wall-clock seconds in the user's time zone, e.g. ``2024-05-01 12:00``."""
    return datetime.fromtimestamp(seconds).astimezone().strftime("%Y-%m-%d %H:%M")


def summary_text(summary: ConversationSummary) -> str:
    """The row's text. Titles, snippets and summaries are what was said or the language model wrote: plain text."""
    title = shown_name(summary.title, 200) or "Untitled conversation"
    turns = "1 turn" if summary.turn_count == 1 else f"{summary.turn_count} turns"
    lines = [title, f"{local_time(summary.started_at)} · {turns} · ${summary.cost_usd:.4f}"]
    if summary.snippet:
        lines.append(f"“{shown_name(summary.snippet, 200)}”")
    elif summary.summary:  # written by the language model when the conversation ended
        lines.append(shown_name(summary.summary, 120))
    return "\n".join(lines)


class ConversationList(QListWidget):
    """Shows :class:`ConversationSummary` rows, newest first; emits the id of the conversation the user picks."""

    conversation_selected = Signal(int)  # id; -1 when the selection is cleared

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.setAccessibleName("Conversations")
        self.currentItemChanged.connect(self._on_current_changed)

    def set_summaries(self, summaries: list[ConversationSummary]) -> None:
        """Replace the rows, keeping the current conversation selected if it is still listed."""
        keep = self.current_conversation_id()
        self.blockSignals(True)
        try:
            self.clear()
            for summary in summaries:
                item = QListWidgetItem(summary_text(summary))
                item.setData(_ID_ROLE, summary.id)
                item.setToolTip(plain_tooltip(summary.title) or "Untitled conversation")
                self.addItem(item)
                if summary.id == keep:
                    self.setCurrentItem(item)
        finally:
            self.blockSignals(False)
        if keep is not None and self.current_conversation_id() != keep:
            self.conversation_selected.emit(-1)

    def conversation_ids(self) -> list[int]:
        return [self.item(row).data(_ID_ROLE) for row in range(self.count())]

    def current_conversation_id(self) -> int | None:
        item = self.currentItem()
        return None if item is None else int(item.data(_ID_ROLE))

    def select_conversation(self, conversation_id: int) -> bool:
        for row in range(self.count()):
            if self.item(row).data(_ID_ROLE) == conversation_id:
                self.setCurrentRow(row)
                return True
        return False

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.conversation_selected.emit(-1 if current is None else int(current.data(_ID_ROLE)))
