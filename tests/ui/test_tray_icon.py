"""The tray icon on its own: its icon and tooltip follow the assistant's state, and its menu asks for what it says.

Real QSystemTrayIcon and QMenu objects, offscreen. No tray host runs here (offscreen Qt has none), so nothing is
drawn on a panel; what a host would show (the icon, the tooltip, the menu's actions) is read from the object.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSystemTrayIcon

from desktop_agent.state.events import AgentState, TurnMode
from desktop_agent.ui import theme
from desktop_agent.ui.tray_icon import TrayIcon, TrayState, tray_state


@pytest.fixture
def tray(qtbot):
    icon = TrayIcon()
    yield icon
    icon.hide()
    icon.menu.deleteLater()
    icon.deleteLater()


def badge_color(tray: TrayIcon) -> QColor:
    """The colour at the centre of the badge dot (lower right corner) of the 64-pixel icon."""
    image = tray.icon().pixmap(QSize(64, 64)).toImage()
    return image.pixelColor(64 - 15, 64 - 15)


@pytest.mark.parametrize(
    ("state", "muted", "expected"),
    [
        (AgentState.STOPPED, False, TrayState.IDLE),
        (AgentState.CONNECTING, False, TrayState.IDLE),
        (AgentState.RECONNECTING, False, TrayState.IDLE),
        (AgentState.LISTENING, False, TrayState.LISTENING),
        (AgentState.USER_SPEAKING, False, TrayState.LISTENING),
        (AgentState.LISTENING, True, TrayState.IDLE),
        (AgentState.THINKING, False, TrayState.THINKING),
        (AgentState.ASSISTANT_SPEAKING, False, TrayState.SPEAKING),
        (AgentState.ERROR, False, TrayState.ERROR),
    ],
)
def test_every_engine_state_folds_into_one_tray_state(state, muted, expected):
    assert tray_state(state, muted) is expected


def test_icon_and_tooltip_follow_each_state(tray):
    palette = theme.palette()
    expected_badges = {
        TrayState.LISTENING: theme.tone_color(theme.Tone.GOOD, palette),
        TrayState.THINKING: theme.tone_color(theme.Tone.WARNING, palette),
        TrayState.SPEAKING: palette.color(palette.ColorRole.Highlight),
        TrayState.ERROR: theme.tone_color(theme.Tone.BAD, palette),
    }
    images = {}
    for agent_state, text, shown in (
        (AgentState.STOPPED, "No session — press Start Session", TrayState.IDLE),
        (AgentState.LISTENING, "Listening — hold Space to talk", TrayState.LISTENING),
        (AgentState.THINKING, "Thinking…", TrayState.THINKING),
        (AgentState.ASSISTANT_SPEAKING, "Assistant speaking", TrayState.SPEAKING),
        (AgentState.ERROR, "Error", TrayState.ERROR),
    ):
        tray.show_state(agent_state, text, running=True)
        assert tray.state is shown
        assert tray.toolTip() == f"Desktop Agent: {text}"
        images[shown] = tray.icon().pixmap(QSize(64, 64)).toImage()
        if shown in expected_badges:
            assert badge_color(tray).name() == expected_badges[shown].name(), shown
    assert len({bytes(image.constBits()) for image in images.values()}) == 5, "each state has an icon of its own"


def test_the_tooltip_shows_remote_text_as_plain_characters(tray):
    tray.show_state(AgentState.ERROR, "Bad\x1b[2J reply\u202e")
    assert tray.toolTip() == "Desktop Agent: Bad reply"


def test_the_menu_shows_the_mode_and_mute_and_allows_mute_only_while_a_session_runs(tray):
    assert [a.text() for a in tray.menu.actions() if not a.isSeparator()] == [
        "&Show Window", "&Push to Talk", "&Hands-free", "&Mute", "&New Conversation", "&Quit",
    ]
    tray.show_state(AgentState.STOPPED, "No session")
    assert tray.push_to_talk_action.isChecked() and not tray.mute_action.isEnabled()
    tray.show_state(AgentState.LISTENING, "Muted — unmute to talk", TurnMode.HANDS_FREE, muted=True, running=True)
    assert tray.hands_free_action.isChecked() and not tray.push_to_talk_action.isChecked()
    assert tray.mute_action.isEnabled() and tray.mute_action.isChecked() and tray.mute_action.text() == "Un&mute"


def test_each_menu_choice_is_asked_for(tray, qtbot):
    tray.show_state(AgentState.LISTENING, "Listening", running=True)
    with qtbot.waitSignal(tray.mode_requested, timeout=1000) as mode:
        tray.hands_free_action.trigger()
    assert mode.args == [TurnMode.HANDS_FREE]
    with qtbot.waitSignal(tray.mode_requested, timeout=1000) as mode:
        tray.push_to_talk_action.trigger()
    assert mode.args == [TurnMode.PUSH_TO_TALK]
    with qtbot.waitSignal(tray.mute_requested, timeout=1000) as mute:
        tray.mute_action.trigger()
    assert mute.args == [True]
    for action, signal in (
        (tray.show_window_action, tray.show_window_requested),
        (tray.new_conversation_action, tray.new_conversation_requested),
        (tray.quit_action, tray.quit_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            action.trigger()
    with qtbot.waitSignal(tray.show_window_requested, timeout=1000):
        tray.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)  # a click on the icon, as a tray host sends it
