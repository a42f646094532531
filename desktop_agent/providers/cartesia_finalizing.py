"""Cartesia STT whose answer to ``finalize`` is marked as the finalized transcript of the turn.

Pipecat's ``CartesiaSTTService`` sends ``finalize`` when the user stops speaking but never marks the transcript that
answers it as finalized, so the hands-free turn strategy cannot tell it from an early segment and waits for its
STT safety net (Pipecat's Cartesia p99, 0.81 s after the end of speech) before the turn ends. Measured on the
simulator's ``prd`` profile, that wait was ~490 ms of every hands-free turn.

Cartesia only finalizes when asked (Pipecat never sends the ``max_silence_duration_secs`` that would let the server
finalize on its own), so the first final after ``finalize`` is its answer: it is marked through Pipecat's own
``request_finalize``/``confirm_finalize`` protocol, and the turn ends the moment it arrives. When nothing was said
(``flush_done`` alone), the mark lasts until the next speech starts, where Pipecat's VAD start handler clears it.

Its ``flush_done`` (the answer to ``finalize``, after the final transcript if there were words) is passed on as a
:class:`~desktop_agent.engine.frames.FinalizeAnsweredFrame`, so a turn with nothing in it is not taken for a stall.

The connection also asks for no per-message compression: raw PCM barely deflates, and compressing 50 audio
messages a second was the largest single cost of the engine loop while listening idle.
"""

from __future__ import annotations

from typing import Any

from pipecat.frames.frames import Frame, VADUserStoppedSpeakingFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.cartesia.stt import CartesiaSTTService
from websockets.protocol import State

from desktop_agent.engine.frames import FinalizeAnsweredFrame


class FinalizingCartesiaSTTService(CartesiaSTTService):
    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        finalizes = isinstance(frame, VADUserStoppedSpeakingFrame) and self._socket_open()
        if finalizes:
            # Marked before the base class sends "finalize": the answer can arrive while the send is awaited.
            self.request_finalize()
            self.confirm_finalize()
        await super().process_frame(frame, direction)

    async def _process_response(self, data: Any) -> None:
        await super()._process_response(data)
        if isinstance(data, dict) and data.get("type") == "flush_done":
            await self.push_frame(FinalizeAnsweredFrame())

    async def _websocket_connect(self, uri: str, **kwargs: Any) -> Any:
        kwargs.setdefault("compression", None)
        return await super()._websocket_connect(uri, **kwargs)

    def _socket_open(self) -> bool:
        websocket = self._websocket
        return websocket is not None and websocket.state is State.OPEN
