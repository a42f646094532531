"""The global shortcut brought onto the Qt thread (ui/global_talk_key.py) and its settings (Settings > Desktop):
through the real listeners, on the private X server and on a GlobalShortcuts portal served on a private D-Bus."""

from __future__ import annotations

import pytest

from desktop_agent.config.settings import AppSettings
from desktop_agent.global_shortcut.portal import PortalShortcutListener
from desktop_agent.global_shortcut.shortcut import TalkKeyStyle
from desktop_agent.global_shortcut.x11 import X11ShortcutListener
from desktop_agent.ui.global_talk_key import GlobalTalkKey
from desktop_agent.ui.settings.global_talk_box import GlobalTalkBox
from tests.global_shortcut.fake_portal import FakePortal, private_bus  # noqa: F401 - fixture


@pytest.fixture
def talk_log(qtbot):
    made: list[GlobalTalkKey] = []

    def make(factory) -> tuple[GlobalTalkKey, list[str]]:
        key = GlobalTalkKey(factory)
        log: list[str] = []
        key.pressed.connect(lambda: (log.append("pressed"), key.note_talk_started()))
        key.released.connect(lambda: (log.append("released"), key.note_talk_ended()))
        made.append(key)
        return key, log

    yield make
    for key in made:
        key.stop()


def test_hold_and_toggle_through_the_x11_grab(talk_log, x_server, x_driver, qtbot):
    key, log = talk_log(lambda shortcut, events: X11ShortcutListener(shortcut, events, display_name=x_server))
    key.configure(True, "Ctrl+Alt+Space", TalkKeyStyle.HOLD)
    qtbot.waitUntil(lambda: key.registered, timeout=10_000)
    assert key.status == "Ctrl+Alt+Space works in every app (X11 key grab)."

    def chord() -> None:
        for name in ("Control_L", "Alt_L", "space"):
            x_driver.press(name)
        for name in ("space", "Alt_L", "Control_L"):
            x_driver.release(name)

    chord()
    qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=10_000)
    key.configure(True, "Ctrl+Alt+Space", TalkKeyStyle.TOGGLE)  # the style changes; the grab stays
    assert key.registered
    chord()
    qtbot.waitUntil(lambda: log[2:] == ["pressed"] and not key.key_held, timeout=10_000)
    chord()
    qtbot.waitUntil(lambda: log[2:] == ["pressed", "released"], timeout=10_000)
    key.configure(False, "Ctrl+Alt+Space", TalkKeyStyle.TOGGLE)
    assert key.listener is None and key.status == ""


def test_a_new_shortcut_replaces_the_grab_and_a_typed_key_is_refused(talk_log, x_server, x_driver, qtbot):
    key, log = talk_log(lambda shortcut, events: X11ShortcutListener(shortcut, events, display_name=x_server))
    key.configure(True, "F8", TalkKeyStyle.HOLD)
    qtbot.waitUntil(lambda: key.registered, timeout=10_000)
    key.configure(True, "F9", TalkKeyStyle.HOLD)
    qtbot.waitUntil(lambda: key.registered and "F9" in key.status, timeout=10_000)
    x_driver.tap("F8")  # no longer the shortcut
    x_driver.tap("F9")
    qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=10_000)
    key.configure(True, "Space", TalkKeyStyle.HOLD)
    assert not key.registered and key.listener is None
    assert key.status == (
        "Space would take a key you type from every app; add Ctrl, Alt or Meta, or choose a key such as F8."
    )


def test_the_portal_listener_drives_the_talk_key(talk_log, private_bus, qtbot):  # noqa: F811
    portal = FakePortal(private_bus, trigger_description="Ctrl+Alt+Space")
    try:
        key, log = talk_log(lambda shortcut, events: PortalShortcutListener(shortcut, events, bus=private_bus))
        key.configure(True, "Ctrl+Alt+Space", TalkKeyStyle.HOLD)
        qtbot.waitUntil(lambda: key.registered, timeout=10_000)
        portal.press()
        qtbot.waitUntil(lambda: log == ["pressed"], timeout=10_000)
        portal.release()
        qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=10_000)
        key.stop()
    finally:
        portal.close()


def test_the_settings_box_writes_the_settings_and_refuses_a_typed_key(qtbot):
    from PySide6.QtGui import QKeySequence

    settings = AppSettings()
    box = GlobalTalkBox(settings)
    qtbot.addWidget(box)
    edits: list[bool] = []
    box.changed.connect(lambda: edits.append(settings.desktop.global_talk))
    assert not box.active.isChecked() and box.shortcut_edit.keySequence().toString() == "F8"  # off by default
    box.active.setChecked(True)
    assert settings.desktop.global_talk and edits == [True]
    box.style_choice.setCurrentIndex(box.style_choice.findData(TalkKeyStyle.TOGGLE))
    assert settings.desktop.global_talk_style is TalkKeyStyle.TOGGLE
    box.shortcut_edit.setKeySequence(QKeySequence("Ctrl+Alt+Space"))
    box.shortcut_edit.editingFinished.emit()
    assert settings.desktop.global_talk_shortcut == "Ctrl+Alt+Space"
    box.shortcut_edit.setKeySequence(QKeySequence("A"))
    box.shortcut_edit.editingFinished.emit()
    assert settings.desktop.global_talk_shortcut == "Ctrl+Alt+Space"  # the last good one stays …
    assert box.status_label.text().startswith("A would take a key you type from every app")  # … and why is shown
    assert box.shortcut_edit.keySequence().toString() == "Ctrl+Alt+Space"
