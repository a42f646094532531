"""What the history store hands back: immutable snapshots, safe to pass between threads."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_agent.state.conversation import Role, UsageTotals
from desktop_agent.state.events import Stage
from desktop_agent.state.tool_calls import ToolCallInfo


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """One finished utterance as stored. Times are wall-clock seconds (``time.time()``)."""

    seq: int  # the turn's id within its conversation (Turn.id), which orders the transcript
    role: Role
    text: str
    interrupted: bool
    started_at: float
    ended_at: float | None
    #: False when the voice could not say the reply (it is stored as written).
    spoken: bool = True
    #: False when the language model stopped writing it midway.
    complete: bool = True
    #: Stage -> seconds, in pipeline order. A stage written by a newer version stays a plain string key.
    latencies: dict[Stage | str, float] = field(default_factory=dict)
    #: The call, for a turn of role ``tool`` (``text`` is then its card).
    tool: ToolCallInfo | None = None
    #: What this turn used and cost (an assistant turn: its exchange's); zero for turns stored before schema 6.
    usage: UsageTotals = field(default_factory=UsageTotals)
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A whole conversation: its metadata, usage and cost, and every stored turn in order."""

    id: int
    started_at: float
    ended_at: float | None
    title: str
    voice: str
    prompt_name: str
    usage: UsageTotals
    cost_usd: float
    turns: tuple[StoredTurn, ...] = ()
    #: What the language model wrote about the conversation when it ended ("" when none was made). Remote text:
    #: shown as plain text only.
    summary: str = ""
    #: The user-defined fields extracted with the summary (Settings > Privacy), by name; values as JSON decoded.
    fields: dict[str, object] = field(default_factory=dict)

    @property
    def last_seq(self) -> int:
        """The highest turn number stored (0 without turns): a continuation numbers its turns after it."""
        return max((turn.seq for turn in self.turns), default=0)


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One row of the history list. ``snippet`` is the matching text when listed by a search, else empty."""

    id: int
    started_at: float
    ended_at: float | None
    title: str
    voice: str
    prompt_name: str
    turn_count: int
    cost_usd: float
    snippet: str = ""
    summary: str = ""
