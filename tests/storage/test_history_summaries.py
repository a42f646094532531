"""Summaries and continued conversations in the history store and its recorder: migration 4 (older conversations
get none and none is due), what is saved, searched and exported, the recorder marking a conversation as due when it
ends (session ended, reset) and not when summaries are off, and a continued conversation's new turns stored after
its old ones under the same id."""

from __future__ import annotations

import json
import sqlite3

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation, Role
from desktop_agent.storage.continuation import context_messages
from desktop_agent.storage.export import to_json, to_markdown
from desktop_agent.storage.history import HistoryStore
from desktop_agent.storage.recorder import HistoryRecorder
from tests.storage.sample import record_weather_conversation
from tests.storage.scripted import Script, latencies_for
from tests.storage.test_history_schema import V2_SCHEMA

FIELDS = {"action_items": ["Book the train to Lyon", "Pack an umbrella"], "follow_up_date": "2024-05-03"}


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite3")
    yield store
    store.close()


def test_a_version_3_file_is_upgraded_without_summaries_and_none_is_due(tmp_path):
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        V2_SCHEMA.replace("PRAGMA user_version = 2;", "")
        + "ALTER TABLE turns ADD COLUMN spoken INTEGER NOT NULL DEFAULT 1;"
        + "ALTER TABLE turns ADD COLUMN complete INTEGER NOT NULL DEFAULT 1; PRAGMA user_version = 3;"
    )
    conn.close()
    with HistoryStore(path) as store:
        (stored,) = store.get_all_conversations()
        assert (stored.title, stored.summary, stored.fields) == ("From version one", "", {})
        assert store.summaries_due() == []  # a summary of every old conversation would cost without being asked
        store.mark_summary_due(stored.id)
        assert store.summaries_due() == [stored.id]


def test_a_saved_summary_is_listed_searched_and_exported(store):
    conversation_id = record_weather_conversation(store)
    store.mark_summary_due(conversation_id)
    store.save_summary(conversation_id, "Paris weather and a trip", "The user planned a rainy trip to Lyon.", FIELDS)

    assert store.summaries_due() == []
    (row,) = store.list_conversations()
    assert (row.title, row.summary) == ("Paris weather and a trip", "The user planned a rainy trip to Lyon.")
    # Words only the summary or a field holds find the conversation; the summary is the snippet shown.
    assert [c.snippet for c in store.list_conversations("rainy")] == ["The user planned a rainy trip to Lyon."]
    assert [c.id for c in store.list_conversations("umbrella")] == [conversation_id]
    assert store.list_conversations("volcano") == []

    stored = store.get_conversation(conversation_id)
    exported = json.loads(to_json(stored))
    assert exported["summary"] == "The user planned a rainy trip to Lyon."
    assert exported["fields"] == FIELDS
    assert exported["title"] == "Paris weather and a trip"
    markdown = to_markdown(stored)
    summary_part = markdown.split("## Summary\n", 1)[1].split("## Transcript", 1)[0]
    assert "The user planned a rainy trip to Lyon." in summary_part
    assert "- action\\_items: Book the train to Lyon; Pack an umbrella" in summary_part
    assert "- follow\\_up\\_date: 2024-05-03" in summary_part


def test_an_empty_extracted_title_keeps_the_one_from_the_first_words(store):
    conversation_id = record_weather_conversation(store)
    before = store.get_conversation(conversation_id).title
    store.save_summary(conversation_id, "", "A summary.", {})
    assert store.get_conversation(conversation_id).title == before
    assert store.get_conversation(conversation_id).fields == {}


def _recorder(store, **kwargs):
    finished: list[int] = []
    recorder = HistoryRecorder(store, summaries=True, on_finished=finished.append, **kwargs)
    return recorder, finished


def test_an_ended_session_and_a_reset_each_end_the_conversation_once(store):
    recorder, finished = _recorder(store)
    script = Script(Conversation(), recorder)
    try:
        script.start()
        script.user_says("Plan my trip to Lyon")
        script.assistant_says("Take the morning train.", latencies_for(1))
        script.feed(ev.SessionEnded(reason="end_conversation"))
        script.feed(ev.SettingsApplied(voice="Other"))  # still ended: not a second ending
        assert recorder.flush(timeout=10)
        (first,) = store.list_conversations()
        assert finished == [first.id] and store.summaries_due() == [first.id]

        script.start()  # the next session goes on in the same transcript, so in the same stored conversation
        script.user_says("And back on Sunday")
        script.assistant_says("The evening train then.", latencies_for(2))
        script.feed(ev.ConversationReset())  # the new-conversation button
        script.user_says("Something else")
        script.feed(ev.SessionEnded(reason="stopped"))
        assert recorder.flush(timeout=10)
        second, _first_again = store.list_conversations()
        assert finished == [first.id, first.id, second.id]
        assert len(store.get_conversation(first.id).turns) == 4
    finally:
        recorder.close()


def test_with_summaries_off_nothing_is_due(store):
    recorder, finished = _recorder(store)
    recorder.summaries = False
    script = Script(Conversation(), recorder)
    try:
        script.start()
        script.user_says("Hello")
        script.feed(ev.SessionEnded(reason="stopped"))
        assert recorder.flush(timeout=10)
        assert finished == [] and store.summaries_due() == []
        assert len(store.list_conversations()) == 1
    finally:
        recorder.close()


def test_a_continued_conversation_gets_its_new_turns_after_the_old_ones(store):
    conversation_id = record_weather_conversation(store)
    old = store.get_conversation(conversation_id)
    recorder, finished = _recorder(store)
    conversation = Conversation()
    script = Script(conversation, recorder)
    try:
        recorder.continue_conversation(conversation_id, old.last_seq, old.started_at)
        script.start()  # a new session: no transcript yet, and it stays the continued conversation
        script.feed(ev.SettingsApplied(voice="Rachel"))
        script.user_says("And in Lyon?")
        script.assistant_says("Cloudy.", latencies_for(3))
        script.feed(ev.SessionEnded(reason="stopped"))
        assert recorder.flush(timeout=10)
    finally:
        recorder.close()
    assert [c.id for c in store.list_conversations()] == [conversation_id]
    stored = store.get_conversation(conversation_id)
    assert [(t.role, t.text) for t in stored.turns][-2:] == [(Role.USER, "And in Lyon?"), (Role.ASSISTANT, "Cloudy.")]
    assert stored.turns[: len(old.turns)] == old.turns and len(stored.turns) == len(old.turns) + 2
    assert old.last_seq < stored.turns[-2].seq < stored.turns[-1].seq
    assert finished == [conversation_id]  # summarized again: it has something new


def test_the_context_of_a_continued_conversation_keeps_the_last_exchanges(store):
    conversation_id = store.begin_conversation()
    turns = Conversation()
    recorder, _ = _recorder(store)
    recorder.summaries = False
    script = Script(turns, recorder)
    try:
        script.start()
        for n in range(1, 5):
            script.user_says(f"Question {n}")
            script.assistant_says(f"Answer {n}", latencies_for(n))
        assert recorder.flush(timeout=10)
    finally:
        recorder.close()
    (row,) = [c for c in store.list_conversations() if c.id != conversation_id]
    stored = store.get_conversation(row.id)
    assert context_messages(stored, 2) == [
        {"role": "user", "content": "Question 3"},
        {"role": "assistant", "content": "Answer 3"},
        {"role": "user", "content": "Question 4"},
        {"role": "assistant", "content": "Answer 4"},
    ]
    assert len(context_messages(stored, 0)) == 8
