"""The runtime the window and the console share: settings, simulator, history, engine configuration, saving, and a
teardown that closes the history store and stops the simulator exactly once, whatever happened before it.

Real parts throughout (settings files in a temporary home, the history database, the loopback simulator on its
thread); the counting wrappers only count calls to the real ``close`` and ``stop``.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest

import desktop_agent.simulator as simulator_package
from desktop_agent.config.engine_config import ConfigurationError
from desktop_agent.runtime import SETTINGS_STILL_LOADING, Runtime, SettingsNotSaved
from desktop_agent.simulator import SIMULATOR_API_KEYS, SimulatorThread
from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore


@pytest.fixture
def calls(monkeypatch) -> dict[str, int]:
    """How often the real HistoryStore.close and SimulatorThread.stop were called."""
    counts = {"history closed": 0, "simulator stopped": 0}
    close, stop = HistoryStore.close, SimulatorThread.stop

    def counting_close(self: HistoryStore) -> None:
        counts["history closed"] += 1
        close(self)

    def counting_stop(self: SimulatorThread, timeout: float = 10.0) -> None:
        counts["simulator stopped"] += 1
        stop(self, timeout)

    monkeypatch.setattr(HistoryStore, "close", counting_close)
    monkeypatch.setattr(SimulatorThread, "stop", counting_stop)
    return counts


def assert_closed(store: HistoryStore | None) -> None:
    assert store is not None
    with pytest.raises(ConversationHistoryUnavailable):
        store.list_conversations()


@pytest.mark.asyncio
async def test_teardown_closes_the_history_and_stops_the_simulator_once(isolated_user_dirs, calls):
    runtime = Runtime(simulate=True, profile="instant")
    await runtime.load_settings()
    assert await runtime.start_simulator() == ""
    simulator = runtime.simulator
    assert isinstance(simulator, SimulatorThread) and simulator.loop is not None
    assert runtime.open_history() == []
    store = runtime.history_store
    assert store is not None and store.list_conversations() == []
    config = runtime.build_engine_config()  # on the simulator's addresses and public keys
    assert config.llm.base_url.startswith("http://127.0.0.1:")

    await asyncio.gather(runtime.aclose(), runtime.aclose())  # two exit paths at once
    await runtime.aclose()  # and a third afterwards
    assert calls == {"history closed": 1, "simulator stopped": 1}
    assert_closed(store)
    assert simulator.loop is None, "the simulator's thread has stopped"
    assert runtime.closed
    assert runtime.open_history() == [] and runtime.history_store is store, "nothing opens after the teardown"
    assert await runtime.start_simulator() == "" and runtime.simulator is simulator


@pytest.mark.asyncio
async def test_after_a_failed_start_the_teardown_still_closes_what_was_opened(isolated_user_dirs, calls, monkeypatch):
    async def refuse(profile: str) -> tuple[None, str]:
        return None, "The built-in provider simulator could not start (OSError)."

    monkeypatch.setattr(simulator_package, "start_simulator_thread", refuse)
    runtime = Runtime(simulate=True, profile="instant")
    await runtime.load_settings()
    assert runtime.open_history() == []
    assert await runtime.start_simulator() == "The built-in provider simulator could not start (OSError)."
    assert runtime.simulator is None and not runtime.simulating
    with pytest.raises(ValueError, match="--simulate never uses your keys"):
        runtime.build_engine_config()  # never the real providers instead
    store = runtime.history_store
    await runtime.aclose()
    await runtime.aclose()
    assert calls == {"history closed": 1, "simulator stopped": 0}
    assert_closed(store)


@pytest.mark.asyncio
async def test_a_simulator_still_starting_at_teardown_is_stopped_once(isolated_user_dirs, calls, monkeypatch):
    """The window can close while the simulator starts: the teardown has nothing to stop yet, the start stops it."""
    release = threading.Event()
    started: list[SimulatorThread] = []

    async def slow_start(profile: str) -> tuple[SimulatorThread, str]:
        simulator = SimulatorThread(profile=profile)
        await asyncio.to_thread(release.wait, 30)
        await asyncio.to_thread(simulator.start)
        started.append(simulator)
        return simulator, ""

    monkeypatch.setattr(simulator_package, "start_simulator_thread", slow_start)
    runtime = Runtime(simulate=True, profile="instant")
    starting = asyncio.ensure_future(runtime.start_simulator())
    await asyncio.sleep(0)
    await runtime.aclose()
    release.set()
    assert await asyncio.wait_for(starting, 30) == ""
    await runtime.aclose()
    assert runtime.simulator is None
    assert started and started[0].loop is None
    assert calls["simulator stopped"] == 1


@pytest.mark.asyncio
async def test_a_simulator_handed_in_is_used_but_never_stopped(isolated_user_dirs, calls):
    with SimulatorThread(profile="instant") as simulator:
        runtime = Runtime(simulate=True, simulator=simulator, record_history=False)
        await runtime.load_settings()
        assert await runtime.start_simulator() == "" and runtime.simulator is simulator and runtime.simulating
        assert runtime.build_engine_config().tts.api_key == SIMULATOR_API_KEYS["elevenlabs"]
        await runtime.aclose()
        assert calls["simulator stopped"] == 0 and simulator.loop is not None
        assert runtime.history_store is None, "record_history=False keeps history closed"


@pytest.mark.asyncio
async def test_history_that_cannot_be_opened_is_one_sentence(isolated_user_dirs, monkeypatch, calls):
    blocked = isolated_user_dirs / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    runtime = Runtime()
    await runtime.load_settings()
    [sentence] = runtime.open_history()
    assert sentence.startswith(f"Conversation history is off: the folder {blocked / 'desktop-agent'} cannot be created")
    assert "Errno" not in sentence and runtime.history_store is None and runtime.recorder is None
    await runtime.aclose()
    assert calls["history closed"] == 0


@pytest.mark.asyncio
async def test_history_stays_closed_when_the_settings_say_not_to_keep_it(isolated_user_dirs):
    runtime = Runtime()
    assert runtime.open_history() == [] and runtime.history_store is None, "nothing before the settings are read"
    loaded = await runtime.load_settings()
    loaded.settings.privacy.keep_history = False
    assert runtime.open_history() == [] and runtime.history_store is None
    await runtime.aclose()


@pytest.mark.asyncio
async def test_the_engine_configuration_needs_the_settings_and_their_keys(isolated_user_dirs):
    runtime = Runtime()
    with pytest.raises(ValueError, match=SETTINGS_STILL_LOADING):
        runtime.build_engine_config()
    await runtime.load_settings()
    with pytest.raises(ConfigurationError) as refused:  # no keys in this home, no simulator
        runtime.build_engine_config()
    assert refused.value.missing_keys and all("API key is missing" in p for p in refused.value.problems)
    await runtime.aclose()


@pytest.mark.asyncio
async def test_saving_the_settings_writes_them_or_says_why_not(isolated_user_dirs):
    folder = isolated_user_dirs / "settings"
    runtime = Runtime(config_dir=folder)
    assert runtime.save_settings() is False, "nothing loaded, nothing to write"
    loaded = await runtime.load_settings()
    loaded.settings.models.llm_model = "gpt-oss-120b"
    assert runtime.save_settings() is True
    assert '"gpt-oss-120b"' in loaded.store.path.read_text()

    shutil.rmtree(folder)  # the folder turns into a file: the next save cannot write
    folder.write_text("")
    with pytest.raises(SettingsNotSaved) as not_saved:
        runtime.save_settings()
    assert not_saved.value.path == Path(loaded.store.path) and not_saved.value.reason
    assert str(not_saved.value) == (
        f"Settings could not be saved to {loaded.store.path} ({not_saved.value.reason}); the change applies to this "
        "session only."
    )
    await runtime.aclose()


@pytest.mark.asyncio
async def test_the_fault_presets_reach_the_emulators_playing_each_role(isolated_user_dirs, monkeypatch):
    from desktop_agent.state.events import Provider

    monkeypatch.setenv("DESKTOP_AGENT_PROVIDERS__LLM", "groq")
    monkeypatch.setenv("DESKTOP_AGENT_PROVIDERS__STT", "deepgram")
    runtime = Runtime(simulate=False)
    assert runtime.emulators_playing() == {Provider.STT: "cartesia", Provider.LLM: "cerebras",
                                           Provider.TTS: "elevenlabs"}, "before the settings: the defaults"
    await runtime.load_settings()
    assert runtime.emulators_playing() == {Provider.STT: "deepgram", Provider.LLM: "groq", Provider.TTS: "elevenlabs"}
    await runtime.aclose()
