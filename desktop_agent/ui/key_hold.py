"""One physical key hold, however the platform reports auto-repeat: ``down``/``up`` in, one ``pressed`` and one
``released`` out.

A held key may arrive as repeated press/release pairs (some X servers send them unmarked; a global shortcut's
listener can miss the pairing too). So a release is only confirmed if no press follows within ``debounce_ms`` (the
pairs arrive back to back, ~0-2 ms apart; auto-repeat runs at 25-40 ms intervals only *between* pairs). A press
inside that window cancels the pending release: still the same hold. Used by the in-window push-to-talk key and by
the global shortcut, so both treat auto-repeat alike.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

DEFAULT_DEBOUNCE_MS = 40


class KeyHold(QObject):
    pressed = Signal()
    released = Signal()

    def __init__(self, debounce_ms: int = DEFAULT_DEBOUNCE_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._held = False
        self._release_timer = QTimer(self)
        self._release_timer.setSingleShot(True)
        self._release_timer.setInterval(debounce_ms)
        self._release_timer.timeout.connect(self._confirm_release)

    @property
    def held(self) -> bool:
        return self._held

    def down(self) -> None:
        if self._release_timer.isActive():
            self._release_timer.stop()  # an auto-repeat pair: the key never went up
        elif not self._held:
            self._held = True
            self.pressed.emit()

    def up(self) -> None:
        if self._held:
            self._release_timer.start()

    def cancel(self) -> None:
        """End the hold now (focus lost, mode changed, the shortcut went away)."""
        self._release_timer.stop()
        self._confirm_release()

    def _confirm_release(self) -> None:
        if self._held:
            self._held = False
            self.released.emit()
