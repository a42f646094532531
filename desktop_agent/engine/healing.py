"""Keeps the session's provider connections alive for as long as the session runs.

Pipecat 1.14 gives a websocket service three reconnect attempts (or three connections in a row that die within 5 s),
then writes it off: the service is marked unusable and the rest of the session runs without it. A handshake refused
with 400/401/403/404/422 writes it off at once. A desktop app that runs all day cannot stop there: Wi-Fi drops, a
laptop sleeps, a provider has a bad minute. So the session builds its websocket services with Pipecat's own
reconnect loop off (``reconnect_on_error=False``) and this healer is the one policy for every connection:

* it watches each link (a nudge on every connect/disconnect event, plus a poll: every ``poll_secs`` while a link
  is down or being restarted, every ``idle_poll_secs`` while all are up, as the events tell of a change then and an
  idle app should not wake ten times a second for nothing);
* a link whose socket is gone, whose service was written off, or that a deadline found stuck is restarted in full
  (``_disconnect()`` then ``_connect()``: Pipecat's own pair, which also replaces a finished receive task; a bare
  ``set_usable(True)`` would leave a websocket TTS whose receive task ended, for one, reading nothing), with capped
  exponential backoff and jitter, honouring a provider's ``retry-after``, for as long as the session runs;
* where a service keeps its connection depends on what it is (:func:`connection_view`): Pipecat's websocket services
  hold the socket themselves (``_websocket``, read by ``_receive_task``); services built on a provider's client
  library hold the library's connection object (``_connection``, with its socket inside), run by a connection task
  (``_connection_task``); a service with no lasting connection counts as always up. Such a client-library service
  must make one attempt per ``_connect()`` (its provider module builds it so), as ``reconnect_on_error=False`` does
  for the websocket ones, so that the healer stays the one reconnect policy;
* the language model has no connection to keep: a failed request marks it down, and while it is down a cheap probe
  (the provider's model list) is retried on the same schedule, so the first turn after it is back goes through.

Each change is reported as a :class:`ProviderStatusChanged` that says since when the link is down and when the next
attempt is, for the status bar and the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from loguru import logger
from websockets.protocol import State

from desktop_agent.state.events import ConnectionStatus, Provider, ProviderStatusChanged

#: How long one restart (disconnect + connect) may take before it counts as failed.
RESTART_TIMEOUT_SECS = 10.0
#: How often the links are looked at while all are up: their connect/disconnect events nudge the healer, so the
# poll only catches a socket that died without one.
IDLE_POLL_SECS = 1.0


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter: attempt n waits ``first * factor**(n-1)``, at most ``cap``, and a
    random share (``jitter``) less, so clients cut off together do not come back in lockstep."""

    first: float = 0.25
    factor: float = 2.0
    cap: float = 4.0
    jitter: float = 0.5
    #: The cap for a link whose key was refused before it ever connected (a wrong key is not fixed by hammering).
    refused_cap: float = 30.0
    #: The longest ``retry-after`` honoured; a provider asking for more is asked again after this long.
    retry_after_cap: float = 60.0

    def wait(
        self, attempt: int, *, retry_after: float | None = None, refused: bool = False, rng: random.Random | None = None
    ) -> float:
        cap = self.refused_cap if refused else self.cap
        base = min(cap, self.first * self.factor ** max(0, attempt - 1))
        wait = base * (1.0 - self.jitter * (rng or random).random())
        if retry_after is not None and retry_after > 0:
            wait = max(wait, min(retry_after, self.retry_after_cap))
        return wait


class ConnectionView:
    """Where a service keeps its connection, and whether that connection is open and read. The base class is for a
    service with no lasting connection (one that connects per request): nothing to watch, always up."""

    #: What the log calls the kind.
    kind = "no lasting connection"
    #: Stands for the connection of a service that has none (it never changes, so it never counts as a new one).
    ALWAYS = object()

    def open_socket(self, service: object) -> object | None:
        """The live connection (a new object per connection: a change means a new one), or None when it is gone."""
        return self.ALWAYS

    def adopt(self, service: object) -> None:
        """Prepare ``service`` for being healed (once, when the healer starts watching it)."""


