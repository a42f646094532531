"""What the emulators say and how they sequence it, seen through plain websocket and HTTP clients."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import aiohttp
import numpy as np
import pytest
import websockets

from desktop_agent.simulator import SIMULATOR_API_KEYS, ToolCall

STT_HEADERS = {"X-API-Key": SIMULATOR_API_KEYS["cartesia"], "Cartesia-Version": "2026-03-01"}
TTS_HEADERS = {"xi-api-key": SIMULATOR_API_KEYS["elevenlabs"]}
LLM_HEADERS = {"Authorization": f"Bearer {SIMULATOR_API_KEYS['cerebras']}"}


def stt_url(sim, rate: int = 16000) -> str:
    return (f"{sim.cartesia_url}/stt/websocket?model=ink-whisper&language=en&encoding=pcm_s16le"
            f"&sample_rate={rate}")


def tts_url(sim, output_format: str = "pcm_24000", auto_mode: str = "true") -> str:
    return (f"{sim.elevenlabs_url}/v1/text-to-speech/emu-voice-3/multi-stream-input?model_id=eleven_flash_v2_5"
            f"&output_format={output_format}&auto_mode={auto_mode}")


async def replies_until(ws, kind: str) -> list[dict]:
    out = []
    while True:
        out.append(json.loads(await ws.recv()))
        if out[-1].get("type") == kind:
            return out


@pytest.mark.asyncio
async def test_stt_interims_then_final_and_only_flush_done_for_silence(sim, speech):
    sim.stt.script(["one two three four five six"])
    utterance = speech("one two three four five six")
    async with websockets.connect(stt_url(sim), additional_headers=STT_HEADERS) as ws:
        for i in range(0, len(utterance), 1600):  # 100 ms frames; interims every 0.1 s in the instant profile
            await ws.send(utterance[i:i + 1600].tobytes())
            await asyncio.sleep(0.02)
        await ws.send(bytes(16000))  # 0.5 s of silence
        await ws.send("finalize")
        replies = await replies_until(ws, "flush_done")
        interims = [r["text"] for r in replies if r["type"] == "transcript" and not r["is_final"]]
        final = next(r for r in replies if r.get("is_final"))
        assert final["text"] == "one two three four five six"
        # Growing prefixes of the words while the speech arrived, never the whole text before the final.
        assert len(interims) >= 2 and interims == sorted(interims, key=len)
        assert all(final["text"].startswith(text) and text != final["text"] for text in interims)
        assert [w["word"] for w in final["words"]] == final["text"].split()
        # The duration is the speech (espeak pads a little silence), not the trailing silence.
        assert 0.7 * len(utterance) / 16000 < final["duration"] <= len(utterance) / 16000
        assert replies[-1]["type"] == "flush_done" and replies[-2] is final

        await ws.send(bytes(6400))  # silence only
        await ws.send("finalize")
        assert json.loads(await ws.recv())["type"] == "flush_done"
        await ws.send("done")
        assert json.loads(await ws.recv())["type"] == "done"
        with pytest.raises(websockets.ConnectionClosedOK):
            await ws.recv()
    assert sim.stt_messages() == ["finalize", "finalize", "done"]


@pytest.mark.asyncio
async def test_stt_uses_the_script_per_utterance_then_the_default(sim, speech):
    sim.stt.script(["what is the weather", "tell me more"])
    words = speech("hello there").tobytes()
    finals = []
    async with websockets.connect(stt_url(sim), additional_headers=STT_HEADERS) as ws:
        for _ in range(3):
            await ws.send(words)
            await ws.send("finalize")
            finals += [r["text"] for r in await replies_until(ws, "flush_done") if r.get("is_final")]
    assert finals[:2] == ["what is the weather", "tell me more"]
    assert re.fullmatch(r"I spoke for \d\.\d seconds\.", finals[2]) and sim.stt.pending == []


@pytest.mark.asyncio
async def test_llm_default_responder_and_end_conversation_tool(sim):
    async with aiohttp.ClientSession(headers=LLM_HEADERS) as http:
        async def ask(messages, **extra) -> dict:
            body = {"model": "qwen-3.8-27b", "messages": messages, **extra}
            async with http.post(f"{sim.cerebras_url}/chat/completions", json=body) as response:
                return await response.json()

        reply = await ask([{"role": "user", "content": [{"type": "text", "text": "What time is it?"}]}])
        assert reply["choices"][0]["message"]["content"] == (
            "You said: What time is it. This is the simulated assistant answering.")
        end_tool = {"type": "function", "function": {"name": "end_conversation", "parameters": {"type": "object"}}}
        goodbye = await ask([{"role": "user", "content": "ok, goodbye"}], tools=[end_tool])
        call = goodbye["choices"][0]["message"]["tool_calls"][0]
        assert call["function"] == {"name": "end_conversation", "arguments": "{}"}
        assert goodbye["choices"][0]["finish_reason"] == "tool_calls"
        after = await ask([{"role": "user", "content": "bye"},
                           {"role": "assistant", "tool_calls": [call]},
                           {"role": "tool", "tool_call_id": call["id"], "content": "ok"}], tools=[end_tool])
        assert after["choices"][0]["message"]["content"] == "Done, the end_conversation tool has finished."
        assert (await ask([{"role": "user", "content": "goodbye"}]))["choices"][0]["message"]["content"]

        # Two scripted calls in one reply stream as two calls, indexes 0 and 1, one per chunk.
        sim.llm.script([[ToolCall("a", {"x": 1}), ToolCall("b", {})]])
        body = {"model": "qwen-3.8-27b", "messages": [{"role": "user", "content": "go"}], "stream": True}
        async with http.post(f"{sim.cerebras_url}/chat/completions", json=body) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            events = [line[6:] for line in (await response.text()).splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        calls = [c["choices"][0]["delta"]["tool_calls"] for c in chunks if c["choices"][0]["delta"].get("tool_calls")]
        assert all(len(c) == 1 for c in calls)
        assert [c[0]["function"]["name"] for c in calls if "name" in c[0]["function"]] == ["a", "b"]
        assert sorted({c[0]["index"] for c in calls}) == [0, 1]
        assert chunks[-1]["usage"]["completion_tokens"] == len(calls)

        async with http.post(f"{sim.cerebras_url}/chat/completions",
                             json={"model": "no-such-model", "messages": []}) as response:
            assert response.status == 404 and (await response.json())["code"] == "model_not_found"


@pytest.mark.asyncio
async def test_llm_default_responder_calls_a_tool_asked_for_by_name(sim):
    """On the simulator a person can see their own tools called: "run <tool name>" calls it, with arguments made up
    from its schema; the tool's name said without asking to use it is just words."""
    ticket = {"type": "function", "function": {"name": "create_ticket", "parameters": {
        "type": "object",
        "properties": {"title": {"type": "string"}, "priority": {"type": "integer"},
                       "kind": {"type": "string", "enum": ["bug", "idea"]}, "notify": {"type": "boolean"}},
        "required": ["title", "priority", "kind"]}}}
    weather = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    async with aiohttp.ClientSession(headers=LLM_HEADERS) as http:
        async def ask(said: str) -> dict:
            body = {"model": "qwen-3.8-27b", "messages": [{"role": "user", "content": said}],
                    "tools": [ticket, weather]}
            async with http.post(f"{sim.cerebras_url}/chat/completions", json=body) as response:
                return (await response.json())["choices"][0]["message"]

        call = (await ask("Please run create ticket with priority 3."))["tool_calls"][0]["function"]
        assert call["name"] == "create_ticket"
        assert json.loads(call["arguments"]) == {
            "title": "Please run create ticket with priority 3.", "priority": 3, "kind": "bug"}
        weather_call = (await ask("Use the weather tool"))["tool_calls"][0]["function"]
        assert weather_call == {"name": "weather", "arguments": "{}"}
        assert (await ask("What is the weather like?"))["content"].startswith("You said: What is the weather like")
        assert (await ask("Run the calendar"))["content"].startswith("You said: Run the calendar")  # not offered


