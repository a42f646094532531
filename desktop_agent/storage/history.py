"""The conversation history database: SQLite in WAL mode in the user data directory.

One connection, guarded by a lock, serves every thread: the recorder's writer thread commits turns and usage, the
history view reads through ``asyncio.to_thread``. Every write is its own transaction with ``synchronous=FULL``, so a
turn is on disk when :meth:`HistoryStore.record_turn` returns and survives a crash or a ``kill -9`` of the app.

Every public method raises :class:`ConversationHistoryUnavailable` (whose text is a sentence for the user, in plain
words: SQLite's codes go to the log only) rather than a raw ``sqlite3`` error. A damaged file found at start-up is
moved aside and replaced by a fresh one, and :attr:`HistoryStore.recovered_from` says what happened, so the app keeps
recording. A full disk is recognised whatever SQLite calls it (``SQLITE_FULL``, or an I/O error such as
``SQLITE_IOERR_SHMSIZE`` when the shared-memory file cannot grow) by looking at the free space.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import shutil
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from desktop_agent.config.local_files import error_words
from desktop_agent.state.conversation import Role, Turn, UsageTotals
from desktop_agent.state.events import Stage
from desktop_agent.state.tool_calls import ToolCallInfo
from desktop_agent.storage.records import ConversationSummary, StoredConversation, StoredTurn
from desktop_agent.storage.schema import LATEST_VERSION, SchemaTooNew, migrate, schema_version

log = logging.getLogger(__name__)

APP_NAME = "desktop-agent"
FILE_NAME = "history.sqlite3"
TITLE_LENGTH = 60
SNIPPET_LENGTH = 80

# Primary SQLite result codes (the low byte of an extended code) that decide what the user is told.
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26
_SQLITE_HEADER = b"SQLite format 3\x00"
#: Below this much free space an I/O error is the disk being full (SQLite needs room for a page, a log frame and
#: its shared-memory index, and reports the last as SQLITE_IOERR_SHMSIZE).
_NEARLY_FULL_BYTES = 1_000_000
DISK_FULL_SENTENCE = "History could not be saved: the disk is full. Free some space; the conversation continues."
_STAGE_ORDER = {stage.value: index for index, stage in enumerate(Stage)}


def default_history_path() -> Path:
    """``<user data dir>/desktop-agent/history.sqlite3`` (platformdirs; no vendor folder on Windows)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / FILE_NAME


class ConversationHistoryUnavailable(Exception):
    """History cannot be read or written right now. ``str(exc)`` is a complete sentence to show the user.

    ``moved_to`` is set when a damaged file was moved aside (the store then carries on with a fresh file).
    """

    def __init__(self, message: str, *, moved_to: Path | None = None) -> None:
        super().__init__(message)
        self.moved_to = moved_to


class ConversationNotFound(LookupError):
    """The conversation was deleted (or never existed)."""


class _DamagedFile(Exception):
    """The file is not an SQLite database, or it failed SQLite's integrity check."""


def _looks_like_sqlite(path: Path) -> bool:
    """False for a non-empty file without SQLite's header; a missing or empty file becomes a new database."""
    try:
        with path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except OSError:
        return True  # missing: a new database; unreadable: let SQLite say what is wrong
    return not header or header == _SQLITE_HEADER


def _fold(text: str | None) -> str:
    # SQLite's LIKE only ignores case for ASCII; folding both sides in Python makes "ÉTÉ" find "été". NFC makes one
    # spelling of the same letters: Tamil கொ typed as one code point or as two, Devanagari क़ as U+0958 or क + nukta.
    # The Indian scripts have no case, and casefold leaves them as they are.
    return unicodedata.normalize("NFC", _text(text).casefold())


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _is_damage(exc: sqlite3.Error) -> bool:
    return _primary_code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _title_from(text: str) -> str:
    words = " ".join(text.split())
    if len(words) <= TITLE_LENGTH:
        return words
    cut = words[:TITLE_LENGTH].rsplit(" ", 1)[0] or words[:TITLE_LENGTH]
    return cut.rstrip(",.;:!?") + "…"


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{_fold(escaped)}%"


def _excerpt(text: str, term: str) -> str:
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    match = re.search(re.escape(unicodedata.normalize("NFC", term)), text, re.IGNORECASE)
    if len(text) <= SNIPPET_LENGTH:
        return text
    start = max(0, (match.start() if match else 0) - SNIPPET_LENGTH // 3)
    piece = text[start : start + SNIPPET_LENGTH]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_LENGTH < len(text) else "")


