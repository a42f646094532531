"""Mode switch, level meters, state indicator, error banner and provider indicators, fed by state alone."""

from __future__ import annotations

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation, ProviderState
from desktop_agent.ui import theme
from desktop_agent.ui.error_banner import BannerAction, ErrorBanner, action_for
from desktop_agent.ui.level_meter import LevelMeter
from desktop_agent.ui.mode_switch import ModeSwitch
from desktop_agent.ui.provider_indicator import ProviderIndicator
from desktop_agent.ui.session_status_bar import SessionStatusBar, format_cost
from desktop_agent.ui.state_indicator import StateIndicator, describe
from tests.ui.conftest import feed


def shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# ----------------------------------------------------------------------------------------------- mode switch
def test_mode_switch_emits_the_users_choice_and_shows_the_engines_without_echo(qtbot):
    switch = shown(qtbot, ModeSwitch())
    chosen: list[ev.TurnMode] = []
    switch.mode_selected.connect(chosen.append)
    switch.buttons[ev.TurnMode.HANDS_FREE].click()
    assert chosen == [ev.TurnMode.HANDS_FREE] and switch.mode is ev.TurnMode.HANDS_FREE
    switch.set_mode(ev.TurnMode.PUSH_TO_TALK)
    assert chosen == [ev.TurnMode.HANDS_FREE]
    assert switch.buttons[ev.TurnMode.PUSH_TO_TALK].isChecked()
    switch.buttons[ev.TurnMode.PUSH_TO_TALK].click()  # already selected: nothing to ask for
    assert chosen == [ev.TurnMode.HANDS_FREE]


# ----------------------------------------------------------------------------------------------- level meter
def test_level_meter_repaints_only_when_its_bar_changes(qtbot, paint_counter):
    meter = shown(qtbot, LevelMeter("Microphone level"))
    meter.resize(200, 8)
    qtbot.wait(30)
    paint_counter.reset()
    meter.set_level(0.5)
    qtbot.waitUntil(lambda: paint_counter.of(meter) == 1, timeout=1000)
    for _ in range(10):
        meter.set_level(0.5001)  # the same pixel length
    qtbot.wait(50)
    assert paint_counter.of(meter) == 1
    meter.set_level(0.9)
    qtbot.waitUntil(lambda: paint_counter.of(meter) == 2, timeout=1000)
    assert meter.accessibleDescription() == "90 percent"


def test_an_inactive_meter_shows_nothing(qtbot):
    meter = shown(qtbot, LevelMeter("Microphone level"))
    meter.set_level(0.8)
    meter.set_active(False)
    assert meter._bar_px(meter.level) == 0


# ----------------------------------------------------------------------------------------------- state indicator
@pytest.mark.parametrize(
    ("state", "mode", "muted", "text"),
    [
        (ev.AgentState.LISTENING, ev.TurnMode.PUSH_TO_TALK, False, "Listening — hold Space to talk"),
        (ev.AgentState.LISTENING, ev.TurnMode.HANDS_FREE, False, "Listening — just talk"),
        (ev.AgentState.LISTENING, ev.TurnMode.HANDS_FREE, True, "Muted — unmute to talk"),
        (ev.AgentState.USER_SPEAKING, ev.TurnMode.PUSH_TO_TALK, False, "You are speaking"),
        (ev.AgentState.THINKING, ev.TurnMode.PUSH_TO_TALK, False, "Thinking…"),
        (ev.AgentState.ASSISTANT_SPEAKING, ev.TurnMode.PUSH_TO_TALK, False, "Assistant speaking"),
        (ev.AgentState.RECONNECTING, ev.TurnMode.PUSH_TO_TALK, False, "Reconnecting…"),
        (ev.AgentState.ERROR, ev.TurnMode.PUSH_TO_TALK, False, "Error"),
    ],
)
def test_state_indicator_phrases(state, mode, muted, text):
    assert describe(state, mode, muted) == text


def test_state_indicator_repaints_on_change_only_and_is_accessible(qtbot, paint_counter):
    indicator = shown(qtbot, StateIndicator())
    qtbot.wait(30)
    paint_counter.reset()
    indicator.show_state(ev.AgentState.THINKING)
    qtbot.waitUntil(lambda: paint_counter.of(indicator) >= 1, timeout=1000)
    painted = paint_counter.of(indicator)
    indicator.show_state(ev.AgentState.THINKING)
    qtbot.wait(50)
    assert paint_counter.of(indicator) == painted
    assert indicator.accessibleDescription() == "Thinking…"
    indicator.show_state(ev.AgentState.STOPPED, override="Loading the voice engine…")
    assert indicator.text == "Loading the voice engine…"


# ----------------------------------------------------------------------------------------------- error banner
def test_banner_shows_an_actionable_sentence_and_offers_settings_for_a_rejected_key(qtbot):
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    actions: list[str] = []
    banner.action_triggered.connect(actions.append)
    error = ev.ErrorOccurred(ev.ErrorKind.AUTH, "ElevenLabs rejected the API key. Open Settings > Keys.", ev.Provider.TTS)
    banner.show_error(error)
    assert banner.isVisible() and banner.text == error.message and banner.action is BannerAction.OPEN_SETTINGS
    banner._action_button.click()
    assert actions == ["open_settings"] and not banner.isVisible()


def test_banner_counts_repeats_and_is_dismissible(qtbot):
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    for _ in range(3):
        banner.show_message("Cerebras is not answering. Retrying.")
    assert banner.text == "Cerebras is not answering. Retrying. (×3)"
    assert not banner._action_button.isVisible()
    banner._dismiss.click()
    assert not banner.isVisible()
    banner.show_message("Cerebras is not answering. Retrying.")
    assert banner.text == "Cerebras is not answering. Retrying."


