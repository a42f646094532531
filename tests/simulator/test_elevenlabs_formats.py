"""The ElevenLabs emulator's output formats and plain endpoints, as the real API serves them: MP3
(``mp3_<rate>_<kbps>``) as well as PCM on the websocket and over HTTP, the plain ``/stream`` and whole-file
endpoints answering raw audio, and a clear refusal of MP3 when the optional encoder is missing. The MP3 is decoded
with PyAV (the decoder LiveKit's clients use) and must last as long as the synthesized speech."""

from __future__ import annotations

import base64
import io
import json
import sys

import aiohttp
import av
import pytest
import websockets

from desktop_agent.simulator import SIMULATOR_API_KEYS, synth, voices
from desktop_agent.simulator.mp3 import MP3_FORMATS

KEY = {"xi-api-key": SIMULATOR_API_KEYS["elevenlabs"]}
VOICE = voices.VOICES[0].voice_id
#: What MP3 adds to each stream it encodes: the encoder's delay and the last frame's padding (about 2 frames).
MP3_SLACK_S = 0.12


def decoded_seconds(mp3_bytes: bytes, rate: int) -> float:
    with av.open(io.BytesIO(mp3_bytes), format="mp3") as container:
        frames = list(container.decode(audio=0))
    assert frames and all(frame.sample_rate == rate for frame in frames)
    return sum(frame.samples for frame in frames) / rate


def speech_seconds(*texts: str, rate: int) -> float:
    return sum(synth.synthesize(text, rate, voices.pitch_for(VOICE)).duration_s for text in texts)


def socket_url(sim, output_format: str) -> str:
    return (
        f"{sim.elevenlabs_url}/v1/text-to-speech/{VOICE}/multi-stream-input?model_id=eleven_flash_v2_5"
        f"&output_format={output_format}&auto_mode=true"
    )


async def speak_on_socket(sim, output_format: str, sentences: list[str]) -> bytes:
    audio = b""
    async with websockets.connect(socket_url(sim, output_format), additional_headers=KEY) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "c1"}))
        for sentence in sentences:
            await ws.send(json.dumps({"text": sentence, "context_id": "c1", "flush": True}))
        await ws.send(json.dumps({"context_id": "c1", "close_context": True}))
        while True:
            message = json.loads(await ws.recv())
            if message.get("isFinal"):
                break
            audio += base64.b64decode(message.get("audio") or "")
    return audio


@pytest.mark.asyncio
@pytest.mark.parametrize("output_format", ["mp3_22050_32", "mp3_44100_128"])
async def test_the_websocket_streams_mp3_that_decodes_to_the_speech(sim, output_format):
    rate = MP3_FORMATS[output_format][0]
    sentences = ["Hello there.", " How are you today?"]
    audio = await speak_on_socket(sim, output_format, sentences)
    # Each sentence is its own MP3 stream (leading space added to the second, as for any later text of a context).
    expected = speech_seconds(*sentences, rate=rate)
    assert expected <= decoded_seconds(audio, rate) <= expected + 2 * MP3_SLACK_S


@pytest.mark.asyncio
async def test_the_websocket_still_streams_pcm(sim):
    audio = await speak_on_socket(sim, "pcm_16000", ["Hello there."])
    assert len(audio) / 2 / 16000 == pytest.approx(speech_seconds("Hello there.", rate=16000), abs=0.002)


async def post(sim, path: str, text: str, **query: str) -> tuple[int, str, bytes]:
    url = f"{sim.elevenlabs_http_url}/v1/text-to-speech/{VOICE}{path}"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, params=query, json={"text": text, "model_id": "eleven_flash_v2_5"}, headers=KEY) as response,
    ):
        return response.status, response.content_type, await response.read()


@pytest.mark.asyncio
async def test_the_plain_stream_endpoint_answers_raw_audio_mp3_by_default(sim):
    text = "The weather in Paris is sunny."
    status, content_type, body = await post(sim, "/stream", text)
    assert (status, content_type) == (200, "audio/mpeg")  # ElevenLabs' default format: mp3_44100_128
    expected = speech_seconds(text, rate=44100)
    assert expected <= decoded_seconds(body, 44100) <= expected + MP3_SLACK_S

    status, content_type, body = await post(sim, "/stream", text, output_format="mp3_22050_32")
    assert (status, content_type) == (200, "audio/mpeg")
    assert expected <= decoded_seconds(body, 22050) <= expected + MP3_SLACK_S

    status, content_type, body = await post(sim, "/stream", text, output_format="pcm_24000")
    assert (status, content_type) == (200, "audio/pcm")
    assert body == synth.synthesize(text, 24000, voices.pitch_for(VOICE)).pcm


@pytest.mark.asyncio
async def test_the_whole_file_endpoint_and_timestamps_endpoint_serve_mp3(sim):
    text = "Good morning."
    status, content_type, body = await post(sim, "", text, output_format="mp3_24000_48")
    assert (status, content_type) == (200, "audio/mpeg")
    expected = speech_seconds(text, rate=24000)
    assert expected <= decoded_seconds(body, 24000) <= expected + MP3_SLACK_S

    status, _, body = await post(sim, "/stream/with-timestamps", text, output_format="mp3_22050_32")
    lines = [json.loads(line) for line in body.decode().splitlines()]
    audio = b"".join(base64.b64decode(line["audio_base64"]) for line in lines)
    assert status == 200 and "".join(c for line in lines for c in line["alignment"]["characters"]) == text
    assert speech_seconds(text, rate=22050) <= decoded_seconds(audio, 22050)


@pytest.mark.asyncio
async def test_an_unknown_format_is_refused_on_both_paths(sim):
    status, _, body = await post(sim, "/stream", "Hi.", output_format="mp3_12345_8")
    assert status == 422 and "Invalid output_format 'mp3_12345_8'" in json.loads(body)["detail"]["message"]
    async with websockets.connect(socket_url(sim, "wav_44100"), additional_headers=KEY) as ws:
        error = json.loads(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert error["error"] == "invalid_output_format" and "mp3_22050_32" in error["message"]
    assert closed.value.rcvd.code == 1008 and "Invalid output_format 'wav_44100'" in closed.value.rcvd.reason


@pytest.mark.asyncio
async def test_without_the_encoder_mp3_is_refused_with_what_to_install(sim, monkeypatch):
    # The encoder is optional (the app never asks for MP3): hide it, as on an installation without it.
    monkeypatch.setitem(sys.modules, "lameenc", None)
    status, _, body = await post(sim, "/stream", "Hi.")
    assert status == 422 and "pip install lameenc" in json.loads(body)["detail"]["message"]
    async with websockets.connect(socket_url(sim, "mp3_22050_32"), additional_headers=KEY) as ws:
        error = json.loads(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 1008 and closed.value.rcvd.reason == error["message"]
    assert "pip install lameenc" in error["message"]
    # PCM needs no encoder.
    status, content_type, _ = await post(sim, "/stream", "Hi.", output_format="pcm_16000")
    assert (status, content_type) == (200, "audio/pcm")
