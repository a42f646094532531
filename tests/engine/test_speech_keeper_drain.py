"""Hands-free, between turns: the audio leaving the speech keeper's pre-roll goes on downstream (muted, for
smart-turn) only for a while after speech and while a user turn is open; then it goes no further, and the mute is
still said every second."""

from __future__ import annotations

import pytest
from pipecat.frames.frames import InputAudioRawFrame, STTMuteFrame, UserStartedSpeakingFrame, UserStoppedSpeakingFrame
from pipecat.tests.utils import run_test

from desktop_agent.engine.speech_keeper import MUTE_REASSERT_BLOCKS, SpeechKeeper

PREROLL_BLOCKS = 5
DRAIN_BLOCKS = 20


def keeper() -> SpeechKeeper:
    return SpeechKeeper(
        stt_up=lambda: True,
        stt_generation=lambda: 0,
        gated=lambda: True,
        preroll_secs=PREROLL_BLOCKS * 0.02,
        drain_secs=DRAIN_BLOCKS * 0.02,
    )


def audio(count: int) -> list[InputAudioRawFrame]:
    return [InputAudioRawFrame(audio=bytes(640), sample_rate=16000, num_channels=1) for _ in range(count)]


def count(frames, kind) -> int:
    return sum(isinstance(f, kind) for f in frames)


@pytest.mark.asyncio
async def test_idle_audio_stops_after_the_drain_and_the_mute_is_still_said():
    blocks = 2 * MUTE_REASSERT_BLOCKS + 30
    down, _ = await run_test(keeper(), frames_to_send=audio(blocks))
    assert count(down, InputAudioRawFrame) == DRAIN_BLOCKS - PREROLL_BLOCKS
    mutes = [f for f in down if isinstance(f, STTMuteFrame)]
    assert mutes and all(f.mute for f in mutes)
    assert len(mutes) == 3  # the first, then once a second of blocks while idle


@pytest.mark.asyncio
async def test_audio_goes_on_while_a_user_turn_is_open():
    blocks = 3 * DRAIN_BLOCKS
    down, _ = await run_test(
        keeper(), frames_to_send=[UserStartedSpeakingFrame(), *audio(blocks), UserStoppedSpeakingFrame(), *audio(10)]
    )
    after_stop = down[next(i for i, f in enumerate(down) if isinstance(f, UserStoppedSpeakingFrame)) :]
    assert count(down, InputAudioRawFrame) - count(after_stop, InputAudioRawFrame) == blocks - PREROLL_BLOCKS
    assert count(after_stop, InputAudioRawFrame) == 0  # the turn is over and the drain long past
