"""The engine's own Pipecat frames."""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.frames.frames import SystemFrame


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
