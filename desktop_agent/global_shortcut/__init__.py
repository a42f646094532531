"""Push-to-talk from any app: a shortcut registered with the desktop, so it works while another app has focus.

One module per way of registering it: :mod:`.x11` (a key grab on the root window), :mod:`.portal` (the
xdg-desktop-portal GlobalShortcuts interface, for Wayland), :mod:`.pynput_listener` (Windows and macOS); and
:mod:`.chooser`, which picks the one for this desktop. None imports Qt or the engine: each runs on a thread of its
own and reports to a :class:`~.shortcut.ShortcutEvents` from there, so the window (``ui/global_talk_key.py``) and the
console can both use it.
"""

from desktop_agent.global_shortcut.shortcut import (
    Shortcut,
    ShortcutEvents,
    ShortcutListener,
    TalkKeyStyle,
    parse_shortcut,
    shortcut_problem,
)

__all__ = [
    "Shortcut",
    "ShortcutEvents",
    "ShortcutListener",
    "TalkKeyStyle",
    "parse_shortcut",
    "shortcut_problem",
]
