"""The ElevenLabs emulator's account: ElevenLabs' current premade voices are there, the retired "Rachel" is not, and
every endpoint refuses a voice the account does not have, as ElevenLabs does (checked with the official SDK, a raw
websocket and Pipecat's own ElevenLabs service)."""

from __future__ import annotations

import json

import pytest
import websockets
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from pipecat.frames.frames import ErrorFrame

from desktop_agent.simulator import SIMULATOR_API_KEYS
from desktop_agent.simulator.voices import PREMADE_VOICES, RETIRED_VOICE_ID
from tests.simulator.pipeline_rig import VoiceRig

NOT_FOUND = f"A voice for the voice_id {RETIRED_VOICE_ID} was not found."
KEY = {"xi-api-key": SIMULATOR_API_KEYS["elevenlabs"]}


def socket_url(sim, voice: str) -> str:
    return (f"{sim.elevenlabs_url}/v1/text-to-speech/{voice}/multi-stream-input?model_id=eleven_flash_v2_5"
            "&output_format=pcm_24000&auto_mode=true")


@pytest.mark.asyncio
async def test_premade_voices_are_listed_and_a_retired_one_is_not_found(sim):
    client = AsyncElevenLabs(api_key=SIMULATOR_API_KEYS["elevenlabs"], base_url=sim.elevenlabs_http_url)
    premade = (await client.voices.search(category="premade", page_size=100)).voices
    assert [(v.voice_id, v.name) for v in premade] == [(v.voice_id, v.name) for v in PREMADE_VOICES]
    assert ("cjVigY5qzO86Huf0OWal", "Eric") in [(v.voice_id, v.name) for v in premade]
    assert all(v.category == "premade" and not v.is_legacy for v in premade)
    assert (await client.voices.get("SAz9YHcvj6GT2YYXdXww")).name == "River"

    with pytest.raises(ApiError) as caught:
        await client.voices.get(RETIRED_VOICE_ID)
    assert caught.value.status_code == 404
    assert caught.value.body == {"detail": {"status": "voice_not_found", "message": NOT_FOUND}}
    with pytest.raises(ApiError) as caught:
        async for _ in client.text_to_speech.stream_with_timestamps(RETIRED_VOICE_ID, text="Hello.",
                                                                    output_format="pcm_24000"):
            pass
    assert caught.value.status_code == 404 and caught.value.body["detail"]["status"] == "voice_not_found"


@pytest.mark.asyncio
async def test_the_websocket_refuses_an_unknown_voice_with_a_message_and_1008(sim):
    async with websockets.connect(socket_url(sim, RETIRED_VOICE_ID), additional_headers=KEY) as ws:
        error = json.loads(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert error == {"message": NOT_FOUND, "error": "voice_not_found", "code": 1008}
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, NOT_FOUND)

    # The same voice check applies when the key comes in the first message instead of a header.
    async with websockets.connect(socket_url(sim, "no-such-voice")) as ws:
        await ws.send(json.dumps({"text": " ", "context_id": "c", "xi_api_key": SIMULATOR_API_KEYS["elevenlabs"]}))
        assert json.loads(await ws.recv())["error"] == "voice_not_found"
    # A voice the account has is spoken.
    async with websockets.connect(socket_url(sim, "cjVigY5qzO86Huf0OWal"), additional_headers=KEY) as ws:
        await ws.send(json.dumps({"text": "Hi.", "context_id": "c"}))
        assert json.loads(await ws.recv())["audio"]
    assert [r.data["voice"] for r in sim.select("elevenlabs", "rejected")] == [RETIRED_VOICE_ID, "no-such-voice"]


def causes(error: BaseException | None) -> list[BaseException]:
    chain = []
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


@pytest.mark.asyncio
async def test_pipecat_keeps_the_close_reason_behind_its_reconnect_error(sim):
    """Pipecat reports a failed reconnect; the server's close (1008 and its sentence) is that error's cause."""
    async with VoiceRig(sim, voice=RETIRED_VOICE_ID, wait_connected=False) as rig:
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
    closes = [cause for frame in rig.frames(ErrorFrame) for cause in causes(frame.exception)
              if isinstance(cause, websockets.ConnectionClosed) and cause.rcvd is not None]
    assert closes and {(c.rcvd.code, c.rcvd.reason) for c in closes} == {(1008, NOT_FOUND)}
