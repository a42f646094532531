"""Holding the push-to-talk key (Space by default) anywhere in the main window: one hold, one turn.

Installed as an application event filter so the key reaches push-to-talk before the focused widget: a focused
button must not also be clicked by Space. Because Space belongs to push-to-talk here, Enter/Return activates the
focused button instead, keeping every control reachable from the keyboard. Text fields keep their keys.

Auto-repeat: a held key arrives as repeated press/release pairs. Qt marks them ``isAutoRepeat()`` on most systems,
and those are ignored; some X servers send them unmarked. So a release is only confirmed if no press follows within
``debounce_ms`` (the unmarked pairs arrive back to back, ~0-2 ms apart; X auto-repeat runs at 25-40 ms intervals
only *between* pairs). A press arriving inside that window cancels the pending release: still the same hold.
Modifier state (``queryKeyboardModifiers``) cannot tell us anything here: Space is not a modifier.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
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

DEFAULT_DEBOUNCE_MS = 40
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
        self._held = False
        self.enabled = True
        self._release_timer = QTimer(self)
        self._release_timer.setSingleShot(True)
        self._release_timer.setInterval(debounce_ms)
        self._release_timer.timeout.connect(self._confirm_release)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def held(self) -> bool:
        return self._held

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
        self._release_timer.stop()
        if self._held:
            self._held = False
            self.released.emit()

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
            if self._release_timer.isActive():
                self._release_timer.stop()  # an unmarked auto-repeat pair: the key never went up
            elif not self._held:
                self._held = True
                self.pressed.emit()
        elif self._held:
            self._release_timer.start()

    def _confirm_release(self) -> None:
        if self._held:
            self._held = False
            self.released.emit()
