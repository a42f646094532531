"""Start-up marks of the real app, from the outside: ``python -m desktop_agent.bench.startup_window [app args]``.

Runs ``desktop-agent`` (its own ``main``) in this process with two observers added before it starts: an
application-wide event filter that notes the main window's first paint, and a 5 ms timer that notes when the
window's conversation first shows the engine listening (services connected, devices open). Then it closes the
window through the app's own close path and prints ``{"window_visible": t, "session_ready": t}`` as
``time.monotonic()`` stamps, which the parent subtracts from the moment it started this process.

Creating the QApplication here first changes nothing the app measures: the app reuses the existing instance, and
importing Qt is work the app would do at the same point anyway.
"""

from __future__ import annotations

import json
import os
import sys
import time

GIVE_UP_SECS = 60.0


def main(argv: list[str]) -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    marks: dict[str, float] = {}
    app = QApplication(sys.argv[:1])

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow) and "window_visible" not in marks:
                marks["window_visible"] = time.monotonic()
            return False

    first_paint = FirstPaint()
    app.installEventFilter(first_paint)
    started = time.monotonic()

    def report_and_close() -> None:
        print(json.dumps(marks), flush=True)
        for widget in app.topLevelWidgets():
            if isinstance(widget, QMainWindow):
                widget.close()

    def poll() -> None:
        if "window_visible" in marks:
            app.removeEventFilter(first_paint)
        from desktop_agent.state.events import AgentState

        for widget in app.topLevelWidgets():
            conversation = getattr(widget, "conversation", None)
            if (
                isinstance(widget, QMainWindow)
                and conversation is not None
                and getattr(conversation, "agent_state", None) is AgentState.LISTENING
            ):
                marks["session_ready"] = time.monotonic()
                timer.stop()
                QTimer.singleShot(0, report_and_close)
                return
        if time.monotonic() - started > GIVE_UP_SECS:
            timer.stop()
            print(json.dumps(marks), flush=True)
            os._exit(2)  # the app never became ready; there is nothing left to measure

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(poll)
    timer.start()

    from desktop_agent.__main__ import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