@pytest.mark.parametrize(
    ("kind", "recoverable", "action"),
    [(ev.ErrorKind.AUTH, True, BannerAction.OPEN_SETTINGS), (ev.ErrorKind.AUDIO_DEVICE, True, BannerAction.OPEN_SETTINGS),
     (ev.ErrorKind.CONFIG, False, BannerAction.OPEN_SETTINGS), (ev.ErrorKind.UNREACHABLE, True, BannerAction.NONE),
     (ev.ErrorKind.INTERNAL, False, BannerAction.RESTART_SESSION)],
)
def test_banner_actions_by_error_kind(kind, recoverable, action):
    assert action_for(ev.ErrorOccurred(kind, "x", recoverable=recoverable)) is action


# ----------------------------------------------------------------------------------------------- status bar
def test_provider_indicator_shows_state_and_reason(qtbot):
    indicator = ProviderIndicator(ev.Provider.TTS)
    qtbot.addWidget(indicator)
    indicator.show_state(ProviderState(ev.ConnectionStatus.FAILED, "the API key was rejected"))
    assert indicator.status is ev.ConnectionStatus.FAILED
    assert indicator.toolTip() == "ElevenLabs (text to speech): failed — the API key was rejected"
    assert theme.tone_color(theme.Tone.BAD).name() in indicator.text()


def test_status_bar_shows_providers_voice_prompt_and_cost(qtbot):
    bar = SessionStatusBar()
    qtbot.addWidget(bar)
    conversation = Conversation()
    feed(
        conversation,
        ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK, voice="Rachel", prompt_name="Tutor"),
        ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED),
        ev.ProviderStatusChanged(ev.Provider.LLM, ev.ConnectionStatus.CONNECTING, "opening"),
        ev.UsageReported(ev.Provider.LLM, prompt_tokens=1_000_000),
        ev.UsageReported(ev.Provider.TTS, characters=2000),
    )
    bar.refresh_providers(conversation)
    bar.refresh_session(conversation)
    bar.refresh_usage(conversation)
    assert bar.providers[ev.Provider.STT].status is ev.ConnectionStatus.CONNECTED
    assert "opening" in bar.providers[ev.Provider.LLM].toolTip()
    assert bar.voice_label.text() == "Voice: Rachel" and bar.prompt_label.text() == "Prompt: Tutor"
    assert bar.cost_label.text() == "Cost: $0.7000"  # 1 M tokens at $0.60 + 2000 characters at $0.05 per 1000
    assert "2000 characters" in bar.cost_label.toolTip()


@pytest.mark.parametrize(("usd", "text"), [(0.0, "$0.0000"), (0.01234, "$0.0123"), (3.456, "$3.46")])
def test_cost_format(usd, text):
    assert format_cost(usd) == text


def test_provider_indicator_names_the_fallback_standing_in(qtbot):
    indicator = ProviderIndicator(ev.Provider.LLM, name="Cerebras")
    qtbot.addWidget(indicator)
    indicator.show_state(ProviderState(ev.ConnectionStatus.CONNECTED, standing_in="Groq"))
    assert "Groq (for Cerebras)" in indicator.text()
    assert indicator.toolTip().endswith("Groq answers until Cerebras is back")
    indicator.show_state(ProviderState(ev.ConnectionStatus.CONNECTED))
    assert "Groq" not in indicator.text() and "Cerebras" in indicator.text()
    indicator.set_name("OpenAI")
    assert "OpenAI" in indicator.text() and indicator.accessibleName() == "OpenAI connection"
    listening = ProviderIndicator(ev.Provider.STT, name="Cartesia")
    qtbot.addWidget(listening)
    listening.show_state(ProviderState(ev.ConnectionStatus.CONNECTED, standing_in="Deepgram"))
    assert "Deepgram (for Cartesia)" in listening.text()
    assert listening.toolTip().endswith("Deepgram listens until Cartesia is back")


# ----------------------------------------------------------------------------------------------- tool confirmation bar
def test_tool_confirmation_bar_answers_each_call_once(qtbot):
    """A double click on Yes was two "Yes." turns: the second reached the assistant as a new request and got a reply
    of its own. The buttons take one answer per call, and ask again for the next call."""
    from PySide6.QtCore import Qt

    from desktop_agent.state.tool_calls import ToolCallInfo
    from desktop_agent.ui.tool_confirmation_bar import ToolConfirmationBar

    bar = shown(qtbot, ToolConfirmationBar())
    answers: list[bool] = []
    bar.answered.connect(answers.append)
    first = ToolCallInfo("call-1", "create_ticket", '{"title": "Printer jam"}', awaiting=True)
    bar.show_call(first)
    assert bar.isVisible() and bar.yes_button.isEnabled() and bar.no_button.isEnabled()
    qtbot.mouseClick(bar.yes_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.yes_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.no_button, Qt.MouseButton.LeftButton)
    assert answers == [True]
    bar.show_call(first)  # the same call still waiting while the answer travels: still answered
    assert not bar.yes_button.isEnabled()

    bar.show_call(None)
    bar.show_call(ToolCallInfo("call-2", "create_ticket", "{}", awaiting=True))
    assert bar.yes_button.isEnabled() and bar.no_button.isEnabled()
    qtbot.mouseClick(bar.no_button, Qt.MouseButton.LeftButton)
    assert answers == [True, False]
