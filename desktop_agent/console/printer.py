"""The conversation as terminal lines, folded from the engine's events.

On a terminal (``live``) the user's words are redrawn in place while they speak; in a pipe or a log only finished
lines are written. The assistant's words are written as they are spoken, so an interrupted reply shows only what
was said; a reply the voice could not say is written whole as text, marked ``[not spoken]``, and one the language
model stopped writing midway is marked ``[incomplete]``. After each reply comes a line with its stage latencies, a
``*`` marking a stage over its budget.

A provider connection that goes down gets one line once the first attempt to bring it back has failed (when it went
down, and when the next attempt is), at most one line every :data:`OUTAGE_UPDATE_SECS` while it stays down, and one
when it is back (after how long). A blip mended by that first attempt, at once, is not worth a line.

Everything written passes through :func:`~desktop_agent.state.plain_text.plain_text`: a reply, a transcript, a voice
name or an error text cannot clear the screen, retitle the terminal, plant a link or reverse text with a bidi
override. The only control codes written are the printer's own line redraws.
"""

from __future__ import annotations

import enum
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TextIO

from desktop_agent.config.settings import env_name
from desktop_agent.console.display_width import tail_that_fits
from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area, Conversation, Role, Turn
from desktop_agent.state.cost import PriceTable
from desktop_agent.state.latency import DEFAULT_BUDGETS, STAGE_TITLES
from desktop_agent.state.outage import (
    ROLE_NAMES,
    STANDS_IN_AS,
    about_lost_connection,
    clock_time,
    is_down,
    next_attempt,
    span,
)
from desktop_agent.state.plain_text import plain_text
from desktop_agent.state.tool_calls import ToolCallInfo, card_lines
from desktop_agent.state.turn_notes import turn_notes

_CLEAR_LINE = "\r\x1b[2K"
#: A sentence sending the user to the window's Settings > Audio, which the console does not have.
_WINDOW_AUDIO_ADVICE = re.compile(r"[^.]*Settings > Audio\.")
#: The window's Retry button, which the console has as its ``r`` command.
_WINDOW_RETRY = re.compile(r"\bPress Retry\b")
#: While a connection stays down, at most one line about it this often (the healer re-reports every attempt).
OUTAGE_UPDATE_SECS = 10.0


@dataclass(slots=True)
class _Outage:
    down_since: float  # wall clock
    said_at: float | None = None  # monotonic time (the event's ``at``) of the last line about it; None: not said


class _OpenLine(enum.Enum):
    NONE = enum.auto()
    USER_LIVE = enum.auto()  # the user's words so far, redrawn in place
    ASSISTANT = enum.auto()  # the reply, one spoken word at a time


def format_latencies(latencies: dict[ev.Stage, float], budgets: dict[ev.Stage, float]) -> str:
    """``Endpointing 12 ms, STT final 151 ms, ...`` in pipeline order; ``*`` after a figure over its budget."""
    parts = []
    for stage in ev.Stage:
        if stage in latencies:
            seconds = latencies[stage]
            over = "*" if stage in budgets and seconds > budgets[stage] else ""
            parts.append(f"{STAGE_TITLES[stage]} {seconds * 1000:.0f} ms{over}")
    return ", ".join(parts)


def console_wording(message: str) -> str:
    """An engine sentence as the console should say it: "Press Retry" becomes its ``r`` command, and the advice to
    choose another device in the window's Settings > Audio becomes where the console takes its devices from (the
    settings file or its override variable).
    """
    message = _WINDOW_RETRY.sub("Type r", message)
    if _WINDOW_AUDIO_ADVICE.search(message) is None:
        return message
    lowered = message.lower()
    output = "speaker" in lowered and "microphone" not in lowered
    what, field = ("speaker", "output_device") if output else ("microphone", "input_device")
    advice = (
        f" To use another {what}, set {env_name('audio', field)} (or “audio.{field}” in settings.json) to a device "
        "name or number that desktop-agent --self-check lists."
    )
    return _WINDOW_AUDIO_ADVICE.sub(lambda _m: advice, message, count=1).strip()


