"""Paints one transcript turn as a chat bubble and computes its height for a given width.

Heights are computed once per (turn content, width) and cached; the view hands them to Qt as fixed row heights,
so appending a row or growing the live one never makes Qt ask every row for its size (architecture.md pitfall 7).

Every script the assistant's languages use is drawn with a font that has it (the text font carries a family for
each script: :mod:`desktop_agent.ui.script_fonts`), and a paragraph whose text reads right to left (Arabic, Urdu)
is laid out right to left, its lines against the bubble's right edge.

The last earlier turn of a continued conversation has the divider ("Continued from <date>") drawn below its bubble,
in the same row: a small muted line of plain text between two rules.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPalette,
    QPen,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop_agent.state.conversation import Role, Turn
from desktop_agent.state.plain_text import plain_text
from desktop_agent.state.writing_direction import is_right_to_left
from desktop_agent.ui import theme
from desktop_agent.ui.script_fonts import with_script_fallbacks
from desktop_agent.ui.transcript_model import ROLE_LABELS, TranscriptModel, clock_time, notes_line

ROW_MARGIN_V = 5
ROW_MARGIN_H = 12
PAD_H = 12
PAD_V = 8
HEADER_GAP = 3
RADIUS = 12
MAX_BUBBLE_FRACTION = 0.80
MIN_BUBBLE_WIDTH = 160
THINKING_TEXT = "…"
DIVIDER_PAD_V = 6
DIVIDER_GAP = 8  # between the divider's text and its rules


TEXT_FLAGS = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)


@dataclass(slots=True)
class _Bubble:
    text: str
    layout: QTextLayout | None  # for an interim (italic) part, right-to-left text or a word too long for a line
    header: str
    notes: str  # the last line, e.g. "Interrupted · not spoken"; empty for most turns
    body_height: float
    bubble_width: float
    height: int
    divider: str = ""  # drawn below the bubble ("Continued from <date>"); empty for most turns
    divider_height: float = 0.0


def _layout_text(
    text: str, interim_start: int, font: QFont, italic_color: QColor, width: float
) -> tuple[QTextLayout, float, float]:
    """Lays ``text`` out in lines of ``width``; returns the layout, its widest line and its height. Right-to-left
    text is laid out again in lines as wide as its widest one, so its lines end at the bubble's right edge."""
    right_to_left = is_right_to_left(text)
    layout, natural, height = _layout_lines(text, interim_start, font, italic_color, width, right_to_left)
    if right_to_left and natural + 1 < width:
        layout, natural, height = _layout_lines(text, interim_start, font, italic_color, natural + 1, right_to_left)
    return layout, natural, height


def _layout_lines(
    text: str, interim_start: int, font: QFont, italic_color: QColor, width: float, right_to_left: bool
) -> tuple[QTextLayout, float, float]:
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    if right_to_left:
        option.setTextDirection(Qt.LayoutDirection.RightToLeft)  # the leading edge, where lines start, is the right
    layout.setTextOption(option)
    if 0 <= interim_start < len(text):
        interim = QTextLayout.FormatRange()
        interim.start, interim.length = interim_start, len(text) - interim_start
        fmt = QTextCharFormat()
        fmt.setFontItalic(True)
        fmt.setForeground(italic_color)
        interim.format = fmt
        layout.setFormats([interim])
    layout.beginLayout()
    height = 0.0
    natural = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0.0, height))
        height += line.height()
        natural = max(natural, line.naturalTextWidth())
    layout.endLayout()
    return layout, natural, height


class TranscriptDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bubbles: OrderedDict[tuple, _Bubble] = OrderedDict()
        self.set_font(QFont(parent.font()) if parent is not None else QFont())

    # ------------------------------------------------------------------ geometry
    def set_font(self, font: QFont) -> None:
        """Use ``font`` for the text (and a smaller one for headers), with a family for each script after its own;
        drops every cached bubble."""
        self._font = with_script_fallbacks(font)
        self._metrics = QFontMetricsF(self._font)
        self._header_font = QFont(self._font)
        self._header_font.setPointSizeF(max(6.0, self._font.pointSizeF() * 0.82))
        self._header_metrics = QFontMetricsF(self._header_font)
        # Every header has the same shape ("Assistant · 12:34:56"): measure the widest once, not per row.
        self._header_width = max(
            self._header_metrics.horizontalAdvance(f"{label} · 88:88:88") for label in ROLE_LABELS.values()
        )
        self._bubbles.clear()

    def header_font(self) -> QFont:
        return self._header_font

    @staticmethod
    def _body(turn: Turn) -> tuple[str, int]:
        """The text to show and where its interim (not yet final) part starts (-1: none). Drawn as plain text
        always; a bidi override or a control character from the provider is removed first."""
        text = plain_text(turn.text)
        if turn.interim:
            prefix = f"{text} " if text else ""
            return prefix + plain_text(turn.interim), len(prefix)
        if not text and turn.role is Role.ASSISTANT and not turn.finished:
            return THINKING_TEXT, -1
        return text, -1

    def _bubble(self, turn: Turn, row_width: int, divider: str = "") -> _Bubble:
        key = (
            turn.id,
            turn.text,
            turn.interim,
            turn.interrupted,
            turn.spoken,
            turn.complete,
            turn.finished,
            row_width,
            divider,
        )
        bubble = self._bubbles.get(key)
        if bubble is not None:
            self._bubbles.move_to_end(key)
            return bubble
        max_bubble = max(MIN_BUBBLE_WIDTH, (row_width - 2 * ROW_MARGIN_H) * MAX_BUBBLE_FRACTION)
        text_width = max(40.0, max_bubble - 2 * PAD_H)
        text, interim_start = self._body(turn)
        layout = None
        if interim_start >= 0 or is_right_to_left(text):
            layout, natural, body_height = _layout_text(
                text, interim_start, self._font, theme.muted_text_color(), text_width
            )
        else:
            # One C++ call measures plain text; QTextLayout (10x slower from Python) only when a word is too long
            # for a line and must be broken inside.
            bounds = self._metrics.boundingRect(QRectF(0, 0, text_width, 1e7), TEXT_FLAGS, text or " ")
            natural, body_height = bounds.width(), bounds.height()
            if natural > text_width + 0.5:
                layout, natural, body_height = _layout_text(text, -1, self._font, theme.muted_text_color(), text_width)
        header_width = self._header_width
        extra = 0.0
        notes = notes_line(turn)
        if notes:
            extra = HEADER_GAP + self._header_metrics.height()
            header_width = max(header_width, self._header_metrics.horizontalAdvance(notes))
        bubble_width = min(max_bubble, max(natural, header_width) + 2 * PAD_H + 1)
        height = PAD_V + self._header_metrics.height() + HEADER_GAP + body_height + extra + PAD_V
        header = f"{ROLE_LABELS[turn.role]} · {clock_time(turn.started_at)}"
        divider_height = self._header_metrics.height() + 2 * DIVIDER_PAD_V if divider else 0.0
        row_height = int(height + 2 * ROW_MARGIN_V + divider_height + 0.999)
        bubble = _Bubble(text, layout, header, notes, body_height, bubble_width, row_height, divider, divider_height)
        self._bubbles[key] = bubble
        if len(self._bubbles) > 256:  # only rows near the viewport are painted; heights live in the view
            self._bubbles.popitem(last=False)
        return bubble

    def row_height(self, turn: Turn, row_width: int, divider: str = "") -> int:
        return self._bubble(turn, row_width, divider).height

    def text_font(self) -> QFont:
        return self._font

    def body_layout(self, turn: Turn, row_width: int) -> QTextLayout:
        """The laid-out text of ``turn``'s bubble: the layout it is painted with, or for text painted in one call an
        equal layout (same font, same wrapping), which says which font each run of glyphs uses."""
        bubble = self._bubble(turn, row_width)
        if bubble.layout is not None:
            return bubble.layout
        text, interim_start = self._body(turn)
        width = bubble.bubble_width - 2 * PAD_H + 1
        return _layout_text(text, interim_start, self._font, theme.muted_text_color(), width)[0]

    # ------------------------------------------------------------------ Qt delegate interface
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        turn = index.data(TranscriptModel.TurnRole)
        width = option.rect.width() if option.rect.width() > 0 else 600
        if turn is None:
            return QSize(width, 0)
        return QSize(width, self.row_height(turn, width, index.data(TranscriptModel.DividerRole) or ""))

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        turn: Turn | None = index.data(TranscriptModel.TurnRole)
        if turn is None:
            return
        rect = option.rect
        bubble = self._bubble(turn, rect.width(), index.data(TranscriptModel.DividerRole) or "")
        palette: QPalette = option.palette
        is_user = turn.role is Role.USER
        height = rect.height() - 2 * ROW_MARGIN_V - bubble.divider_height
        left = rect.right() - ROW_MARGIN_H - bubble.bubble_width if is_user else rect.left() + ROW_MARGIN_H
        box = QRectF(left, rect.top() + ROW_MARGIN_V, bubble.bubble_width, height)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if turn.tool is not None:
            fill = theme.tool_card_color(palette, failed=turn.tool.failed)
        else:
            fill = theme.user_bubble_color(palette) if is_user else theme.assistant_bubble_color(palette)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pen = QPen(palette.color(QPalette.ColorRole.Highlight), 2) if selected else Qt.PenStyle.NoPen
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(box.adjusted(1, 1, -1, -1), RADIUS, RADIUS)

        header_font = self._header_font
        header_metrics = self._header_metrics
        painter.setFont(header_font)
        painter.setPen(theme.muted_text_color(palette))
        top = box.top() + PAD_V
        painter.drawText(QPointF(box.left() + PAD_H, top + header_metrics.ascent()), bubble.header)
        top += header_metrics.height() + HEADER_GAP

        painter.setPen(palette.color(QPalette.ColorRole.Text))
        if bubble.layout is not None:
            text_left = box.left() + PAD_H
            if bubble.layout.textOption().textDirection() == Qt.LayoutDirection.RightToLeft:
                # Its lines are as wide as the widest one; a header wider than them leaves room on the left.
                text_left = box.right() - PAD_H - bubble.layout.lineAt(0).width()
            bubble.layout.draw(painter, QPointF(text_left, top))
        else:
            painter.setFont(self._font)
            text_rect = QRectF(box.left() + PAD_H, top, box.width() - 2 * PAD_H + 1, bubble.body_height + 1)
            painter.drawText(text_rect, TEXT_FLAGS, bubble.text)
        top += bubble.body_height

        if bubble.notes:
            font = QFont(header_font)
            font.setItalic(True)
            painter.setFont(font)
            painter.setPen(theme.tone_color(theme.Tone.WARNING, palette))
            painter.drawText(QPointF(box.left() + PAD_H, top + HEADER_GAP + header_metrics.ascent()), bubble.notes)
        if bubble.divider:
            area = QRectF(
                rect.left() + ROW_MARGIN_H,
                box.bottom() + ROW_MARGIN_V,
                rect.width() - 2 * ROW_MARGIN_H,
                bubble.divider_height,
            )
            self._paint_divider(painter, area, bubble.divider, palette)
        painter.restore()

    def _paint_divider(self, painter: QPainter, area: QRectF, text: str, palette: QPalette) -> None:
        """``text`` centred in ``area`` in the small muted font, a thin rule on either side."""
        metrics = self._header_metrics
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, area.width())
        text_width = metrics.horizontalAdvance(shown)
        text_left = area.center().x() - text_width / 2
        middle = area.center().y()
        color = theme.muted_text_color(palette)
        painter.setFont(self._header_font)
        painter.setPen(QPen(color, 1))
        if text_left - DIVIDER_GAP > area.left():
            painter.drawLine(QPointF(area.left(), middle), QPointF(text_left - DIVIDER_GAP, middle))
            painter.drawLine(QPointF(text_left + text_width + DIVIDER_GAP, middle), QPointF(area.right(), middle))
        painter.drawText(QPointF(text_left, middle - metrics.height() / 2 + metrics.ascent()), shown)
