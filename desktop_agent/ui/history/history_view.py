"""The history view: search box, conversation list, transcript reader, and continue / copy / export / delete actions.

Nothing here touches the database on the Qt thread: every query is an ``asyncio.to_thread`` call awaited on the
qasync loop, and a slow search that has been overtaken by a newer one is dropped, not shown. Confirmations and the
save dialog are opened with ``open()`` (window-modal, non-blocking), so the voice session keeps running under them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.storage.export import all_to_json, all_to_markdown, display_title, to_json, to_markdown
from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore
from desktop_agent.ui import exception_guard
from desktop_agent.ui.history.conversation_list import ConversationList
from desktop_agent.ui.history.metrics_export_button import MetricsExportButton
from desktop_agent.ui.history.save_dialog import save_dialog
from desktop_agent.ui.history.transcript_reader import TranscriptReader
from desktop_agent.ui.untrusted_text import plain_label, plain_message_box, shown_name

log = logging.getLogger(__name__)

T = TypeVar("T")

MARKDOWN_FILTER = "Markdown (*.md)"
JSON_FILTER = "JSON (*.json)"
SEARCH_DELAY_MS = 250


def export_format(path: Path, name_filter: str = "") -> str:
    """ "json" or "markdown": from the file's extension, else from the file-type filter the user picked."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "json" if name_filter == JSON_FILTER else "markdown"


