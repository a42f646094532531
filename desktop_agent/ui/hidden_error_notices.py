"""Errors that happen while the window is out of sight become desktop notifications: one per kind of error until
the window is seen again, so a provider failing every few seconds is one notification, not a flood.

While the window shows (and is not minimised) its banner says it all and nothing is sent.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from desktop_agent.state import events as ev
from desktop_agent.ui.desktop_notifier import DesktopNotifier


class HiddenErrorNotices(QObject):
    def __init__(self, window: QWidget, notifier: DesktopNotifier, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self._notifier = notifier
        self._notified: set[ev.ErrorKind] = set()
        window.installEventFilter(self)

    def window_out_of_sight(self) -> bool:
        return not self._window.isVisible() or self._window.isMinimized()

    def on_error(self, error: ev.ErrorOccurred) -> None:
        """Notify about ``error`` when the window is out of sight and its kind has not been notified since."""
        if not self.window_out_of_sight() or error.kind in self._notified:
            return
        self._notified.add(error.kind)
        self._notifier.notify(TITLES.get(error.kind, "Something went wrong"), error.message)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        seen_again = (
            event.type() in (QEvent.Type.Show, QEvent.Type.WindowStateChange) and not self.window_out_of_sight()
        )
        if watched is self._window and seen_again:
            self._notified.clear()  # the next error of any kind is news
        return False


#: A notification's title by kind; the body is the engine's sentence saying what to do.
TITLES = {
    ev.ErrorKind.AUTH: "An API key was refused",
    ev.ErrorKind.RATE_LIMIT: "A provider is limiting requests",
    ev.ErrorKind.UNREACHABLE: "A provider cannot be reached",
    ev.ErrorKind.PROVIDER: "A provider had a problem",
    ev.ErrorKind.AUDIO_DEVICE: "A sound device failed",
    ev.ErrorKind.CONFIG: "The settings need attention",
    ev.ErrorKind.BUDGET: "A spending limit was reached",
    ev.ErrorKind.INTERNAL: "Something went wrong",
}
