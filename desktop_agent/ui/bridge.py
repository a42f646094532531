"""The one door from the engine thread into Qt: events in, coalesced per-area signals out.

:meth:`EngineBridge.deliver` is the engine's ``on_event`` callback and runs on the engine thread: it only appends
to a locked queue and, for the first event of a batch, emits a queued signal. On the Qt thread :meth:`flush`
folds every pending event into the :class:`Conversation` and emits one signal per changed :class:`Area`, so a
burst of 100 word events costs one repaint, not 100. No Qt object is touched from the engine thread
(architecture.md pitfall 5).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area, Conversation, Turn
from desktop_agent.ui import exception_guard

log = logging.getLogger(__name__)

#: A plain-Python listener called on the Qt thread after each event is applied (e.g. the history recorder).
EventObserver = Callable[[Conversation, Area], None]


class EngineBridge(QObject):
    transcript_changed = Signal()
    turns_finished = Signal(list)  # list[Turn] that became final in this batch, in order
    latency_changed = Signal()
    agent_state_changed = Signal()
    mode_changed = Signal()
    providers_changed = Signal()
    usage_changed = Signal()
    levels_changed = Signal()
    session_changed = Signal()
    error_occurred = Signal(object)  # each new ev.ErrorOccurred, in order
    session_started = Signal()  # an ev.SessionStarted was applied
    session_ended = Signal(str)  # an ev.SessionEnded was applied; its reason
    changed = Signal(object)  # Area: the union of everything a batch changed

    _wake = Signal()

    def __init__(self, conversation: Conversation | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.conversation = conversation or Conversation()
        self._lock = threading.Lock()
        self._pending: list[ev.Event] = []
        self._wake_posted = False
        self._closed = False
        self._observers: list[EventObserver] = []
        self.batches = 0  # flushes that applied at least one event (diagnostics and tests)
        self._wake.connect(self.flush, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ any thread
    def deliver(self, event: ev.Event) -> None:
        """Queue one engine event; safe from any thread, never blocks on Qt."""
        with self._lock:
            if self._closed:
                return
            self._pending.append(event)
            if self._wake_posted:
                return
            self._wake_posted = True
        try:
            self._wake.emit()
        except RuntimeError:  # the Qt side is already gone (late event during shutdown)
            log.debug("event after the window closed: %r", event)

    def close(self) -> None:
        """Stop accepting events (call once the engine has stopped)."""
        with self._lock:
            self._closed = True
            self._pending.clear()

    # ------------------------------------------------------------------ Qt thread
    def add_observer(self, observer: EventObserver) -> None:
        """Call ``observer(conversation, areas)`` after every applied event (not coalesced), on the Qt thread."""
        self._observers.append(observer)

    def remove_observer(self, observer: EventObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def flush(self) -> Area:
        """Apply everything pending and emit the per-area signals; returns the union of changed areas."""
        with self._lock:
            events, self._pending = self._pending, []
            self._wake_posted = False
        if not events:
            return Area.NONE
        areas = Area.NONE
        finished: list[Turn] = []
        errors: list[ev.ErrorOccurred] = []
        lifecycle: list[ev.SessionStarted | ev.SessionEnded] = []
        for event in events:
            try:
                changed = self.conversation.apply(event)
            except Exception as exc:  # noqa: BLE001 - one malformed event must not stop the others
                exception_guard.report(exc, "the conversation display")
                continue
            areas |= changed
            finished.extend(self.conversation.last_finished)
            if isinstance(event, ev.ErrorOccurred):
                errors.append(event)
            elif isinstance(event, (ev.SessionStarted, ev.SessionEnded)):
                lifecycle.append(event)
            for observer in list(self._observers):
                try:
                    observer(self.conversation, changed)
                except Exception as exc:  # noqa: BLE001 - a failing listener must not stop the display
                    exception_guard.report(exc, "a conversation listener")
        self.batches += 1
        self._emit(areas, finished, errors)
        for event in lifecycle:
            if isinstance(event, ev.SessionStarted):
                self.session_started.emit()
            else:
                self.session_ended.emit(event.reason)
        return areas

    def _emit(self, areas: Area, finished: list[Turn], errors: list[ev.ErrorOccurred]) -> None:
        if areas & Area.SESSION:
            self.session_changed.emit()
        if areas & Area.MODE:
            self.mode_changed.emit()
        if areas & Area.AGENT_STATE:
            self.agent_state_changed.emit()
        if areas & Area.TRANSCRIPT:
            self.transcript_changed.emit()
        if finished:
            self.turns_finished.emit(finished)
        if areas & Area.LATENCY:
            self.latency_changed.emit()
        if areas & Area.PROVIDERS:
            self.providers_changed.emit()
        if areas & Area.USAGE:
            self.usage_changed.emit()
        if areas & Area.LEVELS:
            self.levels_changed.emit()
        for error in errors:
            self.error_occurred.emit(error)
        if areas:
            self.changed.emit(areas)
