"""A damaged history file gives a clear sentence, is moved aside intact, and a fresh history takes its place."""

from __future__ import annotations

import os
import sqlite3

import pytest

from desktop_agent.state.conversation import Role
from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore
from tests.storage.conftest import T0, make_turn


def _assert_fresh_and_working(store: HistoryStore) -> None:
    assert store.list_conversations() == []
    conv = store.begin_conversation(started_at=T0)
    store.record_turn(conv, make_turn(1, Role.USER, "after the repair", T0))
    assert [t.text for t in store.get_conversation(conv).turns] == ["after the repair"]


def test_a_file_that_is_not_a_database_is_replaced(tmp_path):
    path = tmp_path / "history.sqlite3"
    garbage = b"this is not an sqlite file at all\n" * 200
    path.write_bytes(garbage)

    with HistoryStore(path) as store:
        problem = store.recovered_from
        assert isinstance(problem, ConversationHistoryUnavailable)
        message = str(problem)
        assert "damaged" in message and str(problem.moved_to) in message and message.endswith(".")
        assert "Traceback" not in message and "DatabaseError" not in message
        assert store.problems == [message]
        assert problem.moved_to.name.startswith("history.sqlite3.corrupt-")
        assert problem.moved_to.read_bytes() == garbage, "the damaged file is kept for the user, byte for byte"
        _assert_fresh_and_working(store)


def test_damaged_pages_inside_a_real_database_are_detected(tmp_path):
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        conv = store.begin_conversation(started_at=T0)
        for seq in range(1, 300):
            store.record_turn(conv, make_turn(seq, Role.USER, f"turn {seq} " * 30, T0 + seq))
    size = path.stat().st_size
    assert size > 64 * 1024
    data = bytearray(path.read_bytes())
    data[4096 * 4 : 4096 * 12] = os.urandom(4096 * 8)  # wreck pages in the middle; the header stays valid
    path.write_bytes(bytes(data))

    with HistoryStore(path) as store:
        assert store.recovered_from is not None
        assert store.recovered_from.moved_to.stat().st_size == size
        _assert_fresh_and_working(store)


def test_a_stale_write_ahead_log_is_moved_along_with_the_damaged_file(tmp_path):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"\x00garbage" * 512)
    (tmp_path / "history.sqlite3-wal").write_bytes(b"old log " * 100)

    with HistoryStore(path) as store:
        moved = store.recovered_from.moved_to
        assert (moved.parent / (moved.name + "-wal")).read_bytes() == b"old log " * 100
        _assert_fresh_and_working(store)


def test_a_healthy_file_reports_no_problem(tmp_path):
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        assert store.recovered_from is None and store.problems == []


def test_a_folder_that_cannot_be_created_gives_a_sentence(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(ConversationHistoryUnavailable) as caught:
        HistoryStore(blocker / "history.sqlite3")
    message = str(caught.value)
    assert message.startswith("Conversation history is off") and str(blocker) in message and message.endswith(".")


def test_a_file_locked_by_another_writer_gives_a_sentence(tmp_path):
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        conv = store.begin_conversation(started_at=T0)
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        other.execute("BEGIN EXCLUSIVE")
        try:
            store._conn.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(ConversationHistoryUnavailable, match="in use by another copy"):
                store.record_turn(conv, make_turn(1, Role.USER, "blocked", T0))
        finally:
            other.execute("ROLLBACK")
            other.close()
        store.record_turn(conv, make_turn(1, Role.USER, "unblocked", T0))
        assert store.get_conversation(conv).turns[0].text == "unblocked"


def test_a_read_only_data_folder_turns_history_off_with_a_plain_sentence(tmp_path):
    from tests.config.read_only import read_only

    empty, used = tmp_path / "empty", tmp_path / "used"
    empty.mkdir()
    used.mkdir()
    with HistoryStore(used / "history.sqlite3") as store:
        store.begin_conversation(started_at=T0)
    for folder in (empty, used):
        with read_only(folder):
            with pytest.raises(ConversationHistoryUnavailable) as caught:
                HistoryStore(folder / "history.sqlite3")
        assert str(caught.value) == (
            f"Conversation history is off: the folder {folder} is not writable, so conversations are not saved. "
            "Make it writable and restart Desktop Agent to save conversations; the conversation itself works as "
            "usual."
        )
    with HistoryStore(used / "history.sqlite3") as store:  # untouched: all there once writable again
        assert len(store.list_conversations()) == 1


def test_values_of_the_wrong_type_written_by_another_program_are_read_as_defaults(tmp_path):
    """SQLite stores any value in any column; a history edited by hand or by another tool must still open, list,
    search, show and export."""
    from desktop_agent.storage.export import to_json, to_markdown

    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        conversation = store.begin_conversation(title="Kept", started_at=T0)
        store.record_turn(conversation, make_turn(1, Role.USER, "A good turn", T0))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("UPDATE conversations SET started_at = 'yesterday', title = x'f0ff00', voice = 42, "
                  "cost_usd = 'cheap', tts_characters = -5")
    other.execute("INSERT INTO turns (conversation_id, seq, role, text, started_at) VALUES (?, 2, 'wizard', 'x', 0)",
                  (conversation,))
    other.execute("INSERT INTO turns (conversation_id, seq, role, text, started_at, ended_at) "
                  "VALUES (?, 3, 'assistant', x'48692e', 'noon', 'later')", (conversation,))
    other.execute("INSERT INTO turn_latencies (turn_id, stage, seconds) SELECT id, x'00', 'slow' FROM turns WHERE seq = 3")
    other.close()

    with HistoryStore(path) as store:
        (summary,) = store.list_conversations()
        assert (summary.started_at, summary.voice, summary.cost_usd) == (0.0, "42", 0.0)
        assert store.list_conversations("good")[0].snippet == "A good turn"
        stored = store.get_conversation(conversation)
    assert [(t.role, t.text) for t in stored.turns] == [(Role.USER, "A good turn"), (Role.ASSISTANT, "Hi.")]
    assert stored.turns[1].started_at == 0.0 and stored.turns[1].ended_at is None
    assert stored.usage.tts_characters == 0 and isinstance(stored.title, str)
    assert "A good turn" in to_markdown(stored) and "Hi." in to_json(stored)
