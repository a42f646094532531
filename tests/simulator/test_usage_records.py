"""The emulators' own cost accounting, which the benchmark reads to count what speculation wastes: a chat request's
``llm_usage`` (tokens generated before it ended, abandoned or not) and an ElevenLabs context's ``tts_context``
(characters sent, how it ended). Plain HTTP and websocket clients stand in for the app's services."""

from __future__ import annotations

import json

import aiohttp
import pytest
import websockets

from desktop_agent.simulator import SIMULATOR_API_KEYS

LLM_HEADERS = {"Authorization": f"Bearer {SIMULATOR_API_KEYS['cerebras']}"}
TTS_HEADERS = {"xi-api-key": SIMULATOR_API_KEYS["elevenlabs"]}
ASKED = "What is the weather like in Paris today?"


def tts_url(sim) -> str:
    return (
        f"{sim.elevenlabs_url}/v1/text-to-speech/emu-voice-3/multi-stream-input?model_id=eleven_flash_v2_5"
        "&output_format=pcm_24000&auto_mode=true"
    )


def usages(sim) -> list[dict]:
    return [r.data for r in sim.select("cerebras", "llm_usage")]


@pytest.mark.asyncio
async def test_a_streamed_request_read_to_the_end_counts_every_token_and_one_dropped_midway_is_abandoned(sim):
    sim.profile.llm_tokens_per_second = 20.0  # slow enough to hang up between tokens
    body = {
        "model": "qwen-3.8-27b",
        "stream": True,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": ASKED}],
    }
    async with aiohttp.ClientSession(headers=LLM_HEADERS) as http:
        async with http.post(f"{sim.cerebras_url}/chat/completions", json=body) as response:
            assert response.status == 200
            await response.read()
        whole = (await sim.wait_for(lambda: usages(sim)))[0]
        assert whole["user_text"] == ASKED and not whole["abandoned"] and not whole["summary"]
        assert (
            whole["reply_text"]
            == "You said: What is the weather like in Paris today. This is the simulated assistant answering."
        )
        assert whole["generated_tokens"] == whole["completion_tokens"] > 5 and whole["prompt_tokens"] > 0

        async with http.post(f"{sim.cerebras_url}/chat/completions", json=body) as response:
            await response.content.readuntil(b"\n\n")  # the first event, then the client hangs up
            response.close()
    dropped = (await sim.wait_for(lambda: usages(sim)[1:], timeout=10))[0]
    assert dropped["abandoned"] and dropped["generated_tokens"] < dropped["completion_tokens"]
    assert dropped["prompt_tokens"] == whole["prompt_tokens"]


@pytest.mark.asyncio
async def test_tts_contexts_report_their_characters_and_whether_they_completed_or_were_interrupted(sim):
    sim.profile.tts_realtime_factor = 1.0  # slow enough that the interruption lands mid-stream
    spoken, dropped = "A short reply.", "A long sentence that takes a few seconds to say."
    async with websockets.connect(tts_url(sim), additional_headers=TTS_HEADERS) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "kept"}))  # Pipecat's context opening: no characters
        await ws.send(json.dumps({"text": spoken, "context_id": "kept"}))
        await ws.send(json.dumps({"context_id": "kept", "flush": True}))
        await ws.send(json.dumps({"context_id": "kept", "close_context": True}))
        while not json.loads(await ws.recv()).get("isFinal"):
            pass
        await ws.send(json.dumps({"text": dropped, "context_id": "held"}))
        assert json.loads(await ws.recv())["audio"]
        await ws.send(json.dumps({"context_id": "held", "close_context": True}))
        while not json.loads(await ws.recv()).get("isFinal"):
            pass
        await ws.send(json.dumps({"text": dropped, "context_id": "open"}))
        assert json.loads(await ws.recv())["audio"]

    def contexts():
        found = {r.data["context_id"]: r.data for r in sim.select("elevenlabs", "tts_context")}
        return found if len(found) == 3 else None

    by_id = await sim.wait_for(contexts)
    assert by_id["kept"]["chars"] == len(spoken) and by_id["kept"]["ended"] == "completed"
    assert by_id["kept"]["text"] == spoken and by_id["kept"]["audio_bytes"] > 0
    assert by_id["held"]["chars"] == len(dropped) and by_id["held"]["ended"] == "interrupted"
    assert by_id["open"]["ended"] == "socket_closed"
    assert by_id["kept"]["opened"] < by_id["held"]["opened"] < by_id["open"]["opened"]


@pytest.mark.asyncio
async def test_cartesia_tts_contexts_report_their_characters_and_whether_they_completed_or_were_cancelled(sim):
    sim.profile.tts_realtime_factor = 1.0
    url = (
        f"{sim.cartesia_tts_url}/tts/websocket?api_key={SIMULATOR_API_KEYS['cartesia_tts']}&cartesia_version=2026-03-01"
    )
    opening = {
        "model_id": "sonic-2",
        "voice": {"mode": "id", "id": "emu-voice-1"},
        "output_format": {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000},
    }
    spoken, dropped = "A short reply.", "A long sentence that takes a few seconds to say."
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({**opening, "context_id": "kept", "transcript": spoken, "continue": False}))
        while json.loads(await ws.recv()).get("type") != "done":
            pass
        await ws.send(
            json.dumps({**opening, "context_id": "held", "transcript": dropped, "continue": True, "flush": True})
        )
        assert json.loads(await ws.recv())["type"] == "chunk"
        await ws.send(json.dumps({"context_id": "held", "cancel": True}))
        await ws.send(
            json.dumps({**opening, "context_id": "open", "transcript": dropped, "continue": True, "flush": True})
        )
        assert json.loads(await ws.recv())["type"] == "chunk"

    def contexts():
        found = {r.data["context_id"]: r.data for r in sim.select("cartesia_tts", "tts_context")}
        return found if len(found) == 3 else None

    by_id = await sim.wait_for(contexts)
    assert by_id["kept"]["chars"] == len(spoken) and by_id["kept"]["ended"] == "completed"
    assert by_id["held"]["chars"] == len(dropped) and by_id["held"]["ended"] == "interrupted"
    assert by_id["open"]["ended"] == "socket_closed" and by_id["kept"]["audio_bytes"] > 0
