"""Which listener registers the global shortcut on this desktop.

Windows and macOS: pynput. Linux in a Wayland session: the GlobalShortcuts portal, because an X11 grab there sees
only the keys meant for X11 (XWayland) apps. Linux on X11: the key grab. Neither: nothing to register with, which
the user is told in one sentence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from desktop_agent.global_shortcut.shortcut import ONLY_IN_APP, Shortcut, ShortcutEvents, ShortcutListener

NO_DESKTOP = f"No X display or Wayland session was found, so the global shortcut cannot be registered; {ONLY_IN_APP}."


class NoDesktopListener:
    """Where there is no desktop to register with: says so once, and listens to nothing."""

    def __init__(self, events: ShortcutEvents) -> None:
        self._events = events

    def start(self) -> None:
        self._events.unavailable(NO_DESKTOP)

    def stop(self) -> None:
        return None


def backend_name(platform: str = sys.platform, environ: Mapping[str, str] = os.environ) -> str:
    """``"pynput"``, ``"portal"``, ``"x11"`` or ``"none"``."""
    if platform in ("win32", "darwin"):
        return "pynput"
    wayland = environ.get("XDG_SESSION_TYPE", "").lower() == "wayland" or (
        bool(environ.get("WAYLAND_DISPLAY")) and environ.get("XDG_SESSION_TYPE", "").lower() != "x11"
    )
    if wayland:
        return "portal"
    if environ.get("DISPLAY"):
        return "x11"
    return "none"


def listener_for(
    shortcut: Shortcut,
    events: ShortcutEvents,
    *,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
) -> ShortcutListener:
    """The listener for this desktop (imported only when chosen: each backend's library exists only where it runs)."""
    name = backend_name(platform, environ)
    if name == "pynput":
        from desktop_agent.global_shortcut.pynput_listener import PynputShortcutListener

        return PynputShortcutListener(shortcut, events)
    if name == "portal":
        from desktop_agent.global_shortcut.portal import PortalShortcutListener

        return PortalShortcutListener(shortcut, events)
    if name == "x11":
        from desktop_agent.global_shortcut.x11 import X11ShortcutListener

        return X11ShortcutListener(shortcut, events, display_name=environ.get("DISPLAY"))
    return NoDesktopListener(events)
