"""A fallback speech-to-text or text-to-speech provider takes over when the chosen one's connection cannot be
restored, answers the turn that hit the failure, and hands the role back once the chosen one is well again.

Real Pipecat services on the simulator's emulators: Cartesia speech-to-text with Deepgram as its fallback, ElevenLabs
text-to-speech with Cartesia Sonic as its fallback. The failure is the Faults menu's "refuse reconnects": the live
connection is cut and every new one is refused (503) until the fault is cleared.
"""

from __future__ import annotations

import time

import pytest

from desktop_agent.engine.config import ProviderEndpoint
from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault, Simulator
from desktop_agent.state.events import (
    AgentState,
    AssistantSpeechStarted,
    AssistantTurnEnded,
    AssistantWordSpoken,
    ErrorOccurred,
    Provider,
    ProviderSwitched,
)
from tests.engine.conftest import EngineHarness, config_for

HOLD_SECS = 3.0


def fallback_to(sim: Simulator, role: Provider, provider_id: str) -> dict:
    endpoint = ProviderEndpoint(SIMULATOR_API_KEYS.get(provider_id, ""), sim.url(provider_id))
    field = "stt_fallback" if role is Provider.STT else "tts_fallback"
    return {field: provider_id, "speech_fallback_endpoints": {provider_id: endpoint}, "fallback_hold_secs": HOLD_SECS}


def audio_to(sim: Simulator, emulator: str) -> int:
    """Bytes of microphone audio the emulator received."""
    return sum(r.data["bytes"] for r in sim.select(emulator, "stt_audio"))


def texts_to(sim: Simulator, emulator: str) -> int:
    return len(sim.select(emulator, "tts_message"))


def refuse(sim: Simulator, emulator: str) -> None:
    """What the Faults menu's "refuse reconnects" does: every new connection refused, the live one cut."""
    sim.fault(emulator, Fault.http(503).lasting(60))
    sim.drop_connections(emulator)


def switches(h: EngineHarness, since: int) -> list[tuple[Provider, str, str, bool]]:
    return [(e.provider, e.name, e.primary_name, e.standing_in) for e in h.of(ProviderSwitched, since)]


def asked_of_the_user(h: EngineHarness, since: int) -> list[ErrorOccurred]:
    return [e for e in h.of(ErrorOccurred, since) if e.retry or not e.recoverable]


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(150)
async def test_the_speech_to_text_fallback_hears_the_turn_the_chosen_one_lost(speech):
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim, **fallback_to(sim, Provider.STT, "deepgram")))
        await h.start()
        try:
            await h.until(lambda: sim.select("deepgram", "stt_connect"), 10, "the fallback to stand by, connected")
            first = await h.exchange(speech("Hello there."))
            assert first.spoken and audio_to(sim, "cartesia") > 0 and audio_to(sim, "deepgram") == 0

            # -- the chosen one is cut off and refuses to come back: the turn spoken now is heard by the fallback
            during = h.mark()
            refuse(sim, "cartesia")
            ended = await h.exchange(speech("What time is it in Lisbon right now, please?"), timeout=40)
            assert ended.spoken and ended.text
            assert audio_to(sim, "deepgram") > 0, "the fallback heard the turn"
            assert switches(h, during) == [(Provider.STT, "Deepgram", "Cartesia", True)]
            assert not asked_of_the_user(h, during), "nothing for the user to do: the fallback took over"
            heard = [m for m in sim.llm_requests()[-1]["messages"] if m["role"] == "user"]
            assert heard[-1]["content"].startswith("I spoke for"), "the words reached the language model"

            # -- the chosen one is reachable again: after the hold it takes the role back, between turns
            back = h.mark()
            sim.clear_faults("cartesia")
            cleared = time.monotonic()
            await h.wait(ProviderSwitched, back, timeout=40, where=lambda e: not e.standing_in)
            print(f"\nspeech to text handed back {time.monotonic() - cleared:.2f} s after the chosen one was reachable")
            assert switches(h, back) == [(Provider.STT, "Cartesia", "Cartesia", False)]
            before = audio_to(sim, "deepgram"), audio_to(sim, "cartesia")
            last = await h.exchange(speech("Thank you."))
            assert last.spoken
            assert audio_to(sim, "deepgram") == before[0] and audio_to(sim, "cartesia") > before[1]
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(150)
async def test_the_text_to_speech_fallback_speaks_while_the_chosen_voice_is_down(speech):
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim, **fallback_to(sim, Provider.TTS, "cartesia_tts")))
        await h.start()
        try:
            await h.until(lambda: sim.select("cartesia_tts", "tts_connect"), 10, "the fallback to stand by")
            first = await h.exchange(speech("Hello there."))
            assert first.spoken and texts_to(sim, "elevenlabs") > 0 and texts_to(sim, "cartesia_tts") == 0

            during = h.mark()
            refuse(sim, "elevenlabs")
            await h.wait(ProviderSwitched, during, timeout=20)
            assert switches(h, during) == [(Provider.TTS, "Cartesia", "ElevenLabs", True)]
            ended = await h.exchange(speech("What time is it in Lisbon right now, please?"), timeout=40)
            assert ended.spoken and not ended.interrupted and ended.text
            assert texts_to(sim, "cartesia_tts") > 0, "the fallback spoke the reply"
            assert not asked_of_the_user(h, during)

            back = h.mark()
            sim.clear_faults("elevenlabs")
            await h.wait(ProviderSwitched, back, timeout=40, where=lambda e: not e.standing_in)
            before = texts_to(sim, "cartesia_tts"), texts_to(sim, "elevenlabs")
            last = await h.exchange(speech("Thank you."))
            assert last.spoken
            assert texts_to(sim, "cartesia_tts") == before[0] and texts_to(sim, "elevenlabs") > before[1]
        finally:
            await h.stop()


