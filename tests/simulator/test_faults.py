"""Injected faults and wrong keys reach each client as the error the real provider would cause."""

from __future__ import annotations

import asyncio
import json
import time

import openai
import pytest
import pytest_asyncio
import websockets
from cartesia import AsyncCartesia
from cartesia import RateLimitError as CartesiaRateLimitError
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from loguru import logger
from pipecat.frames.frames import ErrorFrame, TTSAudioRawFrame, TTSStoppedFrame
from pipecat.utils.errors import ErrorCategory

from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault
from desktop_agent.simulator.elevenlabs import VOICE_SETTINGS_CHANGED
from tests.simulator.pipeline_rig import VoiceRig

MODEL = "qwen-3.8-27b"  # a live model that does not reason: fault tests count its events
HELLO = [{"role": "user", "content": "hello"}]


@pytest_asyncio.fixture
async def llm_client(sim):
    """``llm_client(**options)`` -> an AsyncOpenAI client of the Cerebras emulator, closed after the test."""
    clients: list[openai.AsyncOpenAI] = []

    def make(**options) -> openai.AsyncOpenAI:
        key = options.pop("api_key", SIMULATOR_API_KEYS["cerebras"])
        clients.append(openai.AsyncOpenAI(base_url=sim.cerebras_url, api_key=key, **options))
        return clients[-1]

    yield make
    for client in clients:
        await client.close()


# ------------------------------------------------------------------------------------------------------ Cerebras
@pytest.mark.asyncio
async def test_wrong_cerebras_key_is_an_authentication_error_with_cerebras_body(sim, llm_client):
    with pytest.raises(openai.AuthenticationError) as caught:
        await llm_client(api_key="csk-wrong").chat.completions.create(model=MODEL, messages=HELLO)
    assert caught.value.status_code == 401 and caught.value.body["code"] == "wrong_api_key"
    assert "csk-wrong" not in json.dumps([r.data for r in sim.records] + [r.meta for r in sim.records])


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "error"), [(403, openai.PermissionDeniedError), (404, openai.NotFoundError),
                                               (500, openai.InternalServerError), (503, openai.InternalServerError)])
async def test_injected_cerebras_status_raises_the_matching_openai_error(sim, status, error, llm_client):
    sim.fault("cerebras", Fault.http(status))
    with pytest.raises(error):
        await llm_client(max_retries=0).chat.completions.create(model=MODEL, messages=HELLO, stream=True)


@pytest.mark.asyncio
async def test_rate_limit_retry_after_is_honoured_then_the_retry_succeeds(sim, llm_client):
    sim.fault("cerebras", Fault.http(429, retry_after=0.4, times=1))
    reply = await llm_client().chat.completions.create(model=MODEL, messages=HELLO)
    assert reply.choices[0].message.content.startswith("You said: hello.")
    first, second = sim.select("cerebras", "llm_request")
    assert second.at - first.at >= 0.4
    assert second.meta["headers"]["x-stainless-retry-count"] == "1"


@pytest.mark.asyncio
async def test_persistent_rate_limit_raises_after_the_sdk_retries(sim, llm_client):
    sim.fault("cerebras", Fault.http(429, retry_after=0.1))
    with pytest.raises(openai.RateLimitError) as caught:
        await llm_client().chat.completions.create(model=MODEL, messages=HELLO)
    assert caught.value.response.headers["retry-after"] == "0.1"
    assert len(sim.llm_requests()) == 3  # the first try and the SDK's two retries


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", [Fault.slow_first_byte(3.0), Fault.hang()])
async def test_late_or_missing_first_byte_times_the_client_out(sim, fault, llm_client):
    sim.fault("cerebras", fault)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        await llm_client(timeout=0.3, max_retries=0).chat.completions.create(model=MODEL, messages=HELLO)
    assert time.monotonic() - started < 2.0


