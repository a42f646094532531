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

**Hands-free: speech-to-text hears only speech.** While ``gated()`` is true (hands-free), the audio between turns is
not sent to speech-to-text: idle listening costs nothing and uploads nothing. The service is muted (Pipecat's
``STTMuteFrame``: a muted service sends nothing but still passes the audio on, so smart-turn downstream hears the
room) and the audio reaches it half a second late, through the pre-roll: when the VAD hears a voice, the
service is unmuted and the pre-roll goes first, so the provider gets the ``preroll_secs`` before the VAD's start (the
first syllable, which the VAD needs ``start_secs`` to be sure of) and the turn without a gap. After the VAD's stop a
``tail_secs`` tail still goes out, then the service is muted again. The muted audio goes on downstream for a while
(:data:`DRAIN_SECS` after the VAD's stop, and as long as a user turn is open) for smart-turn: a turn it judged
incomplete ends once it has counted its ``stop_secs`` of silence. After that, while nobody speaks, the audio leaving
the pre-roll goes no further: nothing downstream needs it (smart-turn gets the pre-roll with the next turn), and each
frame would wake every processor on its way, and the observers at each hop, 50 times a second. The provider's
connection is kept open meanwhile the way each provider's Pipecat service does it (a keepalive message, or a little
silence after minutes idle).
While the assistant speaks the gate stays open: the echo canceller can muffle a user talking over the reply enough
for the VAD to miss them, and the words speech-to-text still makes out then interrupt the reply instead (see
``engine/turns.py``); that costs the reply's length in audio, and idle listening stays free.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    Frame,
    InputAudioRawFrame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    STTMuteFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
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
#: Audio kept from before a turn's start. The VAD is sure of a voice about 0.35 s into it (measured on espeak
#: speech: ``start_secs`` and Silero's ramp), so this gives speech-to-text 0.45 s before the first syllable.
PREROLL_SECS = 0.8
#: While muted, the mute is said again this often (in blocks: 1 s). A speech-to-text switch (a fallback taking over)
#: sends frames to a service that did not hear the first one; Pipecat keeps mute per service.
MUTE_REASSERT_BLOCKS = 50
#: Muted audio between turns goes on downstream this long after the VAD's stop (or the assistant's speech) before it
#: is dropped: more than smart-turn's ``stop_secs`` (3 s) after its last speech plus the pre-roll it waited in.
DRAIN_SECS = 5.0


