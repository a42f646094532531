"""A GlobalShortcuts portal for tests: a real D-Bus service on a private bus (its own dbus-daemon), answering as
xdg-desktop-portal does, since no desktop's portal runs here.

It owns ``org.freedesktop.portal.Desktop`` and implements the host app registry, ``Properties.Get(version)``,
``CreateSession`` and ``BindShortcuts`` (each answered through a request object's ``Response`` signal, after the
method's reply, as real portals do) and ``Session.Close``. The test plays the desktop with :meth:`FakePortal.press`
and :meth:`FakePortal.release` (``Activated``/``Deactivated`` to every bound session) and chooses how binding goes:
bound (with a trigger of the desktop's choosing) or declined in the desktop's dialog.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import Proxy, open_dbus_connection

from desktop_agent.global_shortcut.portal import (
    GLOBAL_SHORTCUTS,
    HOST_REGISTRY,
    PORTAL_BUS,
    PORTAL_PATH,
    REQUEST,
    SESSION,
)

RESPONSE_DELAY_S = 0.01


@pytest.fixture
def private_bus() -> Iterator[str]:
    """The address of a D-Bus session bus of this test's own."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()
        assert address, "dbus-daemon did not start"
        yield address
    finally:
        daemon.terminate()
        daemon.wait(10)


class FakePortal:
    def __init__(self, address: str, *, trigger_description: str = "F8", decline: bool = False) -> None:
        self.trigger_description = trigger_description
        self.decline = decline
        self.registered_apps: list[str] = []
        self.bound: list[tuple[str, dict[str, Any]]] = []  # (shortcut id, its options)
        self.closed: list[str] = []
        self._sessions: list[str] = []
        self._connection = open_dbus_connection(address)
        reply = Proxy(message_bus, self._connection).RequestName(PORTAL_BUS, 4)  # 4: do not queue
        assert reply == (1,), f"could not own {PORTAL_BUS}: {reply}"
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-portal", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._connection.close()

    # ------------------------------------------------------------------ the desktop's side
    def press(self, shortcut_id: str = "push-to-talk") -> None:
        self._emit_to_sessions("Activated", shortcut_id)

    def release(self, shortcut_id: str = "push-to-talk") -> None:
        self._emit_to_sessions("Deactivated", shortcut_id)

    def wait_until_bound(self, deadline_s: float = 20.0) -> None:
        deadline = time.monotonic() + deadline_s
        while not self.bound:
            assert time.monotonic() < deadline, "nothing was bound"
            time.sleep(0.01)

    def _emit_to_sessions(self, member: str, shortcut_id: str) -> None:
        stamp = int(time.monotonic() * 1000)
        for session in list(self._sessions):
            emitter = DBusAddress(PORTAL_PATH, interface=GLOBAL_SHORTCUTS)
            self._send(new_signal(emitter, member, "osta{sv}", (session, shortcut_id, stamp, {})))

    # ------------------------------------------------------------------ the service
    def _send(self, message: Any) -> None:
        with self._send_lock:
            self._connection.send(message)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            except OSError:
                return
            if message.header.message_type is MessageType.method_call:
                self._answer(message)

    def _answer(self, call: Any) -> None:
        fields = call.header.fields
        interface, member = fields.get(HeaderFields.interface), fields.get(HeaderFields.member)
        sender = fields[HeaderFields.sender].lstrip(":").replace(".", "_")
        if (interface, member) == (HOST_REGISTRY, "Register"):
            self.registered_apps.append(call.body[0])
            self._send(new_method_return(call))
        elif (interface, member) == ("org.freedesktop.DBus.Properties", "Get") and call.body[0] == GLOBAL_SHORTCUTS:
            self._send(new_method_return(call, "v", (("u", 2),)))
        elif (interface, member) == (GLOBAL_SHORTCUTS, "CreateSession"):
            options = call.body[0]
            request = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
            session = f"{PORTAL_PATH}/session/{sender}/{options['session_handle_token'][1]}"
            self._send(new_method_return(call, "o", (request,)))
            self._respond(request, 0, {"session_handle": ("s", session)})
        elif (interface, member) == (GLOBAL_SHORTCUTS, "BindShortcuts"):
            session, shortcuts, _parent, options = call.body
            request = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
            self._send(new_method_return(call, "o", (request,)))
            if self.decline:
                self._respond(request, 1, {})
                return
            bound = []
            for shortcut_id, details in shortcuts:
                self.bound.append((shortcut_id, details))
                description = ("s", self.trigger_description)
                bound.append((shortcut_id, {"description": details["description"], "trigger_description": description}))
            self._sessions.append(session)
            self._respond(request, 0, {"shortcuts": ("a(sa{sv})", bound)})
        elif (interface, member) == (SESSION, "Close"):
            path = fields[HeaderFields.path]
            self.closed.append(path)
            with contextlib.suppress(ValueError):
                self._sessions.remove(path)
            self._send(new_method_return(call))
        else:
            self._send(new_error(call, "org.freedesktop.DBus.Error.UnknownMethod"))

    def _respond(self, request: str, code: int, results: dict[str, Any]) -> None:
        time.sleep(RESPONSE_DELAY_S)  # after the method's reply, as a real portal answers
        self._send(new_signal(DBusAddress(request, interface=REQUEST), "Response", "ua{sv}", (code, results)))
