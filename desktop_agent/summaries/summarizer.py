"""Summarizes ended conversations on a thread of its own: the extraction request, then the summary into history.

The history recorder hands over a conversation's id once its last turn is written (:meth:`Summarizer.request`); the
request goes to the language model the settings choose, through its endpoint and key, with a timeout. What comes of
it is one :class:`SummaryResult` for the front end: saved, or one plain sentence saying why not. A failure never
touches the conversation: it stays in history as it was, still marked as due, and is tried again at the next start.

Closing waits a few seconds at most (:data:`CLOSE_WAIT_S`) for the summaries under way; those not finished by then
stay due and are made at the next start (:meth:`Summarizer.request_due`), so closing the app never hangs on a slow
model.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from desktop_agent.providers.chat_completions import JsonRequestFailed, request_json
from desktop_agent.storage.history import ConversationHistoryUnavailable, ConversationNotFound, HistoryStore
from desktop_agent.summaries.extraction import (
    SCHEMA_NAME,
    UnusableAnswer,
    read_answer,
    request_messages,
    response_schema,
)

log = logging.getLogger(__name__)

#: How long the extraction request may take.
REQUEST_TIMEOUT_S = 30.0
#: How long closing the app waits for summaries under way.
CLOSE_WAIT_S = 4.0
#: Conversations left due by an earlier run that are summarized at start-up (the newest first).
DUE_AT_START = 20


@dataclass(frozen=True, slots=True)
class LanguageModelTarget:
    """Where the extraction request goes: the language model role's endpoint, key and model."""

    base_url: str
    api_key: str
    model: str
    reasoning_effort: str | None = None

    def __repr__(self) -> str:  # keys never reach logs through a repr
        return f"LanguageModelTarget(base_url={self.base_url!r}, model={self.model!r})"


@dataclass(frozen=True, slots=True)
class SummaryResult:
    """One conversation's summary: ``saved``, or ``sentence`` says why not (plain words, for the status line)."""

    conversation_id: int
    saved: bool
    sentence: str = ""
    title: str = ""


class Summarizer:
    """A queue of conversations to summarize and the thread that does it.

    ``target()`` gives the language model to ask (it raises ``ValueError`` with a sentence when the settings have
    none); ``fields_schema()`` the user's fields. ``on_result`` is called on this object's thread.
    """

    def __init__(
        self,
        store: HistoryStore,
        target: Callable[[], LanguageModelTarget],
        fields_schema: Callable[[], dict],
        *,
        on_result: Callable[[SummaryResult], None] | None = None,
        timeout: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.store = store
        self._target = target
        self._fields_schema = fields_schema
        self.on_result = on_result
        self.timeout = timeout
        self._queue: queue.Queue[int | Callable[[], object] | None] = queue.Queue()
        self._queued: set[int] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._give_up_at: float | None = None  # once closing: when the wait for what is queued ends
        self._thread = threading.Thread(target=self._run, name="summarizer", daemon=True)
        self._thread.start()

    def request(self, conversation_id: int) -> None:
        """Summarize ``conversation_id`` (any thread); a conversation already waiting is not queued twice."""
        with self._lock:
            if self._closed or conversation_id in self._queued:
                return
            self._queued.add(conversation_id)
        self._queue.put(conversation_id)

    def request_due(self) -> None:
        """Queue what an earlier run left due (the app closed before its summaries were made)."""
        self._queue.put(self._queue_due)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything requested so far is done; False on timeout. For tests and the benchmark."""
        done = threading.Event()
        self._queue.put(done.set)
        return done.wait(timeout)

    def close(self, wait: float = CLOSE_WAIT_S) -> None:
        """Finish what fits in ``wait`` seconds, then let go: the rest stays due for the next start."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._give_up_at = time.monotonic() + wait
        self._queue.put(None)
        self._thread.join(wait)
        if self._thread.is_alive():
            log.info("Summaries still under way when closing are made at the next start")

    # ------------------------------------------------------------------ the summarizer's thread
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if callable(item):
                item()
                continue
            with self._lock:
                self._queued.discard(item)
                late = self._give_up_at is not None and time.monotonic() > self._give_up_at
            if late:
                continue  # closed, and the wait is over: what is left stays due for the next start
            result = self._summarize(item)
            if result is not None and self.on_result is not None:
                try:
                    self.on_result(result)
                except Exception:
                    log.exception("summary on_result callback failed")

    def _queue_due(self) -> None:
        try:
            due = self.store.summaries_due(DUE_AT_START)
        except ConversationHistoryUnavailable as exc:
            log.warning("Summaries due from an earlier run could not be listed: %s", exc)
            return
        for conversation_id in due:
            self.request(conversation_id)

    def _summarize(self, conversation_id: int) -> SummaryResult | None:
        started = time.monotonic()
        try:
            conversation = self.store.get_conversation(conversation_id)
            if conversation is None:
                return None  # deleted meanwhile
            turns = [(str(turn.role), turn.text) for turn in conversation.turns if turn.text.strip()]
            if not turns:
                self.store.drop_summary_due(conversation_id)
                return None
            fields = self._fields_schema()
            target = self._target()
            answer = request_json(
                target.base_url,
                target.api_key,
                target.model,
                request_messages(turns, fields),
                schema_name=SCHEMA_NAME,
                schema=response_schema(fields),
                timeout=self.timeout,
                reasoning_effort=target.reasoning_effort,
            )
            extraction = read_answer(answer, fields)
            self.store.save_summary(conversation_id, extraction.title, extraction.summary, extraction.fields)
        except ConversationNotFound:
            return None
        except (ValueError, JsonRequestFailed, ConversationHistoryUnavailable) as exc:
            why = _why(exc)
            log.warning("The summary of conversation %d was not made: %s", conversation_id, why)
            return SummaryResult(
                conversation_id,
                False,
                f"The conversation was saved without a summary: {why}. It is tried again at the next start.",
            )
        log.info("Summarized conversation %d in %.1f s", conversation_id, time.monotonic() - started)
        return SummaryResult(conversation_id, True, "The conversation's summary is in History.", extraction.title)


def _why(exc: Exception) -> str:
    if isinstance(exc, UnusableAnswer):
        return "the language model did not answer with the JSON asked for"
    if isinstance(exc, ConversationHistoryUnavailable):
        return "the history could not be written"
    text = str(exc).rstrip(".") or type(exc).__name__
    return text[0].lower() + text[1:] if isinstance(exc, ValueError) else text
