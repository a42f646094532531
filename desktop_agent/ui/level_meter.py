"""A horizontal level meter (microphone or assistant output) that repaints only when the drawn bar changes.

Levels arrive as ``AudioLevel`` values, loudness on a 0..1 scale where 0 is -60 dBFS and 1 is full scale.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_agent.ui import theme


def level_to_fraction(level: float) -> float:
    """The engine's levels are already loudness on a 0..1 scale (-60 dBFS .. full scale): clamp, don't remap."""
    if math.isnan(level):
        return 0.0
    return max(0.0, min(1.0, level))


class LevelMeter(QWidget):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName(name)
        self.setToolTip(name)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._level = 0.0
        self._drawn_px = 0
        self._active = True

    @property
    def level(self) -> float:
        return self._level

    def _bar_px(self, level: float) -> int:
        inner = max(0, self.width() - 2)
        return round(inner * level_to_fraction(level)) if self._active else 0

    def set_level(self, level: float) -> None:
        """Show ``level`` (0..1); repaints only if the bar's length in pixels changes."""
        self._level = level
        px = self._bar_px(level)
        if px != self._drawn_px:
            self._drawn_px = px
            self.setAccessibleDescription(f"{round(level_to_fraction(level) * 100)} percent")
            self.update()

    def set_active(self, active: bool) -> None:
        """An inactive meter (muted microphone, no session) shows an empty, dimmed track."""
        if active != self._active:
            self._active = active
            self._drawn_px = self._bar_px(self._level)
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(120, 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(40, 6)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._drawn_px = self._bar_px(self._level)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))  # opaque: parents need not repaint
        radius = self.height() / 2
        painter.setPen(Qt.PenStyle.NoPen)
        track = theme.track_color(palette)
        if not self._active:
            track.setAlphaF(0.5)
        painter.setBrush(track)
        painter.drawRoundedRect(QRectF(self.rect()), radius, radius)
        if self._drawn_px > 0:
            fraction = self._drawn_px / max(1, self.width() - 2)
            color = theme.tone_color(theme.Tone.BAD if fraction > 0.95 else theme.Tone.GOOD, palette)
            painter.setBrush(color)
            painter.drawRoundedRect(QRectF(1, 1, self._drawn_px, self.height() - 2), radius - 1, radius - 1)
        painter.end()
