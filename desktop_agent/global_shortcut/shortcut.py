"""What a global push-to-talk shortcut is (a key and its modifiers, parsed from the text Qt's key sequence editor
writes, e.g. ``F8`` or ``Ctrl+Alt+Space``), how it is held (hold or toggle), and what a listener reports.

A global shortcut takes its key from every other app, so a key that is typed (a letter, Space, Enter) is refused
unless a modifier other than Shift goes with it: F-keys, Pause, Scroll Lock and Menu may stand alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class TalkKeyStyle(enum.StrEnum):
    HOLD = "hold"  #: hold the shortcut while speaking; releasing it ends the turn
    TOGGLE = "toggle"  #: press once to start talking, press again to end the turn


class Modifier(enum.StrEnum):
    CTRL = "Ctrl"
    ALT = "Alt"
    SHIFT = "Shift"
    META = "Meta"  #: the Super/Windows key (Qt's name; Control on macOS, where Qt's Ctrl is Command)


#: Qt's portable key names (``QKeySequence.PortableText``) -> X keysym names, for the keys that are not one character.
KEYSYM_NAMES: dict[str, str] = {
    **{f"F{n}": f"F{n}" for n in range(1, 36)},
    "Space": "space",
    "Pause": "Pause",
    "ScrollLock": "Scroll_Lock",
    "Print": "Print",
    "Menu": "Menu",
    "Ins": "Insert",
    "Del": "Delete",
    "Home": "Home",
    "End": "End",
    "PgUp": "Prior",
    "PgDown": "Next",
    "Esc": "Escape",
    "Tab": "Tab",
    "Backspace": "BackSpace",
    "Return": "Return",
    "Enter": "KP_Enter",
    "Up": "Up",
    "Down": "Down",
    "Left": "Left",
    "Right": "Right",
}
#: Keys nobody types, which may be a global shortcut on their own.
STANDALONE_KEYS = frozenset({f"F{n}" for n in range(1, 36)} | {"Pause", "ScrollLock", "Menu", "Print"})


#: How every "the shortcut cannot be had" sentence ends: the app's own talk key (Space in the window, Enter in the
#: console) still works while the app has focus.
ONLY_IN_APP = "push-to-talk works only while the app itself has focus"


class BadShortcut(ValueError):
    """The text is not a shortcut the app can register; the message is one sentence for the user."""


@dataclass(frozen=True)
class Shortcut:
    key: str  #: Qt's portable name of the key: "F8", "Space", "A", "1" ...
    modifiers: frozenset[Modifier] = frozenset()

    def __str__(self) -> str:
        order = [m for m in Modifier if m in self.modifiers]
        return "+".join([*order, self.key])

    @property
    def keysym_name(self) -> str:
        """The X keysym name of the key (``F8``, ``space``, ``a``)."""
        return KEYSYM_NAMES.get(self.key, self.key.lower())

    @property
    def portal_trigger(self) -> str:
        """The trigger a GlobalShortcuts portal is asked for (the XDG shortcuts format: ``CTRL+ALT+space``)."""
        names = {Modifier.CTRL: "CTRL", Modifier.ALT: "ALT", Modifier.SHIFT: "SHIFT", Modifier.META: "LOGO"}
        order = [names[m] for m in Modifier if m in self.modifiers]
        return "+".join([*order, self.keysym_name])


def parse_shortcut(text: str) -> Shortcut:
    """``"Ctrl+Alt+Space"`` -> a :class:`Shortcut`; raises :class:`BadShortcut` with the reason."""
    parts = [part.strip() for part in (text or "").split("+")]
    if not text or not text.strip() or any(not part for part in parts) or "," in text:
        raise BadShortcut(f"{text!r} is not one shortcut; choose a key such as F8, or Ctrl+Alt+Space.")
    *modifier_names, key = parts
    by_name = {m.value.lower(): m for m in Modifier} | {"control": Modifier.CTRL, "super": Modifier.META}
    modifiers = set()
    for name in modifier_names:
        if name.lower() not in by_name:
            raise BadShortcut(f"{name!r} in {text!r} is not a modifier; use Ctrl, Alt, Shift or Meta.")
        modifiers.add(by_name[name.lower()])
    canonical = {name.lower(): name for name in KEYSYM_NAMES}
    key = canonical.get(key.lower(), key.upper() if len(key) == 1 else key)
    if key in {m.value for m in Modifier}:
        raise BadShortcut(f"{text!r} has no key besides its modifiers; add one, e.g. Ctrl+Alt+Space.")
    if key not in KEYSYM_NAMES and not (len(key) == 1 and key.isascii() and key.isalnum()):
        raise BadShortcut(f"{key!r} is not a key a global shortcut can use; choose e.g. F8 or Ctrl+Alt+Space.")
    shortcut = Shortcut(key, frozenset(modifiers))
    if key not in STANDALONE_KEYS and not (modifiers - {Modifier.SHIFT}):
        raise BadShortcut(
            f"{shortcut} would take a key you type from every app; add Ctrl, Alt or Meta, or choose a key such as F8."
        )
    return shortcut


def shortcut_problem(text: str) -> str | None:
    """None when ``text`` is a usable global shortcut, else the sentence that says why not (for the settings)."""
    try:
        parse_shortcut(text)
    except BadShortcut as exc:
        return str(exc)
    return None


class ShortcutEvents(Protocol):
    """What a listener reports, from its own thread: the shortcut's key went down or up (auto-repeat already
    folded where the backend can; the receiver folds the rest), it was registered, or it could not be (one sentence
    that says why)."""

    def key_down(self) -> None: ...

    def key_up(self) -> None: ...

    def registered(self, description: str) -> None: ...

    def unavailable(self, reason: str) -> None: ...


class ShortcutListener(Protocol):
    def start(self) -> None:
        """Register the shortcut and listen on a thread of its own; returns at once (the outcome is reported)."""

    def stop(self) -> None:
        """Unregister and end the thread (joins it). Safe to call twice, or after a failed start."""
