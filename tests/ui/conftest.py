"""Helpers for the window's widget tests: feed state events, count repaints, send raw key events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area, Conversation


def feed(conversation: Conversation, *events: ev.Event) -> Area:
    """Apply events to a conversation; returns the union of changed areas."""
    areas = Area.NONE
    for event in events:
        areas |= conversation.apply(event)
    return areas


def exchange(user: str, reply_words: list[str], latencies: dict[ev.Stage, float] | None = None) -> list[ev.Event]:
    """The events of one finished push-to-talk exchange."""
    events: list[ev.Event] = [ev.UserTranscript(user, final=True), ev.UserTurnEnded(user)]
    events += [ev.StageLatency(stage, seconds) for stage, seconds in (latencies or {}).items()]
    events += [ev.AssistantTurnStarted()]
    events += [ev.AssistantWordSpoken(word) for word in reply_words]
    events += [ev.AssistantTurnEnded(" ".join(reply_words), interrupted=False)]
    return events


class PaintCounter(QObject):
    """Counts paint events per widget (an application-wide event filter)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[int] = Counter()
        self.names: dict[int, str] = {}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget):
            self.counts[id(watched)] += 1
            self.names[id(watched)] = f"{type(watched).__name__}:{watched.objectName() or watched.accessibleName()}"
        return False

    def of(self, widget: QWidget) -> int:
        return self.counts[id(widget)]

    def total(self) -> int:
        return sum(self.counts.values())

    def painted(self) -> list[str]:
        return sorted(self.names[key] for key, count in self.counts.items() if count)

    def reset(self) -> None:
        self.counts.clear()


@pytest.fixture
def paint_counter(qapp) -> Iterator[PaintCounter]:
    counter = PaintCounter()
    qapp.installEventFilter(counter)
    yield counter
    qapp.removeEventFilter(counter)


def send_key(widget: QWidget, key: Qt.Key, press: bool, auto_repeat: bool = False,
             modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier, text: str = " ") -> None:
    """Deliver one key event as the platform would (through QApplication, so event filters see it)."""
    kind = QEvent.Type.KeyPress if press else QEvent.Type.KeyRelease
    QApplication.sendEvent(widget, QKeyEvent(kind, key, modifiers, text, auto_repeat))