def write_text_atomically(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so a failed export never leaves half a file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class HistoryView(QWidget):
    """Lists, searches, shows, exports and deletes stored conversations, and offers to continue one
    (``continue_requested(id)``: the window starts a session that carries it on).

    Give it the app's :class:`HistoryStore` (or None with ``unavailable_reason`` when history could not be opened).
    The list reloads each time the view is shown; :meth:`refresh` reloads it on demand.
    """

    continue_requested = Signal(int)  # the id of the conversation to continue

    def __init__(
        self, store: HistoryStore | None, parent: QWidget | None = None, *, unavailable_reason: str = ""
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Conversation history")
        self._store: HistoryStore | None = None
        self.continue_available = False
        self._tasks: set[asyncio.Task] = set()
        self._list_generation = 0
        self._open_generation = 0
        #: The confirmation or save dialog currently open (None when there is none); tests answer it.
        self.pending_confirmation: QMessageBox | None = None
        self.pending_dialog: QFileDialog | None = None

        self.search_box = QLineEdit(placeholderText="Search conversations")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName("Search conversations")
        self.conversation_list = ConversationList()
        self.reader = TranscriptReader()
        self.notice = plain_label(QLabel())  # what happened when the history was opened (e.g. a damaged file set aside)
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.status = plain_label(QLabel())  # quotes titles and file paths
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Go on with this conversation: a new session remembers what was said")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the conversation as Markdown")
        self.export_button = QPushButton("Export…")
        self.delete_button = QPushButton("Delete…")
        self.export_all_button = QPushButton("Export all…")
        self.delete_all_button = QPushButton("Delete all…")
        self.metrics_button = MetricsExportButton(
            lambda: self._store, lambda: self.reader.conversation, self.status.setText, self._spawn
        )

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.conversation_list)
        splitter.addWidget(self.reader)
        splitter.setStretchFactor(1, 2)
        buttons = QHBoxLayout()
        for button in (self.continue_button, self.copy_button, self.export_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.metrics_button)
        buttons.addWidget(self.export_all_button)
        buttons.addWidget(self.delete_all_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.search_box)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.conversation_list.conversation_selected.connect(self._on_selected)
        self.continue_button.clicked.connect(self.request_continue)
        self.copy_button.clicked.connect(self.copy_transcript)
        self.export_button.clicked.connect(lambda: self.request_export(everything=False))
        self.export_all_button.clicked.connect(lambda: self.request_export(everything=True))
        self.delete_button.clicked.connect(self.request_delete)
        self.delete_all_button.clicked.connect(self.request_delete_all)
        tasks = self._tasks
        self.destroyed.connect(lambda: [task.cancel() for task in list(tasks)])
        self.resize(860, 560)
        self.set_store(store, unavailable_reason)

    # ------------------------------------------------------------------ store
    @property
    def store(self) -> HistoryStore | None:
        return self._store

    def set_store(self, store: HistoryStore | None, unavailable_reason: str = "") -> None:
        """Use ``store``; with None, say why history is unavailable and disable everything."""
        self._store = store
        for widget in (self.search_box, self.conversation_list, self.export_all_button, self.delete_all_button):
            widget.setEnabled(store is not None)
        self.conversation_list.clear()
        self.reader.show_conversation(None)
        self._update_actions()
        if store is None:
            notice = unavailable_reason or "Conversation history is unavailable."
        else:
            notice = " ".join(store.problems)
        self.notice.setText(notice)
        self.notice.setVisible(bool(notice))
        self.status.clear()
        if store is not None and self.isVisible():
            self.refresh()

    # ------------------------------------------------------------------ listing and opening
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._store is not None:
            self.refresh()

    def refresh(self) -> asyncio.Task:
        """Reload the list for the current search text; returns the task (done when the list is shown)."""
        self._search_timer.stop()
        return self._spawn(self._load_list(self.search_box.text()))

    async def _load_list(self, search: str) -> None:
        store = self._store
        if store is None:
            return
        self._list_generation += 1
        generation = self._list_generation
        summaries = await asyncio.to_thread(store.list_conversations, search)
        if generation != self._list_generation:
            return  # overtaken by a newer search: its result is what the user wants to see
        self.conversation_list.set_summaries(summaries)
        count = len(summaries)
        noun = "conversation" if count == 1 else "conversations"
        if search.strip():
            verb = "matches" if count == 1 else "match"
            self.status.setText(
                f"{count} {noun} {verb} “{search.strip()}”." if count else f"Nothing matches “{search.strip()}”."
            )
        else:
            self.status.setText(f"{count} {noun}." if count else "No conversations yet.")

    def open_conversation(self, conversation_id: int) -> asyncio.Task:
        """Select ``conversation_id`` in the list and show its transcript; returns the loading task."""
        self.conversation_list.blockSignals(True)
        try:
            self.conversation_list.select_conversation(conversation_id)
        finally:
            self.conversation_list.blockSignals(False)
        return self._spawn(self._load_conversation(conversation_id))

    def _on_selected(self, conversation_id: int) -> None:
        if conversation_id < 0:
            self._open_generation += 1
            self.reader.show_conversation(None)
            self._update_actions()
        else:
            self._spawn(self._load_conversation(conversation_id))

    async def _load_conversation(self, conversation_id: int) -> None:
        store = self._store
        if store is None:
            return
        self._open_generation += 1
        generation = self._open_generation
        conversation = await asyncio.to_thread(store.get_conversation, conversation_id)
        if generation != self._open_generation:
            return
        self.reader.show_conversation(conversation)
        if conversation is None:
            self.status.setText("That conversation is no longer in the history.")
        self._update_actions()

    def _update_actions(self) -> None:
        has_open = self._store is not None and self.reader.conversation is not None
        for button in (self.copy_button, self.export_button, self.delete_button):
            button.setEnabled(has_open)
        self.continue_button.setEnabled(has_open and self.continue_available)
        self.metrics_button.update_actions()

    def set_continue_available(self, available: bool) -> None:
        """Whether Continue can start a session (the window says so; the view alone cannot continue anything)."""
        self.continue_available = available
        self._update_actions()

    # ------------------------------------------------------------------ continue
    def request_continue(self) -> bool:
        """Ask the window to continue the open conversation (``continue_requested``); False when none is open."""
        conversation = self.reader.conversation
        if conversation is None or not self.continue_available:
            return False
        self.status.setText(f"Continuing “{shown_name(display_title(conversation), 80)}” in the main window.")
        self.continue_requested.emit(conversation.id)
        return True

    # ------------------------------------------------------------------ copy and export
    def copy_transcript(self) -> bool:
        """Put the open conversation on the clipboard as Markdown."""
        conversation = self.reader.conversation
        if conversation is None:
            return False
        QGuiApplication.clipboard().setText(to_markdown(conversation))
        self.status.setText("Copied the conversation as Markdown.")
        return True

    def request_export(self, everything: bool = False) -> QFileDialog:
        """Ask where to save (non-blocking); the export runs when the user picks a file."""
        conversation = self.reader.conversation
        if everything or conversation is None:
            stem = f"desktop-agent-history-{datetime.now().astimezone():%Y-%m-%d}"
        else:
            stem = f"conversation-{datetime.fromtimestamp(conversation.started_at).astimezone():%Y-%m-%d-%H%M}"
        title = "Export all conversations" if everything else "Export conversation"
        dialog = save_dialog(self, title, {MARKDOWN_FILTER: "md", JSON_FILTER: "json"}, stem)

        def chosen(path: str) -> None:
            target = Path(path)
            self._spawn(
                self.export_to(target, export_format(target, dialog.selectedNameFilter()), everything=everything)
            )

        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(lambda _result: self._forget_dialog(dialog))
        if self.pending_dialog is not None:
            self.pending_dialog.deleteLater()
        self.pending_dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: QFileDialog) -> None:
        if self.pending_dialog is dialog:
            self.pending_dialog = None
        dialog.deleteLater()

    async def export_to(self, path: Path | str, fmt: str | None = None, *, everything: bool = False) -> Path | None:
        """Save the open conversation (or, with ``everything``, all of them) to ``path``.

        ``fmt`` is "markdown" or "json" (default: from the extension). Returns the path, or None when nothing was
        written (the reason is in the status line).
        """
        store = self._store
        if store is None:
            return None
        path = Path(path)
        fmt = fmt or export_format(path)
        if everything:
            conversations = await asyncio.to_thread(store.get_all_conversations)
            text = all_to_json(conversations) if fmt == "json" else all_to_markdown(conversations)
        else:
            shown = self.reader.conversation
            if shown is None:
                self.status.setText("Pick a conversation to export first.")
                return None
            conversation = await asyncio.to_thread(store.get_conversation, shown.id)  # with turns added since
            if conversation is None:
                self.status.setText("That conversation is no longer in the history.")
                return None
            text = to_json(conversation) if fmt == "json" else to_markdown(conversation)
        try:
            await asyncio.to_thread(write_text_atomically, path, text)
        except OSError as exc:
            self.status.setText(f"Could not export to {path}: {exc.strerror or exc}.")
            return None
        self.status.setText(f"Exported to {path}.")
        return path

    # ------------------------------------------------------------------ delete
    def request_delete(self) -> QMessageBox | None:
        """Ask (non-blocking) before deleting the open conversation."""
        conversation = self.reader.conversation
        if conversation is None or self._store is None:
            return None
        title = conversation.title or "this untitled conversation"
        return self._confirm(
            "Delete this conversation?",
            f"“{shown_name(title, 80)}” will be deleted from the history. This cannot be undone.",
            "Delete",
            lambda: self._spawn(self.delete_conversation(conversation.id)),
        )

    def request_delete_all(self) -> QMessageBox | None:
        """Ask (non-blocking) before deleting every conversation."""
        if self._store is None:
            return None
        return self._confirm(
            "Delete all conversations?",
            "Every conversation in the history will be deleted, not only those listed. This cannot be undone.",
            "Delete all",
            lambda: self._spawn(self.delete_everything()),
        )

    def _confirm(self, title: str, text: str, action: str, on_confirm: Callable[[], object]) -> QMessageBox:
        if self.pending_confirmation is not None:
            self.pending_confirmation.reject()
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Cancel, self)
        plain_message_box(box)  # the text quotes a conversation's title: what the user said
        box.addButton(QMessageBox.StandardButton.Yes).setText(action)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def finished(_result: int) -> None:
            if self.pending_confirmation is box:
                self.pending_confirmation = None
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                on_confirm()
            box.deleteLater()

        box.finished.connect(finished)
        self.pending_confirmation = box
        box.open()
        return box

    async def delete_conversation(self, conversation_id: int) -> None:
        store = self._store
        if store is None:
            return
        await asyncio.to_thread(store.delete, conversation_id)
        if self.reader.conversation is not None and self.reader.conversation.id == conversation_id:
            self._open_generation += 1
            self.reader.show_conversation(None)
            self._update_actions()
        await self._load_list(self.search_box.text())
        self.status.setText("The conversation was deleted.")

    async def delete_everything(self) -> None:
        store = self._store
        if store is None:
            return
        count = await asyncio.to_thread(store.delete_all)
        self._open_generation += 1
        self.reader.show_conversation(None)
        self._update_actions()
        await self._load_list(self.search_box.text())
        self.status.setText("Deleted 1 conversation." if count == 1 else f"Deleted {count} conversations.")

    # ------------------------------------------------------------------ tasks
    def _spawn(self, work: Awaitable[T]) -> asyncio.Task:
        task = asyncio.ensure_future(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, work: Awaitable[T]) -> T | None:
        """History failures become the status line's sentence; anything unexpected goes to the log and banner."""
        try:
            return await work
        except ConversationHistoryUnavailable as exc:
            self.status.setText(str(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed query must not escape into the event loop
            exception_guard.report(exc, "the history view")
            self.status.setText("Something went wrong in the history view; the details are in the log.")
        return None