@pytest.mark.asyncio
async def test_malformed_or_cut_stream_fails_the_stream(sim, llm_client):
    client = llm_client(max_retries=0)
    sim.fault("cerebras", Fault.malformed(times=1))
    stream = await client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    with pytest.raises(json.JSONDecodeError):
        [chunk async for chunk in stream]

    sim.fault("cerebras", Fault.disconnect_after(3, times=1))
    stream = await client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    received = []
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 3

    stream = await client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
    assert len([chunk async for chunk in stream]) > 3  # faults used up: back to normal


# -------------------------------------------------------------------------------------------- voice list REST
@pytest.mark.asyncio
async def test_voice_list_errors_reach_the_sdks(sim):
    with pytest.raises(ApiError) as caught:
        await AsyncElevenLabs(api_key="wrong", base_url=sim.elevenlabs_http_url).voices.get_all()
    assert caught.value.status_code == 401 and caught.value.body["detail"]["status"] == "invalid_api_key"

    sim.fault("cartesia", Fault.http(429, retry_after=1, path_contains="/voices"))
    client = AsyncCartesia(api_key=SIMULATOR_API_KEYS["cartesia"], base_url=sim.cartesia_http_url, max_retries=0)
    with pytest.raises(CartesiaRateLimitError):
        [voice async for voice in client.voices.list()]
    await client.close()


# ---------------------------------------------------------------------------------------------- Pipecat services
@pytest.mark.asyncio
async def test_rejected_keys_make_pipecat_report_permanent_auth_errors(sim):
    sim.fault("elevenlabs", Fault.http(401))
    async with VoiceRig(sim, keys={"cartesia": "wrong-key"}, wait_connected=False) as rig:
        await sim.wait_for(lambda: len(rig.frames(ErrorFrame)) >= 2, timeout=10)
    errors = rig.frames(ErrorFrame)
    assert {e.category for e in errors} == {ErrorCategory.AUTHENTICATION}
    assert any("Cartesia" in e.error and "401" in e.error for e in errors)
    assert any("401" in e.error for e in errors if "Cartesia" not in e.error)
    assert not rig.stt.is_usable and not rig.tts.is_usable
    assert all("wrong-key" not in e.error for e in errors)


@pytest.mark.asyncio
async def test_elevenlabs_policy_close_reaches_pipecat_which_reconnects(sim, speech):
    """The 1008 close arrives at the context's first message, as ElevenLabs does for a bad context: Pipecat logs the
    close code and reason, reports the turn's missing audio, reconnects, and speaks the next turn."""
    warnings: list[str] = []
    sink = logger.add(lambda message: warnings.append(str(message)), level="WARNING")
    sim.fault("elevenlabs", Fault.ws_close(1008, VOICE_SETTINGS_CHANGED, times=1))
    sim.stt.script(["first", "second"])
    sim.llm.script(["One.", "Two."])
    try:
        async with VoiceRig(sim) as rig:
            await rig.speak(speech("hello there"))
            await sim.wait_for(lambda: len(sim.tts_connections()) == 2, timeout=10)
            await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
            await rig.speak(speech("hello again"))
            await sim.wait_for(lambda: rig.frames(TTSStoppedFrame, "tts"), timeout=10)
    finally:
        logger.remove(sink)
    assert any("1008" in w and "voice_settings field must be provided" in w for w in warnings)
    assert [r.data["code"] for r in sim.select("elevenlabs", "tts_close")][0] == 1008
    assert ["no audio" in e.error for e in rig.frames(ErrorFrame, "source")] == [True]
    assert rig.frames(TTSAudioRawFrame, "tts")


# --------------------------------------------------------------------------------------------- raw websockets
def _stt_url(sim) -> str:
    return f"{sim.cartesia_url}/stt/websocket?model=ink-whisper&language=en&encoding=pcm_s16le&sample_rate=16000"


def _tts_url(sim, **query) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return (f"{sim.elevenlabs_url}/v1/text-to-speech/emu-voice-1/multi-stream-input?model_id=eleven_flash_v2_5"
            f"&output_format=pcm_16000&auto_mode=true{extra}")


