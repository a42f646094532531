"""Versioned schema: a fresh file is at the latest version, an old v1 file upgrades in place, a newer one is left alone."""

from __future__ import annotations

import sqlite3

import pytest

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import Stage
from desktop_agent.storage import schema
from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore
from tests.storage.conftest import T0, make_turn

# The version-1 schema exactly as first released, written out here so the upgrade test does not depend on the
# migration code it is testing.
V1_SCHEMA = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY, started_at REAL NOT NULL, ended_at REAL, title TEXT NOT NULL DEFAULT '',
    voice TEXT NOT NULL DEFAULT '', prompt_name TEXT NOT NULL DEFAULT '',
    llm_prompt_tokens INTEGER NOT NULL DEFAULT 0, llm_completion_tokens INTEGER NOT NULL DEFAULT 0,
    tts_characters INTEGER NOT NULL DEFAULT 0, stt_audio_seconds REAL NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0
);
CREATE TABLE turns (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL DEFAULT '',
    interrupted INTEGER NOT NULL DEFAULT 0, started_at REAL NOT NULL, ended_at REAL,
    UNIQUE (conversation_id, seq)
);
INSERT INTO conversations (id, started_at, ended_at, title, voice, llm_prompt_tokens, cost_usd)
    VALUES (7, 1714557600.0, 1714557630.0, 'From version one', 'Rachel', 42, 0.0021);
INSERT INTO turns (conversation_id, seq, role, text, interrupted, started_at, ended_at)
    VALUES (7, 1, 'user', 'Hello from the past', 0, 1714557600.0, 1714557602.0),
           (7, 2, 'assistant', 'Hi there', 1, 1714557603.0, 1714557630.0);
