"""Hands-free: speech-to-text hears only speech (engine/speech_keeper.py). Idle listening sends the provider no
audio at all; a turn reaches it with the pre-roll before the VAD's start, so its first syllable is there; while the
assistant speaks it listens, and a barge-in interrupts; and an idle connection longer than the provider's idle timeout stays open through the
keepalive of the provider's Pipecat service. Real session on the simulator, in-memory sound card, espeak-ng speech.
"""

from __future__ import annotations

import numpy as np
import pytest

from desktop_agent import providers
from desktop_agent.engine.config import ProviderEndpoint
from desktop_agent.providers.cartesia_finalizing import FinalizingCartesiaSTTService
from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator
from desktop_agent.simulator.deepgram import INACTIVITY_TIMEOUT_S
from desktop_agent.state.events import (
    AssistantSpeechStarted,
    AssistantTurnEnded,
    ErrorOccurred,
    Interrupted,
    TurnMode,
    UserTurnEnded,
)
from tests.engine.conftest import EngineHarness, config_for

RATE = 16000
BYTES_PER_SEC = RATE * 2
QUESTION = "What is the capital of France?"
REPLY = "Paris is the capital of France."
LONG_REPLY = " ".join(["The city has many museums and long avenues to walk along."] * 5)
# No comma: espeak's pause at one is longer than the VAD's stop and would split the utterance.
INTERRUPTION = "Stop please that is enough."
FOLLOW_UP = "Okay."
PREROLL_MIN_SECS = 0.3


def silence(secs: float) -> np.ndarray:
    return np.zeros(int(RATE * secs), dtype=np.int16)


def audio_records(sim: Simulator, provider: str = "cartesia") -> list:
    return sim.select(provider, "stt_audio")


def audio_bytes(sim: Simulator, provider: str = "cartesia") -> int:
    return sum(r.data["bytes"] for r in audio_records(sim, provider))


def hands_free(sim: Simulator, **changes) -> object:
    return config_for(sim, mode=TurnMode.HANDS_FREE, **changes)


def onset_secs(pcm: np.ndarray, threshold: int) -> float:
    """Where speech starts in ``pcm``: its first 20 ms slice as loud as the emulator's speech threshold."""
    block = RATE // 50
    for start in range(0, len(pcm) - block, block):
        piece = pcm[start : start + block].astype(np.float64)
        if np.sqrt(np.mean(piece**2)) >= threshold:
            return start / RATE
    raise AssertionError("no speech in the sample")


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_silence_sends_speech_to_text_nothing(sim, harness_factory):
    h = await harness_factory(hands_free(sim))
    await h.speak(silence(4.0))
    assert sim.select("cartesia", "stt_connect"), "speech-to-text is connected"
    assert audio_bytes(sim) == 0
    assert not h.errors()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_speech_after_silence_reaches_speech_to_text_with_its_preroll(sim, harness_factory, speech):
    h = await harness_factory(hands_free(sim))
    sim.stt.script([QUESTION])
    sim.llm.script([REPLY])
    since = h.mark()
    pcm = speech(QUESTION)
    await h.speak(silence(2.0))
    assert audio_bytes(sim) == 0
    await h.speak(pcm, trailing_silence=1.5)

    turn = await h.wait(UserTurnEnded, since, timeout=15)
    assert turn.text == QUESTION
    speaking = await h.wait(AssistantSpeechStarted, since, timeout=20)
    await h.wait(AssistantTurnEnded, since, timeout=20)

    # While the assistant speaks speech-to-text listens (a barge-in test below): count only what came before.
    records = [r for r in audio_records(sim) if r.at < speaking.at]
    first_speech = next(i for i, r in enumerate(records) if r.data["speech"])
    lead_secs = sum(r.data["bytes"] for r in records[:first_speech]) / BYTES_PER_SEC
    print(f"speech-to-text heard {lead_secs * 1000:.0f} ms before the speech onset")
    # The emulator tells speech by the same level as onset_secs; whatever of the leading silence it got came from
    # the pre-roll, and it got at least 300 ms of it.
    assert lead_secs >= PREROLL_MIN_SECS
    assert lead_secs <= 2.0 - 0.2, "the silence before the pre-roll was not sent"
    onset = onset_secs(pcm, sim.profile.stt_speech_rms)
    spoken_secs = len(pcm) / RATE - onset
    sent_secs = sum(r.data["bytes"] for r in records) / BYTES_PER_SEC
    # Speech, pre-roll, the VAD's stop and the tail: well short of the 3.5 s of silence around it.
    assert sent_secs < spoken_secs + 1.5, f"{sent_secs:.2f} s sent for {spoken_secs:.2f} s of speech"
    assert not h.errors()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_barge_in_opens_the_gate_and_interrupts(sim, harness_factory, speech):
    """Echo cancellation off, as in test_barge_in.py (the in-memory device has no echo path to cancel)."""
    h = await harness_factory(hands_free(sim, echo_cancellation=False))
    sim.stt.script([QUESTION, INTERRUPTION])
    sim.llm.script([LONG_REPLY, FOLLOW_UP])
    since = h.mark()
    await h.speak(silence(0.5))
    await h.speak(speech(QUESTION), trailing_silence=0.3)
    await h.wait(AssistantSpeechStarted, since, timeout=20)
    await h.speak(silence(1.5))
    before = audio_bytes(sim)
    await h.speak(silence(1.0))
    # While the assistant speaks speech-to-text listens: a voice the VAD misses under the reply still interrupts.
    assert audio_bytes(sim) > before, "speech-to-text hears the user while the assistant speaks"
    before = audio_bytes(sim)

    since = h.mark()
    await h.speak(speech(INTERRUPTION), trailing_silence=1.5)
    interrupted = await h.wait(Interrupted, since, timeout=10)
    assert interrupted.by_user
    turn = await h.wait(UserTurnEnded, since, timeout=10)
    assert turn.text == INTERRUPTION
    assert audio_bytes(sim) > before
    await h.wait(AssistantTurnEnded, since, timeout=20, where=lambda e: e.text == FOLLOW_UP)
    assert not h.errors()


