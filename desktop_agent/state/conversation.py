"""The conversation as the user sees it, folded from engine events.

:meth:`Conversation.apply` takes one event and returns the set of :class:`Area` values it changed, so the window
repaints only those widgets and storage commits only finished turns. Pure Python: no Qt, no Pipecat.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from desktop_agent.state import events as ev
from desktop_agent.state.cost import CostMeter, PriceTable
from desktop_agent.state.latency import LatencyHistory
from desktop_agent.state.tool_calls import ToolCallInfo, card_text

#: What a tool call's card says when the session ended before the call did.
SESSION_ENDED = "The session ended before it finished."


class Area(enum.Flag):
    """What an event changed; a widget subscribes to the areas it shows."""

    NONE = 0
    TRANSCRIPT = enum.auto()  # a turn was added or its text changed
    TURN_FINISHED = enum.auto()  # a turn became final (storage commits it)
    TURN_UPDATED = enum.auto()  # a finished turn changed: a stage figure came after it ended (storage rewrites it)
    LATENCY = enum.auto()
    AGENT_STATE = enum.auto()
    MODE = enum.auto()
    PROVIDERS = enum.auto()
    USAGE = enum.auto()  # usage totals and cost
    LEVELS = enum.auto()
    ERRORS = enum.auto()
    SESSION = enum.auto()  # started, ended, reset, voice/prompt changed


class Role(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"  # a tool the assistant called: ``Turn.tool`` holds the call, ``text`` its card


@dataclass(slots=True)
class UsageTotals:
    llm_prompt_tokens: int = 0
    llm_completion_tokens: int = 0
    tts_characters: int = 0
    stt_audio_seconds: float = 0.0

    def add(self, usage: ev.UsageReported) -> None:
        self.llm_prompt_tokens += usage.prompt_tokens
        self.llm_completion_tokens += usage.completion_tokens
        self.tts_characters += usage.characters
        self.stt_audio_seconds += usage.audio_seconds


@dataclass(slots=True)
class Turn:
    """One utterance in the transcript.

    ``text`` is what was said; for the user, ``interim`` holds the not-yet-final words shown live after it.
    For the assistant, ``text`` grows word by word as the words are spoken, so an interrupted reply never shows
    its unspoken rest. A reply the voice could not say is kept whole as written with ``spoken`` False; one the
    language model stopped writing midway has ``complete`` False. An ``earlier`` turn was said in a past session of
    a continued conversation: shown for context, it is in the history already and never recorded again.

    An assistant turn carries the usage reported since the previous reply ended (the user's words transcribed, the
    model's tokens, the characters spoken) and its cost at the prices of the time: ``usage`` and ``cost_usd``.
    """

    id: int
    role: Role
    started_at: float  # wall-clock seconds (time.time())
    text: str = ""
    interim: str = ""
    ended_at: float | None = None
    interrupted: bool = False
    spoken: bool = True
    complete: bool = True
    latencies: dict[ev.Stage, float] = field(default_factory=dict)
    tool: ToolCallInfo | None = None
    earlier: bool = False
    usage: UsageTotals = field(default_factory=UsageTotals)
    cost_usd: float = 0.0

    @property
    def finished(self) -> bool:
        return self.ended_at is not None

    @property
    def display_text(self) -> str:
        if self.interim:
            return f"{self.text} {self.interim}".strip()
        return self.text


@dataclass(slots=True)
class ProviderState:
    status: ev.ConnectionStatus = ev.ConnectionStatus.DISCONNECTED
    reason: str = ""
    down_since: float | None = None  # wall clock, while the connection is down
    retry_at: float | None = None  # wall clock of the next attempt to reconnect
    attempt: int = 0  # attempts to reconnect made so far in this outage
    standing_in: str = ""  # the fallback provider answering while the chosen one is down ("" = the chosen one)


class Conversation:
    """Everything the window shows about the current conversation."""

    def __init__(self, prices: PriceTable | None = None, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self.turns: list[Turn] = []
        self.latency = LatencyHistory()
        self.usage = UsageTotals()
        self.cost = CostMeter(prices or PriceTable())
        self.agent_state = ev.AgentState.STOPPED
        self.mode = ev.TurnMode.PUSH_TO_TALK
        self.muted = False
        self.providers: dict[ev.Provider, ProviderState] = {p: ProviderState() for p in ev.Provider}
        self.errors: list[ev.ErrorOccurred] = []
        #: The user's last turn got no reply and the engine can give it again (``ErrorOccurred.retry``). Withdrawn
        #: when the user says something new, a reply starts to be heard, or the conversation or session ends.
        self.retry_offered = False
        self.microphone_level = 0.0
        self.output_level = 0.0
        self.voice = ""
        self.prompt_name = ""
        self.started_at: float | None = None
        self.ended_reason: str | None = None
        #: When the past conversation this one continues started (wall clock); None for a new conversation.
        self.continued_from: float | None = None
        #: Stage figures waiting for their reply, by the user turn they measured (None: the next reply to end).
        self._pending_latencies: dict[int | None, dict[ev.Stage, float]] = {}
        #: This session's finished replies by the user turn they answer (the first reply of each), so a figure that
        #: arrives after its reply ended still lands on that reply (see ``_on_latency``).
        self._replies: dict[int, Turn] = {}
        self._answering: int | None = None  # the user turn the open reply answers
        #: Usage reported since the last reply ended: the next reply to end carries it (``Turn.usage``).
        self._usage_since_reply = UsageTotals()
        self.last_finished: list[Turn] = []
        #: Finished turns the last event changed (``Area.TURN_UPDATED``).
        self.last_updated: list[Turn] = []

    # ------------------------------------------------------------------ queries
    @property
    def current_user_turn(self) -> Turn | None:
        return self._open_turn(Role.USER)

    @property
    def current_assistant_turn(self) -> Turn | None:
        return self._open_turn(Role.ASSISTANT)

    @property
    def cost_usd(self) -> float:
        return self.cost.total(self.usage)

    def finished_exchanges(self) -> int:
        return sum(1 for t in self.turns if t.role is Role.ASSISTANT and t.finished)

    # ------------------------------------------------------------------ folding
    def apply(self, event: ev.Event) -> Area:
        """Fold one event in; return the areas it changed (``Area.NONE`` if nothing)."""
        self.last_finished = []
        self.last_updated = []
        handler = self._handlers.get(type(event))
        return handler(self, event) if handler else Area.NONE

    def _open_turn(self, role: Role) -> Turn | None:
        for turn in reversed(self.turns):
            if turn.role is role and not turn.finished:
                return turn
        return None

    def _new_turn(self, role: Role) -> Turn:
        turn = Turn(id=next(self._ids), role=role, started_at=self._clock())
        self.turns.append(turn)
        return turn

    def _finish(self, turn: Turn) -> None:
        turn.ended_at = self._clock()
        self.last_finished.append(turn)

    def _user_turn(self) -> Turn:
        return self.current_user_turn or self._new_turn(Role.USER)

    def _assistant_turn(self) -> Turn:
        return self.current_assistant_turn or self._new_turn(Role.ASSISTANT)

    def _on_session_started(self, e: ev.SessionStarted) -> Area:
        self.started_at = self._clock()
        self.ended_reason = None
        self.mode = e.mode
        self.voice = e.voice or self.voice
        self.prompt_name = e.prompt_name or self.prompt_name
        return Area.SESSION | Area.MODE

    def _on_session_ended(self, e: ev.SessionEnded) -> Area:
        self.ended_reason = e.reason
        self.agent_state = ev.AgentState.STOPPED
        changed = Area.SESSION | Area.AGENT_STATE | self._withdraw_retry()
        for turn in [t for t in self.turns if not t.finished]:
            if turn.role is Role.USER and not turn.text:
                self.turns.remove(turn)  # nothing was said: drop the empty bubble
            else:
                if turn.tool is not None:  # a call still running or waiting for a yes: it never finished
                    turn.tool = dataclasses.replace(turn.tool, awaiting=False, error=SESSION_ENDED, seconds=0.0)
                    turn.text = card_text(turn.tool)
                turn.interim = ""
                if turn.role is Role.ASSISTANT:
                    turn.latencies.update(self._figures_for(self._answering))
                self._finish(turn)
            changed |= Area.TRANSCRIPT | Area.TURN_FINISHED
        self._forget_figures()  # the next session numbers its user turns afresh
        return changed

    def _on_agent_state(self, e: ev.AgentStateChanged) -> Area:
        if e.state is self.agent_state:
            return Area.NONE
        self.agent_state = e.state
        return Area.AGENT_STATE

    def _on_mode(self, e: ev.ModeChanged) -> Area:
        self.mode = e.mode
        return Area.MODE

    def _on_mute(self, e: ev.MuteChanged) -> Area:
        self.muted = e.muted
        return Area.MODE

    def _on_user_transcript(self, e: ev.UserTranscript) -> Area:
        turn = self._user_turn()
        if e.final:
            turn.text = f"{turn.text} {e.text}".strip()
            turn.interim = ""
        else:
            turn.interim = e.text
        return Area.TRANSCRIPT

    def _on_user_turn_ended(self, e: ev.UserTurnEnded) -> Area:
        turn = self._user_turn()
        turn.text = e.text.strip() or turn.text
        turn.interim = ""
        if not turn.text:
            self.turns.remove(turn)
            return Area.TRANSCRIPT
        self._finish(turn)
        return Area.TRANSCRIPT | Area.TURN_FINISHED | self._withdraw_retry()

    def _on_assistant_started(self, e: ev.AssistantTurnStarted) -> Area:
        self._assistant_turn()
        self._answering = e.user_turn
        return Area.TRANSCRIPT

    def _on_word(self, e: ev.AssistantWordSpoken) -> Area:
        turn = self._assistant_turn()
        word = e.word.strip()
        if not word:
            return Area.NONE
        turn.text = f"{turn.text} {word}" if turn.text else word
        return Area.TRANSCRIPT

    def _on_interrupted(self, _e: ev.Interrupted) -> Area:
        turn = self.current_assistant_turn
        if turn is None:
            return Area.NONE
        turn.interrupted = True
        return Area.TRANSCRIPT

    def _on_assistant_ended(self, e: ev.AssistantTurnEnded) -> Area:
        turn = self.current_assistant_turn
        if turn is None:
            if not e.text.strip():
                return Area.NONE
            turn = self._new_turn(Role.ASSISTANT)
        # The engine's text is what was actually spoken (Pipecat's assistant aggregator); it wins over the words.
        if e.text.strip():
            turn.text = e.text.strip()
        turn.interrupted = turn.interrupted or e.interrupted
        turn.spoken = e.spoken
        turn.complete = e.complete
        turn.latencies.update(self._figures_for(e.user_turn))
        if e.user_turn is not None:
            self._replies.setdefault(e.user_turn, turn)
        self._answering = None
        turn.usage, self._usage_since_reply = self._usage_since_reply, UsageTotals()
        turn.cost_usd = self.cost.total(turn.usage)
        self._finish(turn)
        return Area.TRANSCRIPT | Area.TURN_FINISHED

    def _on_latency(self, e: ev.StageLatency) -> Area:
        self.latency.add(e.stage, e.seconds)
        ended = self._replies.get(e.user_turn) if e.user_turn is not None else None
        if ended is not None and e.stage is not ev.Stage.TOOLS and e.stage not in ended.latencies:
            # Measured for a reply that has ended already (the engine reports some figures a little behind, e.g.
            # voice to voice when the reply is interrupted at its start): it goes on that reply, stored again.
            ended.latencies[e.stage] = e.seconds
            self.last_updated.append(ended)
            return Area.LATENCY | Area.TURN_UPDATED
        waiting = self._pending_latencies.setdefault(e.user_turn, {})
        seconds = e.seconds
        if e.stage is ev.Stage.TOOLS:  # one figure per tool call: the turn's is their sum
            seconds += waiting.get(e.stage, 0.0)
        waiting[e.stage] = seconds
        turn = self.current_assistant_turn
        if turn is not None and (e.user_turn is None or e.user_turn == self._answering):
            turn.latencies[e.stage] = seconds  # shown on the reply under way; its end applies the waiting ones
        return Area.LATENCY

    def _figures_for(self, user_turn: int | None) -> dict[ev.Stage, float]:
        """The waiting figures a reply to ``user_turn`` takes as it ends: its turn's and the unnumbered ones.

        Figures of earlier turns left waiting measured turns that got no reply: no reply shows them. A reply that
        does not say which turn it answers takes every figure waiting.
        """
        if user_turn is None:
            figures = {stage: s for waiting in self._pending_latencies.values() for stage, s in waiting.items()}
            self._pending_latencies = {}
            return figures
        figures = self._pending_latencies.pop(None, {})
        figures.update(self._pending_latencies.pop(user_turn, {}))
        self._pending_latencies = {
            turn: waiting for turn, waiting in self._pending_latencies.items() if turn is None or turn > user_turn
        }
        return figures

    def _forget_figures(self) -> None:
        self._pending_latencies = {}
        self._replies = {}
        self._answering = None

    def _on_tool_started(self, e: ev.ToolCallStarted) -> Area:
        card = self._tool_card(e.call_id)
        if card is not None and card.tool is not None:  # confirmed: the waiting card now runs
            card.tool = dataclasses.replace(card.tool, awaiting=False)
            card.text = card_text(card.tool)
            return Area.TRANSCRIPT
        reply = self.current_assistant_turn
        if reply is not None and not reply.text:
            self.turns.remove(reply)  # the reply has not begun: it follows the card
        turn = self._new_turn(Role.TOOL)
        turn.tool = ToolCallInfo(e.call_id, e.name, e.arguments)
        turn.text = card_text(turn.tool)
        return Area.TRANSCRIPT

    def _on_tool_confirmation(self, e: ev.ToolConfirmationRequested) -> Area:
        card = self._tool_card(e.call_id)
        if card is None or card.tool is None:
            return Area.NONE
        card.tool = dataclasses.replace(card.tool, awaiting=True)
        card.text = card_text(card.tool)
        return Area.TRANSCRIPT

    @property
    def awaiting_confirmation(self) -> ToolCallInfo | None:
        """The call waiting for the user's yes or no, if one is."""
        return next((t.tool for t in reversed(self.turns) if t.tool is not None and t.tool.awaiting), None)

    def _tool_card(self, call_id: str) -> Turn | None:
        return next((t for t in reversed(self.turns) if t.tool is not None and t.tool.call_id == call_id), None)

    def _on_tool_finished(self, e: ev.ToolCallFinished) -> Area:
        turn = self._tool_card(e.call_id)
        if turn is None or turn.tool is None or turn.finished:
            return Area.NONE
        turn.tool = ToolCallInfo(turn.tool.call_id, turn.tool.name, turn.tool.arguments, e.result, e.error, e.seconds)
        turn.text = card_text(turn.tool)
        self._finish(turn)
        return Area.TRANSCRIPT | Area.TURN_FINISHED

    def _on_usage(self, e: ev.UsageReported) -> Area:
        self.usage.add(e)
        self._usage_since_reply.add(e)
        return Area.USAGE

    def _on_provider(self, e: ev.ProviderStatusChanged) -> Area:
        state = self.providers[e.provider]
        new = (e.status, e.reason, e.down_since, e.retry_at, e.attempt)
        if (state.status, state.reason, state.down_since, state.retry_at, state.attempt) == new:
            return Area.NONE
        state.status, state.reason, state.down_since, state.retry_at, state.attempt = new
        return Area.PROVIDERS

    def _on_switched(self, e: ev.ProviderSwitched) -> Area:
        self.providers[e.provider].standing_in = e.name if e.standing_in else ""
        return Area.PROVIDERS

    def _on_error(self, e: ev.ErrorOccurred) -> Area:
        self.errors.append(e)
        del self.errors[:-50]  # keep the recent ones; the log has the rest
        if e.retry:
            self.retry_offered = True
        return Area.ERRORS

    def _on_assistant_speech_started(self, _e: ev.AssistantSpeechStarted) -> Area:
        return self._withdraw_retry()  # a reply is being heard: the failed turn has been answered or superseded

    def _withdraw_retry(self) -> Area:
        if not self.retry_offered:
            return Area.NONE
        self.retry_offered = False
        return Area.ERRORS

    def _on_levels(self, e: ev.AudioLevel) -> Area:
        self.microphone_level, self.output_level = e.microphone, e.output
        return Area.LEVELS

    def _on_settings(self, e: ev.SettingsApplied) -> Area:
        if e.voice is not None:
            self.voice = e.voice
        if e.prompt_name is not None:
            self.prompt_name = e.prompt_name
        return Area.SESSION

    def _on_reset(self, _e: ev.ConversationReset) -> Area:
        self.turns.clear()
        self.latency = LatencyHistory()
        self.usage = UsageTotals()
        self._usage_since_reply = UsageTotals()
        self.errors.clear()
        self.retry_offered = False
        self._forget_figures()
        self.continued_from = None
        return Area.TRANSCRIPT | Area.LATENCY | Area.USAGE | Area.ERRORS | Area.SESSION

    def _on_continued(self, e: ev.ConversationContinued) -> Area:
        """The remembered turns of a continued conversation go first, finished and ``earlier``; they are not
        ``last_finished`` (the history has them), so nothing records them again."""
        for said in e.turns:
            if said.text.strip() and said.role in (Role.USER, Role.ASSISTANT):
                self.turns.append(
                    Turn(
                        id=next(self._ids),
                        role=Role(said.role),
                        started_at=said.started_at,
                        text=said.text,
                        ended_at=said.started_at,
                        interrupted=said.interrupted,
                        spoken=said.spoken,
                        complete=said.complete,
                        earlier=True,
                    )
                )
        self.continued_from = e.started_at
        return Area.TRANSCRIPT

    #: Each handler takes the event type it is filed under, which a Callable type cannot say per entry: Any.
    _handlers: ClassVar[dict[type[ev.Event], Callable[[Conversation, Any], Area]]] = {
        ev.SessionStarted: _on_session_started,
        ev.SessionEnded: _on_session_ended,
        ev.AgentStateChanged: _on_agent_state,
        ev.ModeChanged: _on_mode,
        ev.MuteChanged: _on_mute,
        ev.UserTranscript: _on_user_transcript,
        ev.UserTurnEnded: _on_user_turn_ended,
        ev.AssistantTurnStarted: _on_assistant_started,
        ev.AssistantWordSpoken: _on_word,
        ev.AssistantSpeechStarted: _on_assistant_speech_started,
        ev.Interrupted: _on_interrupted,
        ev.AssistantTurnEnded: _on_assistant_ended,
        ev.StageLatency: _on_latency,
        ev.UsageReported: _on_usage,
        ev.ProviderStatusChanged: _on_provider,
        ev.ProviderSwitched: _on_switched,
        ev.ErrorOccurred: _on_error,
        ev.ChoiceUnavailable: _on_error,
        ev.AudioLevel: _on_levels,
        ev.SettingsApplied: _on_settings,
        ev.ConversationReset: _on_reset,
        ev.ToolCallStarted: _on_tool_started,
        ev.ToolCallFinished: _on_tool_finished,
        ev.ConversationContinued: _on_continued,
        ev.ToolConfirmationRequested: _on_tool_confirmation,
    }
