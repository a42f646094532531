"""The history database schema as an ordered list of migrations, versioned by ``PRAGMA user_version``.

A database at version N has had migrations 1..N applied. Opening an older file applies the rest, each in its own
transaction together with its version bump, so a crash mid-upgrade leaves a consistent file at the last finished
version. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "conversations with usage and cost; turns",
        (
            """
            CREATE TABLE conversations (
                id INTEGER PRIMARY KEY,
                started_at REAL NOT NULL,
                ended_at REAL,
                title TEXT NOT NULL DEFAULT '',
                voice TEXT NOT NULL DEFAULT '',
                prompt_name TEXT NOT NULL DEFAULT '',
                llm_prompt_tokens INTEGER NOT NULL DEFAULT 0,
                llm_completion_tokens INTEGER NOT NULL DEFAULT 0,
                tts_characters INTEGER NOT NULL DEFAULT 0,
                stt_audio_seconds REAL NOT NULL DEFAULT 0,
                cost_usd REAL NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE turns (
                id INTEGER PRIMARY KEY,
                conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                role TEXT NOT NULL,
                text TEXT NOT NULL DEFAULT '',
                interrupted INTEGER NOT NULL DEFAULT 0,
                started_at REAL NOT NULL,
                ended_at REAL,
                UNIQUE (conversation_id, seq)
            )
            """,
        ),
    ),
    Migration(
        2,
        "per-turn stage latencies; conversations indexed by start time (newest-first listing, retention purge)",
        (
            """
            CREATE TABLE turn_latencies (
                turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
                stage TEXT NOT NULL,
                seconds REAL NOT NULL,
                PRIMARY KEY (turn_id, stage)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX conversations_by_start ON conversations(started_at)",
        ),
    ),
    Migration(
        3,
        "turns say whether the reply was spoken and whether it was complete (both true for what was stored before)",
        (
            "ALTER TABLE turns ADD COLUMN spoken INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE turns ADD COLUMN complete INTEGER NOT NULL DEFAULT 1",
        ),
    ),
    Migration(
        4,
        "conversations carry the summary and fields extracted when they end (JSON), and whether one is due "
        "(conversations stored before stay without: none is due)",
        (
            "ALTER TABLE conversations ADD COLUMN summary TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE conversations ADD COLUMN fields TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE conversations ADD COLUMN summary_due INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    Migration(
        5,
        "tool calls: a turn of role 'tool' holds its card's text; its call (arguments, result or error, time) is here",
        (
            """
            CREATE TABLE tool_calls (
                turn_id INTEGER PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
                call_id TEXT NOT NULL DEFAULT '',
                name TEXT NOT NULL,
                arguments TEXT NOT NULL DEFAULT '{}',
                result TEXT NOT NULL DEFAULT '',
                error TEXT NOT NULL DEFAULT '',
                seconds REAL
            )
            """,
        ),
    ),
    Migration(
        6,
        "per-turn usage and cost, for the metrics export (zero for turns stored before: only their conversation's "
        "totals are known)",
        (
            "ALTER TABLE turns ADD COLUMN llm_prompt_tokens INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE turns ADD COLUMN llm_completion_tokens INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE turns ADD COLUMN tts_characters INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE turns ADD COLUMN stt_audio_seconds REAL NOT NULL DEFAULT 0",
            "ALTER TABLE turns ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaTooNew(Exception):
    """The file was written by a newer version of the app; upgrading it here could lose data."""

    def __init__(self, found: int) -> None:
        super().__init__(f"history schema version {found} is newer than {LATEST_VERSION}")
        self.found = found


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, upto: int | None = None) -> list[int]:
    """Apply the missing migrations up to ``upto`` (default: all); return the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``) so each migration is one explicit transaction.
    """
    latest = MIGRATIONS[-1].version
    upto = latest if upto is None else upto
    current = schema_version(conn)
    if current > latest:
        raise SchemaTooNew(current)
    applied = []
    for migration in MIGRATIONS:
        if migration.version <= current or migration.version > upto:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(migration.version)
    return applied
