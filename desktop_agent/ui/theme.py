"""Colours derived from the system palette, so every widget follows light and dark themes.

Nothing here is hard-wired to one theme: bubble and gauge colours are blends of palette roles, and the
status colours (good / warning / bad) have a light- and a dark-background variant chosen for contrast.
"""

from __future__ import annotations

import enum

from PySide6.QtGui import QColor, QGuiApplication, QPalette


class Tone(enum.Enum):
    """Traffic-light judgement of a value against its budget (or of a connection)."""

    NEUTRAL = "neutral"
    GOOD = "good"
    WARNING = "warning"
    BAD = "bad"


_TONES_LIGHT = {Tone.GOOD: "#1f8a45", Tone.WARNING: "#b86e00", Tone.BAD: "#c62828"}
_TONES_DARK = {Tone.GOOD: "#4cc36f", Tone.WARNING: "#f0a53a", Tone.BAD: "#ef5350"}


def palette() -> QPalette:
    return QGuiApplication.palette()


def is_dark(pal: QPalette | None = None) -> bool:
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def blend(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` moved ``amount`` (0..1) of the way to ``b``."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
        1.0,
    )


def tone_color(tone: Tone, pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    if tone is Tone.NEUTRAL:
        return pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    return QColor((_TONES_DARK if is_dark(pal) else _TONES_LIGHT)[tone])


def budget_tone(seconds: float | None, budget: float | None) -> Tone:
    """Green within budget, amber up to 1.5x, red beyond; neutral with no value or no budget."""
    if seconds is None or not budget:
        return Tone.NEUTRAL
    if seconds <= budget:
        return Tone.GOOD
    if seconds <= budget * 1.5:
        return Tone.WARNING
    return Tone.BAD


def user_bubble_color(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    return blend(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Highlight), 0.22)


def assistant_bubble_color(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    return blend(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.WindowText), 0.07)


def tool_card_color(pal: QPalette | None = None, failed: bool = False) -> QColor:
    """A tool call's card: set apart from the replies, warmer when the call failed."""
    pal = pal or palette()
    accent = tone_color(Tone.WARNING, pal) if failed else pal.color(QPalette.ColorRole.Mid)
    return blend(pal.color(QPalette.ColorRole.Base), accent, 0.16)


def muted_text_color(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    return blend(pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base), 0.45)


def track_color(pal: QPalette | None = None) -> QColor:
    """Background of meters and gauges."""
    pal = pal or palette()
    return blend(pal.color(QPalette.ColorRole.Window), pal.color(QPalette.ColorRole.WindowText), 0.12)


def format_ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms"
