"""The large push-to-talk button: press and hold with the mouse to talk, release to send.

Not a click button: pressing starts the turn and releasing ends it wherever the pointer is (dragging off the
button does not cut the turn in two). Activated without a mouse (Enter, or a screen reader's press action) it
toggles: the first activation starts talking, the second sends.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QPushButton, QSizePolicy, QWidget

from desktop_agent.ui.icons import themed_icon

IDLE_TEXT = "Hold to talk"
HELD_TEXT = "Release to send"
HANDS_FREE_TEXT = "Hands-free: just talk"
UNAVAILABLE_TEXT = "Start a session to talk"


class PushToTalkButton(QPushButton):
    talk_pressed = Signal()
    talk_released = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(IDLE_TEXT, parent)
        self.setObjectName("pushToTalk")
        self.setAccessibleName("Push to talk")
        self._key_name = "Space"
        self.setIcon(themed_icon("push-to-talk"))
        self.setIconSize(QSize(28, 28))
        self.setMinimumHeight(56)
        self.setMinimumWidth(200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setAutoDefault(False)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.setFont(font)
        self._held = False
        self._hands_free = False
        self._available = True
        self.clicked.connect(self._toggle)
        self._refresh()

    @property
    def held(self) -> bool:
        return self._held

    def set_key_name(self, name: str) -> None:
        self._key_name = name
        self._refresh()

    def set_hands_free(self, hands_free: bool) -> None:
        if hands_free != self._hands_free:
            self._hands_free = hands_free
            self._refresh()

    def set_available(self, available: bool) -> None:
        """False while no session runs: the button stays visible but disabled, saying why."""
        if available != self._available:
            self._available = available
            self._refresh()

    def set_held(self, held: bool) -> None:
        """Show the held look (also used when the keyboard key is held). Emits nothing."""
        if held != self._held:
            self._held = held
            self.setDown(held)
            self._refresh()

    def _refresh(self) -> None:
        if not self._available:
            text = UNAVAILABLE_TEXT
        elif self._hands_free:
            text = HANDS_FREE_TEXT
        else:
            text = HELD_TEXT if self._held else IDLE_TEXT
        self.setText(text)
        self.setEnabled(self._available and not self._hands_free)
        self.setToolTip(f"Hold this button, or hold {self._key_name} anywhere in the window, while you speak")
        self.setAccessibleDescription(f"{text}. Hold {self._key_name} to talk; press Enter to start and again to send.")

    # ------------------------------------------------------------------ mouse: press and hold
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self.isEnabled():
            event.ignore()
            return
        event.accept()
        if not self._held:
            self.set_held(True)
            self.talk_pressed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        event.accept()
        if self._held:
            self.set_held(False)
            self.talk_released.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        event.accept()  # leaving the button while holding keeps talking

    def _toggle(self) -> None:
        if not self.isEnabled():
            return
        if self._held:
            self.set_held(False)
            self.talk_released.emit()
        else:
            self.set_held(True)
            self.talk_pressed.emit()
