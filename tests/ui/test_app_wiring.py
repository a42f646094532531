"""app.py's wiring of the settings dialog and the banner to the window and the running session.

The session here is a recording fake installed in the controller (the real session's methods are the engine's
tests' business); the settings dialog, settings store, secrets and prompt library are the real ones, in a
temporary home.
"""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import Qt

from desktop_agent.state import events as ev
from desktop_agent.state.latency import DEFAULT_BUDGETS
from desktop_agent.ui import exception_guard
from tests.conftest import run_async


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
    yield app
    run_async(qtbot, app.shutdown(), timeout_ms=20_000)
    app.window.close()
    exception_guard.uninstall()


def test_settings_changes_reach_the_window_and_the_running_session(desktop, qtbot):
    desktop.window.settings_action.trigger()
    dialog = desktop.settings_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()

    session = RecordingSession()
    desktop.controller._session = session
    dialog.voice_changed.emit("voice-2", "Adam")
    dialog.prompt_changed.emit("Be brief.", "Brief")
    dialog.llm_changed.emit("llama-3.3-70b", 0.3, 200)
    dialog.devices_changed.emit("USB mic", None)
    dialog.echo_changed.emit(False, True)
    assert session.calls == [
        ("set_voice", "voice-2", "Adam"), ("set_system_prompt", "Be brief.", "Brief"),
        ("update_llm", "llama-3.3-70b", 0.3, 200), ("set_input_device", "USB mic"), ("set_output_device", None),
        ("set_echo_cancellation", False, True),
    ]
    dialog.restart_needed.emit("New endpoints apply from the next session.")
    assert "next session" in desktop.window.status.currentMessage()
    desktop.controller._session = None

    budgets = {**DEFAULT_BUDGETS, ev.Stage.LLM_FIRST_TOKEN: 0.45}
    dialog.budgets_changed.emit(budgets)
    assert desktop.window.latency_panel.gauges[ev.Stage.LLM_FIRST_TOKEN].budget == 0.45

    desktop.settings.audio.push_to_talk_key = "F8"
    dialog.push_to_talk_key_changed.emit("F8")
    assert desktop.window.key_filter.key == Qt.Key.Key_F8
    assert "F8" in desktop.window.controls.talk_button.toolTip()


def test_a_missing_key_refuses_to_start_and_the_banner_opens_the_keys_page(desktop, qtbot):
    from desktop_agent.ui.settings import SettingsPage

    desktop.window.session_action.trigger()  # no keys in this temporary home
    banner = desktop.window.banner
    assert banner.isVisible() and "API key is missing" in banner.text
    banner._action_button.click()
    assert desktop.settings_dialog.isVisible()
    assert desktop.settings_dialog.current_page() is SettingsPage.KEYS


def test_history_opens_in_its_own_window(desktop, qtbot):
    desktop.window.history_action.trigger()
    assert desktop.history_window is not None and desktop.history_window.isVisible()
    assert desktop.history_window.isWindow()


class SwitchingSession(RecordingSession):
    """Says whether it can switch language models in place, as the real session does (it can for those it has keys
    for; the real switch is tested in tests/engine/test_failover.py)."""

    def __init__(self, can_switch: bool) -> None:
        super().__init__()
        self.can_switch = can_switch

    def choose_language_model(self, provider_id: str) -> bool:
        self.calls.append(("choose_language_model", provider_id))
        return self.can_switch


