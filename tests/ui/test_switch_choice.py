"""The window and providers that retire models and voices: the first run chooses a voice from the account, and a
model or voice no longer offered is one sentence on the banner whose "Switch to …" button switches, saves, and
tells the running session.

The app runs as with real keys (not ``--simulate``): its keys and endpoints point at the loopback simulator, whose
Cerebras and ElevenLabs serve and refuse models and voices as the real ones do. The session is a recording fake
installed in the controller (what the session does with the switch is the engine tests' business).
"""

from __future__ import annotations

import argparse
import json

import pytest
from PySide6.QtCore import Qt

from desktop_agent.config import llm_models
from desktop_agent.config.llm_models import ModelCatalog
from desktop_agent.engine.catalogue import check_model, check_voice
from desktop_agent.simulator import SIMULATOR_API_KEYS, SimulatorThread
from desktop_agent.simulator.voices import RETIRED_VOICE_ID
from desktop_agent.ui import exception_guard
from tests.conftest import run_async

ERIC = "cjVigY5qzO86Huf0OWal"


class RecordingSession:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, *args))


@pytest.fixture
def sim():
    with SimulatorThread(profile="instant") as simulator:
        yield simulator


@pytest.fixture
def start_app(qtbot, qloop, tmp_path, monkeypatch, sim):
    """``start_app(saved_settings=None)`` -> a started DesktopApp whose keys and endpoints are the simulator's."""
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.chdir(tmp_path)
    for name, variable in (("cerebras", "CEREBRAS"), ("elevenlabs", "ELEVENLABS"), ("cartesia", "CARTESIA")):
        monkeypatch.setenv(f"{variable}_API_KEY", SIMULATOR_API_KEYS[name])
    monkeypatch.setenv("CEREBRAS_BASE_URL", sim.cerebras_url)
    monkeypatch.setenv("ELEVENLABS_BASE_URL", sim.elevenlabs_url)
    monkeypatch.setattr(llm_models, "_cache", {})
    apps = []

    def start(saved_settings: dict | None = None):
        from desktop_agent.app import DesktopApp
        from desktop_agent.config import paths

        if saved_settings is not None:
            folder = paths.config_dir()
            folder.mkdir(parents=True, exist_ok=True)
            (folder / paths.SETTINGS_FILE_NAME).write_text(json.dumps(saved_settings))
        args = argparse.Namespace(simulate=False, profile="instant", screenshot=None, log_level="WARNING",
                                  no_audio=True)
        app = DesktopApp(args, autostart=False, record_history=False)
        apps.append(app)
        run_async(qtbot, app.start(), timeout_ms=60_000)
        return app

    yield start
    for app in apps:
        run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        app.window.close()
    exception_guard.uninstall()


def saved(app) -> dict:
    return json.loads(app.settings_store.path.read_text())


def test_the_first_run_chooses_a_current_premade_voice_from_the_account_and_saves_it(start_app, sim):
    app = start_app()
    assert (app.settings.voice.voice_id, app.settings.voice.voice_name) == (ERIC, "Eric")
    assert saved(app)["voice"] == {"voice_id": ERIC, "voice_name": "Eric"}
    query = sim.select("elevenlabs", "voices_request")[-1].data["query"]
    assert query["category"] == "premade"
    assert app.runtime.build_engine_config().voice_id == ERIC


def test_a_saved_voice_is_kept_without_asking(start_app, sim):
    app = start_app({"voice": {"voice_id": "emu-voice-4", "voice_name": "Emu George"}})
    assert app.settings.voice.voice_id == "emu-voice-4" and not sim.select("elevenlabs", "voices_request")


def test_a_retired_model_on_the_banner_switches_with_one_click(start_app, qtbot):
    app = start_app({"models": {"llm_model": "llama-3.3-70b"}})
    app.window.settings_action.trigger()  # open, so its page must follow the switch
    config = app.runtime.build_engine_config()
    served = run_async(qtbot, ModelCatalog(config.llm.api_key, config.llm.base_url).models())
    problem = check_model(served, config.llm_model)  # what the session's start-up check finds
    app.bridge.deliver(problem)
    banner = app.window.banner
    qtbot.waitUntil(banner.isVisible, timeout=5_000)
    assert banner.text == "The language model llama-3.3-70b is no longer offered by Cerebras. Switch to gpt-oss-120b."
    assert banner._action_button.text() == "Switch to gpt-oss-120b"

    session = RecordingSession()
    app.controller._session = session
    qtbot.mouseClick(banner._action_button, Qt.MouseButton.LeftButton)
    app.controller._session = None
    assert session.calls == [("update_llm", "gpt-oss-120b", None, None)]  # temperature and tokens stay as they are
    assert app.settings.models.llm_model == "gpt-oss-120b" and saved(app)["models"]["llm_model"] == "gpt-oss-120b"
    assert not banner.isVisible() and app.window.status.currentMessage() == "Switched to gpt-oss-120b."
    assert app.settings_dialog.models_page.llm_model.currentText() == "gpt-oss-120b"
    assert app.runtime.build_engine_config().llm_model == "gpt-oss-120b", "the next session uses it too"


def test_a_voice_the_account_no_longer_has_on_the_banner_switches_with_one_click(start_app, qtbot):
    app = start_app({"voice": {"voice_id": RETIRED_VOICE_ID, "voice_name": "Rachel"}})
    problem = run_async(qtbot, check_voice(app.runtime.build_engine_config()))
    app.bridge.deliver(problem)
    banner = app.window.banner
    qtbot.waitUntil(banner.isVisible, timeout=5_000)
    assert banner.text == "The voice Rachel is no longer in your ElevenLabs account. Switch to Eric."

    session = RecordingSession()
    app.controller._session = session
    qtbot.mouseClick(banner._action_button, Qt.MouseButton.LeftButton)
    app.controller._session = None
    assert session.calls == [("set_voice", ERIC, "Eric")]
    assert saved(app)["voice"] == {"voice_id": ERIC, "voice_name": "Eric"}
    assert app.bridge.conversation.errors[-1] is problem, "kept with the session's other problems"
