"""Where the microphone's audio stops travelling down the pipeline.

Pipecat passes every input audio frame on through every processor, 50 a second, whether anyone after the user
aggregator needs it or not; and each hop also goes through the pipeline's observers. Nothing after the user
aggregator (history window, LLM, TTS, output transport, assistant aggregator) reads microphone audio, so it ends
there. Measured while listening idle in hands-free mode, this is a few percent of a core.
"""

from __future__ import annotations

from typing import Any

from pipecat.frames.frames import Frame, InputAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor


class MicrophoneAudioEnd(FrameProcessor):
    """Consumes input audio frames; every other frame passes in both directions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="MicrophoneAudioEnd", **kwargs)
        self.dropped = 0

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame) and direction is FrameDirection.DOWNSTREAM:
            self.dropped += 1
            return
        await self.push_frame(frame, direction)