class SpeechKeeper(FrameProcessor):
    def __init__(
        self,
        *,
        stt_up: Callable[[], bool],
        stt_generation: Callable[[], int],
        gated: Callable[[], bool] = lambda: False,
        preroll_secs: float = PREROLL_SECS,
        tail_secs: float = 0.3,
        drain_secs: float = DRAIN_SECS,
        max_secs: float = 60.0,
        **kwargs: Any,
    ) -> None:
        """``gated`` says whether speech-to-text should hear only speech now (hands-free: see the module's doc)."""
        super().__init__(name="SpeechKeeper", **kwargs)
        self._stt_up = stt_up
        self._stt_generation = stt_generation
        self._gated = gated
        self._tail_blocks = round(tail_secs / BLOCK_SECS)
        self._tail_left = 0
        self._muted = False
        self._muted_for = 0  # blocks since the mute was last said
        self._preroll_unsent = False  # the pre-roll's frames have not been pushed yet (gated: they wait in it)
        self._max_blocks = int(max_secs / BLOCK_SECS)
        self._preroll: collections.deque[InputAudioRawFrame] = collections.deque(
            maxlen=round(preroll_secs / BLOCK_SECS)
        )
        self._tape: collections.deque[InputAudioRawFrame] = collections.deque(maxlen=self._max_blocks)
        self._held: collections.deque[Frame] = collections.deque()
        self._held_audio = 0
        self._in_turn = False
        self._assistant_speaking = False
        self._user_turn_open = False  # the user aggregator's turn: from its user started speaking to its stop
        self._drain_blocks = round(drain_secs / BLOCK_SECS)
        self._quiet_blocks = 0  # gated blocks since the VAD's stop or the assistant's speech
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
        await self._unmute()
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
        if isinstance(frame, (BotStartedSpeakingFrame, BotStoppedSpeakingFrame)):
            self._assistant_speaking = isinstance(frame, BotStartedSpeakingFrame)
        elif isinstance(frame, (UserStartedSpeakingFrame, UserStoppedSpeakingFrame)):
            self._user_turn_open = isinstance(frame, UserStartedSpeakingFrame)
        if direction is not FrameDirection.DOWNSTREAM:
            await self.push_frame(frame, direction)
            return
        if isinstance(frame, InputAudioRawFrame):
            await self._on_audio(frame)
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            await self._on_turn_start(frame)
        elif isinstance(frame, (VADUserStoppedSpeakingFrame, ProposedUserStoppedSpeakingFrame)):
            if isinstance(frame, VADUserStoppedSpeakingFrame) and self._in_turn:
                self._in_turn = False
                self._tail_left = self._tail_blocks
                self._quiet_blocks = 0
            await self._pass_or_hold(frame)
        else:
            await self.push_frame(frame, direction)

    async def _on_turn_start(self, frame: VADUserStartedSpeakingFrame) -> None:
        self._in_turn = True
        self._tail_left = 0
        self._voiced = False
        self._tape.clear()
        self._tape.extend(self._preroll)
        self._voiced = any(_is_voice(f) for f in self._preroll)
        unsent = list(self._preroll) if self._preroll_unsent else []
        self._preroll.clear()
        self._preroll_unsent = False
        self._sent_on = self._stt_generation() if self._stt_up() else None
        if not self._stt_up():
            self._hold_all(self._tape)
        elif self._held:
            self._hold_all(unsent)
        else:
            # Gated: the pre-roll waited for this; speech-to-text hears it first, then the turn.
            await self._unmute()
            for waiting in unsent:
                await self.push_frame(waiting)
        # The start passes at once: a press must stop the assistant even while speech-to-text is away.
        await self.push_frame(frame)

    async def _on_audio(self, frame: InputAudioRawFrame) -> None:
        if not self._in_turn:
            await self._between_turns(frame)
            return
        if len(self._tape) == self._tape.maxlen:
            self.dropped_secs += BLOCK_SECS
        self._tape.append(frame)
        self._voiced = self._voiced or _is_voice(frame)
        await self._pass_or_hold(frame)

    async def _between_turns(self, frame: InputAudioRawFrame) -> None:
        stt_away = bool(self._held) or not self._stt_up()
        if self._tail_left > 0 and not stt_away:
            self._tail_left -= 1  # the tail after the VAD's stop: heard, and not kept for a next turn's pre-roll
            await self._unmute()
            await self.push_frame(frame)
            return
        self._tail_left = 0
        if not self._gated() or self._assistant_speaking:
            self._quiet_blocks = 0
            if self._preroll_unsent:  # the gate just opened: what waited goes on (muted) before this
                await self._push_preroll_muted()
            self._preroll.append(frame)
            if not stt_away:
                if self._assistant_speaking:
                    await self._unmute()  # words over the reply are heard even when the VAD misses the voice
                await self.push_frame(frame)
            return
        if stt_away:
            # Between turns, an absent speech-to-text needs nothing kept but the pre-roll (nothing downstream
            # either, as before the gate).
            self._preroll.append(frame)
            self._preroll_unsent = False
            return
        # Gated: the frame waits in the pre-roll; the oldest leaves it for downstream, unheard by speech-to-text.
        if not self._preroll_unsent:
            self._preroll.clear()  # its frames were pushed already: only unsent ones may wait
            self._preroll_unsent = True
        if len(self._preroll) == self._preroll.maxlen:
            oldest = self._preroll.popleft()
            await self._mute()  # also when dropping: a speech-to-text switched in meanwhile hears the mute in time
            if self._quiet_blocks < self._drain_blocks or self._user_turn_open:
                await self.push_frame(oldest)
        self._quiet_blocks += 1
        self._preroll.append(frame)

    async def _push_preroll_muted(self) -> None:
        waiting = list(self._preroll)
        self._preroll.clear()
        self._preroll_unsent = False
        await self._mute()
        for frame in waiting:
            await self.push_frame(frame)

    async def _mute(self) -> None:
        """Speech-to-text sends nothing from here on (said again every second while muted, see
        :data:`MUTE_REASSERT_BLOCKS`)."""
        self._muted_for += 1
        if self._muted and self._muted_for < MUTE_REASSERT_BLOCKS:
            return
        self._muted, self._muted_for = True, 0
        await self.push_frame(STTMuteFrame(mute=True))

    async def _unmute(self) -> None:
        if self._muted:
            self._muted = False
            await self.push_frame(STTMuteFrame(mute=False))

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
        if self._in_turn:
            await self._unmute()
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
        await self._unmute()
        for frame in held:
            await self.push_frame(frame)

    async def _resend_tape(self, before: Frame) -> None:
        logger.info(f"Speech-to-text reconnected mid-turn: giving it {self.tape_secs:.1f} s of the turn again")
        self._sent_on = self._stt_generation()
        await self._unmute()
        tape = list(self._tape)
        for frame in tape:
            await self.push_frame(frame)
        if not isinstance(before, InputAudioRawFrame) or (tape and before is not tape[-1]):
            await self.push_frame(before)


def _is_voice(frame: InputAudioRawFrame) -> bool:
    return pcm_level(frame.audio) >= VOICE_LEVEL
