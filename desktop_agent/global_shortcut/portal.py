"""The global shortcut on Wayland: the xdg-desktop-portal ``org.freedesktop.portal.GlobalShortcuts`` interface.

Wayland gives no app the keys of another, so the desktop binds the shortcut: ``CreateSession``, then
``BindShortcuts`` with the shortcut the user chose as a *preferred* trigger (the desktop may ask the user, in a
dialog, and may bind another key); press and release then arrive as the ``Activated`` and ``Deactivated``
signals. Each call answers at once with a request object whose ``Response`` signal carries the result, so the
listener subscribes to ``Response`` before it calls. An app not run from Flatpak first registers its id with
``org.freedesktop.host.portal.Registry`` (matched against its ``.desktop`` file); older portals lack that registry,
which is fine.

D-Bus through jeepney on a connection of the listener's own thread; nothing here touches Qt.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections import deque
from typing import Any

# jeepney ships no type information; the other stub-less libraries are listed in pyproject's mypy section, but
# ui/desktop_notifier.py marks its jeepney imports line by line, so jeepney is marked the same way here.
from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    HeaderFields,
    MatchRule,
    Message,
    MessageType,
    message_bus,
    new_method_call,
)
from jeepney.io.blocking import DBusConnection, Proxy, open_dbus_connection  # type: ignore[import-untyped]
from jeepney.wrappers import DBusErrorResponse, unwrap_msg  # type: ignore[import-untyped]

from desktop_agent.global_shortcut.shortcut import ONLY_IN_APP, Shortcut, ShortcutEvents

log = logging.getLogger(__name__)

PORTAL_BUS = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
GLOBAL_SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
REQUEST = "org.freedesktop.portal.Request"
SESSION = "org.freedesktop.portal.Session"
HOST_REGISTRY = "org.freedesktop.host.portal.Registry"
SHORTCUT_ID = "push-to-talk"
DEFAULT_APP_ID = "desktop-agent"  # the app's .desktop file name (app.py: setDesktopFileName)

_CALL_TIMEOUT_S = 10.0
_SESSION_TIMEOUT_S = 10.0
_POLL_S = 0.25  # how often the thread checks whether it was asked to stop
_JOIN_TIMEOUT_S = 5.0

NO_PORTAL = (
    "This desktop offers no global shortcuts portal (KDE Plasma 5.27 or later and GNOME 48 or later do), so "
    f"{ONLY_IN_APP}."
)
NO_BUS = f"There is no D-Bus session bus, so the desktop's global shortcuts portal cannot be reached; {ONLY_IN_APP}."
DECLINED = (
    f"The global shortcut was declined in the desktop's dialog, so {ONLY_IN_APP}; switch the option off and on in "
    "Settings > Desktop to be asked again."
)
REFUSED = f"The desktop's portal refused to bind the global shortcut, so {ONLY_IN_APP}."
NO_ANSWER = f"The desktop's portal did not answer, so {ONLY_IN_APP}."
GONE = f"The desktop's portal went away, so the global shortcut stopped; {ONLY_IN_APP}."


class _Refused(Exception):
    """The portal cannot give us the shortcut; the message is the sentence for the user."""


class _Stopped(Exception):
    """stop() was called while waiting for the portal."""


class PortalShortcutListener:
    """``bus``: ``"SESSION"`` or a D-Bus address (tests use a private bus)."""

    def __init__(
        self, shortcut: Shortcut, events: ShortcutEvents, *, app_id: str = DEFAULT_APP_ID, bus: str = "SESSION"
    ) -> None:
        self.shortcut = shortcut
        self._events = events
        self._app_id = app_id
        self._bus = bus
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="global-shortcut-portal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(_JOIN_TIMEOUT_S)

    # ------------------------------------------------------------------ the listener's thread
    def _run(self) -> None:
        try:
            connection = open_dbus_connection(self._bus)
        except (OSError, KeyError, ValueError) as exc:  # no address, no socket, refused authentication
            log.info("No session bus for the global shortcut: %s", exc)
            self._events.unavailable(NO_BUS)
            return
        session = ""
        try:
            self._register_app(connection)
            self._require_portal(connection)
            activations: deque[Message] = deque()
            with connection.filter(MatchRule(type="signal", interface=GLOBAL_SHORTCUTS), queue=activations):
                _add_match(connection, MatchRule(type="signal", sender=PORTAL_BUS, interface=GLOBAL_SHORTCUTS))
                session = self._create_session(connection)
                trigger = self._bind(connection, session)
                log.info("Global shortcut bound by the portal: %s", trigger)
                self._events.registered(f"Push-to-talk works in every app with {trigger} (bound by the desktop).")
                self._deliver(connection, session, activations)
        except _Refused as exc:
            self._events.unavailable(str(exc))
        except _Stopped:
            pass
        except TimeoutError:
            self._events.unavailable(NO_ANSWER)
        except (OSError, EOFError) as exc:  # the bus or the portal went away
            log.info("The portal connection ended: %s", exc)
            self._events.unavailable(GONE)
        finally:
            if session:
                with contextlib.suppress(OSError, DBusErrorResponse, TimeoutError):
                    close = new_method_call(DBusAddress(session, PORTAL_BUS, SESSION), "Close")
                    connection.send_and_get_reply(close, timeout=1.0)
            connection.close()

    def _register_app(self, connection: DBusConnection) -> None:
        register = new_method_call(
            DBusAddress(PORTAL_PATH, PORTAL_BUS, HOST_REGISTRY), "Register", "sa{sv}", (self._app_id, {})
        )
        try:
            _call(connection, register)
        except DBusErrorResponse as exc:  # a portal older than the registry: it finds the app by itself
            log.debug("The portal's host registry: %s", exc)

    def _require_portal(self, connection: DBusConnection) -> None:
        get = new_method_call(
            DBusAddress(PORTAL_PATH, PORTAL_BUS, "org.freedesktop.DBus.Properties"),
            "Get",
            "ss",
            (GLOBAL_SHORTCUTS, "version"),
        )
        try:
            version = _call(connection, get)[0][1]
        except DBusErrorResponse as exc:
            log.info("No GlobalShortcuts portal: %s", exc)
            raise _Refused(NO_PORTAL) from exc
        log.info("GlobalShortcuts portal version %s", version)

    def _create_session(self, connection: DBusConnection) -> str:
        options = {
            "handle_token": ("s", _token()),
            "session_handle_token": ("s", _token()),
        }
        create = new_method_call(
            DBusAddress(PORTAL_PATH, PORTAL_BUS, GLOBAL_SHORTCUTS), "CreateSession", "a{sv}", (options,)
        )
        results = self._request(connection, create, options["handle_token"][1], _SESSION_TIMEOUT_S)
        # Typed "s", not "o", in the results: a documented historical slip of the portal.
        return str(results["session_handle"][1])

    def _bind(self, connection: DBusConnection, session: str) -> str:
        preferred = self.shortcut.portal_trigger
        token = _token()
        shortcuts = [
            (SHORTCUT_ID, {"description": ("s", "Push to talk"), "preferred_trigger": ("s", preferred)}),
        ]
        bind = new_method_call(
            DBusAddress(PORTAL_PATH, PORTAL_BUS, GLOBAL_SHORTCUTS),
            "BindShortcuts",
            "oa(sa{sv})sa{sv}",
            (session, shortcuts, "", {"handle_token": ("s", token)}),
        )
        results = self._request(connection, bind, token, None)  # the desktop may ask the user: no deadline
        for shortcut_id, details in results.get("shortcuts", ("", []))[1]:
            if shortcut_id == SHORTCUT_ID:
                described = details.get("trigger_description", ("s", ""))[1]
                return str(described or self.shortcut)
        raise _Refused(REFUSED)

    def _request(
        self, connection: DBusConnection, call: Message, token: str, timeout: float | None
    ) -> dict[str, tuple[str, Any]]:
        """Make a portal call that answers through a request object, and wait for its ``Response``."""
        sender = connection.unique_name.lstrip(":").replace(".", "_")
        expected = f"{PORTAL_PATH}/request/{sender}/{token}"
        responses: deque[Message] = deque()
        rule = MatchRule(type="signal", interface=REQUEST, member="Response")
        with connection.filter(rule, queue=responses):
            _add_match(connection, MatchRule(type="signal", sender=PORTAL_BUS, interface=REQUEST, member="Response"))
            try:
                handle = str(_call(connection, call)[0])
            except DBusErrorResponse as exc:
                log.info("The portal refused %s: %s", call.header.fields.get(HeaderFields.member), exc)
                raise _Refused(REFUSED) from exc
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                while responses:
                    response = responses.popleft()
                    if response.header.fields.get(HeaderFields.path) in (handle, expected):
                        code, results = response.body
                        if code == 1:
                            raise _Refused(DECLINED)
                        if code != 0:
                            raise _Refused(REFUSED)
                        return dict(results)
                if deadline is not None and time.monotonic() > deadline:
                    raise _Refused(NO_ANSWER)
                self._receive(connection)

    def _deliver(self, connection: DBusConnection, session: str, activations: deque[Message]) -> None:
        held = False
        try:
            while True:
                while activations:
                    signal = activations.popleft()
                    member = signal.header.fields.get(HeaderFields.member)
                    if signal.body[:2] != (session, SHORTCUT_ID):
                        continue
                    if member == "Activated" and not held:
                        held = True
                        self._events.key_down()
                    elif member == "Deactivated" and held:
                        held = False
                        self._events.key_up()
                self._receive(connection)
        finally:
            if held:
                self._events.key_up()  # stopped mid-hold: the turn ends

    def _receive(self, connection: DBusConnection) -> None:
        """Route what arrives within one poll interval to the filters; raise :class:`_Stopped` once stopped."""
        if self._stop.is_set():
            raise _Stopped
        with contextlib.suppress(TimeoutError):
            connection.recv_messages(timeout=_POLL_S)


def _call(connection: DBusConnection, message: Message) -> tuple[Any, ...]:
    reply = connection.send_and_get_reply(message, timeout=_CALL_TIMEOUT_S)
    if reply.header.message_type is MessageType.error:
        raise DBusErrorResponse(reply)
    return tuple(unwrap_msg(reply))


def _add_match(connection: DBusConnection, rule: MatchRule) -> None:
    Proxy(message_bus, connection, timeout=_CALL_TIMEOUT_S).AddMatch(rule)


def _token() -> str:
    return f"desktop_agent_{secrets.token_hex(6)}"
