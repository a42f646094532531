"""Per-turn latency as stacked bars, newest on the right, with voice-to-voice p50 / p95 lines and its budget.

Each bar stacks the stages that happen one after another: endpointing, LLM first token, TTS first audio, then
"other" (the rest of voice-to-voice: aggregation, transport, playback start). STT final overlaps endpointing (both
start when the user stops speaking), so it is drawn as a tick across the bar rather than stacked. Hovering a bar
shows its exact figures. Repaints only when the data or the hovered bar change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop_agent.state.events import Stage
from desktop_agent.state.latency import STAGE_TITLES
from desktop_agent.ui import theme

STACKED = (Stage.ENDPOINTING, Stage.LLM_FIRST_TOKEN, Stage.TTS_FIRST_AUDIO)
OTHER = "other"
#: What one stacked segment of a bar shows: a stage, or OTHER.
Segment = Stage | str
BAR_MIN, BAR_MAX, GAP = 5, 26, 4
LEFT_AXIS = 72


def stage_colors(palette: QPalette) -> dict[Segment, QColor]:
    """Distinct, palette-aware colours for the stacked segments."""
    dark = theme.is_dark(palette)
    colors: dict[Segment, QColor] = {
        Stage.ENDPOINTING: QColor("#8e7cc3" if dark else "#6a55b0"),
        Stage.LLM_FIRST_TOKEN: QColor("#5fa8e8" if dark else "#2f77c0"),
        Stage.TTS_FIRST_AUDIO: QColor("#56c2a6" if dark else "#23907a"),
        OTHER: theme.blend(
            palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText), 0.35
        ),
    }
    return colors


def segments(latencies: Mapping[Stage, float]) -> list[tuple[Segment, float]]:
    """The stacked parts of one turn's bar, bottom to top."""
    parts: list[tuple[Segment, float]] = [(stage, latencies[stage]) for stage in STACKED if latencies.get(stage)]
    total = latencies.get(Stage.VOICE_TO_VOICE)
    if total is not None:
        rest = total - sum(value for _stage, value in parts)
        if rest > 0.0005:
            parts.append((OTHER, rest))
    return parts


def bar_total(latencies: Mapping[Stage, float]) -> float:
    total = latencies.get(Stage.VOICE_TO_VOICE)
    stacked = sum(value for _stage, value in segments(latencies))
    return max(total or 0.0, stacked)


def describe_turn(number: int, latencies: Mapping[Stage, float]) -> str:
    lines = [f"Turn {number}"]
    for stage in Stage:
        if stage in latencies:
            lines.append(f"{STAGE_TITLES[stage]}: {latencies[stage] * 1000:.1f} ms")
    total = latencies.get(Stage.VOICE_TO_VOICE)
    if total is not None:
        rest = total - sum(latencies.get(stage, 0.0) for stage in STACKED)
        if rest > 0.0005:
            lines.append(f"Other (transport, playback start): {rest * 1000:.1f} ms")
    return "\n".join(lines)


class LatencyChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName("Latency per turn")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._turns: tuple[tuple[tuple[Stage, float], ...], ...] = ()
        self._numbers: tuple[int, ...] = ()
        self._p50: float | None = None
        self._p95: float | None = None
        self._budget: float | None = None
        self._hover: int | None = None
        self._describe()

    # ------------------------------------------------------------------ data
    @property
    def turn_count(self) -> int:
        return len(self._turns)

    def set_data(
        self,
        turns: Sequence[Mapping[Stage, float]],
        p50: float | None,
        p95: float | None,
        budget: float | None,
        numbers: Sequence[int] | None = None,
    ) -> None:
        """``turns``: per-turn stage latencies, oldest first; ``numbers``: each turn's number in the conversation."""
        frozen = tuple(tuple(sorted(t.items())) for t in turns)
        labels = tuple(numbers) if numbers is not None else tuple(range(1, len(frozen) + 1))
        if (frozen, p50, p95, budget, labels) == (self._turns, self._p50, self._p95, self._budget, self._numbers):
            return
        self._turns, self._p50, self._p95, self._budget, self._numbers = frozen, p50, p95, budget, labels
        self._hover = None
        self._describe()
        self.update()

    def _describe(self) -> None:
        if not self._turns:
            text = "No turns measured yet."
        else:
            last = dict(self._turns[-1])
            parts = [f"{len(self._turns)} turns shown"]
            if self._p50 is not None and self._p95 is not None:  # both or neither: set from the same samples
                parts.append(f"voice to voice p50 {self._p50 * 1000:.0f} ms, p95 {self._p95 * 1000:.0f} ms")
            if Stage.VOICE_TO_VOICE in last:
                parts.append(f"last turn {last[Stage.VOICE_TO_VOICE] * 1000:.0f} ms")
            text = "; ".join(parts) + ". Hover a bar for its figures."
        self.setAccessibleDescription(text)
        if not self._turns:
            self.setToolTip(text)
        else:
            self.setToolTip("")

    # ------------------------------------------------------------------ geometry
    def _plot_rect(self) -> QRectF:
        metrics = QFontMetrics(self._small_font())
        return QRectF(
            LEFT_AXIS, metrics.height() + 4, self.width() - LEFT_AXIS - 6, self.height() - metrics.height() * 2 - 10
        )

    def _bar_width(self, plot: QRectF) -> float:
        return BAR_MAX if not self._turns else max(BAR_MIN, min(BAR_MAX, plot.width() / max(1, len(self._turns)) - GAP))

    def _visible(self, plot: QRectF) -> int:
        return max(1, int(plot.width() // (self._bar_width(plot) + GAP)))

    def _scale_max(self, shown: Sequence[tuple[tuple[Stage, float], ...]]) -> float:
        peak = max((bar_total(dict(t)) for t in shown), default=0.0)
        return max(peak, self._p95 or 0.0, self._budget or 0.0, 0.1) * 1.1

    def bar_at(self, x: float) -> int | None:
        """Index into the data of the bar under x (widget coordinates), or None."""
        plot = self._plot_rect()
        if not self._turns or not plot.left() <= x <= plot.right():
            return None
        width = self._bar_width(plot)
        shown = min(len(self._turns), self._visible(plot))
        slot = int((x - plot.left()) // (width + GAP))
        if slot >= shown:
            return None
        return len(self._turns) - shown + slot

    def bar_rect(self, index: int) -> QRectF:
        plot = self._plot_rect()
        width = self._bar_width(plot)
        shown = min(len(self._turns), self._visible(plot))
        slot = index - (len(self._turns) - shown)
        return QRectF(plot.left() + slot * (width + GAP), plot.top(), width, plot.height())

    def sizeHint(self) -> QSize:
        return QSize(320, 150)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, 90)

    # ------------------------------------------------------------------ hover
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.bar_at(event.position().x())
        if index != self._hover:
            self._hover = index
            self.update()
            if index is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(
                    event.globalPosition().toPoint(), self.turn_tooltip(index), self, self.bar_rect(index).toRect()
                )
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if self._hover is not None:
            self._hover = None
            self.update()
        super().leaveEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.bar_at(event.pos().x())
            if index is not None:
                QToolTip.showText(event.globalPos(), self.turn_tooltip(index), self, self.bar_rect(index).toRect())
                return True
        return super().event(event)

    def turn_tooltip(self, index: int) -> str:
        return describe_turn(self._numbers[index], dict(self._turns[index]))

    # ------------------------------------------------------------------ painting
    def _small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.82))
        return font

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))  # opaque: parents need not repaint
        small = self._small_font()
        metrics = QFontMetrics(small)
        painter.setFont(small)
        plot = self._plot_rect()
        muted = theme.muted_text_color(palette)
        painter.setPen(QPen(theme.track_color(palette), 1))
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        colors = stage_colors(palette)
        self._paint_legend(painter, colors, metrics, palette)
        painter.setPen(muted)
        painter.drawText(QPointF(plot.left(), metrics.ascent() + 1), "Per-turn latency (ms), newest on the right")
        if not self._turns:
            painter.setPen(muted)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "Latency per turn appears here after the first reply.")
            painter.end()
            return
        shown_count = min(len(self._turns), self._visible(plot))
        shown = self._turns[-shown_count:]
        scale = self._scale_max(shown)
        width = self._bar_width(plot)

        def y_of(seconds: float) -> float:
            return plot.bottom() - plot.height() * min(1.0, seconds / scale)

        painter.setPen(Qt.PenStyle.NoPen)
        first_index = len(self._turns) - shown_count
        for slot, turn in enumerate(shown):
            x = plot.left() + slot * (width + GAP)
            bottom = 0.0
            lat = dict(turn)
            hovered = first_index + slot == self._hover
            for key, value in segments(lat):
                color = QColor(colors[key])
                if hovered:
                    color = color.lighter(125) if theme.is_dark(palette) else color.darker(115)
                painter.setBrush(color)
                top = bottom + value
                painter.drawRect(QRectF(x, y_of(top), width, y_of(bottom) - y_of(top)))
                bottom = top
            stt = lat.get(Stage.STT_FINAL)
            if stt is not None:
                painter.setPen(QPen(palette.color(QPalette.ColorRole.WindowText), 1.5))
                painter.drawLine(QPointF(x - 1, y_of(stt)), QPointF(x + width + 1, y_of(stt)))
                painter.setPen(Qt.PenStyle.NoPen)

        label_slots: list[float] = []
        for label, level, style, tone in (
            ("budget", self._budget, Qt.PenStyle.DotLine, theme.Tone.WARNING),
            ("p95", self._p95, Qt.PenStyle.DashLine, theme.Tone.NEUTRAL),
            ("p50", self._p50, Qt.PenStyle.DashLine, theme.Tone.NEUTRAL),
        ):
            if level is None:
                continue
            y = y_of(level)
            color = (
                theme.tone_color(tone, palette)
                if tone is not theme.Tone.NEUTRAL
                else palette.color(QPalette.ColorRole.WindowText)
            )
            painter.setPen(QPen(color, 1, style))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            label_y = y  # keep labels from overlapping: each at least one line below the one above
            for taken in label_slots:
                if abs(label_y - taken) < metrics.height():
                    label_y = taken + metrics.height()
            label_slots.append(label_y)
            painter.setPen(color if tone is not theme.Tone.NEUTRAL else muted)
            painter.drawText(
                QRectF(0, label_y - metrics.height() / 2, LEFT_AXIS - 4, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{label} {level * 1000:.0f}",
            )
        painter.end()

    def _paint_legend(
        self, painter: QPainter, colors: dict[Segment, QColor], metrics: QFontMetrics, palette: QPalette
    ) -> None:
        x = float(LEFT_AXIS)
        y = self.height() - metrics.height() - 2
        swatch = metrics.height() * 0.6
        for key, name in (
            (Stage.ENDPOINTING, "endpointing"),
            (Stage.LLM_FIRST_TOKEN, "LLM"),
            (Stage.TTS_FIRST_AUDIO, "TTS"),
            (OTHER, "other"),
        ):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colors[key])
            painter.drawRect(QRectF(x, y + (metrics.height() - swatch) / 2, swatch, swatch))
            x += swatch + 3
            painter.setPen(theme.muted_text_color(palette))
            painter.drawText(QPointF(x, y + metrics.ascent()), name)
            x += metrics.horizontalAdvance(name) + 10
        painter.setPen(QPen(palette.color(QPalette.ColorRole.WindowText), 1.5))
        painter.drawLine(QPointF(x, y + metrics.height() / 2), QPointF(x + swatch, y + metrics.height() / 2))
        x += swatch + 3
        painter.setPen(theme.muted_text_color(palette))
        painter.drawText(QPointF(x, y + metrics.ascent()), "STT final")
