"""The main window fed by a bridge: keyboard access, push-to-talk by Space, actions, repaint only on change,
light/dark palettes, and unexpected exceptions shown as a banner sentence."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from desktop_agent.state import events as ev
from desktop_agent.ui import exception_guard, theme
from desktop_agent.ui.bridge import EngineBridge
from desktop_agent.ui.icons import themed_icon
from desktop_agent.ui.main_window import MainWindow
from desktop_agent.ui.session_phase import SessionPhase
from tests.ui.conftest import exchange, send_key

SPACE = Qt.Key.Key_Space
S = ev.Stage
TURN = {S.ENDPOINTING: 0.21, S.STT_FINAL: 0.16, S.LLM_FIRST_TOKEN: 0.29, S.TTS_FIRST_AUDIO: 0.15, S.VOICE_TO_VOICE: 0.74}


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    bridge = EngineBridge(parent=win)
    win.attach(bridge)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.set_phase(SessionPhase.RUNNING)
    yield win, bridge
    win.key_filter.detach()


def deliver(qtbot, bridge: EngineBridge, *events: ev.Event) -> None:
    for event in events:
        bridge.deliver(event)
    bridge.flush()


def test_every_control_has_an_accessible_name_and_is_reachable_by_keyboard(window):
    win, _bridge = window
    buttons = [b for b in win.findChildren(QAbstractButton) if b.isVisibleTo(win)]
    assert len(buttons) >= 7  # session, two mode segments, mute, stop speaking, new conversation, talk
    for button in buttons:
        assert (button.accessibleName() or button.text()).strip(), f"{button!r} has no accessible name"
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus, f"{button.accessibleName()} cannot be reached with Tab"
    for widget in (win.transcript, win.latency_panel, win.state_indicator, win.controls.microphone_meter,
                   win.controls.output_meter, win.status, *win.latency_panel.gauges.values(), win.latency_panel.chart):
        assert widget.accessibleName(), f"{type(widget).__name__} has no accessible name"
    shortcuts = {a.text(): a.shortcut().toString() for a in win.actions() if not a.shortcut().isEmpty()}
    assert shortcuts["&Hands-free Mode"] == "Ctrl+T"
    assert shortcuts["&Mute"] == "Ctrl+M"
    assert shortcuts["S&top Speaking"] == "Esc"
    assert shortcuts["&New Conversation"] == "Ctrl+N"
    assert shortcuts["&Settings…"] == "Ctrl+,"
    assert shortcuts["&History…"] == "Ctrl+H"


def test_holding_space_is_one_push_to_talk_turn_in_push_to_talk_mode_only(window, qtbot):
    win, bridge = window
    log: list[str] = []
    win.talk_pressed.connect(lambda: log.append("pressed"))
    win.talk_released.connect(lambda: log.append("released"))
    focused = win.controls.new_button
    focused.setFocus()
    clicks: list[bool] = []
    focused.clicked.connect(lambda: clicks.append(True))

    send_key(focused, SPACE, press=True)
    assert win.controls.talk_button.held
    for _ in range(5):
        send_key(focused, SPACE, press=False)
        send_key(focused, SPACE, press=True)
    send_key(focused, SPACE, press=False)
    qtbot.waitUntil(lambda: log == ["pressed", "released"], timeout=1000)
    assert not win.controls.talk_button.held and clicks == []

    deliver(qtbot, bridge, ev.ModeChanged(ev.TurnMode.HANDS_FREE))
    send_key(focused, SPACE, press=True)
    send_key(focused, SPACE, press=False)
    qtbot.wait(100)
    assert log == ["pressed", "released"]
    assert not win.controls.talk_button.isEnabled()


def test_space_without_a_session_says_to_start_one(window, qtbot):
    win, _bridge = window
    win.set_phase(SessionPhase.STOPPED)
    log: list[str] = []
    win.talk_pressed.connect(lambda: log.append("pressed"))
    send_key(win.transcript, SPACE, press=True)
    send_key(win.transcript, SPACE, press=False)
    assert log == [] and "Start a session" in win.status.currentMessage()
    assert not win.controls.talk_button.isEnabled()
    assert win.session_action.text() == "&Start Session"


def test_actions_emit_the_windows_requests(window, qtbot):
    win, bridge = window
    with qtbot.waitSignal(win.settings_requested, timeout=1000):
        win.settings_action.trigger()
    with qtbot.waitSignal(win.history_requested, timeout=1000):
        win.history_action.trigger()
    with qtbot.waitSignal(win.mode_requested, timeout=1000) as mode:
        win.hands_free_action.trigger()
    assert mode.args == [ev.TurnMode.HANDS_FREE]
    with qtbot.waitSignal(win.mute_requested, timeout=1000) as mute:
        win.mute_action.trigger()
    assert mute.args == [True]
    with qtbot.waitSignal(win.new_conversation_requested, timeout=1000):
        win.new_conversation_action.trigger()
    with qtbot.waitSignal(win.session_end_requested, timeout=1000):
        win.session_action.trigger()
    deliver(qtbot, bridge, ev.AgentStateChanged(ev.AgentState.ASSISTANT_SPEAKING))
    with qtbot.waitSignal(win.stop_speaking_requested, timeout=1000):
        win.stop_speaking_action.trigger()
    with qtbot.waitSignal(win.fix_settings_requested, timeout=1000) as fix:
        deliver(qtbot, bridge, ev.ErrorOccurred(ev.ErrorKind.AUTH, "Cartesia rejected the API key. Open Settings > Keys."))
        win.banner._action_button.click()
    assert fix.args == [ev.ErrorKind.AUTH]


def test_the_engines_mode_and_mute_show_in_every_control(window, qtbot):
    win, bridge = window
    deliver(qtbot, bridge, ev.ModeChanged(ev.TurnMode.HANDS_FREE), ev.MuteChanged(True),
            ev.AgentStateChanged(ev.AgentState.LISTENING))
    assert win.controls.mode_switch.mode is ev.TurnMode.HANDS_FREE
    assert win.hands_free_action.isChecked() and win.mute_action.isChecked()
    assert win.state_indicator.text == "Muted — unmute to talk"
    assert win.mute_action.text() == "Un&mute"


def test_an_exchange_fills_the_transcript_gauges_chart_and_status(window, qtbot):
    win, bridge = window
    deliver(qtbot, bridge, ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK, voice="Rachel", prompt_name="Tutor"),
            *exchange("what time is it", ["it", "is", "noon"], TURN), ev.UsageReported(ev.Provider.TTS, characters=100))
    model = win.transcript.transcript_model()
    assert [model.data(model.index(r)) for r in range(model.rowCount())] == ["what time is it", "it is noon"]
    assert all(g.summary.last is not None for stage, g in win.latency_panel.gauges.items() if stage is not S.TOOLS)
    assert win.latency_panel.chart.turn_count == 1
    assert win.status.voice_label.text() == "Voice: Rachel"
    assert win.status.cost_label.text() == "Cost: $0.0050"


def test_an_idle_window_paints_nothing_and_a_level_change_repaints_only_the_meters(window, qtbot, paint_counter):
    win, bridge = window
    deliver(qtbot, bridge, ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK), ev.AgentStateChanged(ev.AgentState.LISTENING),
            *exchange("hello", ["hi", "there"], TURN))
    qtbot.wait(300)  # let the first paints and any delayed relayout finish
    paint_counter.reset()
    qtbot.wait(1000)
    assert paint_counter.total() == 0, paint_counter.painted()

    deliver(qtbot, bridge, ev.AudioLevel(microphone=0.6, output=0.0))
    qtbot.waitUntil(lambda: paint_counter.of(win.controls.microphone_meter) >= 1, timeout=1000)
    qtbot.wait(100)
    assert set(paint_counter.painted()) == {"LevelMeter:Microphone level"}


@pytest.fixture
def dark_palette(qapp):
    before = QGuiApplication.palette()
    dark = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8eaed"),
                        (QPalette.ColorRole.Base, "#17181a"), (QPalette.ColorRole.Text, "#e8eaed"),
                        (QPalette.ColorRole.Button, "#2b2c2f"), (QPalette.ColorRole.ButtonText, "#e8eaed"),
                        (QPalette.ColorRole.Highlight, "#8ab4f8"), (QPalette.ColorRole.HighlightedText, "#202124")):
        dark.setColor(role, QColor(color))
    QApplication.setPalette(dark)
    yield dark
    QApplication.setPalette(before)


def test_colours_and_icons_follow_a_dark_palette(dark_palette, qtbot):
    assert theme.is_dark()
    assert theme.assistant_bubble_color().lightnessF() < 0.3
    assert theme.user_bubble_color().lightnessF() < 0.5
    pixmap = themed_icon("session-end").pixmap(QSize(24, 24), 2.0)
    assert pixmap.devicePixelRatio() == 2.0 and pixmap.width() == 48  # rendered at device pixels: sharp on HiDPI
    image = pixmap.toImage()
    colors = {image.pixelColor(x, y).name() for x in range(48) for y in range(48) if image.pixelColor(x, y).alpha() == 255}
    assert colors == {"#e8eaed"}  # the palette's text colour
    disabled = themed_icon("session-end").pixmap(QSize(24, 24), 1.0, QIcon.Mode.Disabled)
    assert not disabled.isNull()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_becomes_a_banner_sentence_not_a_crash(window, qtbot):
    win, _bridge = window
    reporter = exception_guard.install()
    reporter.problem.connect(win.show_problem)
    try:
        trigger = QWidget()
        qtbot.addWidget(trigger)

        def broken_slot() -> None:
            raise ValueError("a bug in a slot")

        win.copy_all_action.triggered.connect(broken_slot)
        win.copy_all_action.trigger()
        qtbot.waitUntil(win.banner.isVisible, timeout=2000)
        assert "ValueError" in win.banner.text and "Traceback" not in win.banner.text
        assert win.isVisible()
    finally:
        exception_guard.uninstall()


def test_guarded_slots_swallow_and_report(qtbot):
    reporter = exception_guard.install()
    problems: list[str] = []
    reporter.problem.connect(problems.append)
    try:
        @exception_guard.guarded
        def slot(value: int) -> int:
            return 10 // value

        assert slot(2, "extra signal argument") == 5
        assert slot(0) is None
        assert len(problems) == 1 and "ZeroDivisionError" in problems[0]
    finally:
        exception_guard.uninstall()


def test_status_dots_are_recoloured_when_the_palette_turns_dark(qtbot, qapp):
    from desktop_agent.state.conversation import ProviderState
    from desktop_agent.ui.provider_indicator import ProviderIndicator

    indicator = ProviderIndicator(ev.Provider.STT)
    qtbot.addWidget(indicator)
    indicator.show_state(ProviderState(ev.ConnectionStatus.CONNECTED))
    light_good = theme.tone_color(theme.Tone.GOOD).name()
    assert light_good in indicator.text()
    before = QGuiApplication.palette()
    dark = QPalette(before)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    try:
        QApplication.setPalette(dark)
        qtbot.waitUntil(lambda: theme.tone_color(theme.Tone.GOOD, dark).name() in indicator.text(), timeout=2000)
        assert light_good not in indicator.text()
    finally:
        QApplication.setPalette(before)
