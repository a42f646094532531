"""The big push-to-talk button: press and hold with the mouse; Enter (or a screen reader) toggles."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from desktop_agent.ui.push_to_talk_button import HANDS_FREE_TEXT, HELD_TEXT, IDLE_TEXT, UNAVAILABLE_TEXT, PushToTalkButton


def make(qtbot):
    button = PushToTalkButton()
    qtbot.addWidget(button)
    button.show()
    log: list[str] = []
    button.talk_pressed.connect(lambda: log.append("pressed"))
    button.talk_released.connect(lambda: log.append("released"))
    return button, log


def test_press_and_hold_with_the_mouse(qtbot):
    button, log = make(qtbot)
    qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    assert log == ["pressed"] and button.held and button.text() == HELD_TEXT
    qtbot.mouseMove(button, QPoint(-200, -200))  # dragging off the button keeps talking
    assert log == ["pressed"]
    qtbot.mouseRelease(button, Qt.MouseButton.LeftButton, pos=QPoint(-200, -200))
    assert log == ["pressed", "released"] and not button.held and button.text() == IDLE_TEXT


def test_keyboard_activation_toggles(qtbot):
    button, log = make(qtbot)
    button.click()
    assert log == ["pressed"] and button.held
    button.click()
    assert log == ["pressed", "released"]


def test_hands_free_and_no_session_disable_it_and_say_why(qtbot):
    button, log = make(qtbot)
    button.set_hands_free(True)
    assert not button.isEnabled() and button.text() == HANDS_FREE_TEXT
    qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    assert log == []
    button.set_hands_free(False)
    button.set_available(False)
    assert not button.isEnabled() and button.text() == UNAVAILABLE_TEXT


def test_the_held_look_follows_the_keyboard_without_emitting(qtbot):
    button, log = make(qtbot)
    button.set_held(True)
    assert button.isDown() and button.text() == HELD_TEXT and log == []
    button.set_key_name("F8")
    assert "F8" in button.toolTip() and "F8" in button.accessibleDescription()
