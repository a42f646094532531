"""What the assistant is doing right now: a coloured dot and a short phrase (listening, thinking, speaking …)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_agent.state.events import AgentState, TurnMode
from desktop_agent.ui import theme

_LABELS = {
    AgentState.STOPPED: "Not connected",
    AgentState.CONNECTING: "Connecting…",
    AgentState.LISTENING: "Listening",
    AgentState.USER_SPEAKING: "You are speaking",
    AgentState.THINKING: "Thinking…",
    AgentState.ASSISTANT_SPEAKING: "Assistant speaking",
    AgentState.RECONNECTING: "Reconnecting…",
    AgentState.ERROR: "Error",
}


def describe(state: AgentState, mode: TurnMode, muted: bool, talk_key: str = "Space") -> str:
    """The phrase shown for a state; while listening it also says how to talk."""
    if state is AgentState.LISTENING:
        if muted:
            return "Muted — unmute to talk"
        if mode is TurnMode.PUSH_TO_TALK:
            return f"Listening — hold {talk_key} to talk"
        return "Listening — just talk"
    return _LABELS[state]


def _dot_color(state: AgentState, palette: QPalette) -> QColor:
    if state in (AgentState.LISTENING, AgentState.USER_SPEAKING):
        return theme.tone_color(theme.Tone.GOOD, palette)
    if state in (AgentState.THINKING, AgentState.ASSISTANT_SPEAKING):
        return palette.color(QPalette.ColorRole.Highlight)
    if state in (AgentState.CONNECTING, AgentState.RECONNECTING):
        return theme.tone_color(theme.Tone.WARNING, palette)
    if state is AgentState.ERROR:
        return theme.tone_color(theme.Tone.BAD, palette)
    return theme.tone_color(theme.Tone.NEUTRAL, palette)


class StateIndicator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName("Assistant state")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._state = AgentState.STOPPED
        self._text = _LABELS[AgentState.STOPPED]
        self.setAccessibleDescription(self._text)
        self.setToolTip(self._text)

    @property
    def state(self) -> AgentState:
        return self._state

    @property
    def text(self) -> str:
        return self._text

    def show_state(
        self,
        state: AgentState,
        mode: TurnMode = TurnMode.PUSH_TO_TALK,
        muted: bool = False,
        talk_key: str = "Space",
        override: str | None = None,
    ) -> None:
        """Show ``state``; ``override`` replaces the phrase (e.g. "Loading the voice engine…" before a session)."""
        text = override or describe(state, mode, muted, talk_key)
        if state is self._state and text == self._text:
            return
        self._state, self._text = state, text
        self.setAccessibleDescription(text)
        self.setToolTip(text)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(metrics.height() + 8 + metrics.horizontalAdvance(self._text) + 8, metrics.height() + 10)

    def minimumSizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(metrics.height() * 6, metrics.height() + 10)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Window))
        metrics = QFontMetrics(self.font())
        diameter = metrics.height() * 0.6
        center = QPointF(4 + diameter / 2, self.height() / 2)
        palette = self.palette()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_dot_color(self._state, palette))
        painter.drawEllipse(center, diameter / 2, diameter / 2)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        text_rect = QRectF(center.x() + diameter, 0, self.width() - center.x() - diameter, self.height())
        elided = metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, int(text_rect.width()))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)
        painter.end()
