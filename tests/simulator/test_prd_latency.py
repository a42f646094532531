"""The ``prd`` profile's delays are what a client measures on loopback (within 15 ms): STT ``finalize`` -> final
transcript, LLM request -> first token, TTS text -> first audio.

Each figure is the best of five tries on a warm connection. The emulator's delay is a floor and everything else on
the path (the client library, a busy shared CPU) only adds to it, so the quickest try is the measurement least
disturbed by this machine's load; the median is printed alongside. A try earlier than the profile fails the test
just the same."""

from __future__ import annotations

import json
import statistics
import time

import pytest
import pytest_asyncio
import websockets
from openai import AsyncOpenAI

from desktop_agent.simulator import PROFILES, SIMULATOR_API_KEYS, Simulator

TOLERANCE_S = 0.015
TRIES = 5


@pytest_asyncio.fixture
async def prd_sim():
    async with Simulator(profile="prd") as simulator:
        yield simulator


def _report(name: str, samples: list[float]) -> float:
    best, median = min(samples), statistics.median(samples)
    print(f"{name}: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms, "
          f"samples {[round(s * 1000, 1) for s in samples]}")
    return best


@pytest.mark.asyncio
async def test_stt_final_arrives_the_profile_delay_after_finalize(prd_sim, speech):
    audio = speech("what is the weather").tobytes()
    url = (f"{prd_sim.cartesia_url}/stt/websocket?model=ink-whisper&language=en&encoding=pcm_s16le"
           f"&sample_rate=16000")
    samples = []
    async with websockets.connect(url, additional_headers={"X-API-Key": SIMULATOR_API_KEYS["cartesia"]}) as ws:
        for _ in range(TRIES):
            await ws.send(audio)
            await ws.send("finalize")
            sent = time.perf_counter()
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("is_final"):
                    samples.append(time.perf_counter() - sent)
                    break
            assert json.loads(await ws.recv())["type"] == "flush_done"
    expected = PROFILES["prd"].stt_final_delay
    assert expected == 0.15
    assert abs(_report("STT finalize -> final", samples) - expected) <= TOLERANCE_S


@pytest.mark.asyncio
async def test_llm_first_token_arrives_the_profile_delay_after_the_request(prd_sim):
    samples = []
    async with AsyncOpenAI(base_url=prd_sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"]) as client:
        for attempt in range(TRIES + 1):
            started = time.perf_counter()
            stream = await client.chat.completions.create(
                model="qwen-3.8-27b", messages=[{"role": "user", "content": "what is the weather"}], stream=True)
            first, count = None, 0
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter() - started
                    count += 1
            total = time.perf_counter() - started
            if attempt:  # the first request also opens the connection: a warm-up
                samples.append(first)
    expected = PROFILES["prd"].llm_first_token_delay
    assert expected == 0.24 and PROFILES["prd"].llm_tokens_per_second == 450
    assert abs(_report("LLM request -> first token", samples) - expected) <= TOLERANCE_S
    # The remaining tokens follow at 450 tokens/s.
    assert abs((total - first) - (count - 1) / 450) <= TOLERANCE_S


@pytest.mark.asyncio
async def test_tts_first_audio_arrives_the_profile_delay_after_the_text(prd_sim):
    url = (f"{prd_sim.elevenlabs_url}/v1/text-to-speech/emu-voice-2/multi-stream-input"
           f"?model_id=eleven_flash_v2_5&output_format=pcm_24000&auto_mode=true")
    samples, chunk_gaps = [], []
    async with websockets.connect(url, additional_headers={"xi-api-key": SIMULATOR_API_KEYS["elevenlabs"]}) as ws:
        for n in range(TRIES):
            context = f"turn-{n}"
            await ws.send(json.dumps({"text": " ", "context_id": context}))
            await ws.send(json.dumps({"text": f"This is sentence number {n}, spoken for the test.",
                                      "context_id": context}))
            sent = time.perf_counter()
            await ws.send(json.dumps({"context_id": context, "flush": True}))
            await ws.send(json.dumps({"context_id": context, "close_context": True}))
            arrivals = []
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("isFinal"):
                    break
                alignment = reply["alignment"]
                arrivals.append((time.perf_counter(), alignment["charStartTimesMs"][-1]
                                 + alignment["charDurationsMs"][-1]))
            samples.append(arrivals[0][0] - sent)
            chunk_gaps += [(b[0] - a[0], a[1] / 1000 / 5) for a, b in zip(arrivals, arrivals[1:])]
    expected = PROFILES["prd"].tts_first_audio_delay
    assert expected == 0.15 and PROFILES["prd"].tts_realtime_factor == 5
    assert abs(_report("TTS text -> first audio", samples) - expected) <= TOLERANCE_S
    # Then audio streams at five times real time: each chunk follows the previous one by its length / 5.
    measured = statistics.median(gap for gap, _ in chunk_gaps)
    wanted = statistics.median(want for _, want in chunk_gaps)
    assert abs(measured - wanted) <= TOLERANCE_S


@pytest.mark.asyncio
async def test_profile_knobs_change_while_connected(prd_sim):
    async with AsyncOpenAI(base_url=prd_sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"]) as client:
        async def first_token() -> float:
            started = time.perf_counter()
            stream = await client.chat.completions.create(
                model="qwen-3.8-27b", messages=[{"role": "user", "content": "hi"}], stream=True)
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    elapsed = time.perf_counter() - started
                    [rest async for rest in stream]  # drain, so the connection is reused
                    return elapsed
            raise AssertionError("no token streamed")

        await first_token()
        prd_sim.profile.llm_first_token_delay = 0.05
        assert PROFILES["prd"].llm_first_token_delay == 0.24  # the shared profile is untouched
        fast = await first_token()
        prd_sim.profile = "slow"
        slow = await first_token()
    assert fast < 0.05 + 0.05 and slow >= PROFILES["slow"].llm_first_token_delay
