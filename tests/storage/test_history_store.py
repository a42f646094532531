"""HistoryStore against a real SQLite file: round trips, listing, search, deletion, retention."""

from __future__ import annotations

import sqlite3

import pytest

from desktop_agent.state.conversation import Role, UsageTotals
from desktop_agent.state.events import Stage
from desktop_agent.storage.history import (
    ConversationHistoryUnavailable,
    ConversationNotFound,
    HistoryStore,
    default_history_path,
)
from tests.storage.conftest import T0, make_turn


@pytest.fixture
def db(tmp_path):
    return tmp_path / "history.sqlite3"


def test_default_location_is_the_user_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_history_path() == tmp_path / "data" / "desktop-agent" / "history.sqlite3"
    store = HistoryStore()
    try:
        assert store.path.is_file()
    finally:
        store.close()


def test_a_conversation_survives_closing_and_reopening(db, clock):
    store = HistoryStore(db, clock=clock)
    conv = store.begin_conversation(voice="Rachel", prompt_name="General assistant", started_at=T0)
    store.record_turn(conv, make_turn(1, Role.USER, "What's the weather in Paris?", T0, T0 + 2.5))
    store.record_turn(
        conv,
        make_turn(
            2,
            Role.ASSISTANT,
            "It is sunny and",
            T0 + 3.0,
            T0 + 4.2,
            interrupted=True,
            latencies={Stage.VOICE_TO_VOICE: 0.71, Stage.ENDPOINTING: 0.12, Stage.LLM_FIRST_TOKEN: 0.21},
        ),
    )
    store.record_usage(conv, UsageTotals(120, 30, 15, 2.5), 0.0012)
    store.close()

    reopened = HistoryStore(db)
    try:
        stored = reopened.get_conversation(conv)
    finally:
        reopened.close()
    assert stored is not None
    assert (stored.voice, stored.prompt_name, stored.started_at, stored.ended_at) == (
        "Rachel",
        "General assistant",
        T0,
        T0 + 4.2,
    )
    assert stored.title == "What's the weather in Paris?", "an untitled conversation is named after its first words"
    assert stored.usage == UsageTotals(120, 30, 15, 2.5)
    assert stored.cost_usd == pytest.approx(0.0012)
    assert [(t.seq, t.role, t.text, t.interrupted) for t in stored.turns] == [
        (1, Role.USER, "What's the weather in Paris?", False),
        (2, Role.ASSISTANT, "It is sunny and", True),
    ]
    assert stored.turns[0].latencies == {}
    assert list(stored.turns[1].latencies.items()) == [
        (Stage.ENDPOINTING, 0.12),
        (Stage.LLM_FIRST_TOKEN, 0.21),
        (Stage.VOICE_TO_VOICE, 0.71),
    ], "latencies come back keyed by Stage, in pipeline order"


def test_the_file_uses_write_ahead_logging(db):
    HistoryStore(db).close()
    other = sqlite3.connect(db)
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        other.close()


def test_recording_a_turn_again_replaces_it(db):
    with HistoryStore(db) as store:
        conv = store.begin_conversation(started_at=T0)
        store.record_turn(conv, make_turn(1, Role.ASSISTANT, "Hel", T0, latencies={Stage.TTS_FIRST_AUDIO: 0.3}))
        store.record_turn(conv, make_turn(1, Role.ASSISTANT, "Hello there", T0, latencies={Stage.STT_FINAL: 0.2}))
        (turn,) = store.get_conversation(conv).turns
    assert turn.text == "Hello there"
    assert turn.latencies == {Stage.STT_FINAL: 0.2}


def test_a_reply_not_spoken_or_cut_off_keeps_its_marks_and_a_later_recording_updates_them(db):
    with HistoryStore(db) as store:
        conv = store.begin_conversation(started_at=T0)
        store.record_turn(conv, make_turn(1, Role.USER, "Tell me a story", T0))
        store.record_turn(conv, make_turn(2, Role.ASSISTANT, "Once upon a time.", T0 + 2, spoken=False))
        store.record_turn(conv, make_turn(3, Role.ASSISTANT, "There was a", T0 + 5, complete=False))
        assert [(t.seq, t.spoken, t.complete) for t in store.get_conversation(conv).turns] == [
            (1, True, True),
            (2, False, True),
            (3, True, False),
        ]
        store.record_turn(conv, make_turn(3, Role.ASSISTANT, "There was a king.", T0 + 5))
        assert (store.get_conversation(conv).turns[-1].complete, store.get_conversation(conv).turns[-1].text) == (
            True,
            "There was a king.",
        )


def test_long_first_words_make_a_short_title(db):
    with HistoryStore(db) as store:
        conv = store.begin_conversation(started_at=T0)
        words = "Could you please tell me everything you know about the history of the Roman aqueducts and more"
        store.record_turn(conv, make_turn(1, Role.USER, words, T0))
        store.record_turn(conv, make_turn(3, Role.USER, "Second question", T0 + 5))
        title = store.get_conversation(conv).title
    assert title.endswith("…") and len(title) <= 61
    assert words.startswith(title[:-1])


