"""The X11 listener on a real X server (Xvfb): the shortcut reaches it while another window has the focus (and not
that window), a held key is one hold whatever the server does with auto-repeat, modifiers and Num Lock are handled,
and a shortcut it cannot have is one sentence that says why."""

from __future__ import annotations

import time

import pytest

from desktop_agent.global_shortcut.shortcut import parse_shortcut
from desktop_agent.global_shortcut.x11 import X11ShortcutListener, no_display_sentence, taken_sentence
from tests.global_shortcut.recorder import Reports
from tests.x_display import KeyThief, XDriver

AUTO_REPEAT_HOLD_S = 1.2  # Xvfb starts repeating a held key after 660 ms


@pytest.fixture
def listen(x_server):
    started: list[X11ShortcutListener] = []

    def start(text: str, **options) -> tuple[X11ShortcutListener, Reports]:
        reports = Reports()
        listener = X11ShortcutListener(parse_shortcut(text), reports, display_name=x_server, **options)
        listener.start()
        started.append(listener)
        reports.wait_for(lambda log: bool(log))
        return listener, reports

    yield start
    for listener in started:
        listener.stop()


def hold_with_auto_repeat(driver: XDriver, keysym: str) -> None:
    driver.press(keysym)
    deadline = time.monotonic() + AUTO_REPEAT_HOLD_S
    while time.monotonic() < deadline:  # the server repeats the key meanwhile; keep the connection serviced
        driver.display.sync()
        time.sleep(0.05)
    driver.release(keysym)


@pytest.mark.parametrize("detectable", [True, False], ids=["xkb-detectable-auto-repeat", "plain-auto-repeat"])
def test_a_held_shortcut_is_one_hold_while_another_window_has_focus(listen, x_driver, detectable):
    other = x_driver.other_app()
    listener, reports = listen("F8", detectable_auto_repeat=detectable)
    assert reports.log == ["registered"]
    hold_with_auto_repeat(x_driver, "F8")
    log = reports.wait_for(lambda log: "up" in log)
    assert log == ["registered", "down", "up"]
    assert listener.folded_repeats > 3  # the server did auto-repeat, and the repeats stayed inside the one hold
    x_driver.tap("a")
    assert other.has_focus()
    received = other.drain()
    assert ("press", x_driver.keycode("a")) in received  # the other window still gets its typing …
    assert all(code != x_driver.keycode("F8") for _kind, code in received)  # … but not the shortcut


def test_modifiers_must_match_and_num_lock_does_not_matter(listen, x_driver):
    other = x_driver.other_app()
    _listener, reports = listen("Ctrl+Alt+Space")
    x_driver.tap("space")  # Space alone is the other app's
    x_driver.tap("F8")
    x_driver.display.sync()
    assert ("press", x_driver.keycode("space")) in other.drain()
    x_driver.tap("Num_Lock")  # Num Lock on
    x_driver.press("Control_L")
    x_driver.press("Alt_L")
    x_driver.press("space")
    x_driver.release("Alt_L")  # modifiers up first: the release still ends the hold
    x_driver.release("Control_L")
    x_driver.release("space")
    x_driver.tap("Num_Lock")
    assert reports.wait_for(lambda log: "up" in log) == ["registered", "down", "up"]


def test_a_shortcut_another_app_grabbed_first_is_one_sentence(listen, x_server):
    thief = KeyThief(x_server, "F8")
    try:
        _listener, reports = listen("F8")
        assert reports.log == ["unavailable"]
        assert reports.sentences == [taken_sentence(parse_shortcut("F8"))]
        assert reports.sentences[0].count(".") == 1 and "F8 is already taken by another app" in reports.sentences[0]
    finally:
        thief.close()
    _listener, reports = listen("F8")  # free again: the next try gets it
    assert reports.log == ["registered"]


def test_without_an_x_display_the_listener_says_so():
    reports = Reports()
    listener = X11ShortcutListener(parse_shortcut("F8"), reports, display_name=":9999")
    listener.start()
    reports.wait_for(lambda log: bool(log))
    listener.stop()
    assert reports.sentences == [no_display_sentence(":9999")]


def test_stopping_mid_hold_ends_the_hold_and_frees_the_key(listen, x_driver, x_server):
    listener, reports = listen("F8")
    x_driver.press("F8")
    reports.wait_for(lambda log: "down" in log)
    listener.stop()
    assert reports.log == ["registered", "down", "up"]
    x_driver.release("F8")
    thief = KeyThief(x_server, "F8")  # the grab is gone: another client may take the key
    thief.close()
