"""The window through provider trouble: a turn that got no reply offers Retry (the banner's button, Ctrl+R and the
Talk menu) while the offer stands, and Retry reaches the session through the controller; a banner about a dropped
connection clears itself when that provider is back.

The desktop app, window, bridge, conversation and controller are the real ones; the session is a recording fake
installed in the controller (the real session's retry is exercised by the engine's tests and the console's
end-to-end test on the simulator).
"""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import Qt

from desktop_agent.state import events as ev
from desktop_agent.ui import exception_guard
from desktop_agent.ui.error_banner import BannerAction, action_for
from desktop_agent.ui.session_phase import SessionPhase
from tests.conftest import run_async

GIVEN_UP = ev.ErrorOccurred(ev.ErrorKind.PROVIDER, "The language model could not be reached, so this turn got no "
                            "reply. Press Retry to ask again.", provider=ev.Provider.LLM, retry=True)
DROPPED = ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "The connection to speech-to-text dropped. Reconnecting…",
                           provider=ev.Provider.STT)


class RecordingSession:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, *args))


@pytest.fixture
def desktop(qtbot, qloop, tmp_path, monkeypatch):
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    from desktop_agent.app import DesktopApp

    args = argparse.Namespace(simulate=False, profile="prd", screenshot=None, log_level="WARNING", no_audio=True)
    app = DesktopApp(args, autostart=False, record_history=False)
    run_async(qtbot, app.start(), timeout_ms=60_000)
    app.window.show()
    qtbot.waitExposed(app.window)
    yield app
    app.controller._session = None
    app._close_allowed = True
    run_async(qtbot, app.shutdown(), timeout_ms=20_000)
    app.window.close()
    exception_guard.uninstall()


@pytest.fixture
def session(desktop, qtbot) -> RecordingSession:
    """A running session as far as the window and controller know."""
    recording = RecordingSession()
    desktop.controller._session = recording
    desktop.controller._set_phase(SessionPhase.RUNNING)
    qtbot.waitUntil(lambda: desktop.window.phase is SessionPhase.RUNNING, timeout=5000)
    return recording


def deliver(desktop, *events: ev.Event) -> None:
    for event in events:
        desktop.bridge.deliver(event)
    desktop.bridge.flush()


def ask(desktop, question: str = "What's the weather?") -> None:
    deliver(desktop, ev.UserTranscript(question, final=True), ev.UserTurnEnded(question))


def test_retry_is_the_banners_action_for_a_turn_that_got_no_reply():
    assert action_for(GIVEN_UP) is BannerAction.RETRY
    assert action_for(DROPPED) is BannerAction.NONE
    refused = ev.ErrorOccurred(ev.ErrorKind.AUTH, "The key was refused.", provider=ev.Provider.LLM, retry=True)
    assert action_for(refused) is BannerAction.OPEN_SETTINGS, "a refused key needs Settings more than a retry"


def test_the_banners_retry_reaches_the_session_once_and_goes_away(desktop, session, qtbot):
    window = desktop.window
    assert not window.retry_action.isEnabled(), "nothing to retry yet"
    assert window.retry_action.shortcut().toString() == "Ctrl+R"
    assert window.retry_action in window.menuBar().actions()[1].menu().actions(), "in the Talk menu"

    ask(desktop)
    deliver(desktop, GIVEN_UP)
    banner = window.banner
    assert banner.isVisible() and banner.action is BannerAction.RETRY
    assert banner._action_button.isVisible() and banner._action_button.text() == "Retry"
    assert window.retry_action.isEnabled()

    qtbot.mouseClick(banner._action_button, Qt.MouseButton.LeftButton)
    assert session.calls == [("retry_last_turn",)]
    assert not banner.isVisible()
    assert not window.retry_action.isEnabled(), "taken: a second press would find nothing to retry"
    window.retry_action.trigger()
    assert session.calls == [("retry_last_turn",)]


def test_ctrl_r_retries_while_the_offer_stands(desktop, session, qtbot):
    window = desktop.window
    ask(desktop)
    deliver(desktop, GIVEN_UP)
    window.activateWindow()
    window.transcript.setFocus()
    qtbot.keyClick(window.transcript, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert session.calls == [("retry_last_turn",)]
    assert not window.banner.isVisible() and not window.retry_action.isEnabled()

    deliver(desktop, GIVEN_UP)  # the retry failed too: offered again
    assert window.retry_action.isEnabled() and window.banner.action is BannerAction.RETRY


@pytest.mark.parametrize(
    "superseding",
    [
        [ev.UserTranscript("Never mind", final=True), ev.UserTurnEnded("Never mind")],
        [ev.AssistantTurnStarted(), ev.AssistantSpeechStarted()],
        [ev.ConversationReset()],
    ],
    ids=["the user says something new", "a reply is heard", "a new conversation"],
)
def test_the_offer_and_its_banner_go_once_the_turn_is_superseded(desktop, session, superseding):
    window = desktop.window
    ask(desktop)
    deliver(desktop, GIVEN_UP)
    assert window.retry_action.isEnabled()
    deliver(desktop, *superseding)
    assert not window.retry_action.isEnabled()
    assert not window.banner.isVisible()
    assert session.calls == []


def test_no_retry_without_a_running_session(desktop, session, qtbot):
    window = desktop.window
    ask(desktop)
    deliver(desktop, GIVEN_UP)
    desktop.controller._set_phase(SessionPhase.STOPPED)
    assert not window.retry_action.isEnabled()


def test_a_banner_about_a_dropped_connection_clears_itself_when_that_provider_is_back(desktop, session):
    window = desktop.window
    deliver(desktop, *(ev.ProviderStatusChanged(p, ev.ConnectionStatus.CONNECTED) for p in ev.Provider))
    deliver(desktop, ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.DISCONNECTED, "connection lost",
                                              down_since=1.0e9, retry_at=1.0e9 + 1, attempt=0), DROPPED)
    assert window.banner.isVisible() and window.banner.text == DROPPED.message
    deliver(desktop, ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.DISCONNECTED),
            ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.CONNECTED))
    assert window.banner.isVisible(), "another provider coming back says nothing about this one"
    deliver(desktop, ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED))
    assert not window.banner.isVisible()


def test_a_banner_that_is_not_about_the_connection_stays_when_the_provider_is_back(desktop, session):
    window = desktop.window
    rejected = ev.ErrorOccurred(ev.ErrorKind.AUTH, "Speech-to-text rejected the API key. Open Settings > Keys.",
                                provider=ev.Provider.STT, recoverable=False)
    deliver(desktop, ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.FAILED, "API key rejected"),
            rejected)
    deliver(desktop, ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED))
    assert window.banner.isVisible() and window.banner.text == rejected.message

    deliver(desktop, DROPPED)  # a newer message replaces it; then it is about the connection
    deliver(desktop, ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.DISCONNECTED),
            ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED))
    assert not window.banner.isVisible()