async def _idle_then_turn(h: EngineHarness, sim: Simulator, speech, provider: str, idle_secs: float) -> None:
    """Idle for ``idle_secs`` with no audio sent, then a turn on the same, never closed, connection."""
    sim.stt.script([QUESTION])
    sim.llm.script([REPLY])
    await h.speak(silence(idle_secs))
    assert len(sim.select(provider, "stt_connect")) == 1
    assert not sim.select(provider, "stt_close"), "the idle connection was closed"
    since = h.mark()
    await h.speak(speech(QUESTION), trailing_silence=1.5)
    turn = await h.wait(UserTurnEnded, since, timeout=15)
    assert turn.text == QUESTION
    assert len(sim.select(provider, "stt_connect")) == 1, "no new connection was needed"
    assert not h.of(ErrorOccurred)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_second_provider_connection_outlives_its_idle_timeout(sim, harness_factory, speech):
    """The second speech-to-text provider closes a connection ~10 s without data (the emulator enforces it); its
    Pipecat service sends a keepalive message every 5 s, which is no audio."""
    spec = providers.get("deepgram")
    h = await harness_factory(
        hands_free(
            sim,
            stt=ProviderEndpoint(SIMULATOR_API_KEYS[spec.emulator], sim.url(spec.emulator)),
            stt_provider=spec.id,
            stt_model=spec.default_model,
        )
    )
    await _idle_then_turn(h, sim, speech, spec.emulator, INACTIVITY_TIMEOUT_S + 4)
    assert any("KeepAlive" in str(m.data) for m in sim.select(spec.emulator, "stt_message"))


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_default_provider_connection_outlives_its_idle_timeout(sim, harness_factory, speech, monkeypatch):
    """The default speech-to-text provider closes a connection after 3 minutes with no message (the emulator
    enforces it), and its Pipecat service sends 100 ms of silence after 2 minutes without audio, checked every 30 s.
    Both are scaled down here so the test need not idle for minutes: the emulator's timeout to 4 s, the service's
    keepalive to 2 s checked every 0.5 s (set on Pipecat's keepalive attributes as the task starts)."""
    sim._emulators["cartesia"].stt_idle_timeout_s = 4.0
    start_keepalive = FinalizingCartesiaSTTService._create_keepalive_task

    def scaled_keepalive(service: FinalizingCartesiaSTTService) -> None:
        service._keepalive_timeout, service._keepalive_interval = 2.0, 0.5
        start_keepalive(service)

    monkeypatch.setattr(FinalizingCartesiaSTTService, "_create_keepalive_task", scaled_keepalive)
    h = await harness_factory(hands_free(sim))
    await _idle_then_turn(h, sim, speech, "cartesia", 10.0)
    assert not sim.select("cartesia", "stt_idle_close")
