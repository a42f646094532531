"""One latency stage as an arc gauge: the last turn's value coloured against its budget, p50/p95 below.

The arc's full sweep is twice the budget, so the budget mark sits at the top of the arc. Exact figures are in
the tooltip. Repaints only when the figures or the budget change.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_agent.state.events import Stage
from desktop_agent.state.latency import STAGE_TITLES, StageSummary
from desktop_agent.ui import theme

STAGE_EXPLANATIONS = {
    Stage.ENDPOINTING: "from when you stopped speaking until your turn was judged complete",
    Stage.STT_FINAL: "from when you stopped speaking until the final transcript arrived",
    Stage.LLM_FIRST_TOKEN: "from the request to the language model until its first word",
    Stage.TTS_FIRST_AUDIO: "from the first text sent to speech synthesis until its first audio",
    Stage.VOICE_TO_VOICE: "from when you stopped speaking until the assistant's voice started",
    Stage.TOOLS: "how long the tools the assistant called took to answer, in the turn",
}

START_ANGLE = 210.0  # degrees, Qt convention (0 = 3 o'clock, counter-clockwise)
SWEEP = 240.0


def describe_figures(stage: Stage, summary: StageSummary, budget: float | None) -> str:
    """Exact figures as a tooltip / accessible description."""
    lines = [f"{STAGE_TITLES[stage]}: {STAGE_EXPLANATIONS[stage]}."]
    if summary.last is None or summary.p50 is None or summary.p95 is None:  # all None together: no sample yet
        lines.append("No measurement yet.")
    else:
        budget_text = f" (budget {theme.format_ms(budget)})" if budget else ""
        lines.append(f"Last turn: {summary.last * 1000:.1f} ms{budget_text}")
        lines.append(
            f"p50 {summary.p50 * 1000:.1f} ms · p95 {summary.p95 * 1000:.1f} ms over {summary.count} "
            f"turn{'s' if summary.count != 1 else ''}"
        )
    return "\n".join(lines)


class LatencyGauge(QWidget):
    def __init__(self, stage: Stage, budget: float | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.stage = stage
        self._budget = budget
        self._summary = StageSummary(last=None, p50=None, p95=None, count=0)
        self.setAccessibleName(f"{STAGE_TITLES[stage]} latency")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._describe()

    @property
    def summary(self) -> StageSummary:
        return self._summary

    @property
    def budget(self) -> float | None:
        return self._budget

    @property
    def tone(self) -> theme.Tone:
        return theme.budget_tone(self._summary.last, self._budget)

    def set_summary(self, summary: StageSummary) -> None:
        if summary == self._summary:
            return
        self._summary = summary
        self._describe()
        self.update()

    def set_budget(self, budget: float | None) -> None:
        if budget == self._budget:
            return
        self._budget = budget
        self._describe()
        self.update()

    def _describe(self) -> None:
        text = describe_figures(self.stage, self._summary, self._budget)
        self.setToolTip(text)
        self.setAccessibleDescription(text.replace("\n", ". "))

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(max(104, metrics.horizontalAdvance("LLM first token") + 12), metrics.height() * 2 + 76)

    def minimumSizeHint(self) -> QSize:
        return QSize(84, self.sizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))  # opaque: parents need not repaint
        font = self.font()
        metrics = QFontMetrics(font)
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.82))
        small_metrics = QFontMetrics(small)

        title_h = metrics.height()
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        title = metrics.elidedText(STAGE_TITLES[self.stage], Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(QRectF(0, 0, self.width(), title_h), Qt.AlignmentFlag.AlignCenter, title)

        footer_h = small_metrics.height()
        # The 240-degree arc reaches half a radius below its centre; fit radius + half radius + stroke between
        # the title and the footer, and the full diameter + stroke across the width.
        thickness = max(5.0, min(self.width(), self.height()) * 0.07)
        available_h = self.height() - title_h - footer_h - 6 - thickness
        radius = max(8.0, min((self.width() - 8 - thickness) / 2, available_h / 1.5))
        center = QPointF(self.width() / 2, title_h + 3 + thickness / 2 + radius)
        arc = QRectF(center.x() - radius, center.y() - radius, 2 * radius, 2 * radius)

        track_pen = QPen(theme.track_color(palette), thickness, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        painter.setPen(track_pen)
        painter.drawArc(arc, int(START_ANGLE * 16), int(-SWEEP * 16))

        last = self._summary.last
        tone = self.tone
        if last is not None:
            scale = 2 * self._budget if self._budget else max(1.0, last * 1.25)
            fraction = max(0.015, min(1.0, last / scale))
            value_pen = QPen(theme.tone_color(tone, palette), thickness, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            painter.setPen(value_pen)
            painter.drawArc(arc, int(START_ANGLE * 16), int(-SWEEP * fraction * 16))
        if self._budget:
            tick_pen = QPen(palette.color(QPalette.ColorRole.WindowText), 2)
            painter.setPen(tick_pen)
            outer = arc.width() / 2 + thickness * 0.9
            inner = arc.width() / 2 - thickness * 0.9
            painter.drawLine(QPointF(center.x(), center.y() - outer), QPointF(center.x(), center.y() - inner))

        value_font = QFont(font)
        value_font.setBold(True)
        value_font.setPointSizeF(font.pointSizeF() * 1.1)
        painter.setFont(value_font)
        painter.setPen(
            palette.color(QPalette.ColorRole.WindowText) if last is not None else theme.muted_text_color(palette)
        )
        value_rect = QRectF(arc.left(), arc.center().y() - metrics.height() * 0.8, arc.width(), metrics.height() * 1.4)
        painter.drawText(value_rect, Qt.AlignmentFlag.AlignCenter, theme.format_ms(last))

        painter.setFont(small)
        painter.setPen(theme.muted_text_color(palette))
        p50, p95 = self._summary.p50, self._summary.p95
        if p50 is not None and p95 is not None:
            footer = f"p50 {p50 * 1000:.0f} · p95 {p95 * 1000:.0f}"
            if small_metrics.horizontalAdvance(footer) > self.width():
                footer = f"{p50 * 1000:.0f} / {p95 * 1000:.0f}"
        else:
            footer = f"budget {theme.format_ms(self._budget)}" if self._budget else ""
        painter.drawText(
            QRectF(0, self.height() - footer_h - 1, self.width(), footer_h), Qt.AlignmentFlag.AlignCenter, footer
        )
        painter.end()