class WebsocketView(ConnectionView):
    """Pipecat's websocket services: the socket is ``_websocket``, read by ``_receive_task``. A socket nobody reads
    any more (its receive loop ended on a bad message) is as good as closed.

    Such a service also reconnects by itself when it has something to send on a closed socket (a text-to-speech
    service's ``run_tts`` does). Done at the same time as the healer's restart, that made two handshakes at once:
    the receive task read the first socket while ``_websocket`` (where requests go) became the second, so every
    later reply was sent and answered on a socket nobody read, with both sockets open and nothing to notice
    (measured: a drop while a reply's first sentences were still being sent left every following reply silent).
    :meth:`adopt` makes the service's handshakes one at a time: a second caller gets the socket the first is opening.
    """

    kind = "websocket"

    def adopt(self, service: object) -> None:
        connect = getattr(service, "_websocket_connect", None)
        if connect is not None and not isinstance(connect, _OneHandshake):
            service._websocket_connect = _OneHandshake(connect)  # type: ignore[attr-defined]

    def open_socket(self, service: object) -> object | None:
        websocket = getattr(service, "_websocket", None)
        if not _is_open(websocket):
            return None
        receiver = getattr(service, "_receive_task", None)
        if hasattr(service, "_receive_task") and (receiver is None or receiver.done()):
            return None
        return websocket


class ClientConnectionView(ConnectionView):
    """Services built on a provider's client library: its connection object is ``_connection`` (None when there is
    none), run by ``_connection_task``; the socket inside it, if it shows one (``_websocket``), must be open."""

    kind = "client connection"

    def open_socket(self, service: object) -> object | None:
        connection = getattr(service, "_connection", None)
        task = getattr(service, "_connection_task", None)
        if connection is None or task is None or task.done():
            return None
        if hasattr(connection, "_websocket") and not _is_open(connection._websocket):
            return None
        return connection


def connection_view(service: object) -> ConnectionView:
    """How to watch ``service``'s connection, chosen by what the service holds (not by who provides it)."""
    if hasattr(service, "_websocket"):
        return WebsocketView()
    if hasattr(service, "_connection_task"):
        return ClientConnectionView()
    return ConnectionView()


class _OneHandshake:
    """Wraps a service's ``_websocket_connect``: while a handshake is under way, a call with the same arguments waits
    for it and gets the same socket instead of opening another. The handshake is abandoned only when every caller
    waiting for it was cancelled."""

    def __init__(self, connect: Callable[..., Awaitable[object]]) -> None:
        self._connect = connect
        self._pending: asyncio.Future | None = None
        self._arguments: tuple | None = None
        self._waiting: dict[asyncio.Future, int] = {}  # callers waiting for each handshake under way

    async def __call__(self, *args: Any, **kwargs: Any) -> object:
        arguments = (args, kwargs)
        if self._pending is None or self._pending.done() or self._arguments != arguments:
            self._pending = asyncio.ensure_future(self._connect(*args, **kwargs))
            self._pending.add_done_callback(_retrieve)
            self._arguments = arguments
        pending = self._pending
        self._waiting[pending] = self._waiting.get(pending, 0) + 1
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            if self._waiting[pending] == 1:
                pending.cancel()
            raise
        finally:
            self._waiting[pending] -= 1
            if not self._waiting[pending]:
                del self._waiting[pending]


def _retrieve(future: asyncio.Future) -> None:
    """Marks a shared handshake's failure as seen (each caller gets it raised; none may be left to wait for it)."""
    if not future.cancelled():
        future.exception()


def _is_open(websocket: object | None) -> bool:
    return websocket is not None and getattr(websocket, "state", None) is State.OPEN


@dataclass
class _Link:
    provider: Provider
    service: object
    view: ConnectionView = field(default_factory=ConnectionView)
    probe: Callable[[], Awaitable[bool]] | None = None  # for links without a socket (the language model)
    up: bool = False
    ever_up: bool = False
    socket: object | None = None
    generation: int = 0
    down_since: float | None = None  # wall clock
    attempt: int = 0
    next_attempt: float = 0.0  # monotonic
    retry_after: float | None = None
    refused: bool = False
    reason: str = ""
    restart_requested: bool = False
    up_event: asyncio.Event = field(default_factory=asyncio.Event)
    busy: asyncio.Future | None = None  # the attempt under way


