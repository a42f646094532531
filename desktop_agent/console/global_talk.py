"""The global push-to-talk shortcut in the console: the listener's reports (from its thread) handed to the
console's loop, where they press and release the talk key as Enter does.

The listeners fold auto-repeat themselves (detectable auto-repeat and paired repeats on X11, a held flag on the
portal and pynput); the window adds a debounce on top (``ui/key_hold.py``), which needs Qt, so the console relies on
the listeners' folding alone.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_agent.global_shortcut.chooser import listener_for
from desktop_agent.global_shortcut.shortcut import BadShortcut, ShortcutListener, parse_shortcut


class ConsoleShortcutReports:
    """A :class:`~desktop_agent.global_shortcut.shortcut.ShortcutEvents` whose callbacks are already safe to call
    from any thread (the console wraps them to run on its loop)."""

    def __init__(self, on_key: Callable[[bool], None], on_status: Callable[[str, bool], None]) -> None:
        self._on_key = on_key
        self._on_status = on_status

    def key_down(self) -> None:
        self._on_key(True)

    def key_up(self) -> None:
        self._on_key(False)

    def registered(self, description: str) -> None:
        self._on_status(description, True)

    def unavailable(self, reason: str) -> None:
        self._on_status(reason, False)


def start_global_talk(
    shortcut_text: str, on_key: Callable[[bool], None], on_status: Callable[[str, bool], None]
) -> ShortcutListener | None:
    """Register the shortcut with this desktop's listener (None, after ``on_status`` said why, if the text is not a
    shortcut)."""
    try:
        shortcut = parse_shortcut(shortcut_text)
    except BadShortcut as exc:
        on_status(str(exc), False)
        return None
    listener = listener_for(shortcut, ConsoleShortcutReports(on_key, on_status))
    listener.start()
    return listener
