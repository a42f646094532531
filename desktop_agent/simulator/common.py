"""What the three emulators share: the run-time environment, fault handling at the start of a request, and a
websocket sender that applies message-level faults and records every reply."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from desktop_agent.simulator.errors import error_body
from desktop_agent.simulator.faults import Fault, FaultBook
from desktop_agent.simulator.keys import redact
from desktop_agent.simulator.profiles import LatencyProfile
from desktop_agent.simulator.records import RecordLog

MALFORMED_TEXT = '{"type": "transcript", "text": "unterminated'


class Env:
    """Run-time state every handler reads: the current profile, faults, records and the shutdown signal."""

    def __init__(self, get_profile: Callable[[], LatencyProfile], faults: FaultBook, records: RecordLog) -> None:
        self._get_profile = get_profile
        self.faults = faults
        self.records = records
        self.stopping = asyncio.Event()
        self.websockets: set[web.WebSocketResponse] = set()
        self.strict_elevenlabs = False

    @property
    def profile(self) -> LatencyProfile:
        return self._get_profile()

    async def sleep_or_stop(self, seconds: float | None = None) -> None:
        """Sleep (``None`` = until the simulator stops); returns early when it stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)


def request_summary(request: web.Request) -> dict:
    """Method, path, query and headers (names lower-cased) with credentials masked."""
    return {
        "method": request.method,
        "path": request.path,
        "query": redact(dict(request.query)),
        "headers": redact({name.lower(): value for name, value in request.headers.items()}),
    }


def query_lists(request: web.Request) -> dict[str, list[str]]:
    return {name: request.query.getall(name) for name in set(request.query.keys())}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, content_type="application/json", headers=headers)


def http_error(provider: str, status: int, retry_after: float | None = None, **fields: str) -> web.Response:
    headers = {"retry-after": _retry_after_text(retry_after)} if retry_after is not None else None
    return json_response(error_body(provider, status, **fields), status=status, headers=headers)


def _retry_after_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


async def start_of_request(
    env: Env, provider: str, request: web.Request, websocket: bool, **fields: str
) -> tuple[web.StreamResponse | None, Fault | None]:
    """Apply the armed fault that acts before any answer.

    Returns ``(response, None)`` when the request must be answered with that response right away (an injected
    status), else ``(None, fault)`` with the fault the handler still has to apply while answering (or None).
    ``hang`` blocks here until the simulator stops; ``slow_first_byte`` just delays.
    """
    fault = env.faults.take(provider, request.path, websocket)
    if fault is None:
        return None, None
    env.records.add(provider, "fault", {"kind": fault.kind, "path": request.path})
    if fault.kind == "http":
        assert fault.status is not None, "Fault.http sets the status"
        env.records.add(provider, "rejected", {"status": fault.status, "path": request.path, "injected": True})
        return http_error(provider, fault.status, fault.retry_after, **fields), None
    if fault.kind == "slow_first_byte":
        await env.sleep_or_stop(fault.seconds)
        return None, None
    if fault.kind == "hang" and not websocket:
        await env.sleep_or_stop()
        raise web.HTTPServiceUnavailable(text="simulator stopped")
    return None, fault


async def accept_websocket(
    env: Env, provider: str, kind: str, request: web.Request, refused: web.StreamResponse | None
) -> tuple[web.StreamResponse, Fault | None, str]:
    """The opening of a websocket as the emulated services do it: ``refused`` (a bad key, a bad parameter) or an
    injected fault answers the handshake instead; else the connect delay, then the upgrade with an ``X-Request-ID``.

    Returns ``(response, fault, request_id)``: the response is a prepared ``WebSocketResponse`` when accepted (its
    ``request_id`` set, ``fault`` still to apply while answering), else the refusal to return. Records ``kind``
    (``stt_connect``, ``tts_connect``) either way."""
    summary = request_summary(request)
    if refused is not None:
        env.records.add(provider, kind, summary, accepted=False)
        return refused, None, ""
    early, fault = await start_of_request(env, provider, request, websocket=True)
    if early is not None:
        env.records.add(provider, kind, summary, accepted=False)
        return early, None, ""
    await asyncio.sleep(env.profile.connect_delay)
    request_id = str(uuid.uuid4())
    ws = web.WebSocketResponse(max_msg_size=1 << 20)
    ws.headers["X-Request-ID"] = request_id
    await ws.prepare(request)
    env.websockets.add(ws)
    env.records.add(provider, kind, summary, accepted=True, request_id=request_id)
    return ws, fault, request_id


