"""Desktop notifications: one plain-text sentence with the app's name, through the tray or the desktop's service.

With a tray icon shown, Qt's ``QSystemTrayIcon.showMessage`` does it (on Linux Qt itself calls the freedesktop
Notifications service; on Windows and macOS it is the system's own balloon). Without a tray (GNOME has none, but
has the service) the message goes straight to ``org.freedesktop.Notifications.Notify`` on the session bus through
jeepney (keyring's own D-Bus library on Linux), on a short-lived worker thread so the window never waits for the
bus. QtDBus is not used: from Python it marshals plain ints and lists with the wrong D-Bus types
(desktop-integration.md, 3c).

What is sent is plain text: secrets the log would redact are redacted, control characters removed, the length
capped, and where the service renders markup in bodies, the text is escaped so it shows as written.
"""

from __future__ import annotations

import html
import logging
import threading

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QSystemTrayIcon

from desktop_agent.config.logging_setup import redact
from desktop_agent.state.plain_text import plain_text, shorten

log = logging.getLogger(__name__)

APP_NAME = "Desktop Agent"
APP_ICON = "desktop-agent"
BODY_LIMIT = 300
SHOWN_FOR_MS = 8000
BUS_TIMEOUT_S = 2.0
_SERVICE = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"


def notice_text(text: str, limit: int = BODY_LIMIT) -> str:
    """``text`` fit for a notification: no secrets, no control characters or bidi overrides, at most ``limit``."""
    return shorten(plain_text(redact(text)), limit)


class DesktopNotifier(QObject):
    """Shows notifications; ``tray`` is the app's tray icon (None without one)."""

    def __init__(self, tray: QSystemTrayIcon | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray = tray
        self._threads: set[threading.Thread] = set()

    def notify(self, title: str, body: str) -> None:
        title, body = notice_text(title, 80), notice_text(body)
        tray = self._tray
        if tray is not None and tray.isVisible() and QSystemTrayIcon.isSystemTrayAvailable():
            tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Warning, SHOWN_FOR_MS)
            return
        thread = threading.Thread(target=self._send_on_bus, args=(title, body), name="notification", daemon=True)
        self._threads.add(thread)
        thread.start()

    def wait(self, timeout: float = BUS_TIMEOUT_S * 2) -> None:
        """Let notifications still being sent finish (the app calls this as it shuts down)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _send_on_bus(self, title: str, body: str) -> None:
        try:
            # jeepney ships no type information (and pyproject's stub-less list is not this module's to change).
            from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
            from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
            from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]

            service = DBusAddress(_PATH, bus_name=_SERVICE, interface=_SERVICE)
            with open_dbus_connection(bus="SESSION") as connection:
                reply = connection.send_and_get_reply(
                    new_method_call(service, "GetCapabilities"), timeout=BUS_TIMEOUT_S
                )
                capabilities = unwrap_msg(reply)[0]
                if "body-markup" in capabilities:  # the service would render "<b>" as bold: escape it
                    body = html.escape(body, quote=False)
                call = new_method_call(
                    service,
                    "Notify",
                    "susssasa{sv}i",
                    (APP_NAME, 0, APP_ICON, title, body, [], {"urgency": ("y", 1)}, SHOWN_FOR_MS),
                )
                unwrap_msg(connection.send_and_get_reply(call, timeout=BUS_TIMEOUT_S))
        except Exception as exc:  # noqa: BLE001 - no bus, no service, a timeout: the window still shows the problem
            log.info("No desktop notification could be shown (%s: %s)", type(exc).__name__, exc)
        finally:
            self._threads.discard(threading.current_thread())