def test_another_provider_chosen_in_settings_reaches_the_session_or_the_next_one(desktop, qtbot):
    desktop.window.settings_action.trigger()
    dialog = desktop.settings_dialog
    page = dialog.keys_page
    session = SwitchingSession(can_switch=True)
    desktop.controller._session = session
    page.choosers[ev.Provider.LLM].setCurrentIndex(page.choosers[ev.Provider.LLM].findData("groq"))
    assert session.calls == [("choose_language_model", "groq")]
    assert desktop.window.status.currentMessage() == "Groq answers from the next turn."
    assert "Groq" in desktop.window.status.providers[ev.Provider.LLM].text()

    restarts: list[bool] = []

    async def restart() -> bool:  # the real restart carries the conversation on: tests/ui/test_session_controller.py
        restarts.append(True)
        return True

    desktop.controller.restart = restart
    session.can_switch = False  # no key for it when the session started: a new session with the conversation
    page.choosers[ev.Provider.LLM].setCurrentIndex(page.choosers[ev.Provider.LLM].findData("openai"))
    qtbot.waitUntil(lambda: len(restarts) == 1)
    assert desktop.window.status.currentMessage() == (
        "Connecting to OpenAI for the language model; the conversation goes on.")
    page.choosers[ev.Provider.STT].setCurrentIndex(page.choosers[ev.Provider.STT].findData("deepgram"))
    qtbot.waitUntil(lambda: len(restarts) == 2)
    assert session.calls[-1] == ("choose_language_model", "openai"), "speech providers never switch in place"
    assert "Deepgram" in desktop.window.status.currentMessage()
    assert "Deepgram" in desktop.window.status.providers[ev.Provider.STT].text()
    desktop.controller._session = None


@pytest.fixture
def counted_teardown(monkeypatch) -> dict[str, int]:
    """How often the real HistoryStore.close and SimulatorThread.stop were called."""
    from desktop_agent.simulator import SimulatorThread
    from desktop_agent.storage.history import HistoryStore

    counts = {"history closed": 0, "simulator stopped": 0}
    close, stop = HistoryStore.close, SimulatorThread.stop

    def counting_close(self) -> None:
        counts["history closed"] += 1
        close(self)

    def counting_stop(self, timeout: float = 10.0) -> None:
        counts["simulator stopped"] += 1
        stop(self, timeout)

    monkeypatch.setattr(HistoryStore, "close", counting_close)
    monkeypatch.setattr(SimulatorThread, "stop", counting_stop)
    return counts


def test_closing_the_window_closes_the_history_store_once(qtbot, qloop, tmp_path, monkeypatch, counted_teardown):
    """The window used to leave the history database open at exit; it now shares the console's teardown."""
    from desktop_agent.app import DesktopApp
    from desktop_agent.storage.history import ConversationHistoryUnavailable

    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    args = argparse.Namespace(simulate=False, profile="prd", screenshot=None, log_level="WARNING", no_audio=True)
    app = DesktopApp(args, autostart=False, record_history=True)
    try:
        run_async(qtbot, app.start(), timeout_ms=60_000)
        store = app.history_store
        assert store is not None and store.list_conversations() == []
        app.window.close()  # no session: the window closes at once and shuts the app down
        qtbot.waitUntil(app.finished.done, timeout=20_000)
        run_async(qtbot, app.shutdown(), timeout_ms=20_000)  # another exit path: nothing left to do
        assert counted_teardown["history closed"] == 1
        with pytest.raises(ConversationHistoryUnavailable):
            store.list_conversations()
    finally:
        run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        app.window.close()
        exception_guard.uninstall()


def test_a_window_whose_engine_cannot_load_still_stops_its_simulator_once(qtbot, qloop, tmp_path, monkeypatch,
                                                                         counted_teardown):
    import desktop_agent.ui.session_controller as controller_module
    from desktop_agent.app import DesktopApp

    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.setattr(controller_module, "ENGINE_MODULE", "desktop_agent.no_such_engine")
    args = argparse.Namespace(simulate=True, profile="instant", screenshot=None, log_level="WARNING", no_audio=True)
    app = DesktopApp(args, record_history=True)
    try:
        run_async(qtbot, app.start(), timeout_ms=60_000)
        assert "The voice engine could not be loaded" in app.window.banner.text
        simulator = app.simulator
        assert simulator is not None and simulator.loop is not None, "--simulate started the built-in simulator"
        run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        app.window.close()
        qtbot.waitUntil(lambda: counted_teardown["simulator stopped"] == 1, timeout=5_000)
        assert simulator.loop is None and app.finished.done()
        assert counted_teardown == {"history closed": 0, "simulator stopped": 1}, "history opens after the engine"
    finally:
        run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        app.window.close()
        exception_guard.uninstall()
