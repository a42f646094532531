"""The live transcript: chat bubbles, auto-scroll that pauses while the user reads back, copy, 1000+ turns.

A one-column ``QTableView`` rather than a ``QListView``: each row's height is computed once by the delegate and
handed to the vertical header, so appending a turn or growing the live one costs about a millisecond at 10 000
rows, where a ``QListView`` with variable heights asks every row for its size on every change (pitfall 7).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QItemSelectionModel, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QToolButton, QWidget

from desktop_agent.state.conversation import Conversation
from desktop_agent.ui import theme
from desktop_agent.ui.icons import themed_icon
from desktop_agent.ui.transcript_delegate import TranscriptDelegate
from desktop_agent.ui.transcript_model import TranscriptModel, turn_as_text

FOLLOW_SLACK_PX = 4
RELAYOUT_DELAY_MS = 40
RELAYOUT_SLICE_ROWS = 200


class TranscriptView(QTableView):
    """Shows ``Conversation.turns``; call :meth:`refresh` when the transcript area changed."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setAccessibleName("Transcript")
        self.setAccessibleDescription(
            "The conversation so far. Use the arrow keys to select a message and Ctrl+C to copy it."
        )
        self._model = TranscriptModel(self)
        self._delegate = TranscriptDelegate(self)
        self.setModel(self._model)
        self.setItemDelegate(self._delegate)
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setMinimumSectionSize(1)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFrameShape(QTableView.Shape.NoFrame)
        self.setTabKeyNavigation(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._placeholder = ""
        self._follow = True
        self._laid_out_width = -1
        self._font_changed = False
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(RELAYOUT_DELAY_MS)
        self._relayout_timer.timeout.connect(self._relayout_if_width_changed)
        self._pending_rows: list[int] = []
        self._slice_timer = QTimer(self)
        self._slice_timer.setSingleShot(True)
        self._slice_timer.setInterval(0)
        self._slice_timer.timeout.connect(self._relayout_slice)

        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)

        self._jump = QToolButton(self.viewport())
        self._jump.setText("↓ Latest")
        self._jump.setToolTip("Scroll to the newest message and keep following the conversation")
        self._jump.setAccessibleName("Jump to the latest message")
        self._jump.setAutoRaise(False)
        self._jump.setCursor(Qt.CursorShape.PointingHandCursor)
        self._jump.clicked.connect(self.scroll_to_latest)
        self._jump.hide()

        self.copy_action = QAction(themed_icon("copy"), "&Copy Message", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_selected)
        self.addAction(self.copy_action)
        self.copy_all_action = QAction(themed_icon("copy"), "Copy &Whole Conversation", self)
        self.copy_all_action.triggered.connect(self.copy_all)

    # ------------------------------------------------------------------ feeding
    def transcript_model(self) -> TranscriptModel:
        return self._model

    def refresh(self, conversation: Conversation) -> None:
        """Apply the conversation's turns: new rows appended, open rows updated, nothing else touched."""
        touched = self._model.sync(conversation.turns, conversation.continued_from)
        width = self._row_width()
        if width != self._laid_out_width or (self._model.rows_removed and self._pending_rows):
            self._relayout_all()
            return
        header = self.verticalHeader()
        for row in touched:
            header.resizeSection(row, self._row_height(row, width))
        self._update_placeholder_visibility()

    def set_placeholder(self, text: str) -> None:
        """Text shown in the empty transcript (e.g. how to start talking)."""
        if text != self._placeholder:
            self._placeholder = text
            if self._model.rowCount() == 0:
                self.viewport().update()

    # ------------------------------------------------------------------ scrolling
    @property
    def following(self) -> bool:
        """True while the view sticks to the newest message."""
        return self._follow

    def scroll_to_latest(self) -> None:
        self._follow = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
        self._jump.hide()

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - FOLLOW_SLACK_PX
        self._jump.setVisible(not self._follow)
        if not self._follow:
            self._place_jump_button()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)

    def _place_jump_button(self) -> None:
        self._jump.adjustSize()
        area = self.viewport().rect()
        self._jump.move(area.right() - self._jump.width() - 16, area.bottom() - self._jump.height() - 12)

    # ------------------------------------------------------------------ layout
    def _row_width(self) -> int:
        return max(1, self.viewport().width())

    @property
    def layout_pending(self) -> bool:
        """A width or font change is still re-measuring rows."""
        return self._relayout_timer.isActive() or bool(self._pending_rows) or self._row_width() != self._laid_out_width

    def _relayout_if_width_changed(self) -> None:
        if self._row_width() != self._laid_out_width or self._font_changed:
            self._relayout_all()

    def _relayout_all(self) -> None:
        """Re-measure every row for the current width: the rows in view at once, the rest in slices between events.

        Measuring costs ~0.1 ms a row; slicing keeps a resize at 5000 turns from freezing the window for half a
        second. Rows not yet re-measured keep their old height meanwhile, which only shifts the scroll range.
        """
        self._font_changed = False
        width = self._row_width()
        self._laid_out_width = width
        count = self._model.rowCount()
        if self._follow or count == 0:
            first_visible = max(0, count - 1)
        else:
            first_visible = max(0, self.rowAt(0))
        around = range(
            max(0, first_visible - RELAYOUT_SLICE_ROWS // 2), min(count, first_visible + RELAYOUT_SLICE_ROWS)
        )
        self._measure(around, width)
        self._pending_rows = [row for row in range(count - 1, -1, -1) if row not in around]
        if self._pending_rows:
            self._slice_timer.start()
        self._update_placeholder_visibility()
        if self._follow:
            self.scroll_to_latest()

    def _row_height(self, row: int, width: int) -> int:
        return self._delegate.row_height(self._model.turn(row), width, self._model.divider(row))

    def _measure(self, rows: Iterable[int], width: int) -> None:
        header = self.verticalHeader()
        count = self._model.rowCount()
        for row in rows:
            if row < count:
                header.resizeSection(row, self._row_height(row, width))

    def _relayout_slice(self) -> None:
        if self._row_width() != self._laid_out_width:
            self._relayout_all()
            return
        rows, self._pending_rows = self._pending_rows[:RELAYOUT_SLICE_ROWS], self._pending_rows[RELAYOUT_SLICE_ROWS:]
        self._measure(rows, self._laid_out_width)
        if self._pending_rows:
            self._slice_timer.start()
        elif self._follow:
            self.scroll_to_latest()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._row_width() != self._laid_out_width:
            self._relayout_timer.start()
        if self._jump.isVisible():
            self._place_jump_button()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._delegate.set_font(self.font())
            self._font_changed = True
            self._relayout_timer.start()
        elif event.type() == QEvent.Type.PaletteChange:
            self._delegate.set_font(self.font())  # drops cached layouts, which bake in the interim colour

    def _update_placeholder_visibility(self) -> None:
        if self._model.rowCount() == 0 and self._placeholder:
            self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._model.rowCount() == 0 and self._placeholder:
            painter = QPainter(self.viewport())
            painter.setPen(theme.muted_text_color(self.palette()))
            area: QRect = self.viewport().rect().adjusted(24, 24, -24, -24)
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            painter.end()

    # ------------------------------------------------------------------ copy
    def selected_text(self) -> str:
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        if not rows and self.currentIndex().isValid():
            rows = [self.currentIndex().row()]
        return self._rows_text(rows)

    def all_text(self) -> str:
        return self._rows_text(range(self._model.rowCount()))

    def _rows_text(self, rows: Iterable[int]) -> str:
        """The rows as plain text lines, with the divider after a continued conversation's earlier turns."""
        lines = []
        for row in rows:
            lines.append(turn_as_text(self._model.turn(row)))
            divider = self._model.divider(row)
            if divider:
                lines.append(f"— {divider} —")
        return "\n".join(lines)

    def copy_selected(self) -> None:
        self._copy(self.selected_text())

    def copy_all(self) -> None:
        self._copy(self.all_text())

    def _copy(self, text: str) -> None:
        if text:
            QGuiApplication.clipboard().setText(text)
            self.copied.emit(text)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if index.isValid() and not self.selectionModel().isRowSelected(index.row()):
            self.selectionModel().select(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
            self.setCurrentIndex(index)
        menu = QMenu(self)
        self.copy_action.setEnabled(index.isValid() or bool(self.selectionModel().selectedRows()))
        menu.addAction(self.copy_action)
        self.copy_all_action.setEnabled(self._model.rowCount() > 0)
        menu.addAction(self.copy_all_action)
        menu.exec(event.globalPos())
        self.copy_action.setEnabled(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selected()
            event.accept()
            return
        super().keyPressEvent(event)

    def jump_button(self) -> QToolButton:
        return self._jump
