"""The spending limits in the window: the 80 % and 100 % sentences on the banner, the session ended at a stop, and
no new session while a limit that stops is used up (see :mod:`desktop_agent.state.spending`).

The day's spend before this conversation comes from the history (what the replies saved since midnight, local time,
cost), read on a worker thread when the history opens and again after midnight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area, Conversation
from desktop_agent.state.local_days import local_day_start
from desktop_agent.state.spending import SpendingLimits, SpendingNotice, SpendingWatch
from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore
from desktop_agent.ui.error_banner import BannerAction

log = logging.getLogger(__name__)


class SpendingGuard:
    """Follows the live conversation through the bridge (:meth:`on_change` is an ``EventObserver``).

    ``show`` puts a sentence on the banner (with its action and kind), ``stop_session`` ends the running session,
    ``run`` runs a coroutine in the background (the app holds its task).
    """

    def __init__(
        self,
        show: Callable[[str, BannerAction, ev.ErrorKind | None], None],
        stop_session: Callable[[], None],
        run: Callable[[Coroutine[Any, Any, object]], None],
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._show = show
        self._stop_session = stop_session
        self._run = run
        self._today = today
        self.watch = SpendingWatch(SpendingLimits(), today=today)
        self.store: HistoryStore | None = None
        self._conversation: Conversation | None = None
        self.notices: list[SpendingNotice] = []  # every notice given, in order (tests and diagnostics)
        self._reading = False  # today's spending is being read from history

    def set_limits(self, limits: SpendingLimits) -> None:
        if limits != self.watch.limits:
            self.watch.set_limits(limits)

    def use_history(self, store: HistoryStore | None) -> None:
        """Count what today's stored replies cost (read on a worker thread)."""
        self.store = store
        self._run(self._read_day_spent())

    async def _read_day_spent(self) -> None:
        if self._reading:
            return
        self._reading = True
        store = self.store
        spent = 0.0
        try:
            if store is not None:
                spent = await asyncio.to_thread(store.cost_since, local_day_start(self._today()))
        except ConversationHistoryUnavailable as exc:
            log.warning("today's spending could not be read from history: %s", exc)
        finally:
            self._reading = False
        self.watch.new_day(spent)

    def on_change(self, conversation: Conversation, areas: Area) -> None:
        self._conversation = conversation
        if self.watch.day_changed():
            self._run(self._read_day_spent())
        notices, stop_now = self.watch.follow(conversation, areas)
        for notice in notices:
            self.notices.append(notice)
            self._show(notice.sentence, BannerAction.OPEN_SETTINGS, ev.ErrorKind.BUDGET)
        if stop_now:
            self._stop_session()

    def allows_start(self) -> bool:
        """The session controller's gate: False (after saying why) while a limit that stops is used up."""
        cost = self._conversation.cost_usd if self._conversation is not None else 0.0
        refusal = self.watch.refusal(cost)
        if refusal is None:
            return True
        self._show(refusal, BannerAction.OPEN_SETTINGS, ev.ErrorKind.BUDGET)
        return False
