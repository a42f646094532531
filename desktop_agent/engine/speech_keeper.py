"""Nothing the user says is lost while speech-to-text is away.

Sits between the turn input and the speech-to-text service and keeps the current turn's audio (its "tape"):

* While speech-to-text is not connected (the session is still connecting, or the link dropped and is being
  restored), the turn's audio and its end are held, in order, and handed over once the link is up: a turn spoken
  the moment the window appears, or during an outage, is transcribed when the provider is back (LiveKit calls its
  version of this a pre-connect audio buffer). Outside a turn nothing is held but a short pre-roll, so an idle
  outage costs no memory and a hands-free turn keeps its first syllable.
* When the connection was replaced during a turn, the audio sent on the old one may never have been transcribed,
  so the whole tape (since the last final transcript) is given again on the new connection.
* :meth:`replay_as_turn` gives the last tape again as a turn of its own, for a stuck connection that had to be
  restarted, and for the user's "Retry".

Holding is bounded (``max_secs`` of audio); older audio is dropped first.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from desktop_agent.engine.levels import pcm_level

BLOCK_SECS = 0.02
#: A block louder than this (0..1, see ``pcm_level``: -45 dBFS) counts as voice: the turn had something to say.
VOICE_LEVEL = 0.25
#: A synthetic stop marks the end of a replayed turn; non-zero so Pipecat measures it like a release.
REPLAY_STOP_SECS = 0.001


class SpeechKeeper(FrameProcessor):
    def __init__(
        self,
        *,
        stt_up: Callable[[], bool],
        stt_generation: Callable[[], int],
        preroll_secs: float = 0.5,
        max_secs: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(name="SpeechKeeper", **kwargs)
        self._stt_up = stt_up
        self._stt_generation = stt_generation
        self._max_blocks = int(max_secs / BLOCK_SECS)
        self._preroll: collections.deque[InputAudioRawFrame] = collections.deque(maxlen=int(preroll_secs / BLOCK_SECS))
        self._tape: collections.deque[InputAudioRawFrame] = collections.deque(maxlen=self._max_blocks)
        self._held: collections.deque[Frame] = collections.deque()
        self._held_audio = 0
        self._in_turn = False
        self._voiced = False
        self._sent_on: int | None = None  # the STT connection the tape's audio went to, None if it went nowhere
        self.dropped_secs = 0.0

    # -- what the session asks -------------------------------------------------------------------------------

    @property
    def holding(self) -> bool:
        """Frames are waiting for speech-to-text."""
        return bool(self._held)

    @property
    def voiced(self) -> bool:
        """The current (or last) turn's tape has speech in it."""
        return self._voiced

    @property
    def tape_secs(self) -> float:
        return len(self._tape) * BLOCK_SECS

    def transcript_received(self) -> None:
        """A final transcript came back: what the tape holds so far is transcribed and need not be given again."""
        self._tape.clear()
        self._voiced = False

    async def stt_ready(self) -> None:
        """Speech-to-text is (back) up: hand over what was held."""
        if self._held and self._stt_up():
            await self._flush()

    async def replay_as_turn(self) -> bool:
        """Give the last tape again as a turn of its own (start, audio, end). False when there is nothing to give."""
        if not self._tape or not self._voiced:
            return False
        tape = list(self._tape)
        logger.info(f"Giving speech-to-text {len(tape) * BLOCK_SECS:.1f} s of the user's words again")
        self._sent_on = self._stt_generation()
        await self.push_frame(VADUserStartedSpeakingFrame(start_secs=0.0))
        await self.push_frame(ProposedUserStartedSpeakingFrame())
        for frame in tape:
            await self.push_frame(frame)
        await self.push_frame(VADUserStoppedSpeakingFrame(stop_secs=REPLAY_STOP_SECS))
        await self.push_frame(ProposedUserStoppedSpeakingFrame())
        return True

    # -- frames -----------------------------------------------------------------------------------------------

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is not FrameDirection.DOWNSTREAM:
            await self.push_frame(frame, direction)
            return
        if isinstance(frame, InputAudioRawFrame):
            await self._on_audio(frame)
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            await self._on_turn_start(frame)
        elif isinstance(frame, (VADUserStoppedSpeakingFrame, ProposedUserStoppedSpeakingFrame)):
            if isinstance(frame, VADUserStoppedSpeakingFrame):
                self._in_turn = False
            await self._pass_or_hold(frame)
        else:
            await self.push_frame(frame, direction)

    async def _on_turn_start(self, frame: VADUserStartedSpeakingFrame) -> None:
        self._in_turn = True
        self._voiced = False
        self._tape.clear()
        self._tape.extend(self._preroll)
        self._voiced = any(_is_voice(f) for f in self._preroll)
        self._preroll.clear()
        self._sent_on = self._stt_generation() if self._stt_up() else None
        if not self._stt_up():
            self._hold_all(self._tape)
        # The start passes at once: a press must stop the assistant even while speech-to-text is away.
        await self.push_frame(frame)

    async def _on_audio(self, frame: InputAudioRawFrame) -> None:
        if not self._in_turn:
            self._preroll.append(frame)
            if self._held or not self._stt_up():
                return  # between turns, an absent speech-to-text needs nothing kept but the pre-roll
            await self.push_frame(frame)
            return
        if len(self._tape) == self._tape.maxlen:
            self.dropped_secs += BLOCK_SECS
        self._tape.append(frame)
        self._voiced = self._voiced or _is_voice(frame)
        await self._pass_or_hold(frame)

    async def _pass_or_hold(self, frame: Frame) -> None:
        if self._held or not self._stt_up():
            self._hold(frame)
            if self._stt_up():
                await self._flush()
            return
        if self._sent_on is not None and self._sent_on != self._stt_generation():
            await self._resend_tape(before=frame)
            return
        if self._sent_on is None and self._in_turn:
            self._sent_on = self._stt_generation()
        await self.push_frame(frame)

    def _hold(self, frame: Frame) -> None:
        if isinstance(frame, InputAudioRawFrame):
            if self._held_audio >= self._max_blocks:
                self._drop_oldest_audio()
            self._held_audio += 1
        self._held.append(frame)

    def _hold_all(self, frames: Iterable[Frame]) -> None:
        for frame in frames:
            self._hold(frame)

    def _drop_oldest_audio(self) -> None:
        for index, held in enumerate(self._held):
            if isinstance(held, InputAudioRawFrame):
                del self._held[index]
                self._held_audio -= 1
                self.dropped_secs += BLOCK_SECS
                return

    async def _flush(self) -> None:
        held, self._held = list(self._held), collections.deque()
        self._held_audio = 0
        if self._sent_on is not None and self._sent_on != self._stt_generation() and self._tape:
            # Part of this turn went to a connection that is gone: give the whole tape, then what else was held.
            logger.info(f"Speech-to-text reconnected mid-turn: giving it {self.tape_secs:.1f} s of the turn again")
            held = list(self._tape) + [f for f in held if not isinstance(f, InputAudioRawFrame)]
        elif held:
            seconds = sum(isinstance(f, InputAudioRawFrame) for f in held) * BLOCK_SECS
            logger.info(f"Speech-to-text is up: handing over {seconds:.1f} s of held audio")
        self._sent_on = self._stt_generation()
        for frame in held:
            await self.push_frame(frame)

    async def _resend_tape(self, before: Frame) -> None:
        logger.info(f"Speech-to-text reconnected mid-turn: giving it {self.tape_secs:.1f} s of the turn again")
        self._sent_on = self._stt_generation()
        tape = list(self._tape)
        for frame in tape:
            await self.push_frame(frame)
        if not isinstance(before, InputAudioRawFrame) or (tape and before is not tape[-1]):
            await self.push_frame(before)


def _is_voice(frame: InputAudioRawFrame) -> bool:
    return pcm_level(frame.audio) >= VOICE_LEVEL
