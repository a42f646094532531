"""EngineBridge: events from the engine thread are applied on the Qt thread, coalesced into one signal per area."""

from __future__ import annotations

import threading

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area
from desktop_agent.ui import exception_guard
from desktop_agent.ui.bridge import EngineBridge
from tests.ui.conftest import exchange


def deliver_from_thread(bridge: EngineBridge, events: list[ev.Event]) -> None:
    thread = threading.Thread(target=lambda: [bridge.deliver(e) for e in events], name="fake-engine")
    thread.start()
    thread.join()


def test_a_burst_of_words_from_another_thread_is_applied_on_the_qt_thread_in_one_batch(qtbot):
    bridge = EngineBridge()
    applied_on: set[int] = set()
    per_event: list[Area] = []
    bridge.add_observer(lambda conversation, areas: (applied_on.add(threading.get_ident()), per_event.append(areas)))
    transcript_signals: list[None] = []
    bridge.transcript_changed.connect(lambda: transcript_signals.append(None))

    words = [ev.AssistantWordSpoken(f"word{i}") for i in range(100)]
    deliver_from_thread(bridge, [ev.AssistantTurnStarted(), *words])
    assert bridge.conversation.turns == []  # nothing is applied on the engine thread

    qtbot.waitUntil(lambda: len(per_event) == 101, timeout=5000)
    assert applied_on == {threading.get_ident()}
    assert bridge.batches == 1
    assert len(transcript_signals) == 1
    assert bridge.conversation.turns[0].text.split() == [f"word{i}" for i in range(100)]


def test_each_area_gets_its_own_signal_and_finished_turns_are_collected_across_the_batch(qtbot):
    bridge = EngineBridge()
    seen: dict[str, object] = {}
    for name in ("transcript_changed", "latency_changed", "usage_changed", "providers_changed", "levels_changed",
                 "agent_state_changed", "mode_changed", "session_changed"):
        getattr(bridge, name).connect(lambda *args, n=name: seen.setdefault(n, args))
    bridge.turns_finished.connect(lambda turns: seen.setdefault("turns_finished", turns))
    started: list[None] = []
    bridge.session_started.connect(lambda: started.append(None))

    events = [ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK, voice="Rachel"),
              ev.AgentStateChanged(ev.AgentState.LISTENING),
              ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED),
              *exchange("hello there", ["hi", "you"], {ev.Stage.VOICE_TO_VOICE: 0.7}),
              ev.UsageReported(ev.Provider.TTS, characters=6),
              ev.AudioLevel(0.2, 0.4)]
    deliver_from_thread(bridge, events)
    qtbot.waitUntil(lambda: "turns_finished" in seen, timeout=5000)

    assert set(seen) == {"transcript_changed", "latency_changed", "usage_changed", "providers_changed",
                         "levels_changed", "agent_state_changed", "mode_changed", "session_changed", "turns_finished"}
    assert [t.text for t in seen["turns_finished"]] == ["hello there", "hi you"]
    assert started == [None]


def test_errors_are_emitted_one_by_one_in_order(qtbot):
    bridge = EngineBridge()
    errors: list[ev.ErrorOccurred] = []
    bridge.error_occurred.connect(errors.append)
    first = ev.ErrorOccurred(ev.ErrorKind.AUTH, "ElevenLabs rejected the API key. Open Settings > Keys.")
    second = ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "Cerebras cannot be reached. Check your connection.")
    deliver_from_thread(bridge, [first, second])
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=5000)
    assert errors == [first, second]


def test_a_failing_listener_is_reported_and_does_not_stop_the_display(qtbot):
    reporter = exception_guard.install()
    try:
        bridge = EngineBridge()
        problems: list[str] = []
        reporter.problem.connect(problems.append)

        def broken(conversation, areas):
            raise RuntimeError("listener bug")

        bridge.add_observer(broken)
        bridge.deliver(ev.UserTranscript("still shown", final=True))
        qtbot.waitUntil(lambda: bool(bridge.conversation.turns), timeout=5000)
        assert bridge.conversation.turns[0].text == "still shown"
        qtbot.waitUntil(lambda: bool(problems), timeout=5000)
        assert "RuntimeError" in problems[0] and "Traceback" not in problems[0]
    finally:
        exception_guard.uninstall()


def test_after_close_late_events_are_dropped(qtbot):
    bridge = EngineBridge()
    bridge.close()
    bridge.deliver(ev.UserTranscript("too late", final=True))
    qtbot.wait(50)
    assert bridge.flush() is Area.NONE
    assert bridge.conversation.turns == []


@pytest.mark.parametrize("count", [1, 7])
def test_flush_applies_everything_pending_synchronously(qtbot, count):
    bridge = EngineBridge()
    for i in range(count):
        bridge.deliver(ev.UserTranscript(f"part{i}", final=True))
    assert bridge.flush() & Area.TRANSCRIPT
    assert bridge.conversation.turns[0].text == " ".join(f"part{i}" for i in range(count))
    assert bridge.flush() is Area.NONE
