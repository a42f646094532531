"""``POST /tts/bytes`` on the Cartesia TTS emulator, through the official ``cartesia`` SDK (``tts.generate``) and
Pipecat's unmodified CartesiaHttpTTSService: raw and WAV audio of the voice, its refusals with Cartesia's status
and error body, and faults."""

from __future__ import annotations

import asyncio
import io
import json
import struct
import wave
from dataclasses import dataclass, field
from typing import Self

import aiohttp
import cartesia
import numpy as np
import pytest
from cartesia import AsyncCartesia
from pipecat.frames.frames import (
    ErrorFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStoppedFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.services.cartesia.tts import CartesiaHttpTTSService
from pipecat.workers.runner import WorkerRunner

from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault, Simulator, synth
from desktop_agent.simulator import cartesia_tts as emulator
from desktop_agent.simulator.voices import pitch_for
from tests.simulator.pipeline_rig import Seen, Tap

KEY = SIMULATOR_API_KEYS["cartesia_tts"]
TEXT = "Hello there. How are you?"
RAW_S16_24K = {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000}


def sdk(sim: Simulator, api_key: str = KEY) -> AsyncCartesia:
    return AsyncCartesia(api_key=api_key, base_url=sim.cartesia_tts_http_url, max_retries=0)


def voice_pcm(text: str, rate: int, voice: str = "emu-voice-1", speed: float = 1.0) -> bytes:
    return synth.synthesize(text, rate, pitch_for(voice), speed).pcm


async def generate(sim: Simulator, **request) -> bytes:
    client = sdk(sim)
    try:
        response = await client.tts.generate(**{"model_id": "sonic-3", "transcript": TEXT,
                                                "voice": {"mode": "id", "id": "emu-voice-1"},
                                                "output_format": RAW_S16_24K, **request})
        return await response.read()
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_sdk_generate_returns_the_voices_raw_audio(sim):
    audio = await generate(sim)
    assert audio == voice_pcm(TEXT, 24000), "the synthetic voice at the voice's pitch, whole"
    request = sim.select("cartesia_tts", "tts_bytes_request")[-1]
    assert request.data["transcript"] == TEXT and request.data["output_format"] == RAW_S16_24K
    headers = request.meta["headers"]
    assert headers["authorization"] == "***" and headers["cartesia-version"] == "2026-08-14"
    assert headers["accept"] == "audio/wav", "the SDK asks for WAV whatever the container; raw is what is sent"

    mulaw = await generate(sim, voice="emu-voice-2", output_format={"container": "raw", "encoding": "pcm_mulaw",
                                                                    "sample_rate": 8000})
    assert mulaw == emulator.encode(voice_pcm(TEXT, 8000, "emu-voice-2"), "pcm_mulaw")
    slow = await generate(sim, generation_config={"speed": 0.8, "volume": 1.5})
    assert len(slow) == len(voice_pcm(TEXT, 24000, speed=0.8)) > len(voice_pcm(TEXT, 24000))


@pytest.mark.asyncio
async def test_sdk_generate_wav_carries_a_header_for_its_audio(sim):
    audio = await generate(sim, output_format={"container": "wav", "encoding": "pcm_s16le", "sample_rate": 16000})
    with wave.open(io.BytesIO(audio)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        assert wav.readframes(wav.getnframes()) == voice_pcm(TEXT, 16000)
    floats = await generate(sim, output_format={"container": "wav", "encoding": "pcm_f32le", "sample_rate": 44100})
    tag, channels, rate, _, block, bits = struct.unpack("<HHIIHH", floats[20:36])
    assert (floats[:4], floats[8:12], tag, channels, rate, block, bits) == (b"RIFF", b"WAVE", 3, 1, 44100, 4, 32)
    data_bytes = struct.unpack("<I", floats[40:44])[0]
    assert data_bytes == len(floats) - 44 == 4 * len(voice_pcm(TEXT, 44100)) // 2


@pytest.mark.asyncio
async def test_refusals_carry_cartesias_status_and_error_body(sim):
    with pytest.raises(cartesia.NotFoundError) as voice:
        await generate(sim, voice="no-such-voice")
    with pytest.raises(cartesia.BadRequestError) as model:
        await generate(sim, model_id="sonic-9")
    with pytest.raises(cartesia.BadRequestError) as mp3:
        await generate(sim, output_format={"container": "mp3", "bit_rate": 128000, "sample_rate": 44100})
    with pytest.raises(cartesia.BadRequestError) as both:
        await generate(sim, language="en", locale="en-GB")
    assert (voice.value.body["error_code"], voice.value.body["message"]) == (
        "voice_not_found", "Voice 'no-such-voice' was not found.")
    assert model.value.body["error_code"] == "model_not_found" and model.value.body["title"] == "Invalid model"
    assert mp3.value.body["error_code"] == "invalid_output_format" and "'mp3'" in mp3.value.body["message"]
    assert "never both" in both.value.body["message"]
    rejected = [(r.data["status"], r.data["code"]) for r in sim.select("cartesia_tts", "rejected")]
    assert rejected == [(404, "voice_not_found"), (400, "model_not_found"), (400, "invalid_output_format"),
                        (400, "invalid_request")]

    client = sdk(sim, api_key="sk_car_wrong")
    with pytest.raises(cartesia.AuthenticationError) as key:
        await client.tts.generate(model_id="sonic-3", transcript=TEXT, voice="emu-voice-1", output_format=RAW_S16_24K)
    await client.close()
    assert key.value.status_code == 401 and key.value.body["error_code"] == "unauthorized"
    url = f"{sim.cartesia_tts_http_url}/tts/bytes"
    async with (aiohttp.ClientSession() as session,  # no version header: refused as on the websocket
                session.post(url, headers={"X-API-Key": KEY}, json={"transcript": TEXT}) as response):
        assert response.status == 400 and "Cartesia-Version" in json.loads(await response.text())["message"]


@pytest.mark.asyncio
async def test_an_injected_status_and_a_drop_mid_audio(sim):
    sim.fault("cartesia_tts", Fault.http(503, times=1, path_contains="/tts/bytes"))
    with pytest.raises(cartesia.InternalServerError) as busy:
        await generate(sim)
    assert busy.value.status_code == 503
    sim.fault("cartesia_tts", Fault.disconnect_after(2, times=1, path_contains="/tts/bytes"))
    with pytest.raises(cartesia.APIError):
        await generate(sim)
    assert [r.data["kind"] for r in sim.select("cartesia_tts", "fault")] == ["http", "disconnect_after"]
    assert await generate(sim) == voice_pcm(TEXT, 24000), "both faults used up"


# ------------------------------------------------------------------------------------------------------- Pipecat
@dataclass
class HttpSpeakerRig:
    """Pipecat's CartesiaHttpTTSService (``voice``, at ``rate``) between two taps; ``speak(text)`` asks for it."""

    sim: Simulator
    key: str = KEY
    rate: int = 16000
    voice: str = "emu-voice-3"
    seen: list[Seen] = field(default_factory=list)

    def frames(self, kind: type, where: str | None = None) -> list:
        return [s.frame for s in self.seen if isinstance(s.frame, kind) and (where is None or s.where == where)]

    async def __aenter__(self) -> Self:
        self.tts = CartesiaHttpTTSService(api_key=self.key, base_url=self.sim.cartesia_tts_http_url,
                                          sample_rate=self.rate,
                                          settings=CartesiaHttpTTSService.Settings(voice=self.voice, model="sonic-3"))
        pipeline = Pipeline([Tap("source", self.seen), self.tts, Tap("tts", self.seen)])
        self.worker = PipelineWorker(pipeline, params=PipelineParams(audio_out_sample_rate=self.rate),
                                     idle_timeout_secs=None, enable_rtvi=False)
        self.runner = WorkerRunner(handle_sigint=False)
        await self.runner.add_workers(self.worker)
        self.run_task = asyncio.ensure_future(self.runner.run())
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.worker.cancel(reason="test over")
        await asyncio.wait_for(self.run_task, 10)

    async def speak(self, text: str) -> None:
        await self.worker.queue_frame(TTSSpeakFrame(text))


@pytest.mark.asyncio
async def test_pipecats_http_service_speaks_through_tts_bytes(sim):
    async with HttpSpeakerRig(sim) as rig:
        await rig.speak(TEXT)
        await sim.wait_for(lambda: rig.frames(TTSStoppedFrame, "tts"), timeout=15)
    assert not rig.frames(ErrorFrame)
    audio = b"".join(frame.audio for frame in rig.frames(TTSAudioRawFrame, "tts"))
    assert audio == voice_pcm(TEXT, 16000, "emu-voice-3")
    assert float(np.sqrt(np.mean(np.frombuffer(audio, "<i2").astype(np.float64) ** 2))) > 500
    request = sim.select("cartesia_tts", "tts_bytes_request")[-1]
    assert request.data["voice"] == {"mode": "id", "id": "emu-voice-3"} and request.data["model_id"] == "sonic-3"
    assert request.data["output_format"] == {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}
    assert request.meta["headers"]["x-api-key"] == "***" and request.meta["headers"]["cartesia-version"] == "2026-03-01"


@pytest.mark.asyncio
async def test_pipecats_http_service_reports_a_voice_the_account_lacks(sim):
    async with HttpSpeakerRig(sim, voice="no-such-voice") as rig:
        await rig.speak(TEXT)
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=15)
    error = rig.frames(ErrorFrame)[0].error
    assert "status 404" in error and "voice_not_found" in error
    assert not rig.frames(TTSAudioRawFrame, "tts")
