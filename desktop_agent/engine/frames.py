"""The engine's own Pipecat frames."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipecat.frames.frames import LLMMessagesAppendFrame, SystemFrame


@dataclass
class TalkGateFrame(SystemFrame):
    """The push-to-talk gate opened (button pressed) or closed (released) at this point of the audio stream.

    The input transport pushes it in order with the microphone audio, so everything said before the release
    reaches the speech-to-text service before the end of the turn is signalled.
    """

    open: bool = False


@dataclass
class FinalizeAnsweredFrame(SystemFrame):
    """Speech-to-text has answered the end of the user's speech, with words or without ("nothing was said").

    The reply guard's deadline on the final transcript waits for this or a ``TranscriptionFrame``: a service that
    answers "no words" is alive, and must not be restarted as if it had stalled.
    """


@dataclass
class TypedTurnFrame(LLMMessagesAppendFrame):
    """A turn the user typed instead of spoke.

    It is Pipecat's own message append (``run_llm``): the user aggregator adds the message to the shared context and
    runs the language model, as it does with a transcript at the end of a spoken turn. The subclass only tags it, so
    the observer shows ``text`` as the user's turn and the reply guard counts it as a new turn. ``reply_in_text``: the
    user asked for this reply to be shown, not spoken. Like the user's words, it is never dropped by an interruption
    queued behind it (a push-to-talk press right after sending).
    """

    interruptible: bool = field(default=False, init=False)
    text: str = ""
    reply_in_text: bool = False
