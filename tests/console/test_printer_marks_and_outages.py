"""The console marks replies that were not spoken or were cut off, and says when a provider connection goes down,
how it is going while it stays down (not at every attempt) and when it is back. Fed by engine events alone."""

from __future__ import annotations

import io
import time

from desktop_agent.console.printer import OUTAGE_UPDATE_SECS, TranscriptPrinter
from desktop_agent.state import events as ev
from tests.console.test_printer import replay

DOWN_AT = time.mktime((2026, 3, 14, 14, 2, 11, 0, 0, -1))  # 14:02:11 local time


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def printer(clock: Clock | None = None) -> TranscriptPrinter:
    return TranscriptPrinter(io.StringIO(), live=False, clock=clock or Clock(DOWN_AT))


def asked(question: str) -> list[ev.Event]:
    return [ev.UserTranscript(text=question, final=True), ev.UserTurnEnded(text=question), ev.AssistantTurnStarted()]


# ------------------------------------------------------------------------------------------------------ marks
def test_a_reply_the_voice_could_not_say_is_printed_whole_and_marked():
    out = replay(printer(), [*asked("Weather?"), ev.AssistantText(text="Sunny all day."),
                             ev.AssistantTurnEnded(text="Sunny all day.", interrupted=False, spoken=False)])
    assert out.splitlines() == ["You: Weather?", "Assistant: Sunny all day. [not spoken]"]


def test_a_reply_cut_off_midway_is_marked_incomplete_after_its_spoken_words():
    out = replay(printer(), [*asked("A story?"), ev.AssistantSpeechStarted(), ev.AssistantWordSpoken(word="Once"),
                             ev.AssistantWordSpoken(word="upon"),
                             ev.AssistantTurnEnded(text="Once upon", interrupted=False, complete=False)])
    assert out.splitlines()[-1] == "Assistant: Once upon [incomplete]"


def test_a_notice_in_the_middle_of_a_reply_does_not_print_the_reply_twice():
    stopped = ev.ErrorOccurred(ev.ErrorKind.PROVIDER, "The language model stopped in the middle of the reply, so it is "
                               "incomplete. Press Retry to ask again.", provider=ev.Provider.LLM, retry=True)
    out = replay(printer(), [*asked("A story?"), ev.AssistantWordSpoken(word="Once"), stopped,
                             ev.AssistantWordSpoken(word="upon"),
                             ev.AssistantTurnEnded(text="Once upon", interrupted=False, complete=False)])
    lines = out.splitlines()
    said = "The language model stopped in the middle of the reply, so it is incomplete. Type r to ask again."
    assert lines[1:] == ["Assistant: Once", f"! {said}", "Assistant: upon [incomplete]"], "the console's r is Retry"
    assert out.count("Once") == 1


def test_an_unspoken_reply_after_a_spoken_one_is_printed():
    p = printer()
    replay(p, [*asked("Hi"), ev.AssistantWordSpoken(word="Hello."),
               ev.AssistantTurnEnded(text="Hello.", interrupted=False)])
    out = replay(p, [*asked("Weather?"), ev.AssistantTurnEnded(text="Sunny.", interrupted=False, spoken=False)])
    assert out.splitlines()[-1] == "Assistant: Sunny. [not spoken]"


# ------------------------------------------------------------------------------------------------------ outages
def stt(status: ev.ConnectionStatus, *, at: float, retry_in: float = 3.0, attempt: int = 1,
        down_since: float | None = DOWN_AT, reason: str = "connection lost") -> ev.ProviderStatusChanged:
    retry_at = None if down_since is None else DOWN_AT + at + retry_in
    return ev.ProviderStatusChanged(ev.Provider.STT, status, reason, down_since=down_since, retry_at=retry_at,
                                    attempt=attempt, at=1000.0 + at)


