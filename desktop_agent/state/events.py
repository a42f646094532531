"""Events the voice engine emits: the one contract between the engine, the state, storage and the window.

Plain frozen dataclasses, no Qt and no Pipecat, so they cross threads safely and tests can build them by hand.
Times are ``time.monotonic()`` seconds unless a field says otherwise.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field


class Provider(enum.StrEnum):
    """The three roles a session's remote services play. Which provider plays each is a setting
    (:mod:`desktop_agent.providers`); events speak of the role."""

    STT = "stt"
    LLM = "llm"
    TTS = "tts"

    @property
    def role_name(self) -> str:
        """The role in words ("speech to text"), for sentences that cannot name the provider."""
        return {"stt": "speech to text", "llm": "language model", "tts": "text to speech"}[self.value]


class TurnMode(enum.StrEnum):
    PUSH_TO_TALK = "push_to_talk"
    HANDS_FREE = "hands_free"


class AgentState(enum.StrEnum):
    """What the session is doing, as the state indicator shows it."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    LISTENING = "listening"
    USER_SPEAKING = "user_speaking"
    THINKING = "thinking"
    ASSISTANT_SPEAKING = "assistant_speaking"
    RECONNECTING = "reconnecting"
    ERROR = "error"


class Stage(enum.StrEnum):
    """Latency stages of one turn, in pipeline order."""

    ENDPOINTING = "endpointing"  # user stopped speaking (release or VAD) -> turn ended
    STT_FINAL = "stt_final"  # user stopped speaking -> final transcript
    LLM_FIRST_TOKEN = "llm_first_token"  # LLM request -> first token
    TTS_FIRST_AUDIO = "tts_first_audio"  # first text to TTS -> first audio back
    VOICE_TO_VOICE = "voice_to_voice"  # user stopped speaking -> assistant audio starts playing
    TOOLS = "tools"  # time the turn's tool calls ran (their sum), outside the stages above


