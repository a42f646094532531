"""The transcript as a Qt list model over the conversation's turns, updated incrementally.

A continued conversation's earlier turns (those the assistant remembers) come first; the last of them carries the
divider line, "Continued from <date>" (:attr:`TranscriptModel.DividerRole`), drawn below its bubble.

:meth:`TranscriptModel.sync` compares the model with ``Conversation.turns`` and emits only what changed: rows
appended at the end, rows removed (a silent user turn dropped, a reset), and ``dataChanged`` for the few turns
still open. Finished turns never change, so a sync costs the same at 10 turns and at 10 000.
"""

from __future__ import annotations

import bisect
import time
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desktop_agent.state.conversation import Role, Turn
from desktop_agent.state.plain_text import plain_text
from desktop_agent.state.turn_notes import turn_notes

ROLE_LABELS = {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.TOOL: "Tool"}


def turn_signature(turn: Turn) -> tuple:
    """Everything that affects how a turn looks; equal signatures mean nothing to redraw."""
    return (turn.text, turn.interim, turn.interrupted, turn.spoken, turn.complete, turn.finished)


def clock_time(wall_seconds: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(wall_seconds))


def notes_line(turn: Turn) -> str:
    """The turn's marks as the bubble's last line, e.g. "Interrupted · not spoken"; empty when it has none."""
    line = " · ".join(turn_notes(turn))
    return line[:1].upper() + line[1:]


def continued_line(wall_seconds: float) -> str:
    """The divider after a continued conversation's earlier turns, e.g. ``Continued from 2026-12-07 14:03``."""
    return f"Continued from {time.strftime('%Y-%m-%d %H:%M', time.localtime(wall_seconds))}"


def turn_as_text(turn: Turn) -> str:
    """One line of plain text for the clipboard: ``[14:03:22] Assistant: text [not spoken]``."""
    suffix = "".join(f" [{note}]" for note in turn_notes(turn))
    return f"[{clock_time(turn.started_at)}] {ROLE_LABELS[turn.role]}: {plain_text(turn.display_text)}{suffix}"


class TranscriptModel(QAbstractListModel):
    TurnRole = Qt.ItemDataRole.UserRole + 1
    DividerRole = Qt.ItemDataRole.UserRole + 2  # the line drawn below the row ("" for most rows)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._turns: list[Turn] = []
        self._ids: list[int] = []
        self._open: dict[int, tuple] = {}  # id -> signature of turns that may still change
        self._continued_from: float | None = None  # when the continued conversation started (wall clock)
        self.rows_removed = False  # whether the last sync removed rows (row numbers after them shifted)

    # ----------------------------------------------------------------------------------- Qt model interface
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._turns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._turns):
            return None
        turn = self._turns[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return plain_text(turn.display_text)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            notes = turn_notes(turn) if turn.finished else ("in progress",)
            state = "".join(f", {note}" for note in notes)
            said = f"{ROLE_LABELS[turn.role]} at {clock_time(turn.started_at)}{state}: {plain_text(turn.display_text)}"
            divider = self.divider(index.row())
            return f"{said}. {divider}." if divider else said
        if role == Qt.ItemDataRole.ToolTipRole:
            return time.strftime("%A %d %B %Y, %H:%M:%S", time.localtime(turn.started_at))
        if role == self.TurnRole:
            return turn
        if role == self.DividerRole:
            return self.divider(index.row())
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # ----------------------------------------------------------------------------------- access
    def turn(self, row: int) -> Turn:
        return self._turns[row]

    def turns(self) -> list[Turn]:
        return list(self._turns)

    def divider(self, row: int) -> str:
        """The divider below ``row``: "Continued from <date>" after the last earlier turn, else ""."""
        if self._continued_from is None or not self._turns[row].earlier:
            return ""
        if row + 1 < len(self._turns) and self._turns[row + 1].earlier:
            return ""
        return continued_line(self._continued_from)

    # ----------------------------------------------------------------------------------- incremental sync
    def sync(self, turns: list[Turn], continued_from: float | None = None) -> list[int]:
        """Make the model match ``turns`` (and ``Conversation.continued_from``); return the rows that were added or
        changed (their height may differ).

        Relies on what :class:`~desktop_agent.state.conversation.Conversation` guarantees: turn ids grow, new
        turns are appended, and turns are only ever removed, never reordered.
        """
        touched: list[int] = []
        self.rows_removed = False
        self._continued_from = continued_from  # (its earlier turns arrive with it, in the same sync)
        old_count = len(self._ids)
        prefix_kept = old_count == 0 or (len(turns) >= old_count and turns[old_count - 1].id == self._ids[-1])
        if not prefix_kept:
            self._remove_missing({t.id for t in turns})
            self.rows_removed = len(self._ids) < old_count
            old_count = len(self._ids)
        for turn_id, signature in list(self._open.items()):
            row = self._row_of(turn_id)
            if row is None:
                continue
            turn = self._turns[row]
            new_signature = turn_signature(turn)
            if new_signature != signature:
                index = self.index(row)
                self.dataChanged.emit(index, index)
                touched.append(row)
            if turn.finished:
                del self._open[turn_id]
            else:
                self._open[turn_id] = new_signature
        if len(turns) > old_count:
            added = turns[old_count:]
            self.beginInsertRows(QModelIndex(), old_count, old_count + len(added) - 1)
            self._turns.extend(added)
            self._ids.extend(t.id for t in added)
            for turn in added:
                if not turn.finished:
                    self._open[turn.id] = turn_signature(turn)
            self.endInsertRows()
            touched.extend(range(old_count, old_count + len(added)))
        return touched

    def _row_of(self, turn_id: int) -> int | None:
        row = bisect.bisect_left(self._ids, turn_id)
        return row if row < len(self._ids) and self._ids[row] == turn_id else None

    def _remove_missing(self, keep: set[int]) -> None:
        if not keep:
            if self._turns:
                self.beginResetModel()
                self._turns.clear()
                self._ids.clear()
                self._open.clear()
                self.endResetModel()
            return
        row = len(self._ids) - 1
        while row >= 0:
            if self._ids[row] in keep:
                row -= 1
                continue
            end = row
            while row - 1 >= 0 and self._ids[row - 1] not in keep:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row, end)
            for turn_id in self._ids[row : end + 1]:
                self._open.pop(turn_id, None)
            del self._turns[row : end + 1]
            del self._ids[row : end + 1]
            self.endRemoveRows()
            row -= 1