class ConnectionHealer:
    """Watches and restarts the session's provider links; engine loop only (see the module docstring)."""

    def __init__(
        self,
        sockets: Mapping[Provider, object],
        report: Callable[[ProviderStatusChanged], None],
        *,
        probes: Mapping[Provider, Callable[[], Awaitable[bool]]] | None = None,
        backoff: Backoff | None = None,
        poll_secs: float = 0.2,
        idle_poll_secs: float = IDLE_POLL_SECS,
        restart_timeout: float = RESTART_TIMEOUT_SECS,
    ):
        self._links: dict[Provider, _Link] = {p: _Link(p, s, connection_view(s)) for p, s in sockets.items()}
        for link in self._links.values():
            link.view.adopt(link.service)
            logger.debug(f"Watching the {link.provider} link as a {link.view.kind}")
        for provider, probe in (probes or {}).items():
            self._links[provider] = _Link(provider, None, probe=probe, up=True)
        self._report = report
        self._backoff = backoff or Backoff()
        self._poll_secs = poll_secs
        self._idle_poll_secs = idle_poll_secs
        self._restart_timeout = restart_timeout
        self._nudge = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._rng = random.Random()

    # -- queries ----------------------------------------------------------------------------------------------

    def is_up(self, provider: Provider) -> bool:
        link = self._links.get(provider)
        return link is not None and link.up and not link.restart_requested

    def was_up(self, provider: Provider) -> bool:
        """The link has worked in this session (a socket connected, or a request answered)."""
        link = self._links.get(provider)
        return link is not None and link.ever_up

    def generation(self, provider: Provider) -> int:
        """Counts the connections ``provider`` has had: a change means audio sent before it may be lost."""
        return self._links[provider].generation

    def down_since(self, provider: Provider) -> float | None:
        return self._links[provider].down_since

    async def wait_up(self, provider: Provider, timeout: float) -> bool:
        link = self._links[provider]
        if self.is_up(provider):
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(link.up_event.wait(), timeout)
        return self.is_up(provider)

    # -- what the session tells the healer ------------------------------------------------------------------

    def nudge(self) -> None:
        """A connection event happened: look at the links now rather than at the next poll."""
        self._nudge.set()

    def watch(self, provider: Provider, service: object) -> None:
        """Watch ``service`` for ``provider`` from now on (a fallback took the role over, or the chosen provider took
        it back). It is looked at at once: reported connected if it is, restarted if not."""
        old = self._links[provider]
        link = _Link(provider, service, connection_view(service), generation=old.generation + 1)
        link.view.adopt(service)
        self._links[provider] = link
        if old.busy is not None:
            old.busy.cancel()  # an attempt on the service no longer watched (another healer may take it over)
        old.up_event.set()  # a waiter on the old link looks again, at the new one
        self.nudge()

    def request_restart(self, provider: Provider, reason: str) -> None:
        """The link is open but stuck (a deadline passed with no answer): replace it at once."""
        link = self._links[provider]
        logger.info(f"Restarting the {provider} connection: {reason}")
        link.restart_requested = True
        self._mark_down(link, reason)
        link.next_attempt = 0.0
        self.nudge()

    def note_failure(
        self, provider: Provider, reason: str, *, retry_after: float | None = None, refused: bool = False
    ) -> None:
        """A request or connect attempt failed (with the provider's ``retry-after``, if it gave one)."""
        link = self._links.get(provider)
        if link is None:
            return
        if retry_after is not None:
            link.retry_after = retry_after
        link.refused = refused and not link.ever_up
        if link.probe is not None:  # the language model: a failed request is the only sign it is down
            self._mark_down(link, reason)
            self.nudge()
        elif not link.up:
            link.reason = reason
            self._report_down(link)

    def note_success(self, provider: Provider) -> None:
        """A request to a link without a socket (the language model) succeeded."""
        link = self._links.get(provider)
        if link is None or link.probe is None:
            return
        link.ever_up = True
        if not link.up:
            self._mark_up(link)

    # -- the watch loop ---------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while not self._stopping:
            for link in list(self._links.values()):
                try:
                    await self._check(link)
                except asyncio.CancelledError:
                    raise
                except Exception:  # one link's trouble must not stop the others from healing
                    logger.exception(f"Checking the {link.provider} connection failed")
            self._nudge.clear()
            all_up = all(link.up and not link.restart_requested for link in self._links.values())
            # A timeout scope, not wait_for: that wraps each wait in a task of its own.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle_poll_secs if all_up else self._poll_secs):
                    await self._nudge.wait()

    async def _check(self, link: _Link) -> None:
        if self._links.get(link.provider) is not link:
            return  # replaced by watch() meanwhile
        if link.probe is not None:
            if not link.up and time.monotonic() >= link.next_attempt:
                await self._attempt(link, self._probe)
            return
        socket = link.view.open_socket(link.service)
        healthy = socket is not None and getattr(link.service, "is_usable", True) and not link.restart_requested
        if healthy:
            if socket is not link.socket:
                link.socket = socket
                link.generation += 1
            if not link.up:
                self._mark_up(link)
            return
        if link.up:
            self._mark_down(link, "connection lost")
        if time.monotonic() >= link.next_attempt:
            await self._attempt(link, self._restart)

    async def _attempt(self, link: _Link, action: Callable[[_Link], Awaitable[bool]]) -> None:
        link.attempt += 1
        link.restart_requested = False
        attempt = asyncio.ensure_future(asyncio.wait_for(action(link), self._restart_timeout))
        link.busy = attempt
        try:
            await asyncio.wait({attempt})
        except asyncio.CancelledError:
            attempt.cancel()
            raise
        finally:
            link.busy = None
        if self._links.get(link.provider) is not link:
            return  # replaced by watch() meanwhile: the attempt was abandoned
        ok = False
        if not attempt.cancelled():
            failure = attempt.exception()
            if failure is None:
                ok = attempt.result()
            else:  # any failure is one more failed attempt
                logger.info(f"Reconnecting {link.provider} failed: {type(failure).__name__}")
        if ok:
            if link.probe is None:
                link.socket = link.view.open_socket(link.service)
                link.generation += 1
            self._mark_up(link)
            return
        wait = self._backoff.wait(link.attempt, retry_after=link.retry_after, refused=link.refused, rng=self._rng)
        link.retry_after = None
        link.next_attempt = time.monotonic() + wait
        self._report_down(link)

    async def _restart(self, link: _Link) -> bool:
        """Pipecat's own disconnect + connect: a new socket and a new receive task; then usable again."""
        service = link.service
        if type(link.view) is ConnectionView:  # nothing to reconnect: only the verdict to take back
            if not service.is_usable:  # type: ignore[attr-defined]
                await service.set_usable(True)  # type: ignore[attr-defined]
            return True
        with contextlib.suppress(Exception):
            await service._disconnect()  # type: ignore[attr-defined]
        await service._connect()  # type: ignore[attr-defined]
        if link.view.open_socket(service) is None:
            with contextlib.suppress(Exception):
                await service._disconnect()  # type: ignore[attr-defined]
            return False
        if not service.is_usable:  # type: ignore[attr-defined]
            await service.set_usable(True)  # type: ignore[attr-defined]
        return True

    async def _probe(self, link: _Link) -> bool:
        assert link.probe is not None
        return await link.probe()

    # -- reporting --------------------------------------------------------------------------------------------

    def _mark_up(self, link: _Link) -> None:
        was_down = link.down_since is not None
        link.up = link.ever_up = True
        link.attempt = 0
        link.down_since = None
        link.refused = False
        link.reason = ""
        link.next_attempt = 0.0
        link.up_event.set()
        if was_down:
            logger.info(f"The {link.provider} connection is back")
        self._report(ProviderStatusChanged(provider=link.provider, status=ConnectionStatus.CONNECTED))

    def _mark_down(self, link: _Link, reason: str) -> None:
        """The link went down: the first attempt to bring it back is made at once."""
        if not link.up and link.down_since is not None:
            return
        link.up = False
        link.up_event.clear()
        link.down_since = time.time()
        link.reason = reason
        link.next_attempt = time.monotonic()
        self._report_down(link)

    def _report_down(self, link: _Link) -> None:
        if self._stopping:
            return
        if link.down_since is None:
            link.down_since = time.time()
        delay = max(0.0, link.next_attempt - time.monotonic())
        status = ConnectionStatus.FAILED if link.refused else ConnectionStatus.DISCONNECTED
        if not link.ever_up and not link.refused:
            status = ConnectionStatus.CONNECTING
        self._report(
            ProviderStatusChanged(
                provider=link.provider,
                status=status,
                reason=link.reason,
                down_since=link.down_since,
                retry_at=time.time() + delay,
                attempt=link.attempt,
            )
        )