LONG_REPLY = (
    "The Eiffel Tower was built for the world fair of eighteen eighty nine. "
    "Gustave Eiffel's company designed and built it in about two years. "
    "Many artists protested against it at first and called it useless. "
    "Today it is the most visited paid monument in the whole world."
)


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(150)
async def test_a_voice_lost_mid_reply_is_taken_over_by_the_fallback(speech):
    """The connection dies while the reply is being spoken and refuses to come back: the fallback speaks what was
    still to come, the reply is saved whole, and the conversation goes on with no action from the user."""
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim, **fallback_to(sim, Provider.TTS, "cartesia_tts")))
        await h.start()
        try:
            await h.until(lambda: sim.select("cartesia_tts", "tts_connect"), 10, "the fallback to stand by")
            sim.llm.script([LONG_REPLY])
            since = h.mark()
            await h.push_to_talk(speech("Tell me about the Eiffel Tower."))
            await h.wait(AssistantSpeechStarted, since, timeout=20)
            refuse(sim, "elevenlabs")
            ended = await h.wait(AssistantTurnEnded, since, timeout=40)
            print(f"\nreply after a mid-reply loss: spoken={ended.spoken}, {len(ended.text)} characters")
            assert ended.text == LONG_REPLY and not ended.interrupted and ended.spoken, "the reply is kept whole"
            assert switches(h, since) == [(Provider.TTS, "Cartesia", "ElevenLabs", True)]
            heard = [e.word for e in h.of(AssistantWordSpoken, since)]
            await h.until(lambda: sim.select("cartesia_tts", "tts_message"), 20, "the fallback to be asked")
            await h.until(lambda: h.session.state is AgentState.LISTENING, 30, "the rest to be said")
            said = "".join(str(r.data.get("transcript", "")) for r in sim.select("cartesia_tts", "tts_message"))
            print(f"heard {len(heard)} words in the chosen voice; the fallback said {len(said.split())}")
            assert heard, "the reply was heard before its voice was lost"
            rest = " ".join(LONG_REPLY.split()[len(heard) :])
            assert said.strip() == rest, "the fallback said the rest, and only the rest"
            assert len(h.of(AssistantWordSpoken, since)) == len(heard), "the rest's words were shown with the reply"
            replies = h.of(AssistantTurnEnded, since)
            assert len(replies) == 1, f"one reply, not two: {replies}"
            assert not asked_of_the_user(h, since)
            after = await h.exchange(speech("Thank you."), timeout=40)
            assert after.spoken and after.text
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_a_fallback_whose_key_is_refused_is_said_once_and_the_session_goes_on(speech):
    async with Simulator(profile="instant") as sim:
        settings = fallback_to(sim, Provider.STT, "deepgram")
        settings["speech_fallback_endpoints"]["deepgram"].api_key = "not-a-deepgram-key"
        h = EngineHarness(config_for(sim, **settings))
        await h.start()
        try:
            told = await h.wait(ErrorOccurred, 0, timeout=20, where=lambda e: "refused its key" in e.message)
            assert told.message == (
                "Deepgram refused its key, so it cannot take over speech to text when Cartesia fails. "
                "Check the key in Settings > Providers & keys."
            )
            assert told.provider is Provider.STT and told.recoverable and not told.retry
            ended = await h.exchange(speech("Hello there."))
            assert ended.spoken, "the chosen provider works as ever"
            assert len([e for e in h.errors() if "Deepgram" in e.message]) == 1, "said once, not per retry"
        finally:
            await h.stop()
