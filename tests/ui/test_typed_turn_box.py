"""Type instead of talk: the typed-turn box in the real main window (pytest-qt, real widgets, real key events).

Enter sends the line with the "reply in text" choice, the line clears only once the turn was taken, it is disabled
with a reason until the session is ready, and Space types a space in it instead of starting push-to-talk. The
session controller forwards a typed turn only to a running session (its session is a recording fake here; the real
engine takes typed turns in tests/engine/test_typed_turn.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_agent.state import events as ev
from desktop_agent.ui.bridge import EngineBridge
from desktop_agent.ui.main_window import MainWindow
from desktop_agent.ui.session_controller import SessionController
from desktop_agent.ui.session_phase import SessionPhase
from tests.conftest import run_async
from tests.ui.conftest import send_key


class Sender:
    """Records the typed turns the window hands over; ``takes`` says whether the session takes them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []
        self.takes = True

    def __call__(self, text: str, reply_in_text: bool) -> bool:
        self.sent.append((text, reply_in_text))
        return self.takes


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    bridge = EngineBridge(parent=win)
    win.attach(bridge)
    sender = Sender()
    win.set_typed_turn_sender(sender)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win, bridge, sender
    win.key_filter.detach()


def ready(win: MainWindow, bridge: EngineBridge) -> None:
    win.set_phase(SessionPhase.RUNNING)
    bridge.deliver(ev.AgentStateChanged(ev.AgentState.LISTENING))
    bridge.flush()


def test_enter_sends_the_typed_turn_and_clears_the_line_once_sent(window, qtbot):
    win, bridge, sender = window
    ready(win, bridge)
    box = win.typed_turn
    assert box.available and "Enter sends" in box.line.placeholderText()
    box.line.setFocus()
    QTest.keyClicks(box.line, "  What is on my calendar?  ")
    QTest.keyClick(box.line, Qt.Key.Key_Return)
    assert sender.sent == [("What is on my calendar?", False)]
    assert box.line.text() == ""

    box.reply_in_text.setChecked(True)  # in a meeting: the reply is to be shown, not spoken
    QTest.keyClicks(box.line, "And tomorrow?")
    QTest.keyClick(box.line, Qt.Key.Key_Enter)
    assert sender.sent[-1] == ("And tomorrow?", True)
    assert box.line.text() == "" and box.reply_in_text.isChecked()  # the choice stays until switched off

    QTest.keyClick(box.line, Qt.Key.Key_Return)  # nothing typed: nothing sent
    QTest.keyClicks(box.line, "   ")
    QTest.keyClick(box.line, Qt.Key.Key_Return)
    assert len(sender.sent) == 2 and not box.send_button.isEnabled()


def test_the_send_button_sends_too(window, qtbot):
    win, bridge, sender = window
    ready(win, bridge)
    box = win.typed_turn
    QTest.keyClicks(box.line, "Hello there")
    assert box.send_button.isEnabled()
    qtbot.mouseClick(box.send_button, Qt.MouseButton.LeftButton)
    assert sender.sent == [("Hello there", False)] and box.line.text() == ""


def test_words_the_session_did_not_take_stay_in_the_line(window, qtbot):
    win, bridge, sender = window
    ready(win, bridge)
    sender.takes = False
    box = win.typed_turn
    QTest.keyClicks(box.line, "Remind me at noon")
    QTest.keyClick(box.line, Qt.Key.Key_Return)
    assert sender.sent == [("Remind me at noon", False)]
    assert box.line.text() == "Remind me at noon"
    assert "Your text is kept" in win.status.currentMessage()


def test_disabled_with_a_reason_until_the_session_is_ready(window, qtbot):
    win, bridge, sender = window
    box = win.typed_turn
    assert not box.available and "Start a session" in box.line.placeholderText()
    win.set_phase(SessionPhase.STARTING)
    assert not box.available and "Connecting" in box.line.placeholderText()
    win.set_phase(SessionPhase.RUNNING)
    bridge.deliver(ev.AgentStateChanged(ev.AgentState.CONNECTING))
    bridge.flush()
    assert not box.available and "Connecting" in box.line.toolTip()
    QTest.keyClicks(box.line, "typed while connecting")
    QTest.keyClick(box.line, Qt.Key.Key_Return)
    assert sender.sent == []

    bridge.deliver(ev.AgentStateChanged(ev.AgentState.LISTENING))
    bridge.flush()
    assert box.available and box.line.toolTip() == ""
    # Speech-to-text being reconnected is no reason not to type: that is when typing helps.
    bridge.deliver(ev.AgentStateChanged(ev.AgentState.RECONNECTING))
    bridge.flush()
    assert box.available
    win.set_phase(SessionPhase.STOPPED)
    assert not box.available and "Start a session" in box.line.placeholderText()


def test_space_types_into_the_line_instead_of_talking(window, qtbot):
    win, bridge, _sender = window
    ready(win, bridge)
    talks: list[str] = []
    win.talk_pressed.connect(lambda: talks.append("pressed"))
    box = win.typed_turn
    box.line.setFocus()
    QTest.keyClicks(box.line, "two")
    send_key(box.line, Qt.Key.Key_Space, press=True)
    send_key(box.line, Qt.Key.Key_Space, press=False)
    QTest.keyClicks(box.line, "words")
    assert box.line.text() == "two words"
    assert talks == [] and not win.controls.talk_button.held


class TypingSession:
    """Stands in for VoiceSession: records typed turns and takes them."""

    def __init__(self, config, on_event, **kwargs):
        self.typed: list[tuple[str, bool]] = []

    def set_muted(self, muted):
        pass

    def start(self):
        pass

    def send_typed_turn(self, text, *, reply_in_text=False):
        self.typed.append((text, reply_in_text))
        return True


class Config:
    mode = ev.TurnMode.PUSH_TO_TALK


def test_the_controller_forwards_typed_turns_to_a_running_session_only(qtbot, qloop):
    bridge = EngineBridge()
    controller = SessionController(bridge, Config, session_factory=TypingSession)
    run_async(qtbot, controller.load_engine())
    assert not controller.send_typed_turn("hello")  # no session: the window keeps the text
    assert controller.start()
    session = controller.session
    assert isinstance(session, TypingSession)
    assert not controller.send_typed_turn("hello")  # still starting
    bridge.deliver(ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK))
    bridge.flush()
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.RUNNING, timeout=2000)
    assert controller.send_typed_turn("hello", True)
    assert session.typed == [("hello", True)]
