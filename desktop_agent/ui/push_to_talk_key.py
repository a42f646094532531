"""Holding the push-to-talk key (Space by default) anywhere in the main window: one hold, one turn.

Installed as an application event filter so the key reaches push-to-talk before the focused widget: a focused
button must not also be clicked by Space. Because Space belongs to push-to-talk here, Enter/Return activates the
focused button instead, keeping every control reachable from the keyboard. Text fields keep their keys.

Auto-repeat: a held key arrives as repeated press/release pairs. Qt marks them ``isAutoRepeat()`` on most systems,
and those are ignored; the unmarked ones some X servers send are folded into one hold by
:class:`~desktop_agent.ui.key_hold.KeyHold`. Modifier state (``queryKeyboardModifiers``) cannot tell us anything
here: Space is not a modifier.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QKeySequenceEdit,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from desktop_agent.ui.key_hold import DEFAULT_DEBOUNCE_MS, KeyHold

__all__ = ["DEFAULT_DEBOUNCE_MS", "PushToTalkKeyFilter", "key_from_text"]
_TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QKeySequenceEdit)


def key_from_text(text: str) -> Qt.Key:
    """``"Space"``, ``"F8"`` … -> a Qt key; unknown or combined sequences fall back to Space."""
    sequence = QKeySequence(text or "Space")
    if sequence.count() != 1:
        return Qt.Key.Key_Space
    combined = sequence[0]  # type: ignore[index]  # PySide6's stub omits QKeySequence.__getitem__ (operator[])
    if combined.keyboardModifiers() != Qt.KeyboardModifier.NoModifier:
        return Qt.Key.Key_Space
    key = combined.key()
    return key if key != Qt.Key.Key_unknown else Qt.Key.Key_Space


class PushToTalkKeyFilter(QObject):
    pressed = Signal()
    released = Signal()

    def __init__(self, window: QWidget, key: Qt.Key = Qt.Key.Key_Space, debounce_ms: int = DEFAULT_DEBOUNCE_MS) -> None:
        super().__init__(window)
        self._window = window
        self._key = key
        self.enabled = True
        self._hold = KeyHold(debounce_ms, self)
        self._hold.pressed.connect(self.pressed)
        self._hold.released.connect(self.released)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def held(self) -> bool:
        return self._hold.held

    @property
    def key(self) -> Qt.Key:
        return self._key

    def set_key(self, key: Qt.Key) -> None:
        self.cancel()
        self._key = key

    def key_name(self) -> str:
        return QKeySequence(self._key).toString(QKeySequence.SequenceFormat.NativeText) or "Space"

    def cancel(self) -> None:
        """End a hold now (window lost focus, mode changed, session ended)."""
        self._hold.cancel()

    def detach(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.cancel()

    # ------------------------------------------------------------------ filtering
    def _applies(self, target: QObject) -> bool:
        if not isinstance(target, QWidget) or target.window() is not self._window:
            return False
        if isinstance(target, _TEXT_INPUTS):
            return False
        return not (isinstance(target, QComboBox) and target.isEditable())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and isinstance(event, QKeyEvent):
            if not self._applies(watched):
                return False
            is_press = kind == QEvent.Type.KeyPress
            if event.key() == self._key:
                plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
                # A modified press (Shift+Space …) is not push-to-talk; a release always ends a hold, even if a
                # modifier went down meanwhile.
                if plain or not is_press:
                    if self.enabled:
                        self._on_key(event, is_press)
                    return True
            if (
                is_press
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and isinstance(watched, QAbstractButton)
                and watched.isEnabled()
                and not event.isAutoRepeat()
            ):
                watched.animateClick()
                return True
            return False
        if (
            kind in (QEvent.Type.WindowDeactivate, QEvent.Type.Hide) and watched is self._window
        ) or kind == QEvent.Type.ApplicationDeactivate:
            self.cancel()
        return False

    def _on_key(self, event: QKeyEvent, is_press: bool) -> None:
        if event.isAutoRepeat():
            return
        if is_press:
            self._hold.down()
        else:
            self._hold.up()
