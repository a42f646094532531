"""The global shortcut on Windows and macOS, through pynput's keyboard listener (a low-level keyboard hook on
Windows, a Quartz event tap on macOS).

It observes every key without taking any from the focused app, so the shortcut's key also reaches that app; a
shortcut with a modifier (the default advice) keeps that harmless. Auto-repeat arrives as repeated presses, folded
by a held flag. On macOS the app needs the Input Monitoring permission (System Settings > Privacy & Security); without
it the listener sees nothing, which pynput reports as ``IS_TRUSTED`` false.

Not run on this project's Linux test machines (pynput is installed only on Windows and macOS); the X11 and portal
listeners are the ones exercised there.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from desktop_agent.global_shortcut.shortcut import Modifier, Shortcut, ShortcutEvents

log = logging.getLogger(__name__)

_JOIN_TIMEOUT_S = 5.0
#: Qt's portable names -> pynput's ``Key`` members, for the keys that are not one character.
_SPECIAL_KEYS = {
    **{f"F{n}": f"f{n}" for n in range(1, 21)},
    "Space": "space",
    "Pause": "pause",
    "ScrollLock": "scroll_lock",
    "Print": "print_screen",
    "Menu": "menu",
    "Ins": "insert",
    "Del": "delete",
    "Home": "home",
    "End": "end",
    "PgUp": "page_up",
    "PgDown": "page_down",
    "Esc": "esc",
    "Tab": "tab",
    "Backspace": "backspace",
    "Return": "enter",
    "Enter": "enter",
    "Up": "up",
    "Down": "down",
    "Left": "left",
    "Right": "right",
}


def _modifier_keys(modifier: Modifier) -> tuple[str, ...]:
    """pynput's names of the keys that count as ``modifier`` (Qt's Ctrl is Command on macOS, its Meta is Control)."""
    on_mac = sys.platform == "darwin"
    names = {
        Modifier.CTRL: ("cmd", "cmd_l", "cmd_r") if on_mac else ("ctrl", "ctrl_l", "ctrl_r"),
        Modifier.META: ("ctrl", "ctrl_l", "ctrl_r") if on_mac else ("cmd", "cmd_l", "cmd_r"),
        Modifier.ALT: ("alt", "alt_l", "alt_r", "alt_gr"),
        Modifier.SHIFT: ("shift", "shift_l", "shift_r"),
    }
    return names[modifier]


class PynputShortcutListener:
    def __init__(self, shortcut: Shortcut, events: ShortcutEvents) -> None:
        self.shortcut = shortcut
        self._events = events
        self._listener: Any = None
        self._lock = threading.Lock()
        self._down: set[Any] = set()
        self._held = False

    def start(self) -> None:
        if self._listener is not None:
            return
        try:
            from pynput import keyboard
        except ImportError:
            self._events.unavailable(
                "The global shortcut needs the pynput package, which is missing; reinstall the app (the app's own talk "
                "key still works)."
            )
            return
        self._keyboard = keyboard
        self._key = self._pynput_key(keyboard)
        self._modifiers = {
            modifier: {getattr(keyboard.Key, name) for name in _modifier_keys(modifier) if hasattr(keyboard.Key, name)}
            for modifier in self.shortcut.modifiers
        }
        self._listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
        self._listener.start()
        if sys.platform == "darwin" and not getattr(self._listener, "IS_TRUSTED", True):
            self._events.unavailable(
                "macOS does not let the app see the keyboard yet, so the global shortcut cannot work; allow it in "
                "System Settings > Privacy & Security > Input Monitoring, then restart the app."
            )
            return
        self._events.registered(f"{self.shortcut} works in every app.")

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        listener.stop()
        listener.join(_JOIN_TIMEOUT_S)
        with self._lock:
            if self._held:
                self._held = False
                self._events.key_up()

    def _pynput_key(self, keyboard: Any) -> Any:
        name = _SPECIAL_KEYS.get(self.shortcut.key)
        if name is not None and hasattr(keyboard.Key, name):
            return getattr(keyboard.Key, name)
        return keyboard.KeyCode.from_char(self.shortcut.key.lower())

    def _is_shortcut_key(self, key: Any) -> bool:
        if key == self._key:
            return True
        char = getattr(key, "char", None)  # a letter typed with Shift arrives upper-case
        wanted = getattr(self._key, "char", None)
        return isinstance(char, str) and wanted is not None and char.lower() == wanted

    # pynput calls these on its own thread.
    def _on_press(self, key: Any) -> None:
        with self._lock:
            self._down.add(key)
            if self._held or not self._is_shortcut_key(key):
                return  # auto-repeat of the held key, or another key
            if all(self._down & keys for keys in self._modifiers.values()):
                self._held = True
                self._events.key_down()

    def _on_release(self, key: Any) -> None:
        with self._lock:
            self._down.discard(key)
            if self._held and self._is_shortcut_key(key):  # matched on the key alone: modifiers may go up first
                self._held = False
                self._events.key_up()
