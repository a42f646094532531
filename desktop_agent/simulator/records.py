"""A thread-safe log of every request and message the emulators see or send, for assertions."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    """One event. ``at`` is ``time.monotonic()``.

    Kinds (provider in brackets): ``stt_connect``, ``stt_audio`` (per binary frame: ``{"bytes", "speech"}``),
    ``stt_message`` (client text), ``stt_reply``, ``stt_close`` [cartesia]; ``voices_request`` [cartesia,
    elevenlabs]; ``llm_request`` (parsed JSON body; headers in ``meta``), ``llm_reply`` (what was streamed),
    ``llm_usage`` (a request's tokens, generated or not, and whether the client abandoned it), ``models_request``
    [every language model: cerebras, openai, groq, local_llm]; ``tts_connect``, ``tts_message``, ``tts_reply``
    (audio replaced by its byte count), ``tts_close``, ``tts_http_request``, ``tts_context`` (a context's text and
    characters and how it ended) [elevenlabs]; ``rejected`` (auth failure or injected HTTP status) and ``fault`` (an
    armed fault acting on a request) [any]; ``fault_armed``, ``fault_cleared``, ``faults_cleared`` and
    ``connections_dropped`` (``{"count"}``) [any], from the simulator's fault controls.
    """

    provider: str
    kind: str
    data: Any
    at: float
    meta: dict = field(default_factory=dict)


class RecordLog:
    """Keeps the newest ``max_records`` records, so a simulator left running for hours (``--simulate``) stays small:
    the STT alone records fifty audio frames a second."""

    def __init__(self, max_records: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._items: deque[Record] = deque(maxlen=max_records)

    def add(self, provider: str, kind: str, data: Any, **meta: Any) -> Record:
        record = Record(provider, kind, data, time.monotonic(), meta)
        with self._lock:
            self._items.append(record)
        return record

    def snapshot(self) -> list[Record]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def select(self, provider: str | None = None, kind: str | None = None) -> list[Record]:
        return [
            r
            for r in self.snapshot()
            if (provider is None or r.provider == provider) and (kind is None or r.kind == kind)
        ]
