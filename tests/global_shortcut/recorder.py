"""What a global shortcut listener reported, recorded from its thread, with a wait for a condition (no fixed sleeps)."""

from __future__ import annotations

import threading
from collections.abc import Callable

DEADLINE_S = 20.0


class Reports:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.sentences: list[str] = []
        self._changed = threading.Condition()

    def _add(self, entry: str, sentence: str = "") -> None:
        with self._changed:
            self.log.append(entry)
            if sentence:
                self.sentences.append(sentence)
            self._changed.notify_all()

    def key_down(self) -> None:
        self._add("down")

    def key_up(self) -> None:
        self._add("up")

    def registered(self, description: str) -> None:
        self._add("registered", description)

    def unavailable(self, reason: str) -> None:
        self._add("unavailable", reason)

    def wait_for(self, condition: Callable[[list[str]], bool], deadline_s: float = DEADLINE_S) -> list[str]:
        with self._changed:
            assert self._changed.wait_for(lambda: condition(self.log), deadline_s), self.log
            return list(self.log)
