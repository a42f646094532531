"""Silero VAD without a thread hop for blocks that cannot complete an analysis window.

Pipecat's ``VADAnalyzer.analyze_audio`` hands every 20 ms microphone block to an executor thread, although Silero
only runs once 512 samples (32 ms) have gathered: three blocks in eight only append to the buffer. Those are
appended here on the engine loop, which saves their thread round trips (each one a future, a wake-up and a GIL
hand-over) while listening; the model itself still runs off the loop, exactly as in Pipecat.
"""

from __future__ import annotations

from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADState


class SileroVAD(SileroVADAnalyzer):
    async def analyze_audio(self, buffer: bytes) -> VADState:
        # Calls are awaited one at a time (VADController), so the buffer is never touched by two threads at once.
        if len(self._vad_buffer) + len(buffer) < self._vad_frames_num_bytes:
            self._vad_buffer += buffer
            return self._vad_state
        return await super().analyze_audio(buffer)
