"""A private X server (Xvfb) for tests of the global shortcut, and a driver that plays the user and the other apps.

``x_server`` starts Xvfb on a free display number (``-displayfd``) once per test session. :class:`XDriver` presses
keys through XTEST, as a real keyboard would reach the server (the server's own auto-repeat included), and makes the
"other app": an X window that has the keyboard focus and records the keys it receives. :class:`KeyThief` grabs a key
first, as another app that registered the same shortcut would.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from Xlib import XK, X, error
from Xlib.display import Display
from Xlib.ext import xtest

XVFB_START_TIMEOUT_S = 30


@pytest.fixture(scope="session")
def x_server() -> Iterator[str]:
    """The display name (":N") of a private Xvfb (``-noreset``: it must not reset whenever its last client leaves)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is needed for the global shortcut tests (tests/run.sh installs it)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "640x480x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], XVFB_START_TIMEOUT_S)
        assert ready, "Xvfb did not start"
        number = os.read(read_end, 32).decode().strip()
        assert number.isdigit(), f"Xvfb reported {number!r}"
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(10)


class OtherApp:
    """A mapped X window holding the keyboard focus, recording the key events it receives."""

    def __init__(self, display: Display) -> None:
        self._display = display
        root = display.screen().root
        self.window = root.create_window(
            0,
            0,
            200,
            100,
            0,
            X.CopyFromParent,
            X.InputOutput,
            X.CopyFromParent,
            event_mask=X.KeyPressMask | X.KeyReleaseMask | X.StructureNotifyMask,
        )
        self.window.map()
        display.sync()
        self.window.set_input_focus(X.RevertToParent, X.CurrentTime)
        display.sync()
        self.received: list[tuple[str, int]] = []

    def has_focus(self) -> bool:
        return self._display.get_input_focus().focus.id == self.window.id

    def drain(self) -> list[tuple[str, int]]:
        """The key events received so far: ("press" | "release", keycode)."""
        while self._display.pending_events():
            event = self._display.next_event()
            if event.type in (X.KeyPress, X.KeyRelease):
                self.received.append(("press" if event.type == X.KeyPress else "release", event.detail))
        return self.received


class XDriver:
    def __init__(self, display_name: str) -> None:
        self.display = Display(display_name)

    def keycode(self, keysym_name: str) -> int:
        return self.display.keysym_to_keycode(XK.string_to_keysym(keysym_name))

    def press(self, keysym_name: str) -> None:
        xtest.fake_input(self.display, X.KeyPress, self.keycode(keysym_name))
        self.display.sync()

    def release(self, keysym_name: str) -> None:
        xtest.fake_input(self.display, X.KeyRelease, self.keycode(keysym_name))
        self.display.sync()

    def tap(self, keysym_name: str) -> None:
        self.press(keysym_name)
        self.release(keysym_name)

    def other_app(self) -> OtherApp:
        app = OtherApp(self.display)
        assert app.has_focus()
        return app

    def close(self) -> None:
        self.display.close()


class KeyThief:
    """Another X client that grabbed ``keysym_name`` (with any modifiers) first."""

    def __init__(self, display_name: str, keysym_name: str) -> None:
        self.display = Display(display_name)
        self._root: Any = self.display.screen().root
        self._keycode = self.display.keysym_to_keycode(XK.string_to_keysym(keysym_name))
        refused = error.CatchError(error.BadAccess)
        self._root.grab_key(self._keycode, X.AnyModifier, False, X.GrabModeAsync, X.GrabModeAsync, onerror=refused)
        self.display.sync()
        assert refused.get_error() is None, f"{keysym_name} is grabbed by another client already"

    def close(self) -> None:
        self._root.ungrab_key(self._keycode, X.AnyModifier)
        self.display.sync()
        self.display.close()


@pytest.fixture
def x_driver(x_server: str) -> Iterator[XDriver]:
    driver = XDriver(x_server)
    yield driver
    driver.close()
