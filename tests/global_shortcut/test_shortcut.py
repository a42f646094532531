"""What a global shortcut may be (typed keys refused unless a modifier goes with them), how it is named to the X
server and to the portal, and which listener each desktop gets."""

from __future__ import annotations

import re

import pytest

from desktop_agent.global_shortcut.chooser import NO_DESKTOP, NoDesktopListener, backend_name, listener_for
from desktop_agent.global_shortcut.portal import PortalShortcutListener
from desktop_agent.global_shortcut.shortcut import BadShortcut, Modifier, parse_shortcut
from desktop_agent.global_shortcut.x11 import X11ShortcutListener
from tests.global_shortcut.recorder import Reports


@pytest.mark.parametrize(
    ("text", "shown", "keysym", "trigger"),
    [
        ("F8", "F8", "F8", "F8"),
        ("ctrl+alt+space", "Ctrl+Alt+Space", "space", "CTRL+ALT+space"),
        ("Meta+Shift+K", "Shift+Meta+K", "k", "SHIFT+LOGO+k"),
        ("Pause", "Pause", "Pause", "Pause"),
        ("Ctrl+PgUp", "Ctrl+PgUp", "Prior", "CTRL+Prior"),
    ],
)
def test_shortcuts_are_parsed_and_named_for_each_desktop(text, shown, keysym, trigger):
    shortcut = parse_shortcut(text)
    assert (str(shortcut), shortcut.keysym_name, shortcut.portal_trigger) == (shown, keysym, trigger)


def test_meta_is_the_super_key():
    assert parse_shortcut("Super+F1").modifiers == frozenset({Modifier.META})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Space", "Space would take a key you type from every app"),
        ("Shift+A", "Shift+A would take a key you type from every app"),
        ("Ctrl", "has no key besides its modifiers"),
        ("Ctrl+", "is not one shortcut"),
        ("", "is not one shortcut"),
        ("F8, F9", "is not one shortcut"),
        ("Hyper+A", "'Hyper' in 'Hyper+A' is not a modifier"),
        ("Ctrl+Alt+Ä", "is not a key a global shortcut can use"),
    ],
)
def test_what_cannot_be_a_global_shortcut_says_why(text, reason):
    with pytest.raises(BadShortcut, match=re.escape(reason)):
        parse_shortcut(text)


@pytest.mark.parametrize(
    ("platform", "environ", "backend"),
    [
        ("win32", {}, "pynput"),
        ("darwin", {}, "pynput"),
        ("linux", {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "portal"),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, "portal"),
        ("linux", {"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, "x11"),
        ("linux", {"DISPLAY": ":0"}, "x11"),
        ("linux", {}, "none"),
    ],
)
def test_each_desktop_gets_its_listener(platform, environ, backend):
    assert backend_name(platform, environ) == backend


def test_the_chooser_builds_the_listener_it_names():
    shortcut = parse_shortcut("F8")
    reports = Reports()
    assert isinstance(listener_for(shortcut, reports, platform="linux", environ={"DISPLAY": ":5"}), X11ShortcutListener)
    wayland = {"XDG_SESSION_TYPE": "wayland"}
    assert isinstance(listener_for(shortcut, reports, platform="linux", environ=wayland), PortalShortcutListener)
    nothing = listener_for(shortcut, reports, platform="linux", environ={})
    assert isinstance(nothing, NoDesktopListener)
    nothing.start()
    assert reports.sentences == [NO_DESKTOP]
