"""Which language model answers: the chosen provider, a fallback standing in while it fails, or another one the user
switched to between turns.

The session builds every language model provider it has a key for behind one Pipecat ``LLMSwitcher`` (manual
strategy: this class decides). When the reply guard gives a turn up (the chosen provider refused or stayed silent
past its retries), :meth:`fail_over` switches to the fallback, if one is set, and the same turn is asked of it. The
connection healer keeps probing the chosen provider meanwhile (its free model list); once it answers and the
fallback has answered for at least ``fallback_hold_secs`` (a model list can answer while completions still fail;
the hold doubles each time the chosen provider fails again soon after coming back), :meth:`primary_back` switches
back. Each switch is a :class:`~desktop_agent.state.events.ProviderSwitched`, which the
status bar and the console show.

Pipecat's own failover strategy is not used: it switches only when a service is written off for good
(``is_usable`` False), which Pipecat's language model services never are; here the retry policy decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from loguru import logger
from pipecat.frames.frames import Frame, ManuallySwitchServiceFrame
from pipecat.services.llm_service import LLMService

from desktop_agent import providers
from desktop_agent.engine.config import EngineConfig
from desktop_agent.engine.fallback_hold import FallbackHold
from desktop_agent.engine.services import Services
from desktop_agent.state.events import Event, Provider, ProviderSwitched


class LanguageModelSwitch:
    def __init__(
        self,
        config: EngineConfig,
        services: Services,
        queue: Callable[[Frame], Awaitable[None]],
        emit: Callable[[Event], None],
        chosen_is_up: Callable[[], bool] = lambda: True,
    ) -> None:
        """``queue`` puts a frame into the pipeline (it travels down to the switcher); ``emit`` reports switches;
        ``chosen_is_up`` is the healer's word on the chosen provider."""
        self._services = {config.llm_provider: services.llm, **services.llm_alternatives}
        self._queue = queue
        self._emit = emit
        self._chosen_is_up = chosen_is_up
        self._hold = FallbackHold(config.fallback_hold_secs)
        self._back_timer: asyncio.TimerHandle | None = None
        self.chosen = config.llm_provider
        self.active = config.llm_provider
        fallback = config.llm_fallback
        self.fallback = fallback if fallback in self._services and fallback != self.chosen else ""

    @property
    def standing_in(self) -> bool:
        """A fallback answers because the chosen provider failed."""
        return self.active != self.chosen

    @property
    def can_fail_over(self) -> bool:
        return bool(self.fallback) and not self.standing_in

    def is_chosen(self, service: object) -> bool:
        """Whether ``service`` is the chosen provider's (its answers say the chosen provider is healthy)."""
        return service is self._services[self.chosen]

    def service(self, provider_id: str) -> LLMService | None:
        return self._services.get(provider_id)

    async def fail_over(self) -> bool:
        """Let the fallback answer from now on (the turn in hand too); False when there is none to switch to."""
        if not self.can_fail_over:
            return False
        self._hold.stood_in()
        await self._switch(self.fallback)
        logger.warning(f"The language model {self.chosen} failed; {self.fallback} stands in")
        self._emit(
            ProviderSwitched(
                provider=Provider.LLM, name=_name(self.fallback), primary_name=_name(self.chosen), standing_in=True
            )
        )
        return True

    async def primary_back(self) -> None:
        """The chosen provider answers again (the healer's probe got through): switch back to it, once the fallback
        has answered for the hold time."""
        if not self.standing_in:
            return
        wait = self._hold.remaining()
        if wait > 0:
            if self._back_timer is None:
                self._back_timer = asyncio.get_running_loop().call_later(
                    wait, lambda: asyncio.ensure_future(self._hold_over())
                )
            return
        if not self._chosen_is_up():
            return
        self._hold.came_back()
        await self._switch(self.chosen)
        logger.info(f"The language model {self.chosen} is back; it answers again")
        self._emit(
            ProviderSwitched(
                provider=Provider.LLM, name=_name(self.chosen), primary_name=_name(self.chosen), standing_in=False
            )
        )

    async def _hold_over(self) -> None:
        self._back_timer = None
        if self._chosen_is_up():
            await self.primary_back()

    def close(self) -> None:
        if self._back_timer is not None:
            self._back_timer.cancel()
            self._back_timer = None

    async def choose(self, provider_id: str) -> bool:
        """The user chose ``provider_id`` for the next turns; False when this session has no service for it."""
        if provider_id not in self._services:
            return False
        self.chosen = provider_id
        if self.fallback == provider_id:
            self.fallback = ""
        await self._switch(provider_id)
        return True

    async def _switch(self, provider_id: str) -> None:
        self.active = provider_id
        if len(self._services) > 1:  # else there is no switcher in the pipeline, and nothing to switch
            await self._queue(ManuallySwitchServiceFrame(service=self._services[provider_id]))


def _name(provider_id: str) -> str:
    return providers.get(provider_id).display_name
