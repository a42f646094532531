"""The global shortcut on X11: a passive key grab (``XGrabKey``) on the root window.

The grab delivers the shortcut's key to this connection whichever window has focus, and keeps it from that window.
It is made four times, with and without Num Lock and Caps Lock, since the X server matches modifiers exactly.
``BadAccess`` means another client grabbed the same combination first; X errors arrive asynchronously, so the grab
is followed by a round trip before it is checked, and a half-made grab is undone.

Auto-repeat must not split a held key into several turns: detectable auto-repeat (XKB) makes the server send
repeated presses and one release, folded by a held flag. Where the server does not offer it, the repeats arrive as
release/press pairs with the same timestamp; a release immediately followed by such a press is dropped here, and
what is left is folded by the receiver's debounce (``ui/key_hold.py``).

python-xlib is not thread-safe, so the listener's thread owns its own connection from start to end.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections import deque
from typing import Any

from Xlib import XK, X, error
from Xlib.display import Display

from desktop_agent.global_shortcut.shortcut import ONLY_IN_APP, Modifier, Shortcut, ShortcutEvents
from desktop_agent.global_shortcut.xkb_auto_repeat import set_detectable_auto_repeat

log = logging.getLogger(__name__)

_MODIFIER_MASKS = {
    Modifier.CTRL: X.ControlMask,
    Modifier.ALT: X.Mod1Mask,
    Modifier.SHIFT: X.ShiftMask,
    Modifier.META: X.Mod4Mask,
}
_JOIN_TIMEOUT_S = 5.0


def taken_sentence(shortcut: Shortcut) -> str:
    return (
        f"{shortcut} is already taken by another app, so it cannot work while other apps have focus; choose another "
        "shortcut in Settings > Desktop (the app's own talk key still works)."
    )


def no_display_sentence(display_name: str | None) -> str:
    if not display_name:
        return f"The global shortcut needs an X display and DISPLAY is not set, so {ONLY_IN_APP}."
    return f"The global shortcut needs the X display {display_name}, which could not be reached, so {ONLY_IN_APP}."


class X11ShortcutListener:
    """``display_name`` None: the ``DISPLAY`` variable's. ``detectable_auto_repeat`` False leaves the server's plain
    auto-repeat on (as on a server without XKB), for tests of that path."""

    def __init__(
        self,
        shortcut: Shortcut,
        events: ShortcutEvents,
        *,
        display_name: str | None = None,
        detectable_auto_repeat: bool = True,
    ) -> None:
        self.shortcut = shortcut
        self._events = events
        self._display_name = display_name if display_name is not None else os.environ.get("DISPLAY")
        self._want_detectable = detectable_auto_repeat
        self._thread: threading.Thread | None = None
        #: Auto-repeats folded into a hold so far (repeated presses, or dropped release/press pairs).
        self.folded_repeats = 0
        self._wake_read, self._wake_write = -1, -1

    def start(self) -> None:
        if self._thread is not None:
            return
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="global-shortcut-x11", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"x")
        thread.join(_JOIN_TIMEOUT_S)
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)

    # ------------------------------------------------------------------ the listener's thread
    def _run(self) -> None:
        if not self._display_name:
            self._events.unavailable(no_display_sentence(None))
            return
        try:
            display = Display(self._display_name)
        except (error.DisplayError, error.ConnectionClosedError, error.XauthError, error.XNoAuthError, OSError) as exc:
            log.info("No X display for the global shortcut: %s", exc)
            self._events.unavailable(no_display_sentence(self._display_name))
            return
        try:
            self._listen_on(display)
        except error.ConnectionClosedError:
            self._events.unavailable(f"The X display closed, so the global shortcut stopped; {ONLY_IN_APP}.")
        finally:
            with contextlib.suppress(Exception):  # the connection may be gone already
                display.close()

    def _listen_on(self, display: Display) -> None:
        keysym = XK.string_to_keysym(self.shortcut.keysym_name)
        keycode = display.keysym_to_keycode(keysym) if keysym else 0
        if not keycode:
            self._events.unavailable(
                f"This keyboard has no {self.shortcut.key} key, so the global shortcut {self.shortcut} cannot be used; "
                "choose another in Settings > Desktop."
            )
            return
        detectable = self._want_detectable and set_detectable_auto_repeat(display)
        root = display.screen().root
        masks = self._grab_masks(display)
        if not self._grab(display, root, keycode, masks):
            self._events.unavailable(taken_sentence(self.shortcut))
            return
        log.info("Global shortcut %s grabbed (detectable auto-repeat %s)", self.shortcut, "on" if detectable else "off")
        self._events.registered(f"{self.shortcut} works in every app (X11 key grab).")
        try:
            self._deliver(display, keycode, detectable)
        finally:
            for mask in masks:
                root.ungrab_key(keycode, mask)
            display.sync()

    def _grab_masks(self, display: Display) -> list[int]:
        """The shortcut's modifiers, with and without Num Lock and Caps Lock."""
        wanted = 0
        for modifier in self.shortcut.modifiers:
            wanted |= _MODIFIER_MASKS[modifier]
        num_lock = _num_lock_mask(display)
        return sorted({wanted | extra for extra in (0, X.LockMask, num_lock, X.LockMask | num_lock)})

    @staticmethod
    def _grab(display: Display, root: Any, keycode: int, masks: list[int]) -> bool:
        catcher = error.CatchError(error.BadAccess)
        for mask in masks:
            root.grab_key(keycode, mask, False, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher)
        display.sync()
        if catcher.get_error() is None:
            return True
        for mask in masks:  # undo what was granted
            root.ungrab_key(keycode, mask)
        display.sync()
        return False

    def _deliver(self, display: Display, keycode: int, detectable: bool) -> None:
        held = False
        put_back: deque[Any] = deque()
        while True:
            while put_back or display.pending_events():
                event = put_back.popleft() if put_back else display.next_event()
                if getattr(event, "detail", None) != keycode:
                    continue
                if event.type == X.KeyPress:
                    if held:
                        self.folded_repeats += 1
                    else:
                        held = True
                        self._events.key_down()
                elif event.type == X.KeyRelease and held:
                    if not detectable and not display.pending_events():
                        # The pair's press is sent with the release but may reach us a read later on a busy machine.
                        select.select([display.fileno()], [], [], AUTO_REPEAT_PAIR_WAIT_SECS)
                    if not detectable and display.pending_events():
                        following = display.next_event()
                        same_instant = following.type == X.KeyPress and following.time == event.time
                        if same_instant and following.detail == keycode:
                            self.folded_repeats += 1
                            continue  # a plain auto-repeat pair: the key never went up
                        put_back.append(following)
                    held = False
                    self._events.key_up()
            ready, _, _ = select.select([display.fileno(), self._wake_read], [], [])
            if self._wake_read in ready:
                if held:
                    self._events.key_up()  # stopped mid-hold: the turn ends
                return


#: How long a release waits for the press of a plain auto-repeat pair (sent at once by the server) before it counts.
AUTO_REPEAT_PAIR_WAIT_SECS = 0.03


def _num_lock_mask(display: Display) -> int:
    """The modifier bit Num Lock is mapped to (usually Mod2), 0 if none."""
    num_lock = display.keysym_to_keycode(XK.string_to_keysym("Num_Lock"))
    if not num_lock:
        return 0
    for index, keycodes in enumerate(display.get_modifier_mapping()):
        if num_lock in keycodes:
            return 1 << index
    return 0
