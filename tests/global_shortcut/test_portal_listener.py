"""The Wayland listener against a GlobalShortcuts portal on a private D-Bus (tests/global_shortcut/fake_portal.py;
no desktop's portal runs here): it registers the app, binds the shortcut with the user's choice as the preferred
trigger, reports what the desktop bound, turns Activated/Deactivated into one hold, and says in one sentence when
there is no portal or the user declined."""

from __future__ import annotations

import pytest

from desktop_agent.global_shortcut.portal import DECLINED, NO_BUS, NO_PORTAL, PortalShortcutListener
from desktop_agent.global_shortcut.shortcut import parse_shortcut
from tests.global_shortcut.fake_portal import FakePortal, private_bus  # noqa: F401 - fixture
from tests.global_shortcut.recorder import Reports


@pytest.fixture
def portal(private_bus):  # noqa: F811 - the fixture imported above
    fake = FakePortal(private_bus, trigger_description="Ctrl+Alt+Space")
    yield fake
    fake.close()


def start_listener(bus: str, text: str = "Ctrl+Alt+Space") -> tuple[PortalShortcutListener, Reports]:
    reports = Reports()
    listener = PortalShortcutListener(parse_shortcut(text), reports, bus=bus)
    listener.start()
    reports.wait_for(lambda log: bool(log))
    return listener, reports


def test_the_bound_shortcut_is_one_hold_per_activation(portal, private_bus):  # noqa: F811
    listener, reports = start_listener(private_bus)
    try:
        assert reports.log == ["registered"]
        assert reports.sentences == ["Push-to-talk works in every app with Ctrl+Alt+Space (bound by the desktop)."]
        assert portal.registered_apps == ["desktop-agent"]
        ((shortcut_id, options),) = portal.bound
        assert shortcut_id == "push-to-talk"
        assert options["preferred_trigger"] == ("s", "CTRL+ALT+space")
        portal.press()
        portal.press()  # a desktop that repeats Activated while the key is held: still one hold
        reports.wait_for(lambda log: "down" in log)
        portal.release()
        reports.wait_for(lambda log: "up" in log)
        portal.press()
        portal.release()
        assert reports.wait_for(lambda log: log.count("up") == 2) == ["registered", "down", "up", "down", "up"]
    finally:
        listener.stop()
    assert len(portal.closed) == 1  # the session was closed on the way out


def test_stopping_mid_hold_ends_the_hold(portal, private_bus):  # noqa: F811
    listener, reports = start_listener(private_bus)
    portal.press()
    reports.wait_for(lambda log: "down" in log)
    listener.stop()
    assert reports.log == ["registered", "down", "up"]


def test_declined_in_the_desktops_dialog_is_one_sentence(private_bus):  # noqa: F811
    fake = FakePortal(private_bus, decline=True)
    try:
        listener, reports = start_listener(private_bus)
        listener.stop()
    finally:
        fake.close()
    assert reports.log == ["unavailable"] and reports.sentences == [DECLINED]


def test_a_desktop_without_the_portal_is_one_sentence(private_bus):  # noqa: F811
    listener, reports = start_listener(private_bus)
    listener.stop()
    assert reports.sentences == [NO_PORTAL]


def test_no_session_bus_is_one_sentence(tmp_path):
    listener, reports = start_listener(f"unix:path={tmp_path / 'no-bus'}")
    listener.stop()
    assert reports.sentences == [NO_BUS]