PRAGMA user_version = 1;
"""

# The version-2 schema exactly as released (version 1 plus per-turn latencies and the start-time index).
V2_SCHEMA = V1_SCHEMA.replace("PRAGMA user_version = 1;", "") + """
CREATE TABLE turn_latencies (
    turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
    stage TEXT NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (turn_id, stage)
) WITHOUT ROWID;
CREATE INDEX conversations_by_start ON conversations(started_at);
INSERT INTO turn_latencies (turn_id, stage, seconds) VALUES (2, 'voice_to_voice', 0.7);
PRAGMA user_version = 2;
"""


def _tables(path):
    conn = sqlite3.connect(path)
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        return names, conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_migrations_are_numbered_in_order():
    assert [m.version for m in schema.MIGRATIONS] == list(range(1, len(schema.MIGRATIONS) + 1))
    assert schema.LATEST_VERSION >= 2


def test_a_new_file_gets_the_latest_schema(tmp_path):
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    names, version = _tables(path)
    assert version == schema.LATEST_VERSION
    assert {"conversations", "turns", "turn_latencies", "conversations_by_start"} <= names


def test_a_version_1_file_is_upgraded_and_keeps_its_conversations(tmp_path):
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.close()
    assert "turn_latencies" not in _tables(path)[0]

    with HistoryStore(path) as store:
        (summary,) = store.list_conversations()
        old = store.get_conversation(7)
        assert summary.title == "From version one" and summary.turn_count == 2
        assert [(t.role, t.text, t.interrupted, t.latencies) for t in old.turns] == [
            (Role.USER, "Hello from the past", False, {}),
            (Role.ASSISTANT, "Hi there", True, {}),
        ]
        assert (old.voice, old.usage.llm_prompt_tokens, old.cost_usd) == ("Rachel", 42, 0.0021)
        # What version 2 added works on the upgraded file.
        store.record_turn(7, make_turn(3, Role.ASSISTANT, "Still here", T0 + 40, latencies={Stage.VOICE_TO_VOICE: 0.6}))
        assert store.get_conversation(7).turns[-1].latencies == {Stage.VOICE_TO_VOICE: 0.6}

    names, version = _tables(path)
    assert version == schema.LATEST_VERSION
    assert {"turn_latencies", "conversations_by_start"} <= names


def _turn_columns(path):
    conn = sqlite3.connect(path)
    try:
        return {row[1]: (row[2], row[3], row[4]) for row in conn.execute("PRAGMA table_info(turns)")}
    finally:
        conn.close()


def test_a_version_2_file_is_upgraded_and_its_turns_count_as_spoken_and_complete(tmp_path):
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V2_SCHEMA)
    conn.close()
    assert "spoken" not in _turn_columns(path)

    with HistoryStore(path) as store:
        old = store.get_conversation(7)
        assert [(t.text, t.interrupted, t.spoken, t.complete) for t in old.turns] == [
            ("Hello from the past", False, True, True),
            ("Hi there", True, True, True),
        ], "what was stored before the marks existed was said in full as far as anyone knows"
        assert old.turns[1].latencies == {Stage.VOICE_TO_VOICE: 0.7}
        # The new marks are kept on the upgraded file.
        store.record_turn(7, make_turn(3, Role.ASSISTANT, "Nobody heard this", T0 + 40, spoken=False, complete=False))
        latest = store.get_conversation(7).turns[-1]
        assert (latest.text, latest.spoken, latest.complete) == ("Nobody heard this", False, False)

    assert _tables(path)[1] == schema.LATEST_VERSION
    columns = _turn_columns(path)
    assert columns["spoken"] == columns["complete"] == ("INTEGER", 1, "1"), "INTEGER NOT NULL DEFAULT 1"


def test_a_failing_migration_leaves_the_file_at_its_last_good_version(tmp_path, monkeypatch):
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    broken = schema.Migration(
        schema.LATEST_VERSION + 1,
        "adds a table, then fails",
        ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"),
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(schema, "LATEST_VERSION", broken.version)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError):
            schema.migrate(conn)
        assert schema.schema_version(conn) == broken.version - 1
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_file_from_a_newer_version_is_left_untouched(tmp_path):
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(f"CREATE TABLE future (x); PRAGMA user_version = {schema.LATEST_VERSION + 5};")
    conn.close()
    before = path.read_bytes()

    with pytest.raises(ConversationHistoryUnavailable) as caught:
        HistoryStore(path)
    message = str(caught.value)
    assert "newer version" in message and message.endswith(".")
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.corrupt-*")), "a newer file is not damaged and must not be moved aside"


def test_a_file_from_before_per_turn_costs_is_upgraded_and_its_turns_keep_zero_usage(tmp_path):
    path = tmp_path / "history.sqlite3"
    before = schema.MIGRATIONS[-1].version - 1  # the version before per-turn usage and cost
    conn = sqlite3.connect(path, isolation_level=None)
    schema.migrate(conn, upto=before)
    conn.execute("INSERT INTO conversations (id, started_at, cost_usd) VALUES (4, ?, 0.25)", (T0,))
    conn.execute(
        "INSERT INTO turns (conversation_id, seq, role, text, started_at) VALUES (4, 2, 'assistant', 'Hi', ?)", (T0,)
    )
    conn.close()
    assert "cost_usd" not in _turn_columns(path)

    with HistoryStore(path) as store:
        [old] = store.get_conversation(4).turns
        assert (old.usage.llm_prompt_tokens, old.usage.tts_characters, old.cost_usd) == (0, 0, 0.0)
        reply = make_turn(3, Role.ASSISTANT, "Priced", T0 + 5)
        reply.usage.llm_prompt_tokens, reply.usage.tts_characters, reply.cost_usd = 120, 6, 0.0125
        store.record_turn(4, reply)
        latest = store.get_conversation(4).turns[-1]
        assert (latest.usage.llm_prompt_tokens, latest.usage.tts_characters, latest.cost_usd) == (120, 6, 0.0125)

    assert _tables(path)[1] == schema.LATEST_VERSION
    assert _turn_columns(path)["cost_usd"] == ("REAL", 1, "0")