# SQLite keeps any value in any column: a file edited by hand or by another program can hold text where a number
# belongs, a blob where text does. Read values are made the type the records promise (a default where that fails).
_ROLES = frozenset(role.value for role in Role)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _seconds_or_none(value: object) -> float | None:
    """A stored number of seconds (or dollars), None when the column holds anything but a finite number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _seconds(value: object) -> float:
    """Like :func:`_seconds_or_none`, with 0 for a missing or damaged value."""
    seconds = _seconds_or_none(value)
    return 0.0 if seconds is None else seconds


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _flag(value: object, *, default: bool) -> bool:
    return bool(value) if isinstance(value, int) else default


def _roll_back(conn: sqlite3.Connection) -> None:
    """End a failed transaction, if SQLite has not already: after SQLITE_FULL or an I/O error it may have rolled back
    by itself, or left the transaction open (a failed COMMIT), which would make every later BEGIN fail too."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.debug("history rollback after a failed transaction: %s", exc)


def _fields(value: object) -> dict[str, object]:
    """The stored fields (a JSON object), {} when there are none or the column holds anything else."""
    try:
        decoded = json.loads(_text(value)) if value else {}
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _stage_key(name: str) -> Stage | str:
    try:
        return Stage(name)
    except ValueError:
        return name


class HistoryStore:
    """Conversations, their turns, per-turn latencies, usage and cost.

    Thread-safe; every call is short. Call it from a worker thread (the recorder's writer, ``asyncio.to_thread``),
    never directly from the Qt thread: a write waits for the disk.
    """

    def __init__(self, path: Path | str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self._clock = clock
        self._lock = threading.RLock()
        self._closed = False
        #: Set when a damaged file was moved aside at start-up; its text is the sentence to show once.
        self.recovered_from: ConversationHistoryUnavailable | None = None
        self._conn = self._open()

    @property
    def problems(self) -> list[str]:
        """Sentences for the user about what happened while opening (empty when all was well)."""
        return [str(self.recovered_from)] if self.recovered_from else []

    # ------------------------------------------------------------------ opening, recovery
    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConversationHistoryUnavailable(
                f"Conversation history is off: the folder {self.path.parent} cannot be created ({error_words(exc)}), "
                "so conversations are not saved; the conversation itself works as usual."
            ) from None
        try:
            if not _looks_like_sqlite(self.path):
                raise _DamagedFile()  # moved aside before SQLite opens it, which would delete its WAL on close
            return self._connect()
        except SchemaTooNew:
            raise ConversationHistoryUnavailable(
                f"The conversation history in {self.path} was saved by a newer version of Desktop Agent, so this "
                "version leaves it untouched and records nothing; update Desktop Agent to use it."
            ) from None
        except _DamagedFile:
            pass
        except sqlite3.Error as exc:
            if not _is_damage(exc):
                raise self._unavailable(exc, opening=True) from None
        moved_to = self._move_aside()
        log.warning("history database was damaged; moved aside to %s", moved_to)
        self.recovered_from = ConversationHistoryUnavailable(
            f"The conversation history file was damaged, so it was moved aside to {moved_to} and a new, empty "
            "history was started; conversations from now on are saved as usual.",
            moved_to=moved_to,
        )
        try:
            return self._connect()
        except sqlite3.Error as exc:
            raise self._unavailable(exc, opening=True) from None
        except (_DamagedFile, SchemaTooNew):
            raise ConversationHistoryUnavailable(
                f"Conversation history is off: a new history file could not be started in {self.path.parent}, so "
                "conversations are not saved; the conversation itself works as usual."
            ) from None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5.0)
        try:
            found = schema_version(conn)
            if found > LATEST_VERSION:
                raise SchemaTooNew(found)  # before anything below rewrites the file's header
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            # Deleted conversations are overwritten with zeros, not left readable in free pages.
            conn.execute("PRAGMA secure_delete=ON")
            conn.create_function("fold", 1, _fold, deterministic=True)
            if conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
                raise _DamagedFile()
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _move_aside(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while aside.exists():
            counter += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
        try:
            self.path.replace(aside)
            # A stale write-ahead log left next to a new file would be replayed into it: move it along.
            for suffix in ("-wal", "-shm", "-journal"):
                companion = self.path.with_name(self.path.name + suffix)
                if companion.exists():
                    companion.replace(aside.with_name(aside.name + suffix))
        except OSError as exc:
            raise ConversationHistoryUnavailable(
                f"Conversation history is off: the file {self.path} is damaged and could not be moved aside "
                f"({error_words(exc)})."
            ) from None
        return aside

    def _unavailable(
        self, exc: sqlite3.Error, *, opening: bool = False, write: bool = True
    ) -> ConversationHistoryUnavailable:
        """The sentence for an SQLite error: what happened in plain words and what to do (the code is logged)."""
        code = _primary_code(exc)
        name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
        log.warning("history database error: %s (%s)", name, exc)
        folder = self.path.parent
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return ConversationHistoryUnavailable(
                "The conversation history is in use by another copy of Desktop Agent; close it and try again."
            )
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return ConversationHistoryUnavailable(
                "The conversation history file is damaged; restart Desktop Agent to set it aside "
                "and start a new history."
            )
        if code == _SQLITE_FULL or (code in (_SQLITE_IOERR, _SQLITE_CANTOPEN) and self._disk_nearly_full()):
            reason = "the disk is full"
            if not opening:
                return ConversationHistoryUnavailable(
                    DISK_FULL_SENTENCE if write else "History could not be read: the disk is full."
                )
            advice = "Free some space and restart Desktop Agent to save conversations again"
        elif code in (_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CANTOPEN):
            reason = f"the folder {folder} is not writable"
            advice = "Make it writable and restart Desktop Agent to save conversations"
        elif code == _SQLITE_IOERR:
            reason = "the disk reported an error"
            advice = "Check the disk and restart Desktop Agent"
        else:
            reason = "the history file could not be used"
            advice = "Restart Desktop Agent to try again"
        if opening:
            return ConversationHistoryUnavailable(
                f"Conversation history is off: {reason}, so conversations are not saved. {advice}; the "
                "conversation itself works as usual."
            )
        if write:
            return ConversationHistoryUnavailable(f"History could not be saved: {reason}. The conversation continues.")
        return ConversationHistoryUnavailable(f"History could not be read: {reason}.")

    def _disk_nearly_full(self) -> bool:
        try:
            return shutil.disk_usage(self.path.parent).free < _NEARLY_FULL_BYTES
        except OSError:
            return False

    # ------------------------------------------------------------------ plumbing
    @contextlib.contextmanager
    def _access(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """Hold the lock for one transaction and turn SQLite errors into sentences."""
        with self._lock:
            if self._closed:
                raise ConversationHistoryUnavailable("The conversation history is closed.")
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                _roll_back(conn)
                raise self._unavailable(exc, write=write) from None
            except BaseException:
                _roll_back(conn)
                raise

    def _checkpoint(self) -> None:
        """Fold the write-ahead log into the file and empty it, so deleted text leaves the disk there too."""
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:
                log.warning("history checkpoint failed: %s", exc)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def begin_conversation(
        self, title: str = "", voice: str = "", prompt_name: str = "", started_at: float | None = None
    ) -> int:
        """Create a conversation and return its id. An empty title is filled from the first user turn."""
        started = self._clock() if started_at is None else started_at
        with self._access(write=True) as conn:
            cursor = conn.execute(
                "INSERT INTO conversations (started_at, title, voice, prompt_name) VALUES (?, ?, ?, ?)",
                (started, _title_from(title), voice, prompt_name),
            )
            row_id = cursor.lastrowid
            assert row_id is not None, "an INSERT sets lastrowid"
            return row_id

    def set_details(self, conversation_id: int, *, voice: str | None = None, prompt_name: str | None = None) -> None:
        """Record the voice or prompt now in use (a change mid-conversation keeps the latest)."""
        with self._access(write=True) as conn:
            cursor = conn.execute(
                "UPDATE conversations SET voice = coalesce(?, voice), prompt_name = coalesce(?, prompt_name) "
                "WHERE id = ?",
                (voice, prompt_name, conversation_id),
            )
            if cursor.rowcount == 0:
                raise ConversationNotFound(conversation_id)

    def record_turn(self, conversation_id: int, turn: Turn) -> None:
        """Store one turn (text, role, its marks, times, latencies) and commit it at once.

        Recording the same turn again (same ``turn.id``) replaces it. Raises :class:`ConversationNotFound` when the
        conversation was deleted meanwhile.
        """
        with self._access(write=True) as conn:
            if conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone() is None:
                raise ConversationNotFound(conversation_id)
            conn.execute(
                "INSERT INTO turns (conversation_id, seq, role, text, interrupted, spoken, complete, started_at, "
                "ended_at, llm_prompt_tokens, llm_completion_tokens, tts_characters, stt_audio_seconds, cost_usd) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (conversation_id, seq) DO UPDATE SET role = excluded.role, text = excluded.text, "
                "interrupted = excluded.interrupted, spoken = excluded.spoken, complete = excluded.complete, "
                "started_at = excluded.started_at, ended_at = excluded.ended_at, "
                "llm_prompt_tokens = excluded.llm_prompt_tokens, "
                "llm_completion_tokens = excluded.llm_completion_tokens, "
                "tts_characters = excluded.tts_characters, stt_audio_seconds = excluded.stt_audio_seconds, "
                "cost_usd = excluded.cost_usd",
                (
                    conversation_id,
                    turn.id,
                    str(turn.role),
                    turn.text,
                    int(turn.interrupted),
                    int(turn.spoken),
                    int(turn.complete),
                    turn.started_at,
                    turn.ended_at,
                    turn.usage.llm_prompt_tokens,
                    turn.usage.llm_completion_tokens,
                    turn.usage.tts_characters,
                    turn.usage.stt_audio_seconds,
                    turn.cost_usd,
                ),
            )
            (turn_row,) = conn.execute(
                "SELECT id FROM turns WHERE conversation_id = ? AND seq = ?", (conversation_id, turn.id)
            ).fetchone()
            conn.execute("DELETE FROM turn_latencies WHERE turn_id = ?", (turn_row,))
            conn.executemany(
                "INSERT INTO turn_latencies (turn_id, stage, seconds) VALUES (?, ?, ?)",
                [(turn_row, str(stage), float(seconds)) for stage, seconds in turn.latencies.items()],
            )
            if turn.tool is not None:
                call = turn.tool
                conn.execute(
                    "INSERT OR REPLACE INTO tool_calls (turn_id, call_id, name, arguments, result, error, seconds) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (turn_row, call.call_id, call.name, call.arguments, call.result, call.error, call.seconds),
                )
            if turn.ended_at is not None:
                conn.execute(
                    "UPDATE conversations SET ended_at = max(coalesce(ended_at, ?), ?) WHERE id = ?",
                    (turn.ended_at, turn.ended_at, conversation_id),
                )
            if turn.role is Role.USER and turn.text.strip():
                conn.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                    (_title_from(turn.text), conversation_id),
                )

    def record_usage(self, conversation_id: int, usage: UsageTotals, cost_usd: float) -> None:
        """Replace the conversation's usage totals and cost with these (they are running totals)."""
        with self._access(write=True) as conn:
            cursor = conn.execute(
                "UPDATE conversations SET llm_prompt_tokens = ?, llm_completion_tokens = ?, tts_characters = ?, "
                "stt_audio_seconds = ?, cost_usd = ? WHERE id = ?",
                (
                    usage.llm_prompt_tokens,
                    usage.llm_completion_tokens,
                    usage.tts_characters,
                    usage.stt_audio_seconds,
                    cost_usd,
                    conversation_id,
                ),
            )
            if cursor.rowcount == 0:
                raise ConversationNotFound(conversation_id)

    # ------------------------------------------------------------------ summaries
    def mark_summary_due(self, conversation_id: int) -> None:
        """The conversation ended: a summary of it is wanted (again, if it was continued since the last one)."""
        with self._access(write=True) as conn:
            conn.execute("UPDATE conversations SET summary_due = 1 WHERE id = ?", (conversation_id,))

    def summaries_due(self, limit: int = 20) -> list[int]:
        """Conversations whose summary is still wanted (e.g. the app closed before it was made), newest first."""
        with self._access() as conn:
            rows = conn.execute(
                "SELECT id FROM conversations WHERE summary_due = 1 ORDER BY started_at DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [row[0] for row in rows]

    def save_summary(self, conversation_id: int, title: str, summary: str, fields: dict[str, object]) -> None:
        """Store what was extracted; an empty ``title`` keeps the one the conversation has. No longer due."""
        with self._access(write=True) as conn:
            cursor = conn.execute(
                "UPDATE conversations SET title = CASE WHEN ? = '' THEN title ELSE ? END, summary = ?, fields = ?, "
                "summary_due = 0 WHERE id = ?",
                (
                    title,
                    _title_from(title),
                    summary,
                    json.dumps(fields, ensure_ascii=False, sort_keys=True) if fields else "",
                    conversation_id,
                ),
            )
            if cursor.rowcount == 0:
                raise ConversationNotFound(conversation_id)

    def drop_summary_due(self, conversation_id: int) -> None:
        """No summary is wanted after all (nothing to summarize, or summaries were switched off)."""
        with self._access(write=True) as conn:
            conn.execute("UPDATE conversations SET summary_due = 0 WHERE id = ?", (conversation_id,))

    # ------------------------------------------------------------------ reading
    def list_conversations(self, search: str = "", limit: int | None = None) -> list[ConversationSummary]:
        """Conversations, newest first. ``search``: every word must appear in the title, the summary, the extracted
        fields or some turn (case-insensitive, any part of a word)."""
        terms = search.split()
        where, params = [], []
        for term in terms:
            where.append(
                "(fold(c.title) LIKE ? ESCAPE '\\' OR fold(c.summary) LIKE ? ESCAPE '\\' "
                "OR fold(c.fields) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM turns t "
                "WHERE t.conversation_id = c.id AND fold(t.text) LIKE ? ESCAPE '\\'))"
            )
            params += [_like_pattern(term)] * 4
        snippet_sql = "''"
        snippet_params: list[object] = []
        if terms:
            # The first turn that says it, else the summary when it does (a search for what a summary names).
            snippet_sql = (
                "coalesce((SELECT t.text FROM turns t WHERE t.conversation_id = c.id AND fold(t.text) LIKE ? "
                "ESCAPE '\\' ORDER BY t.seq LIMIT 1), CASE WHEN fold(c.summary) LIKE ? ESCAPE '\\' "
                "THEN c.summary END, '')"
            )
            snippet_params = [_like_pattern(terms[0])] * 2
        sql = (
            "SELECT c.id, c.started_at, c.ended_at, c.title, c.voice, c.prompt_name, c.cost_usd, "
            f"(SELECT count(*) FROM turns t WHERE t.conversation_id = c.id), {snippet_sql}, c.summary "
            "FROM conversations c"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY c.started_at DESC, c.id DESC LIMIT ?"
        )
        with self._access() as conn:
            rows = conn.execute(sql, [*snippet_params, *params, -1 if limit is None else limit]).fetchall()
        return [
            ConversationSummary(
                id=row[0],
                started_at=_seconds(row[1]),
                ended_at=_seconds_or_none(row[2]),
                title=_text(row[3]),
                voice=_text(row[4]),
                prompt_name=_text(row[5]),
                cost_usd=_seconds(row[6]),
                turn_count=row[7],
                snippet=_excerpt(_text(row[8]), terms[0]) if terms and row[8] else "",
                summary=_text(row[9]),
            )
            for row in rows
        ]

    def get_conversation(self, conversation_id: int) -> StoredConversation | None:
        """The whole conversation with its turns in order, or None if it does not exist."""
        with self._access() as conn:
            found = self._read_conversations(conn, "WHERE id = ?", (conversation_id,))
        return found[0] if found else None

    def get_all_conversations(self) -> list[StoredConversation]:
        """Every conversation with its turns, oldest first (for "export all")."""
        with self._access() as conn:
            return self._read_conversations(conn, "", ())

    def get_conversations_between(self, since: float | None, until: float | None) -> list[StoredConversation]:
        """The conversations started at or after ``since`` and before ``until`` (wall-clock seconds; None: no bound),
        with their turns, oldest first (for the metrics export of a date range)."""
        with self._access() as conn:
            return self._read_conversations(
                conn,
                "WHERE started_at >= coalesce(?, started_at) AND started_at < coalesce(?, started_at + 1)",
                (since, until),
            )

    def cost_since(self, since: float) -> float:
        """What was spent from ``since`` on (wall-clock seconds), in US dollars: the cost of the turns that ended
        then or later, in any conversation (a conversation continued today counts its new turns only). Turns stored
        before turns had a cost of their own (schema 6) count nothing."""
        with self._access() as conn:
            (total,) = conn.execute(
                "SELECT coalesce(sum(cost_usd), 0) FROM turns WHERE coalesce(ended_at, started_at) >= ?", (since,)
            ).fetchone()
        return _seconds(total)

    def _read_conversations(
        self, conn: sqlite3.Connection, where: str, params: tuple[object, ...]
    ) -> list[StoredConversation]:
        conversations = conn.execute(
            "SELECT id, started_at, ended_at, title, voice, prompt_name, llm_prompt_tokens, llm_completion_tokens, "
            f"tts_characters, stt_audio_seconds, cost_usd, summary, fields FROM conversations {where} "
            "ORDER BY started_at, id",
            params,
        ).fetchall()
        result = []
        for row in conversations:
            latencies: dict[int, dict[Stage | str, float]] = {}
            for turn_id, stage, seconds in sorted(
                (
                    (turn_id, _text(stage), _seconds(seconds))
                    for turn_id, stage, seconds in conn.execute(
                        "SELECT l.turn_id, l.stage, l.seconds FROM turn_latencies l JOIN turns t ON t.id = l.turn_id "
                        "WHERE t.conversation_id = ?",
                        (row[0],),
                    )
                ),
                key=lambda r: (r[0], _STAGE_ORDER.get(r[1], len(_STAGE_ORDER)), r[1]),
            ):
                latencies.setdefault(turn_id, {})[_stage_key(stage)] = seconds
            tools = {
                turn_id: ToolCallInfo(
                    _text(call_id),
                    _text(name),
                    _text(arguments),
                    _text(result),
                    _text(error),
                    (_seconds_or_none(seconds)),
                )
                for turn_id, call_id, name, arguments, result, error, seconds in conn.execute(
                    "SELECT c.turn_id, c.call_id, c.name, c.arguments, c.result, c.error, c.seconds FROM tool_calls c "
                    "JOIN turns t ON t.id = c.turn_id WHERE t.conversation_id = ?",
                    (row[0],),
                )
            }
            turns = tuple(
                StoredTurn(
                    seq=seq,
                    role=Role(role),
                    text=_text(text),
                    interrupted=bool(interrupted),
                    started_at=_seconds(started),
                    ended_at=_seconds_or_none(ended),
                    spoken=_flag(spoken, default=True),
                    complete=_flag(complete, default=True),
                    latencies=latencies.get(turn_id, {}),
                    tool=tools.get(turn_id),
                    usage=UsageTotals(
                        llm_prompt_tokens=_count(prompt_tokens),
                        llm_completion_tokens=_count(completion_tokens),
                        tts_characters=_count(characters),
                        stt_audio_seconds=_seconds(audio_seconds),
                    ),
                    cost_usd=_seconds(cost),
                )
                for (
                    turn_id,
                    seq,
                    role,
                    text,
                    interrupted,
                    spoken,
                    complete,
                    started,
                    ended,
                    prompt_tokens,
                    completion_tokens,
                    characters,
                    audio_seconds,
                    cost,
                ) in conn.execute(
                    "SELECT id, seq, role, text, interrupted, spoken, complete, started_at, ended_at, "
                    "llm_prompt_tokens, llm_completion_tokens, tts_characters, stt_audio_seconds, cost_usd FROM turns "
                    "WHERE conversation_id = ? ORDER BY seq",
                    (row[0],),
                )
                if role in _ROLES  # a row some other program wrote with a role this version does not know
            )
            result.append(
                StoredConversation(
                    id=row[0],
                    started_at=_seconds(row[1]),
                    ended_at=_seconds_or_none(row[2]),
                    title=_text(row[3]),
                    voice=_text(row[4]),
                    prompt_name=_text(row[5]),
                    usage=UsageTotals(
                        llm_prompt_tokens=_count(row[6]),
                        llm_completion_tokens=_count(row[7]),
                        tts_characters=_count(row[8]),
                        stt_audio_seconds=_seconds(row[9]),
                    ),
                    cost_usd=_seconds(row[10]),
                    turns=turns,
                    summary=_text(row[11]),
                    fields=_fields(row[12]),
                )
            )
        return result

    # ------------------------------------------------------------------ deleting
    def delete(self, conversation_id: int) -> bool:
        """Delete one conversation with its turns and latencies; False if it was already gone."""
        with self._access(write=True) as conn:
            deleted = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount > 0
        self._checkpoint()
        return deleted

    def delete_all(self) -> int:
        """Delete every conversation; return how many there were."""
        with self._access(write=True) as conn:
            count = conn.execute("DELETE FROM conversations").rowcount
        self._checkpoint()
        return count

    def purge_older_than(self, days: float) -> int:
        """Delete conversations whose last activity is more than ``days`` days ago; ``days <= 0`` keeps all."""
        if days <= 0:
            return 0
        cutoff = self._clock() - days * 86400.0
        with self._access(write=True) as conn:
            count = conn.execute(
                "DELETE FROM conversations WHERE coalesce(ended_at, started_at) < ?", (cutoff,)
            ).rowcount
        if count:
            self._checkpoint()
        return count
