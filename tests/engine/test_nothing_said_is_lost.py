"""Nothing the user says is lost: a turn spoken before the session is ready, while speech-to-text is still
connecting, or while it is away, is transcribed in full and answered.

The simulator's speech-to-text says "I spoke for N.N seconds." for the speech it received, so a transcript that
names the whole utterance's length proves no audio was dropped.
"""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest

from desktop_agent.engine.early_microphone import EarlyMicrophone
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.simulator import Fault, Simulator
from desktop_agent.state.events import AssistantTurnEnded, UserTurnEnded
from tests.engine.conftest import EngineHarness, config_for

SENTENCE = "Please tell me what the weather will be like tomorrow morning."


def spoken_secs(text: str) -> float:
    match = re.search(r"I spoke for ([0-9.]+) seconds", text)
    assert match, f"not the simulator's transcript: {text!r}"
    return float(match.group(1))


def speech_span_secs(pcm: np.ndarray, rate: int = 16000) -> float:
    """From the first to the last 20 ms slice of ``pcm`` loud enough to be speech (above -40 dBFS)."""
    slices = pcm[: len(pcm) - len(pcm) % (rate // 50)].reshape(-1, rate // 50).astype(np.float32)
    loud = np.flatnonzero(20 * np.log10(np.maximum(np.sqrt(np.mean(slices**2, axis=1)) / 32768.0, 1e-9)) > -40)
    return float((loud[-1] - loud[0] + 1) * 0.02)


def assert_all_heard(transcript: str, pcm: np.ndarray) -> None:
    """The transcript covers the whole utterance: a lost first or last word would shorten it by 0.2 s or more."""
    heard, said = spoken_secs(transcript), speech_span_secs(pcm)
    assert heard >= said - 0.1, f"heard {heard} s of {said} s of speech"


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_turn_spoken_before_the_session_exists_is_answered(sim, speech):
    """Space held and the words spoken the moment the window appears: the session does not exist yet."""
    backend = MemoryAudioBackend()
    early = EarlyMicrophone(backend)
    assert early.start()
    pcm = speech(SENTENCE)
    backend.push_input(pcm)
    await asyncio.to_thread(backend.wait_input_drained)
    early.stop()  # released before the engine was even loaded
    assert early.captured_secs >= len(pcm) / 16000 - 0.05

    h = EngineHarness(config_for(sim), backend, early_microphone=early)
    h.task = asyncio.ensure_future(h.session.run_in_loop())  # the turn is under way as the session starts
    try:
        turn = await h.wait(UserTurnEnded, timeout=20)
        reply = await h.wait(AssistantTurnEnded, timeout=20)
        assert_all_heard(turn.text, pcm)
        assert reply.spoken and turn.text.rstrip(".") in reply.text
    finally:
        await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_words_wait_while_speech_to_text_connects(speech):
    """Pressed and spoken while the speech-to-text handshake is still under way: the words wait, then go."""
    async with Simulator(profile="instant") as sim:
        # The handshake answers 5 s late: longer than the sentence, so every word is said before it is up.
        sim.fault("cartesia", Fault.slow_first_byte(5.0, times=1, path_contains="/stt/websocket"))
        h = EngineHarness(config_for(sim))
        h.task = asyncio.ensure_future(h.session.run_in_loop())
        try:
            await h.until(lambda: h.session.loop is not None, 10, "the engine loop")
            h.session.press_talk()  # before the session is ready
            pcm = speech(SENTENCE)
            await h.speak(pcm)
            assert not h.session.ready, "the handshake is slow on purpose: the words were said before it ended"
            h.session.release_talk()
            turn = await h.wait(UserTurnEnded, timeout=20)
            reply = await h.wait(AssistantTurnEnded, timeout=20)
            assert_all_heard(turn.text, pcm)
            assert reply.spoken
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_words_said_during_an_outage_are_answered_when_it_ends(speech):
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim))
        await h.start()
        try:
            sim.fault("cartesia", Fault.http(503).lasting(8.0))  # longer than the sentence
            sim.drop_connections("cartesia")
            await h.until(lambda: not h.session.ready, 10, "speech-to-text to go down")
            since = h.mark()
            pcm = speech(SENTENCE)
            await h.push_to_talk(pcm)
            assert not h.session.ready, "the words were said while speech-to-text was away"
            turn = await h.wait(UserTurnEnded, since, timeout=20)
            reply = await h.wait(AssistantTurnEnded, since, timeout=20)
            assert_all_heard(turn.text, pcm)
            assert reply.spoken
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_turn_speech_to_text_answers_with_no_words_is_not_taken_for_a_stall(sim):
    """A cough: loud enough to count as voice here, too faint for the recogniser, which answers "nothing said". That
    answer means the connection is alive: it is not restarted and nothing is given to it again."""
    h = EngineHarness(config_for(sim, stt_final_timeout=0.5))
    await h.start()
    try:
        rng = np.random.default_rng(7)
        cough = (rng.standard_normal(16000) * 32768 * 10 ** (-43 / 20)).astype(np.int16)  # -43 dBFS
        connects = len([r for r in sim.records if r.kind == "stt_connect"])
        await h.push_to_talk(cough)
        # Absence can only be shown by waiting: well past the 0.5 s deadline, nothing may have been restarted.
        await asyncio.sleep(2.0)
        assert len([r for r in sim.records if r.kind == "stt_connect"]) == connects
        assert not h.errors()
    finally:
        await h.stop()
