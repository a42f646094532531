"""The wiring app.py uses: engine events delivered from another thread through the real EngineBridge reach the
HistoryRecorder (a bridge observer), land in the store, and show up in the history view."""

from __future__ import annotations

import threading

from desktop_agent.state import events as ev
from desktop_agent.storage.history import HistoryStore
from desktop_agent.storage.recorder import HistoryRecorder
from desktop_agent.ui.bridge import EngineBridge
from desktop_agent.ui.history import HistoryView
from tests.storage.scripted import latencies_for


def _engine_events() -> list[ev.Event]:
    events: list[ev.Event] = [ev.SessionStarted(mode=ev.TurnMode.HANDS_FREE, voice="Rachel", prompt_name="Tutor")]
    events += [ev.UserTranscript(text="Teach me", final=False), ev.UserTranscript(text="Teach me a word", final=True)]
    events += [ev.UserTurnEnded(text="Teach me a word")]
    events += [ev.StageLatency(stage=stage, seconds=s) for stage, s in latencies_for(3).items()]
    events += [ev.AssistantTurnStarted(), ev.UsageReported(provider=ev.Provider.LLM, prompt_tokens=80, completion_tokens=9)]
    events += [ev.AssistantWordSpoken(word=w) for w in "Serendipity means a happy accident.".split()]
    events += [ev.AssistantTurnEnded(text="Serendipity means a happy accident.", interrupted=False)]
    return events


def test_events_from_the_engine_thread_are_recorded_and_listed(qtbot, qloop, tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite3")
    recorder = HistoryRecorder(store)
    bridge = EngineBridge()
    bridge.add_observer(recorder.on_change)
    try:
        engine = threading.Thread(target=lambda: [bridge.deliver(e) for e in _engine_events()])
        engine.start()
        engine.join()
        qtbot.waitUntil(lambda: len(bridge.conversation.turns) == 2 and bridge.conversation.turns[1].finished, timeout=5000)
        assert recorder.flush(timeout=10)

        view = HistoryView(store)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: view.conversation_list.count() == 1, timeout=5000)
        view.conversation_list.setCurrentRow(0)
        qtbot.waitUntil(lambda: view.reader.conversation is not None, timeout=5000)
        stored = view.reader.conversation
        assert [t.text for t in stored.turns] == ["Teach me a word", "Serendipity means a happy accident."]
        assert stored.turns[1].latencies == latencies_for(3)
        assert (stored.voice, stored.prompt_name) == ("Rachel", "Tutor")
        assert stored.cost_usd == bridge.conversation.cost_usd > 0
    finally:
        bridge.close()
        recorder.close()
        store.close()
