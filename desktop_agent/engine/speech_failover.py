"""A fallback speech-to-text or text-to-speech provider that takes over when the chosen one's connection cannot be
restored, and hands the role back once the chosen one is well again.

Both services sit behind one Pipecat ``ServiceSwitcher`` (manual strategy: this class decides) and both connect
with the session, so the fallback stands by on an open socket (idle sockets cost nothing: these providers bill
audio and characters) and taking over costs no handshake. Two connection healers (:mod:`healing`) share the work:

* the session's healer watches the service that plays the role now; its reports are what the user sees;
* a standby healer, private to this class, keeps the other one connected: the fallback while the chosen one
  plays, the chosen one while the fallback stands in. Its reports are only logged.

The session's healer restarts a dropped connection at once; when that attempt fails too (refused, rate-limited, a
hang, a refused key), the retry policy has given that connection up for the moment and the fallback takes over, if
it is connected. Speech-to-text takes over mid-turn: the speech held while the link was down
(:class:`~desktop_agent.engine.speech_keeper.SpeechKeeper`) goes to the fallback. When the standby healer has the
chosen one connected again and the fallback has played for its hold (:class:`FallbackHold`), the chosen one takes
the role back between turns. Each switch is a :class:`~desktop_agent.state.events.ProviderSwitched`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from loguru import logger
from pipecat.frames.frames import Frame, ManuallySwitchServiceFrame
from pipecat.pipeline.service_switcher import ServiceSwitcher
from pipecat.processors.frame_processor import FrameProcessor

from desktop_agent import providers
from desktop_agent.engine.fallback_hold import FallbackHold
from desktop_agent.engine.healing import ConnectionHealer
from desktop_agent.state.events import (
    ConnectionStatus,
    ErrorKind,
    ErrorOccurred,
    Event,
    Provider,
    ProviderStatusChanged,
    ProviderSwitched,
)

#: How long a switch may take to reach the switcher in the pipeline before it is given up.
SWITCH_TIMEOUT_SECS = 5.0
#: How often a hand-back that found the conversation busy looks again.
QUIET_POLL_SECS = 0.5


class SpeechFailover:
    def __init__(
        self,
        role: Provider,
        chosen: tuple[str, FrameProcessor],
        fallback: tuple[str, FrameProcessor],
        switcher: ServiceSwitcher,
        healer: ConnectionHealer,
        *,
        queue: Callable[[Frame], Awaitable[None]],
        emit: Callable[[Event], None],
        quiet: Callable[[], bool],
        hold_secs: float,
    ) -> None:
        """``chosen`` and ``fallback`` are (provider id, service); ``queue`` puts a frame into the pipeline; ``emit``
        reports switches; ``quiet`` says whether the conversation is between turns (a hand-back waits for it)."""
        self.role = role
        self.chosen_id, self._chosen = chosen
        self.fallback_id, self._fallback = fallback
        self._switcher = switcher
        self._healer = healer
        self._queue = queue
        self._emit = emit
        self._quiet = quiet
        self._hold = FallbackHold(hold_secs)
        self._standby = ConnectionHealer({role: self._fallback}, self._on_standby_changed)
        self._standby_up = False
        self._refusal_said = False
        self._chosen_down = False  # the session's healer failed to bring the chosen one back
        self._switching = asyncio.Lock()
        self._switched = asyncio.Event()
        self._back_task: asyncio.Future | None = None
        self._tasks: set[asyncio.Future] = set()
        switcher.strategy.add_event_handler("on_service_switched", self._on_service_switched)
        self.standing_in = False

    def start(self) -> None:
        self._standby.start()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._standby.stop()

    def is_standby(self, service: object) -> bool:
        """Whether ``service`` stands by now (its errors are the standby healer's business, not the user's)."""
        return service is (self._chosen if self.standing_in else self._fallback)

    @property
    def active_service(self) -> FrameProcessor:
        return self._fallback if self.standing_in else self._chosen

    # -- what the session's healer says about the role -----------------------------------------------------------

    def link_changed(self, event: ProviderStatusChanged) -> None:
        """The session's healer reported on the service playing the role now."""
        if event.provider is not self.role or self.standing_in:
            return
        if event.status is ConnectionStatus.CONNECTED:
            self._chosen_down = False
        elif event.attempt >= 1:  # the restart right after the drop failed as well
            self._chosen_down = True
            self._spawn(self._fail_over())

    # -- what the standby healer says about the other one --------------------------------------------------------

    def standby_failed(self, reason: str, *, retry_after: float | None = None, refused: bool = False) -> None:
        """The standing-by service reported an error (``refused``: its key was refused)."""
        self._standby.note_failure(self.role, reason, retry_after=retry_after, refused=refused)

    def _on_standby_changed(self, event: ProviderStatusChanged) -> None:
        if event.status is ConnectionStatus.FAILED and not self.standing_in and not self._refusal_said:
            self._refusal_said = True  # once: the fallback's key is the user's to fix, and it is not urgent yet
            fallback, chosen, role = _name(self.fallback_id), _name(self.chosen_id), self.role.role_name
            self._emit(
                ErrorOccurred(
                    kind=ErrorKind.AUTH,
                    message=f"{fallback} refused its key, so it cannot take over {role} when {chosen} fails. "
                    "Check the key in Settings > Providers & keys.",
                    provider=self.role,
                )
            )
        up = event.status is ConnectionStatus.CONNECTED
        standby = self.chosen_id if self.standing_in else self.fallback_id
        if up != self._standby_up:
            logger.info(f"The standing-by {self.role} provider {standby} is {'connected' if up else 'not connected'}")
        self._standby_up = up
        if not up:
            return
        if self.standing_in:
            if self._back_task is None:
                self._back_task = self._spawn(self._hand_back_when_due())
        elif self._chosen_down:
            self._spawn(self._fail_over())

    # -- switching -----------------------------------------------------------------------------------------------

    async def _fail_over(self) -> None:
        async with self._switching:
            if self.standing_in or not self._chosen_down:
                return
            if not self._standby_up:
                logger.warning(f"The {self.role} provider {self.chosen_id} is down and {self.fallback_id} is not ready")
                return
            if not await self._switch_to(self._fallback):
                return
            self.standing_in = True
            self._hold.stood_in()
            self._healer.watch(self.role, self._fallback)
            self._standby_up = False
            self._standby.watch(self.role, self._chosen)
        logger.warning(f"The {self.role} provider {self.chosen_id} failed; {self.fallback_id} stands in")
        self._emit(
            ProviderSwitched(
                provider=self.role, name=_name(self.fallback_id), primary_name=_name(self.chosen_id), standing_in=True
            )
        )

    async def _hand_back_when_due(self) -> None:
        """The chosen one is connected again: give it the role back once the hold is over and nobody is talking."""
        try:
            while self.standing_in:
                wait = self._hold.remaining()
                if wait <= 0 and self._quiet():
                    break
                await asyncio.sleep(max(wait, QUIET_POLL_SECS))
            else:
                return
            async with self._switching:
                if not self._standby_up or not self.standing_in:
                    return  # it failed again meanwhile: the standby healer says when it is back
                if not await self._switch_to(self._chosen):
                    return
                self.standing_in = False
                self._chosen_down = False
                self._hold.came_back()
                self._healer.watch(self.role, self._chosen)
                self._standby_up = False
                self._standby.watch(self.role, self._fallback)
        finally:
            self._back_task = None
        logger.info(f"The {self.role} provider {self.chosen_id} is back; it plays its role again")
        self._emit(
            ProviderSwitched(
                provider=self.role, name=_name(self.chosen_id), primary_name=_name(self.chosen_id), standing_in=False
            )
        )

    async def _switch_to(self, service: FrameProcessor) -> bool:
        """Route the role's frames to ``service`` and wait until the switcher in the pipeline did: only then are
        frames sent after this (held speech, a reply) sure to reach the new service."""
        self._switched.clear()
        await self._queue(ManuallySwitchServiceFrame(service=service))
        try:
            await asyncio.wait_for(self._switched.wait(), SWITCH_TIMEOUT_SECS)
        except TimeoutError:
            logger.warning(f"Switching the {self.role} provider did not reach the pipeline")
            return False
        return self._switcher.strategy.active_service is service

    async def _on_service_switched(self, strategy: object, service: FrameProcessor) -> None:
        self._switched.set()

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Future:
        """Run ``coroutine`` on the engine loop, held until done (the loop keeps only weak references)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)
        return task


def _log_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.opt(exception=task.exception()).error("Switching a speech provider failed")


def _name(provider_id: str) -> str:
    return providers.get(provider_id).display_name