class TranscriptPrinter:
    """Writes what the user and the assistant say, and what happens to the session, to ``out``."""

    def __init__(
        self,
        out: TextIO,
        *,
        live: bool,
        budgets: dict[ev.Stage, float] | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.time,
        columns: Callable[[], int] = lambda: shutil.get_terminal_size().columns,
    ) -> None:
        self.conversation = Conversation(prices)
        self._columns = columns  # the terminal's width, read at each redraw (the window may be resized)
        self._out = out
        self._live = live
        self._budgets = dict(budgets or DEFAULT_BUDGETS)
        self._clock = clock  # wall clock, for how long a connection was down
        self._open = _OpenLine.NONE
        self._reply_words = False  # words of the current reply were written (its line may have been closed since)
        self._outages: dict[ev.Provider, _Outage] = {}  # connections down, not yet back

    # ------------------------------------------------------------------ output
    def say(self, text: str) -> None:
        """A line of its own (a notice, a prompt for the user), after whatever line is open."""
        self._close_line()
        self._out.write(plain_text(text) + "\n")
        self._out.flush()

    def _close_line(self) -> None:
        if self._open is _OpenLine.USER_LIVE:
            self._out.write(_CLEAR_LINE)
        elif self._open is _OpenLine.ASSISTANT:
            self._out.write("\n")
        self._open = _OpenLine.NONE

    def _write(self, text: str, end: str = "") -> None:
        """Part of the open line (``end`` closes it): one line of plain text, whatever ``text`` holds."""
        self._out.write(plain_text(text, single_line=True) + end)
        self._out.flush()

    # ------------------------------------------------------------------ events
    def show(self, event: ev.Event) -> Area:
        """Fold ``event`` into :attr:`conversation`, write what it means; returns what it changed."""
        areas = self.conversation.apply(event)
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(self, event)
        if Area.TURN_FINISHED in areas:
            for turn in self.conversation.last_finished:
                if turn.role is Role.ASSISTANT:
                    self._finish_reply(turn)
        return areas

    def _on_session_started(self, e: ev.SessionStarted) -> None:
        details = ", ".join(
            part
            for part in (f"voice {e.voice}" if e.voice else "", f"prompt {e.prompt_name}" if e.prompt_name else "")
            if part
        )
        self.say(f"Connected{f' ({details})' if details else ''}.")
        self._explain_mode(e.mode)

    def _on_session_ended(self, e: ev.SessionEnded) -> None:
        self._outages.clear()
        # A reason that is a sentence ("The assistant ended the conversation.") is said; the short codes
        # ("stopped", "error", "invalid settings") follow the user's quit or an error line already written.
        if e.reason.endswith("."):
            self.say(e.reason)

    def _on_mode(self, e: ev.ModeChanged) -> None:
        self._explain_mode(e.mode)

    def _explain_mode(self, mode: ev.TurnMode) -> None:
        if mode is ev.TurnMode.HANDS_FREE:
            self.say("Hands-free: just speak; a pause ends your turn. (p: push-to-talk, ?: help)")
        else:
            self.say("Push-to-talk: press Enter, speak, press Enter again. (h: hands-free, ?: help)")

    def _on_mute(self, e: ev.MuteChanged) -> None:
        self.say("Microphone muted (m to unmute)." if e.muted else "Microphone on.")

    def _on_user_transcript(self, _e: ev.UserTranscript) -> None:
        turn = self.conversation.current_user_turn
        if not self._live or turn is None or self._open is _OpenLine.ASSISTANT:
            return  # a pipe gets finished lines only; a barge-in's words wait until the reply line is closed
        self._open = _OpenLine.USER_LIVE
        self._out.write(_CLEAR_LINE)
        # On one row (a wrapped line would leave its upper rows behind at the next redraw): the latest words.
        live_line = plain_text(f"You: {turn.display_text} ...", single_line=True)
        self._write(tail_that_fits(live_line, max(1, self._columns() - 1)))

    def _on_user_turn_ended(self, e: ev.UserTurnEnded) -> None:
        if e.text:
            self.say(f"You: {plain_text(e.text, single_line=True)}")
        elif self._open is _OpenLine.USER_LIVE:
            self._close_line()

    def _on_assistant_started(self, _e: ev.AssistantTurnStarted) -> None:
        self._reply_words = False

    def _on_word(self, e: ev.AssistantWordSpoken) -> None:
        word = plain_text(e.word, single_line=True).strip()
        if not word:
            return
        self._reply_words = True
        if self._open is not _OpenLine.ASSISTANT:
            self._close_line()
            self._open = _OpenLine.ASSISTANT
            self._write(f"Assistant: {word}")
        else:
            self._write(f" {word}")

    def _finish_reply(self, turn: Turn) -> None:
        marks = "".join(f" [{note}]" for note in turn_notes(turn))
        words_written, self._reply_words = self._reply_words, False
        if self._open is _OpenLine.ASSISTANT:
            self._write(marks, end="\n")
            self._open = _OpenLine.NONE
        elif words_written:  # its line was closed by a notice in between: the marks get a line of their own
            if marks:
                self.say(f"Assistant: …{marks}")
        elif turn.text:  # nothing was said aloud: the reply as written (the voice could not say it)
            self.say(f"Assistant: {plain_text(turn.text, single_line=True)}{marks}")
        elif turn.interrupted:
            self.say("Assistant: [interrupted before speaking]")
        if turn.latencies:
            self.say(f"  latency: {format_latencies(turn.latencies, self._budgets)}")

    def _on_tool_started(self, e: ev.ToolCallStarted) -> None:
        head, running = card_lines(ToolCallInfo(e.call_id, e.name, e.arguments))
        self.say(f"Tool: {head} {running}")

    def _on_tool_confirmation(self, e: ev.ToolConfirmationRequested) -> None:
        head, waiting = card_lines(ToolCallInfo(e.call_id, e.name, e.arguments, awaiting=True))
        self.say(f"  {waiting} Run {head}? Say yes or no, or type y or no.")

    def _on_tool_finished(self, e: ev.ToolCallFinished) -> None:
        self.say(f"  {card_lines(ToolCallInfo(e.call_id, e.name, '', e.result, e.error, e.seconds))[1]}")

    def _on_error(self, e: ev.ErrorOccurred) -> None:
        if e.provider in self._outages and about_lost_connection(e):
            return  # the outage line said it, with when the next attempt is
        self.say(f"! {console_wording(e.message)}")

    def _on_switched(self, e: ev.ProviderSwitched) -> None:
        name, primary, does = e.name, e.primary_name, STANDS_IN_AS[e.provider]
        # A vendor can play two roles under one name (speech to text and text to speech): the role says which.
        role = "" if e.provider is ev.Provider.LLM else f"{ROLE_NAMES[e.provider]}: "
        if e.standing_in:
            self.say(f"{role}{primary} is not answering; {name} {does} until it is back.")
        else:
            self.say(f"{role}{primary} is back and {does} again.")

    def _on_provider(self, e: ev.ProviderStatusChanged) -> None:
        state = self.conversation.providers[e.provider]
        role = ROLE_NAMES[e.provider]
        outage = self._outages.get(e.provider)
        if e.status is ev.ConnectionStatus.CONNECTED:
            if outage is not None:
                del self._outages[e.provider]
                seconds = self._clock() - outage.down_since
                if outage.said_at is not None:
                    self.say(f"{role} is back after {span(seconds)}." if seconds >= 1 else f"{role} is back.")
            return
        if not is_down(state):
            return
        assert state.down_since is not None
        if outage is None or outage.down_since != state.down_since:
            outage = self._outages[e.provider] = _Outage(state.down_since)
        if state.attempt < 1:
            return  # the first attempt is made at once; a line only if it fails
        attempt = next_attempt(state, self._clock())
        if outage.said_at is None:
            outage.said_at = e.at
            since = clock_time(state.down_since)
            if e.status is ev.ConnectionStatus.DISCONNECTED:
                self.say(f"{role} connection lost at {since}; reconnecting (next attempt {attempt}).")
            elif e.status is ev.ConnectionStatus.FAILED:
                self.say(f"{role} refused the connection at {since}; trying again (next attempt {attempt}).")
            else:
                self.say(f"{role} cannot connect (since {since}); trying again (next attempt {attempt}).")
        elif e.at - outage.said_at >= OUTAGE_UPDATE_SECS:
            outage.said_at = e.at
            down_for = span(self._clock() - outage.down_since)
            self.say(f"{role} still down after {down_for}; next attempt {attempt} (attempt {state.attempt}).")

    def _on_choice_unavailable(self, e: ev.ChoiceUnavailable) -> None:
        """The sentence, then how to switch: the console has no Settings window, so name the setting to change."""
        self._on_error(e)
        if not e.replacement:
            return
        if e.provider is ev.Provider.LLM:
            change = f"{env_name('models', 'llm_model')}={e.replacement} (or “models.llm_model” in settings.json)"
        else:
            change = (
                f"{env_name('voice', 'voice_id')}={e.replacement} and {env_name('voice', 'voice_name')}="
                f"{e.replacement_name} (or “voice” in settings.json)"
            )
        self.say(f"  To switch, set {change}, then start again.")

    def _on_agent_state(self, e: ev.AgentStateChanged) -> None:
        if e.state is ev.AgentState.RECONNECTING and not self._outages:
            self.say("(reconnecting ...)")  # an outage line already said which connection and when

    def _on_settings(self, e: ev.SettingsApplied) -> None:
        if e.voice:
            self.say(f"Voice: {e.voice}")
        if e.prompt_name:
            self.say(f"Prompt: {e.prompt_name}")

    def _on_reset(self, _e: ev.ConversationReset) -> None:
        self.say("New conversation: the assistant has forgotten the earlier turns.")

    _handlers: ClassVar[dict[type[ev.Event], Callable[[TranscriptPrinter, Any], None]]] = {
        ev.SessionStarted: _on_session_started,
        ev.SessionEnded: _on_session_ended,
        ev.ModeChanged: _on_mode,
        ev.MuteChanged: _on_mute,
        ev.UserTranscript: _on_user_transcript,
        ev.UserTurnEnded: _on_user_turn_ended,
        ev.AssistantTurnStarted: _on_assistant_started,
        ev.AssistantWordSpoken: _on_word,
        ev.ErrorOccurred: _on_error,
        ev.ChoiceUnavailable: _on_choice_unavailable,
        ev.AgentStateChanged: _on_agent_state,
        ev.ProviderStatusChanged: _on_provider,
        ev.ProviderSwitched: _on_switched,
        ev.SettingsApplied: _on_settings,
        ev.ConversationReset: _on_reset,
        ev.ToolCallStarted: _on_tool_started,
        ev.ToolCallFinished: _on_tool_finished,
        ev.ToolConfirmationRequested: _on_tool_confirmation,
    }

    # ------------------------------------------------------------------ summary
    def summary(self) -> str:
        """One line about the whole conversation: exchanges, median voice-to-voice, cost."""
        conversation = self.conversation
        exchanges = conversation.finished_exchanges()
        parts = [f"{exchanges} exchange{'s' if exchanges != 1 else ''}"]
        median = conversation.latency.summary(ev.Stage.VOICE_TO_VOICE).p50
        if median is not None:
            parts.append(f"voice to voice {median * 1000:.0f} ms (median)")
        parts.append(f"cost ${conversation.cost_usd:.4f}")
        return ", ".join(parts) + "."
