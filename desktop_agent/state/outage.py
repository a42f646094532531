"""Words for a provider connection that is down: its role, since when, and when the next attempt is.

While a connection is down the engine's healer says since when (``ProviderState.down_since``) and when it tries next
(``retry_at``), both wall-clock seconds; the status bar and the console say it from these pieces, by role rather than
by vendor ("Speech-to-text", not the company running it).
"""

from __future__ import annotations

import math
import time

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import ProviderState

ROLE_NAMES = {ev.Provider.STT: "Speech-to-text", ev.Provider.LLM: "Language model", ev.Provider.TTS: "Text-to-speech"}
#: What a provider standing in for a role does, in a sentence ("<fallback> answers until <chosen> is back").
STANDS_IN_AS = {ev.Provider.STT: "listens", ev.Provider.LLM: "answers", ev.Provider.TTS: "speaks"}
SHORT_NAMES = {ev.Provider.STT: "STT", ev.Provider.LLM: "LLM", ev.Provider.TTS: "TTS"}
#: What a down connection is doing, by the status the healer reports with it.
DOWN_WORDS = {
    ev.ConnectionStatus.DISCONNECTED: "reconnecting",
    ev.ConnectionStatus.CONNECTING: "connecting",
    ev.ConnectionStatus.FAILED: "refused; trying again",
}


def is_down(state: ProviderState) -> bool:
    """The healer has the connection down and is bringing it back."""
    return state.down_since is not None and state.status is not ev.ConnectionStatus.CONNECTED


def clock_time(wall_seconds: float) -> str:
    """``14:02:11`` in local time."""
    return time.strftime("%H:%M:%S", time.localtime(wall_seconds))


def elapsed(seconds: float) -> str:
    """A running duration as a clock: ``0:42``, ``12:05``, ``1:02:03``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def span(seconds: float) -> str:
    """A finished duration in words: ``42 s``, ``2 min 5 s``, ``1 h 3 min``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def next_attempt(state: ProviderState, now: float) -> str:
    """When the next attempt is: ``in 3 s`` (rounded up, so it never says 0 s too early) or ``now``."""
    if state.retry_at is None:
        return "now"
    wait = math.ceil(state.retry_at - now - 1e-6)
    return f"in {wait} s" if wait > 0 else "now"


def down_sentence(provider: ev.Provider, state: ProviderState, now: float) -> str:
    """``Speech-to-text: reconnecting — down since 14:02:11, next attempt in 3 s (attempt 4)``."""
    assert state.down_since is not None
    words = DOWN_WORDS.get(state.status, "reconnecting")
    attempt = f" (attempt {state.attempt})" if state.attempt else ""
    return (
        f"{ROLE_NAMES[provider]}: {words} — down since {clock_time(state.down_since)}, "
        f"next attempt {next_attempt(state, now)}{attempt}"
    )


def down_summary(provider: ev.Provider, state: ProviderState, now: float) -> str:
    """The short form for the status bar: ``STT down 0:42 · retry in 3 s``."""
    assert state.down_since is not None
    return f"{SHORT_NAMES[provider]} down {elapsed(now - state.down_since)} · retry {next_attempt(state, now)}"


def about_lost_connection(error: ev.ErrorOccurred) -> bool:
    """The error says a provider's connection went away while the engine keeps bringing it back, so it is over once
    the provider is connected again. A key refused while reconnecting is the one recoverable refusal (the engine
    keeps trying); a turn offered for Retry stays worth retrying after the connection is back."""
    if error.provider is None or error.retry:
        return False
    return error.kind is ev.ErrorKind.UNREACHABLE or (error.kind is ev.ErrorKind.AUTH and error.recoverable)
