"""Faults to inject per provider, switchable while the servers run.

A fault stays armed until cleared, or for ``times`` requests/connections when that is given, or for ``lasts``
seconds after it is armed (``Fault.http(503).lasting(20)``). Where a kind makes no sense for an endpoint (a websocket
close on a plain HTTP request) the endpoint ignores it and leaves it armed.

What each kind does:

- ``http(status)``: HTTP endpoints answer ``status`` with the provider's error body (and ``retry-after`` when given);
  websocket endpoints refuse the handshake with it.
- ``ws_close(code, reason)``: a websocket is accepted, then closed with ``code`` when the client's first message
  arrives (that is when real providers reject a bad context or setting).
- ``disconnect_after(n)``: the TCP connection is dropped, with no close frame or end of body, after the server has
  sent ``n`` messages (websocket) or stream events/lines (HTTP).
- ``hang()``: HTTP requests get no answer at all; websockets are accepted and then never answered.
- ``malformed()``: the first reply is not valid JSON (a websocket text message, an SSE event, a REST body).
- ``slow_first_byte(seconds)``: the response (or the websocket handshake answer) starts ``seconds`` late.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

PROVIDERS = (
    "cartesia",
    "cerebras",
    "elevenlabs",
    "cartesia_tts",
    "deepgram",
    "openai",
    "groq",
    "local_llm",
    "sarvam",
    "sarvam_tts",
)
#: Providers with no websocket endpoint (OpenAI-style chat completions only): a websocket close cannot reach them.
HTTP_ONLY_PROVIDERS = frozenset({"cerebras", "openai", "groq", "local_llm"})

HTTP_KINDS = frozenset({"http", "disconnect_after", "hang", "malformed", "slow_first_byte"})
WEBSOCKET_KINDS = frozenset({"http", "ws_close", "disconnect_after", "hang", "malformed", "slow_first_byte"})


@dataclass(frozen=True)
class Fault:
    """One injected failure. Build it with the class methods; ``times=None`` and ``lasts=None`` keep it armed until
    cleared."""

    kind: str
    status: int | None = None
    retry_after: float | None = None
    code: int | None = None
    reason: str | None = None
    n_messages: int | None = None
    seconds: float | None = None
    times: int | None = None
    #: Only requests whose path contains this string are affected (e.g. "/voices"); None = every endpoint.
    path_contains: str | None = None
    #: Seconds the fault stays armed, counted from when it is armed; None = until cleared (or used up).
    lasts: float | None = None

    def lasting(self, seconds: float) -> Fault:
        """This fault, disarming itself ``seconds`` after it is armed."""
        if not seconds > 0:
            raise ValueError("a fault must last a positive number of seconds")
        return replace(self, lasts=float(seconds))

    @classmethod
    def http(
        cls,
        status: int,
        retry_after: float | None = None,
        *,
        times: int | None = None,
        path_contains: str | None = None,
    ) -> Fault:
        return cls("http", status=status, retry_after=retry_after, times=times, path_contains=path_contains)

    @classmethod
    def ws_close(
        cls, code: int, reason: str | None = None, *, times: int | None = None, path_contains: str | None = None
    ) -> Fault:
        return cls("ws_close", code=code, reason=reason, times=times, path_contains=path_contains)

    @classmethod
    def disconnect_after(cls, n_messages: int, *, times: int | None = None, path_contains: str | None = None) -> Fault:
        return cls("disconnect_after", n_messages=n_messages, times=times, path_contains=path_contains)

    @classmethod
    def hang(cls, *, times: int | None = None, path_contains: str | None = None) -> Fault:
        return cls("hang", times=times, path_contains=path_contains)

    @classmethod
    def malformed(cls, *, times: int | None = None, path_contains: str | None = None) -> Fault:
        return cls("malformed", times=times, path_contains=path_contains)

    @classmethod
    def slow_first_byte(cls, seconds: float, *, times: int | None = None, path_contains: str | None = None) -> Fault:
        return cls("slow_first_byte", seconds=seconds, times=times, path_contains=path_contains)


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise ValueError(f"Unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}.")


class FaultBook:
    """The armed faults of every provider; safe to change from any thread.

    Each entry is ``[fault, uses left or None, monotonic expiry or None]``; expired entries are dropped whenever the
    book is read.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, list[list]] = {name: [] for name in PROVIDERS}

    def arm(self, provider: str, fault: Fault) -> None:
        _check_provider(provider)
        if not isinstance(fault, Fault):
            raise TypeError("fault must be a Fault (use Fault.http(...), Fault.hang(), ...)")
        if provider in HTTP_ONLY_PROVIDERS and fault.kind == "ws_close":
            raise ValueError(f"{provider} has no websocket endpoint, so it cannot get a websocket close fault")
        until = None if fault.lasts is None else time.monotonic() + fault.lasts
        with self._lock:
            self._armed[provider].append([fault, fault.times, until])

    def disarm(self, provider: str, fault: Fault) -> bool:
        """Remove every armed entry equal to ``fault``; True if there was one."""
        _check_provider(provider)
        with self._lock:
            entries = self._armed[provider]
            kept = [entry for entry in entries if entry[0] != fault]
            removed = len(kept) != len(entries)
            entries[:] = kept
        return removed

    def clear(self, provider: str | None = None) -> None:
        with self._lock:
            for name in self._armed:
                if provider is None or name == provider:
                    self._armed[name].clear()

    def take(self, provider: str, path: str, websocket: bool) -> Fault | None:
        """The fault that applies to this request or connection, counting it as used once."""
        kinds = WEBSOCKET_KINDS if websocket else HTTP_KINDS
        with self._lock:
            entries = self._unexpired(provider)
            for entry in entries:
                fault, remaining, _ = entry
                if fault.kind not in kinds:
                    continue
                if fault.path_contains is not None and fault.path_contains not in path:
                    continue
                if remaining is not None:
                    entry[1] = remaining - 1
                    if entry[1] <= 0:
                        entries.remove(entry)
                return fault
        return None

    def armed(self, provider: str) -> list[Fault]:
        with self._lock:
            return [entry[0] for entry in self._unexpired(provider)]

    def _unexpired(self, provider: str) -> list[list]:
        """The provider's entries with the expired ones removed (call with the lock held)."""
        entries = self._armed[provider]
        now = time.monotonic()
        entries[:] = [entry for entry in entries if entry[2] is None or entry[2] > now]
        return entries