@pytest.mark.asyncio
@pytest.mark.parametrize("rate", [16000, 44100])
async def test_tts_audio_follows_output_format_and_alignment_spans_each_chunk(sim, rate):
    async with websockets.connect(tts_url(sim, f"pcm_{rate}"), additional_headers=TTS_HEADERS) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "c"}))
        await ws.send(json.dumps({"text": "Hello there.", "context_id": "c"}))
        await ws.send(json.dumps({"text": "How are you?", "context_id": "c"}))
        await ws.send(json.dumps({"context_id": "c", "flush": True}))
        await ws.send(json.dumps({"context_id": "c", "close_context": True}))
        messages = []
        while not (messages and messages[-1].get("isFinal")):
            messages.append(json.loads(await ws.recv()))
        await ws.send(json.dumps({"close_socket": True}))
        with pytest.raises(websockets.ConnectionClosedOK):
            await ws.recv()
    audio = messages[:-1]
    assert messages[-1] == {"isFinal": True, "contextId": "c"}
    text = "".join("".join(m["alignment"]["chars"]) for m in audio)
    assert text == "Hello there. How are you?"  # later text starts with a space
    for message in audio:
        samples = len(base64.b64decode(message["audio"])) // 2
        alignment = message["alignment"]
        span_ms = alignment["charStartTimesMs"][-1] + alignment["charDurationsMs"][-1]
        assert abs(samples - span_ms * rate / 1000) <= 1
        assert alignment["charStartTimesMs"][0] == 0 and message["contextId"] == "c"
    pcm = np.frombuffer(b"".join(base64.b64decode(m["audio"]) for m in audio), dtype="<i2")
    assert 0.06 * len(text) < len(pcm) / rate < 0.09 * len(text)


