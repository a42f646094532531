"""The tray icon: the assistant's state at a glance (idle, listening, thinking, speaking, error) and a menu to switch
push-to-talk / hands-free, mute, show the window, start a new conversation or quit, with the window hidden.

It only shows and asks: the state comes in through :meth:`TrayIcon.show_state` and each menu choice goes out as a
signal, which ``app.py`` connects to the window and the session controller. Desktops without a tray host (GNOME
without its extension, a bare X server) never see it; the app checks ``QSystemTrayIcon.isSystemTrayAvailable()``
first and works from the window alone.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import QObject, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop_agent.state.events import AgentState, TurnMode
from desktop_agent.ui import theme
from desktop_agent.ui.icons import app_icon, themed_icon
from desktop_agent.ui.untrusted_text import shown_text

TRAY_TITLE = "Desktop Agent"
_ICON_SIZES = (16, 22, 24, 32, 48, 64)


class TrayState(enum.Enum):
    """What the tray tells apart; the engine's finer states fold into these."""

    IDLE = "idle"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    ERROR = "error"


_FROM_AGENT = {
    AgentState.LISTENING: TrayState.LISTENING,
    AgentState.USER_SPEAKING: TrayState.LISTENING,
    AgentState.THINKING: TrayState.THINKING,
    AgentState.ASSISTANT_SPEAKING: TrayState.SPEAKING,
    AgentState.ERROR: TrayState.ERROR,
}


def tray_state(state: AgentState, muted: bool = False) -> TrayState:
    """Not connected, connecting and reconnecting are idle (the tooltip says which); muted listening is idle too."""
    folded = _FROM_AGENT.get(state, TrayState.IDLE)
    return TrayState.IDLE if folded is TrayState.LISTENING and muted else folded


def _badge_color(state: TrayState, palette: QPalette) -> QColor | None:
    return {
        TrayState.IDLE: None,
        TrayState.LISTENING: theme.tone_color(theme.Tone.GOOD, palette),
        TrayState.THINKING: theme.tone_color(theme.Tone.WARNING, palette),
        TrayState.SPEAKING: palette.color(QPalette.ColorRole.Highlight),
        TrayState.ERROR: theme.tone_color(theme.Tone.BAD, palette),
    }[state]


def _state_icon(state: TrayState, palette: QPalette) -> QIcon:
    """The app icon with a coloured dot in its lower right corner (none when idle), drawn at the tray's sizes."""
    base = app_icon()
    color = _badge_color(state, palette)
    if color is None:
        return base
    icon = QIcon()
    for size in _ICON_SIZES:
        pixmap = QPixmap(base.pixmap(QSize(size, size)))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        radius = size * 0.22
        center = QPointF(size - radius - 0.5, size - radius - 0.5)
        painter.setPen(Qt.GlobalColor.white)
        painter.setBrush(color)
        painter.drawEllipse(center, radius, radius)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


class TrayIcon(QSystemTrayIcon):
    mode_requested = Signal(object)  # TurnMode
    mute_requested = Signal(bool)
    show_window_requested = Signal()
    new_conversation_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = TrayState.IDLE
        self._icons: dict[tuple[TrayState, bool], QIcon] = {}  # by state and dark theme (the badge follows it)
        self.menu = QMenu()  # a top-level menu: the tray owns it (QSystemTrayIcon does not take ownership)
        self.show_window_action = self._action("&Show Window", app_icon(), self.show_window_requested.emit)
        self.menu.addSeparator()
        modes = QActionGroup(self)
        modes.setExclusive(True)
        self.push_to_talk_action = self._action(
            "&Push to Talk", "push-to-talk", lambda: self._mode_chosen(TurnMode.PUSH_TO_TALK), checkable=True
        )
        self.hands_free_action = self._action(
            "&Hands-free", "hands-free", lambda: self._mode_chosen(TurnMode.HANDS_FREE), checkable=True
        )
        modes.addAction(self.push_to_talk_action)
        modes.addAction(self.hands_free_action)
        self.push_to_talk_action.setChecked(True)
        self.mute_action = self._action("&Mute", "microphone", self._mute_chosen, checkable=True)
        self.menu.addSeparator()
        self.new_conversation_action = self._action(
            "&New Conversation", "new-conversation", self.new_conversation_requested.emit
        )
        self.menu.addSeparator()
        self.quit_action = self._action("&Quit", "quit", self.quit_requested.emit)
        self.setContextMenu(self.menu)
        self.activated.connect(self._on_activated)
        self.show_state(AgentState.STOPPED, "Not connected")

    def _action(self, text: str, icon: str | QIcon, on_trigger: Callable[[], None], checkable: bool = False) -> QAction:
        action = QAction(themed_icon(icon) if isinstance(icon, str) else icon, text, self.menu)
        action.setCheckable(checkable)
        action.triggered.connect(on_trigger)
        self.menu.addAction(action)
        return action

    @property
    def state(self) -> TrayState:
        return self._state

    def show_state(
        self,
        state: AgentState,
        text: str,
        mode: TurnMode = TurnMode.PUSH_TO_TALK,
        muted: bool = False,
        running: bool = False,
    ) -> None:
        """Show ``state`` as the icon and ``text`` (what the window's state indicator says) as the tooltip; the menu
        shows the mode and mute, which apply while a session runs."""
        self._state = tray_state(state, muted)
        key = (self._state, theme.is_dark())
        icon = self._icons.get(key)
        if icon is None:
            icon = self._icons[key] = _state_icon(self._state, theme.palette())
        self.setIcon(icon)
        self.setToolTip(f"{TRAY_TITLE}: {shown_text(text)}")
        (self.hands_free_action if mode is TurnMode.HANDS_FREE else self.push_to_talk_action).setChecked(True)
        self.mute_action.setChecked(muted)
        self.mute_action.setText("Un&mute" if muted else "&Mute")
        self.mute_action.setEnabled(running)

    def _mode_chosen(self, mode: TurnMode) -> None:
        self.mode_requested.emit(mode)

    def _mute_chosen(self) -> None:
        self.mute_requested.emit(self.mute_action.isChecked())

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_window_requested.emit()
