"""History's "Export metrics" button: each reply's stage latencies, usage and cost with p50/p95, as CSV or JSON, for
the open conversation or a date range (:mod:`desktop_agent.storage.metrics`).

Dialogs open with ``open()`` (non-blocking) and the history is read and the file written on worker threads, so the
voice session keeps running meanwhile. The outcome is one sentence in the history view's status line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMenu, QToolButton, QWidget

from desktop_agent.config.atomic import write_text_atomic
from desktop_agent.config.local_files import error_words
from desktop_agent.storage.export import iso_utc
from desktop_agent.storage.history import HistoryStore
from desktop_agent.storage.metrics import format_for, render, turn_metrics
from desktop_agent.storage.records import StoredConversation
from desktop_agent.ui.history.metrics_range_dialog import MetricsRangeDialog
from desktop_agent.ui.history.save_dialog import save_dialog

CSV_FILTER = "CSV (*.csv)"
JSON_FILTER = "JSON (*.json)"


class MetricsExportButton(QToolButton):
    """``store`` gives the history store (None while unavailable), ``open_conversation`` the one shown, ``say`` puts
    a sentence in the status line, ``spawn`` runs a coroutine as the view's task."""

    def __init__(
        self,
        store: Callable[[], HistoryStore | None],
        open_conversation: Callable[[], StoredConversation | None],
        say: Callable[[str], None],
        spawn: Callable[..., asyncio.Task],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._open_conversation = open_conversation
        self._say = say
        self._spawn = spawn
        #: The range picker or save dialog currently open (None when there is none); tests answer it.
        self.pending_dialog: QFileDialog | MetricsRangeDialog | None = None
        self.setText("Export metrics")
        self.setToolTip("Each reply's stage latencies, tokens, characters and cost, with p50/p95, as CSV or JSON")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.conversation_action = menu.addAction("This conversation…", self.request_conversation)
        self.range_action = menu.addAction("A date range…", self.request_range)
        self.setMenu(menu)
        self.update_actions()

    def update_actions(self) -> None:
        self.setEnabled(self._store() is not None)
        self.conversation_action.setEnabled(self._open_conversation() is not None)

    # ------------------------------------------------------------------ asking
    def request_conversation(self) -> QFileDialog | None:
        conversation = self._open_conversation()
        if conversation is None:
            self._say("Pick a conversation to export its metrics first.")
            return None
        started = datetime.fromtimestamp(conversation.started_at).astimezone()
        return self._ask_path(
            f"metrics-{started:%Y-%m-%d-%H%M}",
            lambda path, fmt: self.export_conversation(conversation.id, path, fmt),
        )

    def request_range(self) -> MetricsRangeDialog:
        dialog = MetricsRangeDialog(self.window())

        def chosen(_result: int) -> None:
            if self.pending_dialog is dialog:
                self.pending_dialog = None
            if dialog.result() == MetricsRangeDialog.DialogCode.Accepted:
                first, last = dialog.days()
                since, until = dialog.bounds()
                self._ask_path(
                    f"metrics-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}",
                    lambda path, fmt: self.export_range(since, until, path, fmt),
                )
            dialog.deleteLater()

        dialog.finished.connect(chosen)
        self.pending_dialog = dialog
        dialog.open()
        return dialog

    def _ask_path(self, stem: str, export: Callable[[Path, str], object]) -> QFileDialog:
        dialog = save_dialog(self.window(), "Export metrics", {CSV_FILTER: "csv", JSON_FILTER: "json"}, stem)

        def chosen(path: str) -> None:
            target = Path(path)
            requested = "json" if dialog.selectedNameFilter() == JSON_FILTER else "csv"
            fmt = format_for(target.suffix) if target.suffix.lower() in (".csv", ".json") else requested
            self._spawn(export(target, fmt))

        def finished(_result: int) -> None:
            if self.pending_dialog is dialog:
                self.pending_dialog = None
            dialog.deleteLater()

        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(finished)
        self.pending_dialog = dialog
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ exporting
    async def export_conversation(self, conversation_id: int, path: Path | str, fmt: str = "csv") -> Path | None:
        """Write the metrics of one stored conversation; the path, or None (the status line says why)."""
        store = self._store()
        if store is None:
            return None
        conversation = await asyncio.to_thread(store.get_conversation, conversation_id)
        if conversation is None:
            self._say("That conversation is no longer in the history.")
            return None
        return await self._write([conversation], Path(path), fmt, {"conversation_id": conversation_id})

    async def export_range(self, since: float, until: float, path: Path | str, fmt: str = "csv") -> Path | None:
        """Write the metrics of the conversations started from ``since`` to before ``until``."""
        store = self._store()
        if store is None:
            return None
        conversations = await asyncio.to_thread(store.get_conversations_between, since, until)
        return await self._write(conversations, Path(path), fmt, {"since": iso_utc(since), "until": iso_utc(until)})

    async def _write(
        self, conversations: list[StoredConversation], path: Path, fmt: str, scope: dict[str, object]
    ) -> Path | None:
        text = render(conversations, fmt, scope)
        try:
            await asyncio.to_thread(write_text_atomic, path, text)
        except OSError as exc:
            self._say(f"Could not export the metrics to {path}: {error_words(exc)}.")
            return None
        replies = len(turn_metrics(conversations))
        self._say(f"Exported the metrics of {replies} repl{'y' if replies == 1 else 'ies'} to {path}.")
        return path