def parse_message(raw: str) -> Any:
    """A websocket text message decoded from JSON, or the raw text when it is not JSON."""
    with contextlib.suppress(ValueError):
        return json.loads(raw)
    return raw


def abort_connection(request: web.Request) -> None:
    """Drop the TCP connection without a close frame or the end of the body (what a network failure looks like)."""
    transport = request.transport
    if transport is not None:
        transport.abort()


DEFAULT_CLOSE_REASONS: dict[tuple[str, int | None], str] = {
    # A 1008 ElevenLabs really sent (pipecat issue #1426); the others are plausible stand-ins.
    ("elevenlabs", 1008): "We are sorry, something went wrong. You are not charged for this request.",
    ("cartesia", 1008): "Policy violation.",
    ("elevenlabs", 1011): "Internal server error.",
    ("cartesia", 1011): "Internal server error.",
}


def fault_close_reason(provider: str, fault: Fault) -> str:
    """The reason a ``ws_close`` fault closes with: its own, else what the provider says for that code."""
    return fault.reason if fault.reason is not None else DEFAULT_CLOSE_REASONS.get((provider, fault.code), "")


def close_reason(reason: str) -> bytes:
    return reason.encode()[:123].decode("utf-8", "ignore").encode()


class WsSender:
    """Sends a connection's replies one at a time, recording each and applying ``malformed``/``disconnect_after``/
    ``hang`` faults. Returns False once the connection is gone, so callers can stop producing."""

    def __init__(
        self, env: Env, provider: str, kind: str, request: web.Request, ws: web.WebSocketResponse, fault: Fault | None
    ) -> None:
        self._env, self._provider, self._kind = env, provider, kind
        self._request, self._ws, self._fault = request, ws, fault
        self._lock = asyncio.Lock()
        self.sent = 0
        if fault is not None and fault.kind == "disconnect_after" and fault.n_messages == 0:
            abort_connection(request)

    @property
    def open(self) -> bool:
        return not self._ws.closed and self._request.transport is not None and not self._request.transport.is_closing()

    async def send(self, message: dict, record: dict | None = None) -> bool:
        async with self._lock:
            if not self.open:
                return False
            fault = self._fault
            if fault is not None and fault.kind == "hang":
                return True
            text = json.dumps(message)
            if fault is not None and fault.kind == "malformed" and self.sent == 0:
                text = MALFORMED_TEXT
            try:
                await self._ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return False
            self.sent += 1
            self._env.records.add(self._provider, self._kind, record if record is not None else message)
            if fault is not None and fault.kind == "disconnect_after" and self.sent >= (fault.n_messages or 0):
                abort_connection(self._request)
                return False
            return True

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with ``code``; the reason is cut to the 123 bytes a close frame can carry, as real servers do
        (ElevenLabs' inactivity message arrives cut off mid-word)."""
        async with self._lock:
            if not self._ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self._ws.close(code=code, message=close_reason(reason))


@dataclass(eq=False)
class ContextAccount:
    """What one TTS context was sent and sent back, for its ``tts_context`` record."""

    context_id: str
    opened: float = field(default_factory=time.monotonic)  # on the records' clock
    text: str = ""
    audio_bytes: int = 0


class ContextLedger:
    """The ``tts_context`` records of one TTS socket, for the benchmark's cost accounting: each context's text, its
    characters (what the providers bill), when it opened, the audio bytes sent back and how it ended:
    ``completed`` (all its audio sent), ``interrupted`` (stopped by the client: its pending audio dropped) or
    ``socket_closed`` (the socket ended first). Each context is recorded once."""

    def __init__(self, env: Env, provider: str) -> None:
        self._env, self._provider = env, provider
        self._open: list[ContextAccount] = []

    def open(self, context_id: str) -> ContextAccount:
        account = ContextAccount(context_id)
        self._open.append(account)
        return account

    def end(self, account: ContextAccount, ended: str) -> None:
        if account not in self._open:
            return
        self._open.remove(account)
        self._env.records.add(
            self._provider,
            "tts_context",
            {
                "context_id": account.context_id,
                "opened": account.opened,
                "text": account.text,
                "chars": len(account.text),
                "audio_bytes": account.audio_bytes,
                "ended": ended,
            },
        )

    def end_all(self) -> None:
        """The socket is gone: every context still open ends with it."""
        for account in list(self._open):
            self.end(account, "socket_closed")
