"""Monochrome SVG icons tinted from the current palette, so they follow light/dark themes and stay sharp at any DPI.

The SVGs in ``resources/icons/`` draw with ``currentColor``; :class:`TintedSvgIconEngine` substitutes the palette's
text colour for the icon's mode (normal, disabled, selected) and renders the vector at the requested device size.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop_agent.config.paths import resources_dir

APP_ICON = "desktop-agent"


@cache
def _svg_source(name: str) -> str:
    return (resources_dir() / "icons" / f"{name}.svg").read_text(encoding="utf-8")


def _mode_color(mode: QIcon.Mode) -> QColor:
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorRole.HighlightedText)
    return palette.color(QPalette.ColorRole.WindowText)


class TintedSvgIconEngine(QIconEngine):
    """Renders ``resources/icons/<name>.svg`` (and ``on_name`` for the checked state) in the palette's colours."""

    def __init__(self, name: str, on_name: str | None = None, color: QColor | None = None) -> None:
        super().__init__()
        self._name = name
        self._on_name = on_name
        self._color = color
        self._cache: dict[tuple, QPixmap] = {}

    def _renderer(self, mode: QIcon.Mode, state: QIcon.State) -> QSvgRenderer:
        name = self._on_name if (state == QIcon.State.On and self._on_name) else self._name
        color = self._color if (self._color is not None and mode != QIcon.Mode.Disabled) else _mode_color(mode)
        svg = _svg_source(name).replace("currentColor", color.name())
        return QSvgRenderer(QByteArray(svg.encode("utf-8")))

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        self._renderer(mode, state).render(painter, QRectF(rect))

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        color = _mode_color(mode).name() if self._color is None else self._color.name()
        key = (size.width(), size.height(), int(mode.value), int(state.value), round(scale, 2), color)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        device = QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))
        pixmap = QPixmap(device)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._renderer(mode, state).render(painter, QRectF(QPoint(0, 0), device.toSizeF()))
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        if len(self._cache) > 32:
            self._cache.clear()
        self._cache[key] = pixmap
        return pixmap

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        return size

    def clone(self) -> QIconEngine:
        return TintedSvgIconEngine(self._name, self._on_name, self._color)

    def key(self) -> str:
        return "desktop-agent-tinted-svg"


def themed_icon(name: str, on_name: str | None = None, color: QColor | None = None) -> QIcon:
    """A palette-tinted icon from ``resources/icons/<name>.svg``; ``on_name`` is shown when a toggle is checked."""
    return QIcon(TintedSvgIconEngine(name, on_name, color))


def app_icon() -> QIcon:
    """The coloured application icon (not tinted)."""
    return QIcon(str(resources_dir() / "icons" / f"{APP_ICON}.svg"))
