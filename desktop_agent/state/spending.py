"""Spending limits: a budget per conversation and per day (US dollars), a warning at 80 %, and at 100 % a warning
or a stop, as the user chose.

:class:`SpendingWatch` is told what the live conversation has cost so far and what was spent earlier the same day
(the replies in history since midnight, local time), and says each threshold once, when it is crossed, in one
sentence. The window and the console show the sentence and, for a stop, end the session once the reply under way is
over (nothing said is lost); while the limit stays reached, :meth:`SpendingWatch.refusal` keeps a new session from
starting. Pure Python.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from desktop_agent.state.conversation import Area, Conversation

WARN_FRACTION = 0.8


class AtLimit(enum.StrEnum):
    """What happens when a budget is used up."""

    WARN = "warn"  # say so; the conversation goes on
    STOP = "stop"  # say so and take no more turns


class Scope(enum.StrEnum):
    CONVERSATION = "conversation"
    DAY = "day"


class Level(enum.IntEnum):
    UNDER = 0
    NEAR = 1  # 80 % or more
    REACHED = 2  # 100 % or more


@dataclass(frozen=True, slots=True)
class SpendingLimits:
    """Budgets in USD; 0 means no limit."""

    per_conversation_usd: float = 0.0
    per_day_usd: float = 0.0
    at_limit: AtLimit = AtLimit.WARN


@dataclass(frozen=True, slots=True)
class SpendingNotice:
    """A threshold just crossed. ``stop``: the session must stop taking turns."""

    scope: Scope
    level: Level
    spent: float
    limit: float
    stop: bool
    sentence: str


def usd(amount: float) -> str:
    return f"${amount:.4f}"


@dataclass(frozen=True, slots=True)
class Wording:
    """How to go on after a stop, as the window or the console says it. ``{setting}`` and ``{SETTING}`` stand for
    the budget's setting (``per_day_usd``; upper case for its environment variable)."""

    raise_budget: str = "raise the budget in Settings > Prices"
    new_conversation: str = "start a new conversation (Ctrl+N)"
    start_again: str = ", then start the session again (Ctrl+Return)"


CONSOLE_WORDING = Wording(
    raise_budget="raise spending.{setting} (Settings > Prices in the window, or DESKTOP_AGENT_SPENDING__{SETTING}) "
    "and run desktop-agent --console again",
    new_conversation="just run it again: a new conversation starts from $0",
    start_again="",
)


def _level(spent: float, limit: float) -> Level:
    if limit <= 0:
        return Level.UNDER
    if spent >= limit:
        return Level.REACHED
    return Level.NEAR if spent >= WARN_FRACTION * limit else Level.UNDER


class SpendingWatch:
    """See the module docstring. ``day_spent_before`` is what today's other conversations cost (history)."""

    def __init__(
        self,
        limits: SpendingLimits,
        *,
        day_spent_before: float = 0.0,
        wording: Wording | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.limits = limits
        self.wording = wording or Wording()
        self._today = today
        self._day = today()
        self.day_spent_before = day_spent_before
        self._said: dict[Scope, Level] = {Scope.CONVERSATION: Level.UNDER, Scope.DAY: Level.UNDER}
        self._last_cost = 0.0
        #: A stop crossed while a reply was under way, given once the reply is over.
        self._stop_due: SpendingNotice | None = None

    # ------------------------------------------------------------------ following the live conversation
    def follow(self, conversation: Conversation, areas: Area) -> tuple[list[SpendingNotice], bool]:
        """Fold one change of the live conversation: the notices to give now, and whether the session must stop
        now. A stop waits for the reply under way to end, so what the assistant is saying is heard and kept."""
        if Area.SESSION in areas and Area.USAGE in areas and not conversation.turns:  # a new conversation
            self.conversation_ended(self._last_cost)
            self._stop_due = None
        cost = conversation.cost_usd
        self._last_cost = cost
        notices = self.check(cost) if areas & (Area.USAGE | Area.TURN_FINISHED) else []
        for notice in [n for n in notices if n.stop]:  # said when the session stops, not while the reply goes on
            notices.remove(notice)
            self._stop_due = notice
        if self._stop_due is not None and conversation.current_assistant_turn is None:
            notices.append(self._stop_due)
            self._stop_due = None
            return notices, True
        return notices, False

    # ------------------------------------------------------------------ what changes
    def set_limits(self, limits: SpendingLimits) -> None:
        """New budgets or choice: each threshold may be said again (a raised budget starts over)."""
        self.limits = limits
        self._said = dict.fromkeys(Scope, Level.UNDER)
        self._stop_due = None

    def conversation_ended(self, cost: float) -> None:
        """The live conversation was replaced by a new one: its cost now counts among the day's others."""
        self.day_spent_before += cost
        self._said[Scope.CONVERSATION] = Level.UNDER

    def new_day(self, day_spent_before: float) -> None:
        """Midnight passed: the day's budget starts over from what today's conversations cost."""
        self._day = self._today()
        self.day_spent_before = day_spent_before
        self._said[Scope.DAY] = Level.UNDER

    def day_changed(self) -> bool:
        return self._today() != self._day

    # ------------------------------------------------------------------ questions
    def day_spent(self, conversation_cost: float) -> float:
        return self.day_spent_before + conversation_cost

    def check(self, conversation_cost: float) -> list[SpendingNotice]:
        """The thresholds crossed since the last check (each said once), the day's first."""
        notices = []
        for scope, spent, limit in self._figures(conversation_cost):
            level = _level(spent, limit)
            if level > self._said[scope]:
                self._said[scope] = level
                notices.append(self._notice(scope, level, spent, limit))
        return notices

    def refusal(self, conversation_cost: float) -> str | None:
        """Why no session may start now (a budget used up and the choice is to stop), or None."""
        if self.limits.at_limit is not AtLimit.STOP:
            return None
        for scope, spent, limit in self._figures(conversation_cost):
            if _level(spent, limit) is Level.REACHED:
                return self._notice(scope, Level.REACHED, spent, limit).sentence
        return None

    def _figures(self, conversation_cost: float) -> list[tuple[Scope, float, float]]:
        return [
            (Scope.DAY, self.day_spent(conversation_cost), self.limits.per_day_usd),
            (Scope.CONVERSATION, conversation_cost, self.limits.per_conversation_usd),
        ]

    def _notice(self, scope: Scope, level: Level, spent: float, limit: float) -> SpendingNotice:
        what = "This conversation has" if scope is Scope.CONVERSATION else "Today's conversations have"
        budget = "its" if scope is Scope.CONVERSATION else "the daily"
        stop = level is Level.REACHED and self.limits.at_limit is AtLimit.STOP
        if level is Level.NEAR:
            sentence = f"{what} cost {usd(spent)}, {spent / limit:.0%} of {budget} {usd(limit)} budget."
        elif not stop:
            sentence = (
                f"{what} cost {usd(spent)}, reaching {budget} {usd(limit)} budget; the assistant goes on, as "
                "asked (the limit only warns)."
            )
        else:
            w = self.wording
            setting = "per_conversation_usd" if scope is Scope.CONVERSATION else "per_day_usd"
            raise_budget = w.raise_budget.format(setting=setting, SETTING=setting.upper())
            way_on = w.new_conversation if scope is Scope.CONVERSATION else "wait until tomorrow"
            sentence = (
                f"The assistant stopped taking turns: {what.lower()} cost {usd(spent)}, reaching {budget} "
                f"{usd(limit)} budget. To go on, {raise_budget}, or {way_on}{w.start_again}; "
                "everything said so far is kept."
            )
        return SpendingNotice(scope, level, spent, limit, stop, sentence)
