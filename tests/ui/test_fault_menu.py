"""The Faults menu: only with --simulate, and its entries really switch the running simulator's faults.

Real widgets, a real simulator on its own thread, a real websocket client to see a connection being cut.
"""

from __future__ import annotations

import argparse
import re

import pytest
import websockets.sync.client
from PySide6.QtWidgets import QMenu

from desktop_agent.simulator import SIMULATOR_API_KEYS, SimulatorThread
from desktop_agent.simulator.fault_presets import FaultControls
from desktop_agent.ui import exception_guard
from desktop_agent.ui.fault_menu import FaultMenu
from desktop_agent.ui.main_window import MainWindow
from tests.conftest import run_async

VENDORS = re.compile(r"cartesia|cerebras|elevenlabs", re.IGNORECASE)


@pytest.fixture
def simulator():
    with SimulatorThread(profile="instant") as sim:
        yield sim


@pytest.fixture
def window(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    return window


def menu_texts(menu: QMenu) -> list[str]:
    texts = []
    for action in menu.actions():
        texts.append(action.text())
        if action.menu() is not None:
            texts += menu_texts(action.menu())
    return texts


def bar_titles(window: MainWindow) -> list[str]:
    return [action.text() for action in window.menuBar().actions()]


def test_the_menu_sits_before_help_and_speaks_of_roles_not_vendors(window, simulator):
    menu = FaultMenu(FaultControls(simulator), window)
    window.add_fault_menu(menu)
    assert bar_titles(window)[-2:] == ["F&aults", "&Help"]
    roles = [a.text() for a in menu.actions() if a.menu() is not None]
    assert roles == ["Speech-to-text", "Language model", "Text-to-speech"]
    texts = menu_texts(menu)
    assert "All services: Network outage for 20 s" in texts and "&Clear All Faults" in texts
    assert not any(VENDORS.search(text) for text in texts)
    assert all(not VENDORS.search(a.toolTip()) for a in menu.preset_actions.values())


def test_a_checkable_entry_arms_and_clears_its_fault_and_shows_it(window, simulator, qtbot):
    menu = FaultMenu(FaultControls(simulator), window)
    window.add_fault_menu(menu)
    slow = menu.preset_actions["llm.slow"]
    assert slow.isCheckable() and not slow.isChecked()
    with qtbot.waitSignal(menu.message) as note:
        slow.trigger()
    assert slow.isChecked()
    assert [(f.kind, f.seconds) for f in simulator.faults("cerebras")] == [("slow_first_byte", 2.0)]
    assert note.args[0].startswith("Language model: Slow down (first byte +2 s): on.")
    assert window.status.currentMessage() == note.args[0]
    slow.trigger()
    assert not slow.isChecked() and simulator.faults("cerebras") == []
    assert [r.kind for r in simulator.applied_faults("cerebras")] == ["fault_armed", "fault_cleared"]


def test_a_time_limited_entry_is_unticked_once_its_time_is_up(window, simulator, qtbot):
    menu = FaultMenu(FaultControls(simulator, outage_seconds=0.5), window)
    refuse = menu.preset_actions["stt.refuse"]
    refuse.trigger()
    assert refuse.isChecked() and simulator.faults("cartesia")
    qtbot.waitUntil(lambda: not simulator.faults("cartesia"), timeout=10_000)
    menu.aboutToShow.emit()  # what opening the menu does
    assert not refuse.isChecked()


def test_drop_now_cuts_the_live_connection_and_clear_all_ends_everything(window, simulator, qtbot):
    menu = FaultMenu(FaultControls(simulator), window)
    drop = menu.preset_actions["stt.drop"]
    assert not drop.isCheckable()
    url = f"{simulator.cartesia_url}/stt/websocket?model=ink-whisper&encoding=pcm_s16le&sample_rate=16000"
    with websockets.sync.client.connect(url, additional_headers={"X-API-Key": SIMULATOR_API_KEYS["cartesia"]}) as ws:
        drop.trigger()
        with pytest.raises(websockets.ConnectionClosedError):
            ws.recv(timeout=5)
    for key in ("tts.hang", "llm.malformed", "all.outage"):
        menu.preset_actions[key].trigger()
    assert all(menu.preset_actions[key].isChecked() for key in ("tts.hang", "llm.malformed", "all.outage"))
    menu.clear_action.trigger()
    assert not any(action.isChecked() for action in menu.preset_actions.values())
    assert all(simulator.faults(provider) == [] for provider in ("cartesia", "cerebras", "elevenlabs"))


# ------------------------------------------------------------------------------------------------ app.py wiring
@pytest.fixture
def start_app(qtbot, qloop, isolated_user_dirs):
    apps = []

    def start(simulate: bool):
        from desktop_agent.app import DesktopApp

        args = argparse.Namespace(simulate=simulate, profile="instant", screenshot=None, log_level="WARNING",
                                  no_audio=True)
        app = DesktopApp(args, autostart=False, record_history=False)
        apps.append(app)
        run_async(qtbot, app.start(), timeout_ms=60_000)
        return app

    yield start
    for app in apps:
        app._close_allowed = True
        run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        app.window.close()
    exception_guard.uninstall()


def test_with_simulate_the_app_adds_the_menu_wired_to_its_simulator(start_app):
    app = start_app(simulate=True)
    menu = app.window.fault_menu
    assert menu is not None and "F&aults" in bar_titles(app.window)
    menu.preset_actions["tts.reject_key"].trigger()
    assert [f.status for f in app.simulator.faults("elevenlabs")] == [401]


def test_without_simulate_there_is_no_fault_menu(start_app):
    app = start_app(simulate=False)
    assert app.window.fault_menu is None
    assert "F&aults" not in bar_titles(app.window)
