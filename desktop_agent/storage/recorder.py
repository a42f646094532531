"""Records the live conversation into the history store without ever making the Qt thread wait for the disk.

The window's bridge calls :meth:`HistoryRecorder.on_change` on the Qt thread after each ``Conversation.apply``. It
only copies what changed (finished turns, a finished reply again when a stage figure reaches it late, usage totals)
and queues it; a single writer thread applies the queue to the :class:`~desktop_agent.storage.history.HistoryStore`
in order, one committed transaction per finished turn.

A stored conversation is created when its first turn finishes (no empty entries), and a new one starts when the
live conversation is reset (``ConversationReset``: the transcript empties) or a different ``Conversation`` object is
passed in. :meth:`HistoryRecorder.continue_conversation` makes the next turns go to a stored conversation instead
(a past conversation continued from History), numbered after its stored turns.

A conversation *ends* when it is reset, replaced, or its session ends (the end button, the model's
``end_conversation``, the app closing): with summaries on, it is then marked as due for a summary and
``on_finished`` gets its id on the writer thread, after its last turn is written (see
:mod:`desktop_agent.summaries`).

When the store cannot write (a full disk, a folder made read-only), the user hears about it once per cause, not once
per turn, and the turns that could not be written wait in memory (up to :data:`MAX_WAITING`) and are written, in
order, as soon as a write succeeds again; the next failure after a recovery is said again.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import queue
import threading
from collections.abc import Callable

from desktop_agent.state.conversation import Area, Conversation, Turn, UsageTotals
from desktop_agent.storage.history import ConversationHistoryUnavailable, ConversationNotFound, HistoryStore

log = logging.getLogger(__name__)

#: One change for the writer thread: a HistoryStore call (through a recorder method) and its arguments.
_Write = tuple[Callable[..., None], tuple[object, ...]]
#: A flush marker: called by the writer thread once everything queued before it is written.
_Flush = Callable[[], object]
#: Writes kept while the store refuses them (a conversation's turns, its voice and prompt); beyond, the oldest go.
MAX_WAITING = 1000


@dataclasses.dataclass(slots=True)
class _Live:
    """The stored counterpart of one live conversation; touched only by the writer thread after creation."""

    started_at: float
    voice: str
    prompt_name: str
    db_id: int | None = None
    #: Added to the live turn numbers: a continued conversation's new turns come after its stored ones.
    seq_offset: int = 0
    #: The session end already noted for this conversation (so it is summarized once per ending).
    ended_noted: bool = False


class HistoryRecorder:
    """Commits finished turns, usage and cost of the live conversation on a background writer thread.

    ``on_error`` receives a sentence for the user when writing starts to fail, once per cause until writing
    recovers; it is called on the writer thread, so the window must hand it over to the Qt thread (e.g. through a
    queued signal). ``last_error`` keeps the latest one.
    """

    def __init__(
        self,
        store: HistoryStore,
        *,
        keep_history: bool = True,
        retention_days: float = 0,
        on_error: Callable[[str], None] | None = None,
        summaries: bool = False,
        on_finished: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.keep_history = keep_history
        self.retention_days = retention_days
        self.on_error = on_error
        #: With summaries on, an ended conversation is marked as due for one and handed to ``on_finished`` (its id,
        #: on the writer thread, once its turns are written).
        self.summaries = summaries
        self.on_finished = on_finished
        self.last_error: str | None = None
        self.committed_turns = 0  # turns written so far (writer thread; read it after flush())
        self._queue: queue.Queue[_Write | _Flush | None] = queue.Queue()  # None stops the writer thread
        # Writer thread only: writes the store refused, oldest first, and the sentences already said about that.
        self._waiting: collections.deque[_Write] = collections.deque()
        self._said: set[str] = set()
        self._closed = False
        # Qt-thread side: which live conversation the next turns belong to.
        self._conversation: Conversation | None = None
        self._live: _Live | None = None
        self._had_turns = False
        self._voice_prompt: tuple[str, str] = ("", "")
        # Usage updates are coalesced: only the newest totals are written.
        self._usage_lock = threading.Lock()
        self._pending_usage: dict[int, tuple[_Live, UsageTotals, float]] = {}
        self._writer = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._writer.start()
        if keep_history and retention_days > 0:
            self._submit(self._purge, retention_days)

    # ------------------------------------------------------------------ Qt thread
    def on_change(self, conversation: Conversation, areas: Area) -> None:
        """Note what ``Conversation.apply`` changed; returns at once (the disk work is queued)."""
        if self._closed or not self.keep_history:
            return
        if conversation is not self._conversation:
            if self._conversation is not None:  # (the first one seen may continue a stored conversation)
                self._end(self._live)
                self._live = None
            self._conversation = conversation
        elif Area.SESSION in areas and not conversation.turns and self._had_turns:
            self._end(self._live)
            self._live = None  # the transcript was cleared: the next turn starts a new stored conversation
        self._had_turns = bool(conversation.turns)
        if Area.TURN_FINISHED in areas and conversation.last_finished:
            if self._live is None:
                first = min(  # (earlier turns, shown from a continued conversation, are not this one's)
                    (t.started_at for t in conversation.turns if not t.earlier),
                    default=conversation.last_finished[0].started_at,
                )
                self._live = _Live(first, conversation.voice, conversation.prompt_name)
                self._voice_prompt = (conversation.voice, conversation.prompt_name)
            self._live.ended_noted = False  # said after an ending: this conversation will end again
            for turn in conversation.last_finished:
                self._submit(self._write_turn, self._live, _snapshot(turn))
            self._queue_usage(conversation)
        elif Area.USAGE in areas and self._live is not None:
            self._queue_usage(conversation)
        if Area.TURN_UPDATED in areas and self._live is not None:
            # A stage figure that came after its reply ended: the reply is written again, with it.
            for turn in conversation.last_updated:
                if not turn.earlier:
                    self._submit(self._write_turn, self._live, _snapshot(turn))
        if Area.SESSION in areas and self._live is not None:
            details = (conversation.voice, conversation.prompt_name)
            if details != self._voice_prompt:
                self._voice_prompt = details
                self._submit(self._write_details, self._live, *details)
            if conversation.ended_reason is not None:
                self._end(self._live)  # the session ended: the end button, end_conversation, the app closing

    def continue_conversation(self, conversation_id: int, last_seq: int, started_at: float) -> None:
        """The next finished turns belong to the stored conversation ``conversation_id`` (continued from History),
        numbered after ``last_seq``. Call on the Qt thread once the live transcript has been cleared."""
        self._end(self._live)
        conversation = self._conversation
        voice, prompt = (conversation.voice, conversation.prompt_name) if conversation else ("", "")
        # Ended already (it was summarized then): it ends again only once something new is said in it.
        self._live = _Live(started_at, voice, prompt, db_id=conversation_id, seq_offset=last_seq, ended_noted=True)
        self._voice_prompt = (voice, prompt)

    def _end(self, live: _Live | None) -> None:
        """``live`` ended: with summaries on, ask for its summary once its turns are written."""
        if live is None or live.ended_noted:
            return
        live.ended_noted = True
        if self.summaries:
            self._submit(self._finish, live)

    def set_privacy(self, keep_history: bool, retention_days: float) -> None:
        """Apply the privacy settings: stop (or resume) recording, and purge what retention no longer keeps."""
        self.keep_history = keep_history
        self.retention_days = retention_days
        if not keep_history:
            self._live = None  # if recording resumes, it goes to a new stored conversation
        elif retention_days > 0:
            self._submit(self._purge, retention_days)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is on disk; False on timeout. Not for the Qt thread."""
        if not self._writer.is_alive():
            return True
        done = threading.Event()
        self._queue.put(done.set)
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer thread (the store stays open; its owner closes it)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join(timeout)
        if self._writer.is_alive():
            log.warning("history writer did not finish within %.1f s; the last changes may be missing", timeout)
        elif self._waiting:
            log.warning("history: %d change(s) could not be written before closing", len(self._waiting))

    def _submit(self, function: Callable[..., None], *args: object) -> None:
        self._queue.put((function, args))

    def _queue_usage(self, conversation: Conversation) -> None:
        live = self._live
        if live is None:
            return
        entry = (live, dataclasses.replace(conversation.usage), conversation.cost_usd)
        with self._usage_lock:
            already_queued = id(live) in self._pending_usage
            self._pending_usage[id(live)] = entry
        if not already_queued:
            self._submit(self._write_usage, id(live))

    # ------------------------------------------------------------------ writer thread
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if callable(item):  # a flush marker
                item()
                continue
            function, args = item
            if self._waiting:
                self._waiting.append((function, args))
                self._trim_waiting()
                self._write_waiting()
            else:
                self._write(function, args)

    def _write(self, function: Callable[..., None], args: tuple[object, ...]) -> bool:
        """Apply one change; False (after saying why, once per cause) when the store refused it."""
        try:
            function(*args)
        except ConversationHistoryUnavailable as exc:
            if function != self._purge:  # a purge is redone by the next one
                self._waiting.appendleft((function, args))
            self._report(str(exc))
            return False
        except Exception:
            log.exception("history writer failed")
            self._report("A conversation could not be saved to history because of an unexpected error.")
            return True  # not a passing condition of the store: retrying would fail the same way
        if self._said:
            log.info("history: writing works again")
            self._said.clear()  # recovered: the next failure is news again
        return True

    def _write_waiting(self) -> None:
        """Write what waits, oldest first, until the store refuses again."""
        while self._waiting:
            function, args = self._waiting.popleft()
            if not self._write(function, args):
                return

    def _trim_waiting(self) -> None:
        while len(self._waiting) > MAX_WAITING:
            self._waiting.popleft()
            log.warning("history: more than %d changes are waiting to be written; the oldest is dropped", MAX_WAITING)

    def _report(self, message: str) -> None:
        if message in self._said:
            return
        self._said.add(message)
        self.last_error = message
        if self.on_error is not None:
            try:
                self.on_error(message)
            except Exception:
                log.exception("history on_error callback failed")

    def _ensure_stored(self, live: _Live) -> int:
        if live.db_id is None:
            live.db_id = self.store.begin_conversation(
                voice=live.voice, prompt_name=live.prompt_name, started_at=live.started_at
            )
            if self.retention_days > 0:
                self._purge(self.retention_days)
        return live.db_id

    def _finish(self, live: _Live) -> None:
        if live.db_id is None:
            return  # nothing of it was stored
        self.store.mark_summary_due(live.db_id)
        if self.on_finished is not None:
            try:
                self.on_finished(live.db_id)
            except Exception:
                log.exception("history on_finished callback failed")

    def _write_turn(self, live: _Live, turn: Turn) -> None:
        if live.seq_offset:
            turn = dataclasses.replace(turn, id=turn.id + live.seq_offset)
        try:
            self.store.record_turn(self._ensure_stored(live), turn)
        except ConversationNotFound:
            # Deleted from the history view while still going on: keep recording into a new entry.
            live.db_id = None
            self.store.record_turn(self._ensure_stored(live), turn)
        self.committed_turns += 1

    def _write_usage(self, key: int) -> None:
        with self._usage_lock:
            entry = self._pending_usage.pop(key, None)
        if entry is None:
            return  # an earlier attempt, retried, already wrote the newest totals
        live, usage, cost = entry
        if live.db_id is None:
            return  # nothing of this conversation is stored yet; the first turn brings usage along
        try:
            self.store.record_usage(live.db_id, usage, cost)
        except ConversationNotFound:
            live.db_id = None
        except ConversationHistoryUnavailable:
            with self._usage_lock:
                self._pending_usage.setdefault(key, entry)  # for the retry, unless newer totals came meanwhile
            raise

    def _write_details(self, live: _Live, voice: str, prompt_name: str) -> None:
        live.voice, live.prompt_name = voice, prompt_name
        if live.db_id is not None:
            try:
                self.store.set_details(live.db_id, voice=voice, prompt_name=prompt_name)
            except ConversationNotFound:
                live.db_id = None

    def _purge(self, days: float) -> None:
        purged = self.store.purge_older_than(days)
        if purged:
            log.info("history retention: removed %d conversation(s) older than %s days", purged, days)


def _snapshot(turn: Turn) -> Turn:
    """A private copy: the live turn keeps changing on the Qt thread while the writer stores this one."""
    return dataclasses.replace(turn, latencies=dict(turn.latencies), usage=dataclasses.replace(turn.usage))
