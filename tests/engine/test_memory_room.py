"""The in-memory sound card's simulated room: what the speaker plays reaches the microphone after the room's delay,
also when the speaker starts before the microphone has captured anything (as an app's idle speaker does)."""

from __future__ import annotations

import threading
import time

import numpy as np

from desktop_agent.engine.acoustic import AcousticPath
from desktop_agent.engine.memory_audio import MemoryAudioBackend

BLOCK = 320  # 20 ms at 16 kHz


def test_a_speaker_that_starts_before_the_microphone_is_heard_after_the_room_delay():
    room = AcousticPath(delay_ms=60, gain_db=0, rt60_s=0.0, noise_dbfs=None)
    backend = MemoryAudioBackend(acoustic=room)
    speaker = backend.open_output(None, 16000)
    speaker.start()
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.int16)
    speaker.write(tone[:1600].tobytes())  # 100 ms before the microphone opens

    blocks: list[bytes] = []
    enough = threading.Event()

    def on_block(pcm: bytes) -> None:
        blocks.append(pcm)
        if len(blocks) >= 15:
            enough.set()

    microphone = backend.open_input(None, 16000, BLOCK, on_block, lambda reason: None)
    started = time.monotonic()
    microphone.start()
    assert enough.wait(5), "the microphone stopped delivering blocks"
    elapsed = time.monotonic() - started
    microphone.close()
    speaker.close()

    heard = np.frombuffer(b"".join(blocks), np.int16)
    assert elapsed < 1.0, f"15 blocks took {elapsed:.2f} s: the room held up the microphone"
    onset = int(np.argmax(np.abs(heard) > 1000))
    assert np.abs(heard).max() > 4000, "the speaker's tone never reached the microphone"
    # The tone's first sample is 0 and its next ones climb past the threshold within a few samples.
    assert 0 <= onset - room.delay_samples <= 3, f"echo began {onset} samples in, not after the room's delay"