class ConnectionStatus(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    FAILED = "failed"


class ErrorKind(enum.StrEnum):
    """Why something failed, so the window can say what to do about it."""

    AUTH = "auth"  # key rejected: open Settings > Keys
    RATE_LIMIT = "rate_limit"
    UNREACHABLE = "unreachable"  # provider down or network gone
    PROVIDER = "provider"  # provider-side error (5xx, malformed reply)
    AUDIO_DEVICE = "audio_device"  # microphone or speaker missing or failing
    CONFIG = "config"
    BUDGET = "budget"  # a spending limit was reached: Settings > Prices holds the budgets
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class Event:
    at: float = field(default_factory=time.monotonic, kw_only=True)


@dataclass(frozen=True, slots=True)
class SessionStarted(Event):
    mode: TurnMode
    voice: str = ""
    prompt_name: str = ""


@dataclass(frozen=True, slots=True)
class SessionEnded(Event):
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AgentStateChanged(Event):
    state: AgentState


@dataclass(frozen=True, slots=True)
class ModeChanged(Event):
    mode: TurnMode


@dataclass(frozen=True, slots=True)
class MuteChanged(Event):
    muted: bool


@dataclass(frozen=True, slots=True)
class UserSpeechStarted(Event):
    pass


@dataclass(frozen=True, slots=True)
class UserSpeechStopped(Event):
    pass


@dataclass(frozen=True, slots=True)
class UserTranscript(Event):
    """Words of the user's current turn: interim (replaced by the next) or final (a committed segment)."""

    text: str
    final: bool


@dataclass(frozen=True, slots=True)
class UserTurnEnded(Event):
    """The user's turn is complete (spoken, or typed instead); ``text`` is what goes to the LLM."""

    text: str


@dataclass(frozen=True, slots=True)
class AssistantTurnStarted(Event):
    """A reply has begun; ``user_turn`` numbers the user's turn it answers (see :class:`StageLatency`)."""

    user_turn: int | None = None


@dataclass(frozen=True, slots=True)
class AssistantText(Event):
    """Text the LLM produced (not yet spoken)."""

    text: str


@dataclass(frozen=True, slots=True)
class AssistantWordSpoken(Event):
    """A word the assistant has just said aloud (timed from TTS alignment)."""

    word: str


@dataclass(frozen=True, slots=True)
class AssistantSpeechStarted(Event):
    pass


@dataclass(frozen=True, slots=True)
class AssistantSpeechStopped(Event):
    pass


@dataclass(frozen=True, slots=True)
class AssistantTurnEnded(Event):
    """The assistant's turn is over; ``text`` is what was actually spoken.

    ``spoken`` is False when the voice could not say the reply (text-to-speech down), or the user asked for it in text
    (a typed turn): ``text`` is then the whole reply as written, so it is still shown and saved. ``complete`` is False
    when the language model's answer was cut off before its end (the stream broke): the reply is kept, marked as
    incomplete. ``user_turn`` numbers the user's turn it answers (see :class:`StageLatency`).
    """

    text: str
    interrupted: bool
    spoken: bool = True
    complete: bool = True
    user_turn: int | None = None


@dataclass(frozen=True, slots=True)
class Interrupted(Event):
    """The user (or the stop button) cut the assistant off."""

    by_user: bool = True


@dataclass(frozen=True, slots=True)
class StageLatency(Event):
    """One stage's figure for one user turn.

    ``user_turn`` numbers the user's turn it measured, counted by the engine within one session; the replies carry the
    same number (``AssistantTurnStarted``, ``AssistantTurnEnded``), so a figure lands on the reply of the turn it
    measured even when it arrives after that reply ended. None (a tool call's time): it goes to the next reply to end.
    """

    stage: Stage
    seconds: float
    user_turn: int | None = None


@dataclass(frozen=True, slots=True)
class UsageReported(Event):
    """Billable usage as the providers report it."""

    provider: Provider
    prompt_tokens: int = 0
    completion_tokens: int = 0
    characters: int = 0
    audio_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ProviderStatusChanged(Event):
    """A provider's connection changed. While it is down, ``down_since`` and ``retry_at`` (wall-clock seconds,
    ``time.time()``) say since when and when the next attempt to reconnect is made; ``attempt`` counts them."""

    provider: Provider
    status: ConnectionStatus
    reason: str = ""
    down_since: float | None = None
    retry_at: float | None = None
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class ProviderSwitched(Event):
    """Another provider now answers for a role: ``name`` stands in for ``primary_name`` (``standing_in``) after the
    chosen one failed, or the chosen one answers again (``standing_in`` False, ``name`` == ``primary_name``)."""

    provider: Provider
    name: str
    primary_name: str
    standing_in: bool


@dataclass(frozen=True, slots=True)
class ErrorOccurred(Event):
    """A failure the user should know about. ``message`` is a sentence that says what to do; never a traceback."""

    kind: ErrorKind
    message: str
    provider: Provider | None = None
    recoverable: bool = True
    #: The user's last turn did not get its reply: the window offers "Retry" (the console: the ``r`` command).
    retry: bool = False


@dataclass(frozen=True, slots=True)
class ChoiceUnavailable(ErrorOccurred):
    """The provider no longer offers the chosen language model (``provider`` LLM) or voice (TTS), e.g. one it retired.

    An :class:`ErrorOccurred` whose ``message`` says so in one sentence and names ``replacement``, an available
    model or voice ID to switch to with one click ("" when none was found); ``replacement_name`` is how to show it
    and ``current`` the ID no longer offered.
    """

    current: str = ""
    replacement: str = ""
    replacement_name: str = ""


@dataclass(frozen=True, slots=True)
class AudioLevel(Event):
    """Input (microphone) and output (assistant) levels, 0..1, at most ~20 per second."""

    microphone: float
    output: float


@dataclass(frozen=True, slots=True)
class SettingsApplied(Event):
    """A runtime change the engine has applied (voice, prompt, model, ...)."""

    voice: str | None = None
    prompt_name: str | None = None
    #: The conversation's language (an app code) when it changed.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationReset(Event):
    pass


@dataclass(frozen=True, slots=True)
class ToolCallStarted(Event):
    """The language model called a tool. ``arguments`` is the call's arguments as JSON text (as the model wrote them,
    untrusted); ``call_id`` pairs it with its :class:`ToolCallFinished`."""

    call_id: str
    name: str
    arguments: str = "{}"


@dataclass(frozen=True, slots=True)
class ToolConfirmationRequested(Event):
    """The call ``call_id`` (already started) runs only if the user says yes: the model asks them, the window and the
    console offer yes and no. A :class:`ToolCallStarted` follows with the same id if they said yes, else a
    :class:`ToolCallFinished` with the refusal."""

    call_id: str
    name: str
    arguments: str = "{}"


@dataclass(frozen=True, slots=True)
class ToolCallFinished(Event):
    """A tool call is over: ``result`` is what the tool answered (told to the model), or ``error`` the sentence the
    model was told instead (the tool failed, timed out, was refused or interrupted); ``seconds`` how long it ran."""

    call_id: str
    name: str
    result: str = ""
    error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class EarlierTurn:
    """A turn said in an earlier session of a continued conversation, as it was stored (remote text: plain only)."""

    role: str  # "user" or "assistant"
    text: str
    started_at: float  # wall clock
    interrupted: bool = False
    spoken: bool = True
    complete: bool = True


@dataclass(frozen=True, slots=True)
class ConversationContinued(Event):
    """A past conversation goes on (History > Continue), in a transcript just reset: the turns of it the language
    model remembers, shown before what is said now, and when the conversation started (wall clock). The app sends
    it, not the engine; the turns are in the history already."""

    started_at: float
    turns: tuple[EarlierTurn, ...] = ()
