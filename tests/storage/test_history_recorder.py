"""HistoryRecorder: a real Conversation fed with engine events is recorded into a real store on a writer thread."""

from __future__ import annotations

import threading

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation, Role
from desktop_agent.storage.history import HistoryStore
from desktop_agent.storage.recorder import HistoryRecorder
from tests.storage.conftest import make_turn
from tests.storage.scripted import Script, latencies_for


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite3")
    yield store
    store.close()


@pytest.fixture
def recorder(store):
    recorder = HistoryRecorder(store)
    yield recorder
    recorder.close()


def test_finished_turns_usage_and_cost_are_recorded_and_survive_a_restart(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    recorder = HistoryRecorder(store)
    conversation = Conversation()
    script = Script(conversation, recorder)
    script.start(voice="Rachel", prompt_name="General assistant")
    script.user_says("What's the weather in Paris?")
    script.assistant_says("Sunny and twenty degrees.", latencies_for(1))
    script.user_says("And tomorrow?")
    script.assistant_says("Rain in the", latencies_for(2), interrupted=True)
    script.user_says("Never mind")  # finished user turn, no reply yet
    recorder.close()
    store.close()

    with HistoryStore(path) as reopened:
        (summary,) = reopened.list_conversations()
        stored = reopened.get_conversation(summary.id)
    assert [(t.role, t.text, t.interrupted) for t in stored.turns] == [
        (Role.USER, "What's the weather in Paris?", False),
        (Role.ASSISTANT, "Sunny and twenty degrees.", False),
        (Role.USER, "And tomorrow?", False),
        (Role.ASSISTANT, "Rain in the", True),
        (Role.USER, "Never mind", False),
    ]
    assert stored.turns[1].latencies == latencies_for(1)
    assert stored.turns[3].latencies == latencies_for(2)
    assert [t.started_at for t in stored.turns] == [t.started_at for t in conversation.turns]
    assert [t.ended_at for t in stored.turns] == [t.ended_at for t in conversation.turns]
    assert stored.usage == conversation.usage
    assert stored.cost_usd == pytest.approx(conversation.cost_usd) and stored.cost_usd > 0
    assert (stored.voice, stored.prompt_name, stored.title) == ("Rachel", "General assistant", "What's the weather in Paris?")
    assert stored.started_at == conversation.turns[0].started_at


def test_a_reply_the_voice_could_not_say_and_one_cut_off_midway_are_recorded_with_their_marks(store, recorder):
    script = Script(Conversation(), recorder)
    script.start()
    script.user_says("What's the weather?")
    script.assistant_starts(latencies_for(1))
    script.feed(ev.AssistantTurnEnded(text="Sunny all day.", interrupted=False, spoken=False))
    script.user_says("And tomorrow?")
    script.assistant_starts(latencies_for(2))
    script.assistant_word("Rain")
    script.feed(ev.AssistantTurnEnded(text="Rain in the", interrupted=False, complete=False))
    assert recorder.flush(timeout=10)

    stored = store.get_conversation(store.list_conversations()[0].id)
    assert [(t.role, t.text, t.spoken, t.complete) for t in stored.turns] == [
        (Role.USER, "What's the weather?", True, True),
        (Role.ASSISTANT, "Sunny all day.", False, True),
        (Role.USER, "And tomorrow?", True, True),
        (Role.ASSISTANT, "Rain in the", True, False),
    ]


def test_each_turn_is_committed_when_it_finishes_without_a_flush(store, recorder, tmp_path):
    script = Script(Conversation(), recorder)
    script.start()
    script.user_says("Hello")
    other = HistoryStore(tmp_path / "history.sqlite3")  # a second connection, as after a restart
    try:
        assert recorder.flush(timeout=10)
        (summary,) = other.list_conversations()
        assert summary.turn_count == 1
        script.assistant_starts(latencies_for(1))
        script.assistant_word("Hi")
        assert recorder.flush(timeout=10)
        assert other.list_conversations()[0].turn_count == 1, "an unfinished turn is not stored"
    finally:
        other.close()


def test_on_change_never_waits_for_the_disk(store, recorder):
    """While another thread holds the store (as a slow disk would), on_change still returns and the turn waits
    in the queue; it is written as soon as the store is free."""
    holding, release = threading.Event(), threading.Event()

    def hold_store():
        with store._lock:
            holding.set()
            release.wait(30)

    blocker = threading.Thread(target=hold_store)
    blocker.start()
    try:
        assert holding.wait(10)
        script = Script(Conversation(), recorder)
        script.start()
        script.user_says("Are you there?")
        script.assistant_says("Yes.", latencies_for(1))
        assert recorder.committed_turns == 0
        assert recorder.flush(timeout=0.2) is False, "the writer is stuck behind the held store, the caller is not"
    finally:
        release.set()
        blocker.join()
    assert recorder.flush(timeout=10)
    assert recorder.committed_turns == 2
    assert store.list_conversations()[0].turn_count == 2


def test_a_reset_starts_a_new_stored_conversation_and_empty_ones_are_not_stored(store, recorder):
    script = Script(Conversation(), recorder)
    script.start()
    script.user_says("First conversation")
    script.assistant_says("Noted.", latencies_for(1))
    script.feed(ev.ConversationReset())
    script.feed(ev.ConversationReset())  # nothing said in between: no empty entry
    script.user_says("Second conversation")
    recorder.flush(timeout=10)
    listed = store.list_conversations()
    assert [c.title for c in listed] == ["Second conversation", "First conversation"]
    assert [c.turn_count for c in listed] == [1, 2]
    newest = store.get_conversation(listed[0].id)
    assert newest.usage.stt_audio_seconds == pytest.approx(1.5), "usage restarts with the new conversation"


def test_a_new_conversation_object_starts_a_new_entry(store, recorder):
    Script(Conversation(), recorder).user_says("one")
    Script(Conversation(), recorder).user_says("two")
    recorder.flush(timeout=10)
    assert [c.title for c in store.list_conversations()] == ["two", "one"]


def test_keep_history_off_records_nothing_until_switched_back_on(store):
    recorder = HistoryRecorder(store, keep_history=False)
    try:
        script = Script(Conversation(), recorder)
        script.start()
        script.user_says("Do not keep this")
        script.assistant_says("I won't.", latencies_for(1))
        recorder.flush(timeout=10)
        assert store.list_conversations() == []
        recorder.set_privacy(keep_history=True, retention_days=0)
        script.user_says("Keep this one")
        recorder.flush(timeout=10)
        (summary,) = store.list_conversations()
        assert [t.text for t in store.get_conversation(summary.id).turns] == ["Keep this one"]
    finally:
        recorder.close()


def test_recording_goes_on_after_the_conversation_is_deleted_from_history(store, recorder):
    script = Script(Conversation(), recorder)
    script.user_says("Before the delete")
    recorder.flush(timeout=10)
    store.delete_all()
    script.assistant_says("After the delete", latencies_for(1))
    recorder.flush(timeout=10)
    (summary,) = store.list_conversations()
    assert [t.text for t in store.get_conversation(summary.id).turns] == ["After the delete"]
    assert recorder.last_error is None


def test_usage_bursts_end_with_the_latest_totals(store, recorder):
    conversation = Conversation()
    script = Script(conversation, recorder)
    script.user_says("Count")
    for _ in range(500):
        script.feed(ev.UsageReported(provider=ev.Provider.TTS, characters=3))
    recorder.flush(timeout=10)
    stored = store.get_conversation(store.list_conversations()[0].id)
    assert stored.usage.tts_characters == 1500 == conversation.usage.tts_characters
    assert stored.cost_usd == pytest.approx(conversation.cost_usd)


def test_voice_and_prompt_changes_are_kept(store, recorder):
    script = Script(Conversation(), recorder)
    script.start(voice="Rachel", prompt_name="General assistant")
    script.user_says("Hello")
    script.feed(ev.SettingsApplied(voice="Adam", prompt_name="Pirate"))
    recorder.flush(timeout=10)
    stored = store.get_conversation(store.list_conversations()[0].id)
    assert (stored.voice, stored.prompt_name) == ("Adam", "Pirate")


def test_a_failed_write_is_reported_as_a_sentence(store):
    messages = []
    recorder = HistoryRecorder(store, on_error=messages.append)
    try:
        store.close()
        Script(Conversation(), recorder).user_says("Lost")
        recorder.flush(timeout=10)
    finally:
        recorder.close()
    assert messages == ["The conversation history is closed."]
    assert recorder.last_error == messages[0]


def test_retention_purges_old_conversations_when_recording_starts(store):
    old = store.begin_conversation(started_at=1_000_000.0)
    store.record_turn(old, make_turn(1, Role.USER, "ancient", 1_000_000.0))
    recorder = HistoryRecorder(store, retention_days=30)
    try:
        assert recorder.flush(timeout=10)
        assert store.list_conversations() == []
    finally:
        recorder.close()


def test_close_writes_what_is_queued_and_later_changes_are_ignored(store):
    recorder = HistoryRecorder(store)
    script = Script(Conversation(), recorder)
    script.user_says("Queued before close")
    recorder.close()
    assert store.list_conversations()[0].turn_count == 1
    script.assistant_says("After close", latencies_for(1))
    assert recorder.flush(timeout=1)
    assert store.list_conversations()[0].turn_count == 1


def test_a_stage_figure_that_arrives_after_its_reply_was_stored_is_stored_with_that_reply(store, recorder):
    conversation = Conversation()
    script = Script(conversation, recorder)
    script.start()
    script.user_says("What's the capital of France?")
    figures = latencies_for(1)
    late = {ev.Stage.VOICE_TO_VOICE: figures.pop(ev.Stage.VOICE_TO_VOICE)}
    for stage, seconds in figures.items():
        script.feed(ev.StageLatency(stage=stage, seconds=seconds, user_turn=1))
    script.feed(ev.AssistantTurnStarted(user_turn=1))
    script.assistant_word("Paris.")
    script.feed(ev.AssistantTurnEnded(text="Paris.", interrupted=False, user_turn=1))
    assert recorder.flush(5)
    [summary] = store.list_conversations()
    assert store.get_conversation(summary.id).turns[1].latencies == figures  # stored as it ended
    for stage, seconds in late.items():
        script.feed(ev.StageLatency(stage=stage, seconds=seconds, user_turn=1))
    script.user_says("And of Italy?")
    script.assistant_says("Rome.", {})
    assert recorder.flush(5)
    turns = store.get_conversation(summary.id).turns
    assert [t.text for t in turns] == ["What's the capital of France?", "Paris.", "And of Italy?", "Rome."]
    assert turns[1].latencies == latencies_for(1)
    assert turns[3].latencies == {}
