"""Holding Space is one push-to-talk turn, whatever the platform does with auto-repeat; Space never clicks a
focused button (Enter does), and text fields keep their Space."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop_agent.ui.push_to_talk_key import DEFAULT_DEBOUNCE_MS, PushToTalkKeyFilter, key_from_text
from tests.ui.conftest import send_key

SPACE = Qt.Key.Key_Space


@pytest.fixture
def rig(qtbot):
    window = QWidget()
    button = QPushButton("Focused button", window)
    field = QLineEdit(window)
    layout = QVBoxLayout(window)
    layout.addWidget(button)
    layout.addWidget(field)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    key_filter = PushToTalkKeyFilter(window)
    log: list[str] = []
    key_filter.pressed.connect(lambda: log.append("pressed"))
    key_filter.released.connect(lambda: log.append("released"))
    clicks: list[bool] = []
    button.clicked.connect(lambda: clicks.append(True))
    button.setFocus()
    yield window, button, field, key_filter, log, clicks
    key_filter.detach()


def test_a_plain_hold_is_one_turn(rig, qtbot):
    window, button, _field, key_filter, log, clicks = rig
    send_key(button, SPACE, press=True)
    assert log == ["pressed"] and key_filter.held
    send_key(button, SPACE, press=False)
    assert log == ["pressed"]  # the release is confirmed only after the debounce
    qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=1000)
    assert clicks == []  # Space did not also click the focused button


def test_auto_repeat_marked_by_qt_is_ignored(rig, qtbot):
    _window, button, _field, _filter, log, _clicks = rig
    send_key(button, SPACE, press=True)
    for _ in range(20):
        send_key(button, SPACE, press=False, auto_repeat=True)
        send_key(button, SPACE, press=True, auto_repeat=True)
        qtbot.wait(5)
    send_key(button, SPACE, press=False)
    qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=1000)
    qtbot.wait(DEFAULT_DEBOUNCE_MS * 2)
    assert log == ["pressed", "released"]


def test_unmarked_release_press_pairs_from_some_x_servers_stay_one_turn(rig, qtbot):
    """Some X servers report a held key as release/press pairs without isAutoRepeat(), ~30 ms apart."""
    _window, button, _field, _filter, log, _clicks = rig
    send_key(button, SPACE, press=True)
    for _ in range(15):
        qtbot.wait(30)  # the auto-repeat interval
        send_key(button, SPACE, press=False)
        send_key(button, SPACE, press=True)  # arrives right behind the fake release
    assert log == ["pressed"]
    send_key(button, SPACE, press=False)
    qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=1000)


def test_two_separate_presses_are_two_turns(rig, qtbot):
    _window, button, _field, _filter, log, _clicks = rig
    for _ in range(2):
        send_key(button, SPACE, press=True)
        send_key(button, SPACE, press=False)
        qtbot.waitUntil(lambda: log[-1:] == ["released"], timeout=1000)
    assert log == ["pressed", "released", "pressed", "released"]


def test_enter_activates_the_focused_button_instead(rig, qtbot):
    _window, button, _field, _filter, log, clicks = rig
    qtbot.keyClick(button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: clicks == [True], timeout=1000)
    assert log == []


def test_text_fields_keep_space(rig, qtbot):
    _window, _button, field, _filter, log, _clicks = rig
    field.setFocus()
    qtbot.keyClicks(field, "a b")
    assert field.text() == "a b"
    assert log == []


def test_shift_space_is_not_push_to_talk_but_a_modifier_during_a_hold_still_ends_it(rig, qtbot):
    _window, button, _field, _filter, log, _clicks = rig
    send_key(button, SPACE, press=True, modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert log == []
    send_key(button, SPACE, press=True)
    send_key(button, SPACE, press=False, modifiers=Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=1000)


def test_losing_focus_during_a_hold_ends_the_turn(rig, qtbot):
    window, button, _field, _filter, log, _clicks = rig
    send_key(button, SPACE, press=True)
    QApplication.sendEvent(window, QEvent(QEvent.Type.WindowDeactivate))
    assert log == ["pressed", "released"]


def test_keys_for_other_windows_are_left_alone(rig, qtbot):
    _window, _button, _field, _filter, log, _clicks = rig
    other = QPushButton("elsewhere")
    qtbot.addWidget(other)
    clicked: list[bool] = []
    other.clicked.connect(lambda: clicked.append(True))
    qtbot.keyClick(other, SPACE)
    assert clicked == [True] and log == []


def test_a_disabled_filter_swallows_the_key_without_talking(rig, qtbot):
    _window, button, _field, key_filter, log, clicks = rig
    key_filter.enabled = False
    send_key(button, SPACE, press=True)
    send_key(button, SPACE, press=False)
    qtbot.wait(DEFAULT_DEBOUNCE_MS * 2)
    assert log == [] and clicks == []


@pytest.mark.parametrize(("text", "key"), [("Space", Qt.Key.Key_Space), ("F8", Qt.Key.Key_F8), ("", Qt.Key.Key_Space),
                                           ("Ctrl+K", Qt.Key.Key_Space), ("nonsense key", Qt.Key.Key_Space)])
def test_key_names_from_settings(text, key):
    assert key_from_text(text) == key


def test_another_key_can_be_configured(rig, qtbot):
    _window, button, _field, key_filter, log, _clicks = rig
    key_filter.set_key(Qt.Key.Key_F8)
    send_key(button, SPACE, press=True)
    send_key(button, SPACE, press=False)
    send_key(button, Qt.Key.Key_F8, press=True, text="")
    send_key(button, Qt.Key.Key_F8, press=False, text="")
    qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=1000)
    assert key_filter.key_name() == "F8"