def test_an_outage_is_one_line_once_an_attempt_failed_then_one_every_ten_seconds_then_one_when_it_is_back():
    clock = Clock(DOWN_AT)
    p = printer(clock)
    replay(p, [ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED)])
    assert p._out.getvalue() == ""

    lost = stt(ev.ConnectionStatus.DISCONNECTED, at=0, attempt=0, retry_in=0)
    dropped = ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "The connection to the speech-to-text service dropped. "
                               "Reconnecting…", provider=ev.Provider.STT)
    assert replay(p, [lost, dropped, ev.AgentStateChanged(state=ev.AgentState.RECONNECTING)]) == "", (
        "the first attempt is made at once: nothing to say until it fails")

    lines = []
    for second in (1, 2, 4, 8, 11, 14, 20, 22):  # the healer re-reports each time it schedules the next attempt
        clock.now = DOWN_AT + second
        out = replay(p, [stt(ev.ConnectionStatus.DISCONNECTED, at=second, attempt=second, retry_in=2)])
        lines = out.splitlines()
    assert OUTAGE_UPDATE_SECS == 10
    assert lines == [
        "Speech-to-text connection lost at 14:02:11; reconnecting (next attempt in 2 s).",
        "Speech-to-text still down after 11 s; next attempt in 2 s (attempt 11).",
        "Speech-to-text still down after 22 s; next attempt in 2 s (attempt 22).",
    ], "the engine's sentence and the reconnecting note are left out: the outage line says it, with more"

    clock.now = DOWN_AT + 42
    out = replay(p, [stt(ev.ConnectionStatus.CONNECTED, at=42, down_since=None, reason="")])
    assert out.splitlines()[-1] == "Speech-to-text is back after 42 s."
    out = replay(p, [ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED)])
    assert out.splitlines()[-1] == "Speech-to-text is back after 42 s.", "said once"


def test_a_blip_mended_by_the_first_attempt_is_not_worth_a_line():
    clock = Clock(DOWN_AT)
    p = printer(clock)
    dropped = ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "The connection dropped. Reconnecting…",
                               provider=ev.Provider.TTS)
    down = ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.DISCONNECTED, "connection lost",
                                    down_since=DOWN_AT, retry_at=DOWN_AT, attempt=0)
    clock.now += 0.3
    assert replay(p, [down, dropped, ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.CONNECTED)]) == ""


def test_an_error_about_the_connection_is_said_when_no_outage_line_was():
    dropped = ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "The connection dropped. Reconnecting…",
                               provider=ev.Provider.TTS)
    out = replay(printer(), [dropped, ev.AgentStateChanged(state=ev.AgentState.RECONNECTING)])
    assert out.splitlines() == ["! The connection dropped. Reconnecting…", "(reconnecting ...)"]


def test_a_refused_connection_and_one_that_never_connected_are_worded_for_what_they_are():
    out = replay(printer(), [
        ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.FAILED, "key refused", down_since=DOWN_AT,
                                 retry_at=DOWN_AT + 30, attempt=1),
        ev.ProviderStatusChanged(ev.Provider.LLM, ev.ConnectionStatus.CONNECTING, "connection failed",
                                 down_since=DOWN_AT, retry_at=DOWN_AT + 0.4, attempt=1),
    ])
    assert out.splitlines() == [
        "Text-to-speech refused the connection at 14:02:11; trying again (next attempt in 30 s).",
        "Language model cannot connect (since 14:02:11); trying again (next attempt in 1 s).",
    ]


def test_a_session_that_ends_during_an_outage_does_not_later_say_it_is_back():
    clock = Clock(DOWN_AT)
    p = printer(clock)
    replay(p, [stt(ev.ConnectionStatus.DISCONNECTED, at=0), ev.SessionEnded(reason="stopped")])
    clock.now += 60
    out = replay(p, [ev.ProviderStatusChanged(ev.Provider.STT, ev.ConnectionStatus.CONNECTED)])
    assert "back" not in out