@pytest.mark.asyncio
async def test_tts_interruption_ends_a_context_at_once_and_token_mode_buffers(sim):
    sim.profile.tts_realtime_factor = 1.0  # slow enough that the close lands mid-stream
    async with websockets.connect(tts_url(sim), additional_headers=TTS_HEADERS) as ws:
        await ws.send(json.dumps({"text": "A long sentence that takes a few seconds to say.", "context_id": "c"}))
        first = json.loads(await ws.recv())
        assert first["audio"]
        await ws.send(json.dumps({"context_id": "c", "close_context": True}))
        await ws.send(json.dumps({"context_id": "c", "close_context": True}))  # repeated close: tolerated
        assert json.loads(await ws.recv()) == {"isFinal": True, "contextId": "c"}

    sim.profile.tts_realtime_factor = float("inf")
    async with websockets.connect(tts_url(sim, auto_mode="false"), additional_headers=TTS_HEADERS) as ws:
        for token in ["Short", " bits", " of", " text."]:
            await ws.send(json.dumps({"text": token, "context_id": "t"}))
        await ws.send(json.dumps({"context_id": "t", "flush": True}))
        await ws.send(json.dumps({"context_id": "t", "close_context": True}))
        messages = []
        while not (messages and messages[-1].get("isFinal")):
            messages.append(json.loads(await ws.recv()))
    # Nothing was spoken until the flush, then the buffered text as one piece.
    assert "".join("".join(m["alignment"]["chars"]) for m in messages[:-1]) == "Short bits of text."


@pytest.mark.asyncio
async def test_tts_http_stream_with_timestamps(sim):
    url = f"{sim.elevenlabs_http_url}/v1/text-to-speech/emu-voice-1/stream/with-timestamps"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, params={"output_format": "pcm_22050"}, headers=TTS_HEADERS,
                             json={"text": "Hi there.", "model_id": "eleven_flash_v2_5"}) as response:
            assert response.status == 200
            lines = [json.loads(line) async for line in response.content if line.strip()]
        async with http.post(url, headers={"xi-api-key": "bad"}, json={"text": "x"}) as response:
            assert response.status == 401
    characters = [c for line in lines for c in line["alignment"]["characters"]]
    ends = [t for line in lines for t in line["alignment"]["character_end_times_seconds"]]
    samples = sum(len(base64.b64decode(line["audio_base64"])) for line in lines) // 2
    assert "".join(characters) == "Hi there." and abs(ends[-1] - samples / 22050) < 0.001
    assert sim.select("elevenlabs", "tts_http_request")[0].data["text"] == "Hi there."


@pytest.mark.asyncio
async def test_llm_reply_stops_at_the_token_limit(sim):
    sim.llm.script(["one two three four five six seven"])
    body = {"model": "qwen-3.8-27b", "messages": [{"role": "user", "content": "count"}], "max_completion_tokens": 3}
    async with aiohttp.ClientSession(headers=LLM_HEADERS) as http:
        async with http.post(f"{sim.cerebras_url}/chat/completions", json=body) as response:
            reply = await response.json()
    assert reply["choices"][0]["message"]["content"] == "one two three"
    assert reply["choices"][0]["finish_reason"] == "length" and reply["usage"]["completion_tokens"] == 3


@pytest.mark.asyncio
async def test_keys_sent_inside_messages_never_reach_the_records(sim):
    url = tts_url(sim)
    async with websockets.connect(url) as ws:  # no header: the key comes in the first message (asyncapi)
        await ws.send(json.dumps({"text": "Hi.", "context_id": "c", "xi_api_key": SIMULATOR_API_KEYS["elevenlabs"]}))
        assert json.loads(await ws.recv())["audio"]
    assert SIMULATOR_API_KEYS["elevenlabs"] not in repr(sim.records)
    assert sim.tts_messages()[0]["xi_api_key"] == "***"


def test_synthetic_voice_counts_as_speech_for_silero_vad():
    """The TTS voice must pass for speech where the app listens for it (VAD, echo tests), not just be loud."""
    from pipecat.audio.vad.silero import SileroVADAnalyzer

    from desktop_agent.simulator import synth

    vad = SileroVADAnalyzer(sample_rate=16000)
    vad.set_sample_rate(16000)
    for pitch in (110.0, 205.0):
        pcm = synth.synthesize("Sure. It is sunny in Paris today, with a light breeze from the west.", 16000, pitch).pcm
        window = 512 * 2
        confidences = [vad.voice_confidence(pcm[i:i + window]) for i in range(0, len(pcm) - window, window)]
        assert np.mean(np.array(confidences) > 0.7) > 0.4
    silence = bytes(window)
    assert vad.voice_confidence(silence) < 0.1
