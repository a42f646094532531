"""The window in a read-only home: the config, data, state and cache folders exist and nothing can be created in
them. The app starts, a session on the simulator starts, and the banner gets one plain sentence per cause (settings,
log, history), never a traceback or an exception's name.

Real parts: the app's composition root, the engine, the simulator; the sound card is the in-memory device. The
folders are made read-only with tests/config/read_only.py (root ignores permission bits; see there why).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

import pytest
from loguru import logger

from desktop_agent.state.events import AgentState
from desktop_agent.ui import exception_guard
from desktop_agent.ui.main_window import MainWindow
from tests.config.read_only import read_only
from tests.conftest import run_async

pytestmark = [pytest.mark.e2e]

FOLDERS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")


@pytest.fixture
def read_only_home(tmp_path, monkeypatch):
    folders = []
    for variable in FOLDERS:
        folder = tmp_path / variable.lower()
        folder.mkdir()
        monkeypatch.setenv(variable, str(folder))
        folders.append(folder)
    for variable in ("CARTESIA_API_KEY", "CEREBRAS_API_KEY", "ELEVENLABS_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    with read_only(*folders):
        yield tmp_path
    # The app pointed loguru and stdlib logging at stderr only (no log file could be opened): put them back.
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    logging.basicConfig(handlers=[logging.StreamHandler()], level=logging.WARNING, force=True)


@pytest.fixture
def shown(monkeypatch):
    """Every sentence the window shows in its banner, in order."""
    sentences: list[str] = []
    original = MainWindow.show_problem

    def record(self, message, *args, **kwargs):
        sentences.append(message)
        return original(self, message, *args, **kwargs)

    monkeypatch.setattr(MainWindow, "show_problem", record)
    return sentences


def test_the_window_starts_a_session_in_a_read_only_home(qtbot, qloop, read_only_home, shown):
    from desktop_agent.app import DesktopApp
    from desktop_agent.engine.memory_audio import MemoryAudioBackend
    from desktop_agent.simulator import SimulatorThread

    simulator = SimulatorThread(profile="instant").start()
    args = argparse.Namespace(simulate=True, profile="instant", screenshot=None, log_level="WARNING", no_audio=True)
    app = DesktopApp(args, simulator=simulator, audio_backend=MemoryAudioBackend(), record_history=True)
    try:
        run_async(qtbot, app.start(), timeout_ms=60_000)
        qtbot.waitUntil(lambda: app.bridge.conversation.agent_state is AgentState.LISTENING, timeout=30_000)
        home = read_only_home
        why = "the operation is not permitted" if os.geteuid() == 0 else "permission is denied"  # immutable / 0o555
        assert shown == [
            f"Settings and prompt presets cannot be saved: the folder {home / 'xdg_config_home' / 'desktop-agent'} "
            f"is not writable ({why}). Desktop Agent runs on what it could read, and changes last until it closes.",
            f"The log cannot be written to {home / 'xdg_state_home' / 'desktop-agent' / 'log'} ({why}); Desktop "
            "Agent runs without a log file.",
            f"Conversation history is off: the folder {home / 'xdg_data_home' / 'desktop-agent'} cannot be created "
            f"({why}), so conversations are not saved; the conversation itself works as usual.",
        ]
        assert app.settings is not None and app.prompts.get("Voice assistant") is not None
    finally:
        if not app.finished.done():
            app._close_allowed = True
            run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        app.window.close()
        app.window.deleteLater()
        simulator.stop()
        exception_guard.uninstall()