STT_KEY = {"X-API-Key": SIMULATOR_API_KEYS["cartesia"], "Cartesia-Version": "2026-03-01"}
TTS_KEY = {"xi-api-key": SIMULATOR_API_KEYS["elevenlabs"]}


@pytest.mark.asyncio
async def test_wrong_keys_on_the_websockets(sim):
    with pytest.raises(websockets.InvalidStatus) as caught:
        await websockets.connect(_stt_url(sim), additional_headers={"X-API-Key": "nope"})
    assert caught.value.response.status_code == 401
    async with websockets.connect(_tts_url(sim), additional_headers={"xi-api-key": "nope"}) as ws:
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await ws.recv()
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "Invalid API key")


@pytest.mark.asyncio
async def test_websocket_message_faults(sim, speech):
    audio = speech("hello there").tobytes()
    sim.fault("cartesia", Fault.disconnect_after(1, times=1))
    async with websockets.connect(_stt_url(sim), additional_headers=STT_KEY) as ws:
        await ws.send(audio)
        await ws.send("finalize")
        assert json.loads(await ws.recv())["type"] == "transcript"
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await ws.recv()
        assert closed.value.rcvd is None  # no close frame: the connection just dropped

    sim.fault("elevenlabs", Fault.malformed(times=1))
    async with websockets.connect(_tts_url(sim), additional_headers=TTS_KEY) as ws:
        await ws.send(json.dumps({"text": "Hi.", "context_id": "c"}))
        with pytest.raises(json.JSONDecodeError):
            json.loads(await ws.recv())

    sim.fault("cartesia", Fault.hang(times=1))
    async with websockets.connect(_stt_url(sim), additional_headers=STT_KEY) as ws:
        await ws.send(audio)
        await ws.send("finalize")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)

    sim.fault("cartesia", Fault.ws_close(1011, "Internal error", times=1))
    async with websockets.connect(_stt_url(sim), additional_headers=STT_KEY) as ws:
        await ws.send(audio)
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await ws.recv()
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1011, "Internal error")

    sim.fault("elevenlabs", Fault.ws_close(1008, times=1))  # no reason given: ElevenLabs' own words
    async with websockets.connect(_tts_url(sim), additional_headers=TTS_KEY) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "c"}))
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await ws.recv()
        assert closed.value.rcvd.code == 1008 and "You are not charged" in closed.value.rcvd.reason


@pytest.mark.asyncio
async def test_strict_elevenlabs_modes_close_with_1008(sim):
    sim.strict_elevenlabs = True
    async with websockets.connect(_tts_url(sim), additional_headers=TTS_KEY) as ws:
        for n in range(6):
            await ws.send(json.dumps({"text": " ", "context_id": f"ctx-{n}"}))
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            while True:
                await ws.recv()
    assert closed.value.rcvd.code == 1008 and "Maximum simultaneous contexts" in closed.value.rcvd.reason

    async with websockets.connect(_tts_url(sim), additional_headers=TTS_KEY) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "c", "voice_settings": {"speed": 1.0}}))
        await ws.send(json.dumps({"text": "Hi.", "context_id": "c", "voice_settings": {"speed": 1.2}}))
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            while True:
                await ws.recv()
    assert closed.value.rcvd.code == 1008 and closed.value.rcvd.reason == VOICE_SETTINGS_CHANGED

    async with websockets.connect(_tts_url(sim, inactivity_timeout=0.3), additional_headers=TTS_KEY) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "c"}))
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await asyncio.wait_for(ws.recv(), 3)
    assert closed.value.rcvd.code == 1008 and "within the timeout of 0.3 seconds" in closed.value.rcvd.reason

    sim.strict_elevenlabs = False  # lenient: six contexts are fine
    async with websockets.connect(_tts_url(sim), additional_headers=TTS_KEY) as ws:
        for n in range(6):
            await ws.send(json.dumps({"text": "Hi.", "context_id": f"ctx-{n}"}))
        replies = [json.loads(await ws.recv()) for _ in range(6)]
    assert {r["contextId"] for r in replies} == {f"ctx-{n}" for n in range(6)}