def test_list_is_newest_first_with_counts(db):
    with HistoryStore(db) as store:
        ids = [store.begin_conversation(title=f"c{i}", started_at=T0 + i * 60) for i in range(3)]
        store.record_turn(ids[1], make_turn(1, Role.USER, "hi", T0 + 60))
        store.record_turn(ids[1], make_turn(2, Role.ASSISTANT, "hello", T0 + 61))
        listed = store.list_conversations()
        assert [c.id for c in listed] == list(reversed(ids))
        assert [c.turn_count for c in listed] == [0, 2, 0]
        assert [c.title for c in store.list_conversations(limit=2)] == ["c2", "c1"]


def test_search_finds_words_in_turns_and_titles(db):
    with HistoryStore(db) as store:
        paris = store.begin_conversation(started_at=T0)
        store.record_turn(paris, make_turn(1, Role.USER, "What's the weather in Paris?", T0))
        store.record_turn(paris, make_turn(2, Role.ASSISTANT, "Sunny, about twenty degrees.", T0 + 2))
        ete = store.begin_conversation(title="Vacances d'ÉTÉ", started_at=T0 + 100)
        store.record_turn(ete, make_turn(1, Role.USER, "Où aller cet été ?", T0 + 100))
        odd = store.begin_conversation(title="percent", started_at=T0 + 200)
        store.record_turn(odd, make_turn(1, Role.USER, "It grew 100% in a_b tests", T0 + 200))

        def found(query):
            return [c.id for c in store.list_conversations(search=query)]

        assert found("paris") == [paris], "case does not matter"
        assert found("TWENTY degr") == [paris], "every word must appear, anywhere in the conversation"
        assert found("paris été") == []
        assert found("été") == [ete], "case folding works beyond ASCII (title ÉTÉ, turn été)"
        assert found("vacances") == [ete], "titles are searched too"
        assert found("100%") == [odd] and found("a_b") == [odd], "% and _ are literal, not wildcards"
        assert found("%") == [odd]
        assert found("") == [odd, ete, paris]
        (hit,) = store.list_conversations(search="twenty")
        assert hit.snippet == "Sunny, about twenty degrees."


def test_delete_one_and_delete_all(db):
    with HistoryStore(db) as store:
        keep = store.begin_conversation(started_at=T0)
        gone = store.begin_conversation(started_at=T0 + 1)
        store.record_turn(gone, make_turn(1, Role.ASSISTANT, "bye", T0, latencies={Stage.VOICE_TO_VOICE: 0.5}))
        assert store.delete(gone) is True
        assert store.delete(gone) is False
        assert store.get_conversation(gone) is None
        assert [c.id for c in store.list_conversations()] == [keep]
        with pytest.raises(ConversationNotFound):
            store.record_turn(gone, make_turn(2, Role.USER, "late", T0))
        with pytest.raises(ConversationNotFound):
            store.record_usage(gone, UsageTotals(), 0.0)
        store.begin_conversation(started_at=T0 + 2)
        assert store.delete_all() == 2
        assert store.list_conversations() == []
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("SELECT count(*) FROM turns").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM turn_latencies").fetchone()[0] == 0
    finally:
        raw.close()


def test_deleted_words_are_gone_from_the_files_on_disk(db):
    secret = "my-very-private-sentence-4711"
    with HistoryStore(db) as store:
        conv = store.begin_conversation(started_at=T0)
        store.record_turn(conv, make_turn(1, Role.USER, f"Please remember {secret}", T0))
        other = store.begin_conversation(title="kept", started_at=T0 + 5)
        store.record_turn(other, make_turn(1, Role.USER, "something harmless", T0 + 5))
        store.delete(conv)
        on_disk = b"".join(p.read_bytes() for p in db.parent.glob("history.sqlite3*"))
        assert secret.encode() not in on_disk, "a deleted conversation must not stay readable in the file or its WAL"
        assert b"something harmless" in on_disk, "the check must be able to see text that is still there"


def test_retention_purges_only_older_conversations(db, clock):
    with HistoryStore(db, clock=clock) as store:
        day = 86400.0
        old = store.begin_conversation(started_at=T0 - 40 * day)
        store.record_turn(old, make_turn(1, Role.USER, "old", T0 - 40 * day))
        recent_activity = store.begin_conversation(started_at=T0 - 31 * day)
        store.record_turn(recent_activity, make_turn(1, Role.USER, "still going", T0 - 31 * day, T0 - 5 * day))
        fresh = store.begin_conversation(started_at=T0 - day)
        assert store.purge_older_than(0) == 0, "0 days means keep forever"
        assert store.purge_older_than(30) == 1
        assert {c.id for c in store.list_conversations()} == {recent_activity, fresh}


def test_a_closed_store_says_so(db):
    store = HistoryStore(db)
    store.close()
    with pytest.raises(ConversationHistoryUnavailable, match="closed"):
        store.list_conversations()
