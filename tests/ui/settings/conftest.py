"""The settings panel under test: real settings files, prompt library and keyring classes, the loopback simulator
for provider calls, and the qasync loop for the panel's async work."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring.backends import fail

from desktop_agent.config.environment import Environment
from desktop_agent.config.prompts import PromptLibrary
from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import SettingsStore
from desktop_agent.simulator import SimulatorThread
from desktop_agent.ui.settings import SettingsDialog


@pytest.fixture(autouse=True)
def collect_garbage_on_the_qt_thread() -> Iterator[None]:
    """Run the cyclic garbage collector here, on the Qt thread, before and after each test (after qloop's teardown).

    Left to itself, Python collects garbage in whichever thread allocates next, here often PortAudio's callback
    thread or a worker thread. A closed qasync loop's unparented timer QObject destroyed there leaves its timer
    registered with the Qt thread, and the next timer tick dereferences the freed object: a segfault in
    ``QTimerInfoList::activateTimers`` (seen under gdb in this suite).
    """
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
def sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(profile="instant") as simulator:
        yield simulator


@pytest.fixture
def config_dir(tmp_path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    return folder


@pytest.fixture
def make_dialog(qtbot, qloop, tmp_path, config_dir, sim) -> Callable[..., SettingsDialog]:
    """``make_dialog(environ={...}, backend=None, simulate=True, audio_backend=None)``.

    ``backend`` is the keyring backend (default: keyring's "fail" backend, i.e. no keyring, as on Linux without a
    Secret Service); ``simulate`` hands the dialog the simulator, as ``--simulate`` does.
    """

    def make(environ: dict[str, str] | None = None, backend=None, simulate: bool = True, audio_backend=None):
        cwd = tmp_path / "cwd"
        cwd.mkdir(exist_ok=True)
        env = Environment.load(config_dir=config_dir, cwd=cwd, environ=environ or {})
        secrets = Secrets(environment=env, backend=backend or fail.Keyring(), config_dir=config_dir)
        store = SettingsStore(config_dir / "settings.json", env, secrets)
        settings, problems = store.load()
        prompts = PromptLibrary(config_dir / "prompts.json")
        dialog = SettingsDialog(store, settings, secrets, prompts, simulator=sim if simulate else None,
                                audio_backend=audio_backend, problems=problems)
        qtbot.addWidget(dialog)
        return dialog

    return make


def saved_settings(config_dir: Path) -> dict:
    import json

    return json.loads((config_dir / "settings.json").read_text())
