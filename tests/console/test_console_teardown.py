"""The console's teardown is the runtime's, shared with the window: the history store is closed and the simulator it
started is stopped, once, also when the conversation could not start.

Real parts: the settings in a temporary home, the history database, ``--simulate``'s own simulator thread. The one
fake is a session class that refuses to start (a broken engine install); the counting wrappers only count calls.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os

import pytest

from desktop_agent.console.app import ConsoleApp
from desktop_agent.simulator import SimulatorThread
from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore


@pytest.mark.asyncio
async def test_a_session_that_cannot_start_still_closes_the_history_and_stops_the_simulator(
    isolated_user_dirs, monkeypatch
):
    import desktop_agent.engine.session as session_module

    class BrokenSession:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("engine exploded")

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
    monkeypatch.setattr(session_module, "VoiceSession", BrokenSession)
    out = io.StringIO()
    args = argparse.Namespace(simulate=True, profile="instant", no_audio=True, log_level="INFO")
    read_fd, write_fd = os.pipe()
    try:
        app = ConsoleApp(args, stdin=os.fdopen(read_fd, "r"), stdout=out)
        code = await asyncio.wait_for(app.run(), 60)
    finally:
        os.close(write_fd)
    assert code == 1
    assert "! The conversation could not start (RuntimeError); details are in the log." in out.getvalue().splitlines()
    store, simulator = app.runtime.history_store, app.simulator
    assert isinstance(simulator, SimulatorThread) and simulator.loop is None
    assert store is not None, "the history was open before the session was to start"
    with pytest.raises(ConversationHistoryUnavailable):
        store.list_conversations()
    await app.runtime.aclose()  # once more: nothing left to do
    assert counts == {"history closed": 1, "simulator stopped": 1}
