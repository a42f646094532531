"""Cartesia Ink-2 turn-based STT that leaves a push-to-talk turn to the key.

Pipecat's ``CartesiaTurnsSTTService`` turns the server's turn events into Pipecat's proposed start/stop and eager
end-of-turn frames, which decide hands-free turns. In push-to-talk the key decides instead: the turn input marks a
press with a ``VADUserStartedSpeakingFrame`` and a release with a ``VADUserStoppedSpeakingFrame`` (in hands-free with
this STT the local voice detection's marks stop before it: engine/turns.py, ``LocalSpeechMarks``). From a press
until the server's turn after the release has ended, this service passes only transcripts: a pause while the key is
held must not end the turn, and a predicted end must not start a reply the key has not asked for.

The server has no "finalize": a turn ends after enough silence. The microphone stops at the release, so the release
sends that silence at once (the server's longest wait, ``turn_end_timeout_ms``), and the final transcript comes as
soon as the server has read it, instead of after Pipecat's watchdog had trickled silence in for seconds.
"""

from __future__ import annotations

from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    Frame,
    ProposedUserStartedSpeakingFrame,
    ProposedUserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.cartesia.turns.stt import CartesiaTurnsSTTService
from pipecat.utils.types import is_given
from websockets.protocol import State

#: Cartesia's default for the longest silence it waits before ending a turn (provider-protocols-2.md, section 3).
DEFAULT_TURN_END_TIMEOUT_MS = 5600
#: The release's silence goes out in pieces of this many seconds.
SILENCE_PIECE_SECS = 0.5

_TURN_FRAMES = (ProposedUserStartedSpeakingFrame, ProposedUserStoppedSpeakingFrame)


class KeyAwareCartesiaTurnsSTTService(CartesiaTurnsSTTService):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key_turn = False  # a push-to-talk press is open, or its server turn has not ended yet
        self._key_released = False

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is not FrameDirection.DOWNSTREAM:
            return
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._key_turn, self._key_released = True, False
        elif isinstance(frame, VADUserStoppedSpeakingFrame) and self._key_turn:
            self._key_released = True
            if self._user_is_speaking:
                await self._end_server_turn()
            else:
                self._key_turn = False

    async def broadcast_frame(self, frame_cls: type[Frame], **kwargs: Any) -> None:
        if self._key_turn and issubclass(frame_cls, _TURN_FRAMES):
            return
        await super().broadcast_frame(frame_cls, **kwargs)

    async def _push_eager_end_of_turn(self, transcript: str, **kwargs: Any) -> None:
        if not self._key_turn:
            await super()._push_eager_end_of_turn(transcript, **kwargs)

    async def _cancel_eager_end_of_turn(self) -> None:
        if not self._key_turn:
            await super()._cancel_eager_end_of_turn()

    async def _handle_turn_end(self, data: dict) -> None:
        await super()._handle_turn_end(data)
        if self._key_released:
            self._key_turn = self._key_released = False

    async def _end_turn_cut_short(self) -> None:
        await super()._end_turn_cut_short()
        if self._key_released:
            self._key_turn = self._key_released = False

    async def _end_server_turn(self) -> None:
        """Send the server's longest end-of-turn wait in silence, so the turn the key released ends now."""
        websocket = self._websocket
        if websocket is None or websocket.state is not State.OPEN:
            return
        timeout_ms = getattr(self._settings, "turn_end_timeout_ms", None)  # Pipecat types it on its own Settings
        seconds = (timeout_ms if is_given(timeout_ms) and timeout_ms else DEFAULT_TURN_END_TIMEOUT_MS) / 1000
        piece = b"\x00" * (2 * int(self.sample_rate * SILENCE_PIECE_SECS))
        try:
            for _ in range(max(1, round(seconds / SILENCE_PIECE_SECS))):
                await websocket.send(piece)
                self._record_stt_audio_usage(piece)
        except Exception as exc:  # noqa: BLE001 - a dropped socket: the healer restarts it, Pipecat ends the turn
            logger.debug(f"{self}: the release's silence was not sent: {exc}")

    async def _websocket_connect(self, uri: str, **kwargs: Any) -> Any:
        # Raw PCM barely deflates; compressing 50 audio messages a second costs the engine loop (cartesia_finalizing).
        kwargs.setdefault("compression", None)
        return await super()._websocket_connect(uri, **kwargs)
