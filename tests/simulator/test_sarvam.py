"""The Sarvam emulators (streaming speech to text, Bulbul text to speech) against Sarvam's own ``sarvamai`` SDK,
unmodified, and against Pipecat's services as the app builds them (healable STT, TTS with its url)."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Self

import numpy as np
import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    InputAudioRawFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStoppedFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.services.sarvam.tts import SarvamTTSService
from pipecat.transcriptions.language import Language
from pipecat.workers.runner import WorkerRunner
from sarvamai import AsyncSarvamAI
from sarvamai.core.api_error import ApiError
from sarvamai.environment import SarvamAIEnvironment

from desktop_agent.providers.sarvam_service import HealableSarvamSTTService
from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault, Simulator
from tests.simulator.pipeline_rig import FRAME_BYTES, Tap

KEY = SIMULATOR_API_KEYS["sarvam"]
HINDI = "आज मौसम कैसा है?"
TAMIL = "இன்று வானிலை எப்படி இருக்கிறது?"


def _client(url: str, key: str = KEY) -> AsyncSarvamAI:
    """The SDK pointed at an emulator: its environment's ``production`` is the websocket host."""
    environment = SarvamAIEnvironment(base=url.replace("ws://", "http://"), production=url)
    return AsyncSarvamAI(api_subscription_key=key, environment=environment)


def _b64(samples: np.ndarray) -> str:
    return base64.b64encode(samples.astype("<i2").tobytes()).decode()


async def _messages(socket, until, timeout: float = 10.0) -> list:
    """What the SDK parsed from the socket, read until ``until(messages)`` holds."""
    seen: list = []
    deadline = time.monotonic() + timeout
    while not until(seen):
        seen.append(await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.monotonic())))
    return seen


# ------------------------------------------------------------------------------------------ STT through the SDK
@pytest.mark.asyncio
async def test_sdk_transcribes_a_flushed_utterance_in_the_language_asked_for(sim, speech):
    sim.stt.script([HINDI])
    async with _client(sim.sarvam_url).speech_to_text_streaming.connect(
        language_code="hi-IN", model="saaras:v3", sample_rate="16000", flush_signal="true"
    ) as socket:
        samples = speech("aaj mausam kaisa hai")
        for i in range(0, len(samples), 8000):
            await socket.transcribe(audio=_b64(samples[i : i + 8000]), encoding="audio/wav", sample_rate=16000)
        await socket.flush()
        (message,) = await _messages(socket, lambda seen: seen)
    assert message.type == "data"
    assert (message.data.transcript, message.data.language_code) == (HINDI, "hi-IN")
    assert message.data.metrics.audio_duration == pytest.approx(len(samples) / 16000, abs=0.4)
    query = sim.select("sarvam", "stt_connect")[-1].data["query"]
    assert query["language-code"] == "hi-IN" and query["flush_signal"] == "true"
    headers = sim.select("sarvam", "stt_connect")[-1].data["headers"]
    assert headers["api-subscription-key"] == "***"


@pytest.mark.asyncio
async def test_sdk_detects_the_language_and_gets_vad_signals(sim, speech):
    sim.stt.script([TAMIL])
    async with _client(sim.sarvam_url).speech_to_text_streaming.connect(
        language_code="unknown", model="saaras:v3", vad_signals="true"
    ) as socket:
        samples = np.concatenate([speech("indru vaanilai eppadi irukkiradhu"), np.zeros(16000, dtype=np.int16)])
        for i in range(0, len(samples), 3200):
            await socket.transcribe(audio=_b64(samples[i : i + 3200]))
        seen = await _messages(socket, lambda seen: any(m.type == "data" for m in seen))
    assert [m.data.signal_type for m in seen if m.type == "events"] == ["START_SPEECH", "END_SPEECH"]
    data = next(m for m in seen if m.type == "data")
    assert (data.data.transcript, data.data.language_code) == (TAMIL, "ta-IN")
    assert data.data.language_probability is not None


@pytest.mark.asyncio
async def test_sdk_refused_with_a_wrong_key_and_an_unknown_model(sim):
    with pytest.raises(ApiError) as refused:
        async with _client(sim.sarvam_url, key="wrong").speech_to_text_streaming.connect(language_code="hi-IN"):
            pass
    assert refused.value.status_code == 401 and "invalid credentials" in str(refused.value.body)
    with pytest.raises(ApiError) as refused:
        async with _client(sim.sarvam_url).speech_to_text_streaming.connect(language_code="hi-IN", model="nope"):
            pass
    assert refused.value.status_code == 400


@pytest.mark.asyncio
async def test_the_realtime_spelling_of_odia_is_an_in_band_error_on_the_streaming_endpoint(sim, speech):
    async with _client(sim.sarvam_url).speech_to_text_streaming.connect(language_code="or-IN") as socket:
        await socket.transcribe(audio=_b64(speech("namaskar")[:3200]))
        (message,) = await _messages(socket, lambda seen: seen)
    assert message.type == "error" and "or-IN" in message.data.error
    async with _client(sim.sarvam_url).speech_to_text_streaming.connect(language_code="od-IN") as socket:
        await socket.transcribe(audio=_b64(speech("namaskar")))
        await socket.flush()
        (message,) = await _messages(socket, lambda seen: seen)
    assert message.type == "data" and message.data.language_code == "od-IN"


# ------------------------------------------------------------------------------------------ TTS through the SDK
@pytest.mark.asyncio
async def test_sdk_speaks_a_configured_speaker_and_ends_with_the_completion_event(sim):
    async with _client(sim.sarvam_tts_url).text_to_speech_streaming.connect(
        model="bulbul:v3", send_completion_event=True
    ) as socket:
        await socket.configure(
            target_language_code="hi-IN", speaker="shubh", speech_sample_rate=24000, output_audio_codec="linear16"
        )
        await socket.convert(HINDI)
        await socket.flush()
        seen = await _messages(socket, lambda seen: seen and seen[-1].type == "event")
    audio = b"".join(base64.b64decode(m.data.audio) for m in seen if m.type == "audio")
    assert len(seen) >= 2 and all(m.type == "audio" for m in seen[:-1])
    assert seen[-1].data.event_type == "final"
    assert len(audio) / 2 / 24000 > 0.5  # a sentence of speech at the asked rate
    assert np.abs(np.frombuffer(audio, dtype="<i2")).max() > 1000


@pytest.mark.asyncio
async def test_sdk_defaults_are_refused_in_band_with_the_accepted_speakers(sim):
    """The SDK's ``configure()`` asks for the retired model's speaker (anushka) and MP3: answered by an ``error``."""
    async with _client(sim.sarvam_tts_url).text_to_speech_streaming.connect(model="bulbul:v3") as socket:
        await socket.configure(target_language_code="ta-IN")
        (message,) = await _messages(socket, lambda seen: seen)
        assert message.type == "error" and "anushka" in message.data.message and "shubh" in message.data.message
        await socket.configure(target_language_code="ta-IN", speaker="kavya", output_audio_codec="mp3")
        (message,) = await _messages(socket, lambda seen: seen)
        assert message.type == "error" and "mp3" in message.data.message


# ------------------------------------------------------------------------------------------------- Pipecat
class SttRig:
    """The app's Sarvam STT service alone in a pipeline, fed push-to-talk turns the way a transport would."""

    def __init__(self, sim: Simulator, language: str = "hi-IN", key: str = KEY) -> None:
        self.sim, self.seen = sim, []
        self.stt = HealableSarvamSTTService(
            api_key=key,
            base_url=sim.sarvam_url,
            settings=HealableSarvamSTTService.Settings(model="saaras:v3", language=language),
        )

    def frames(self, kind: type) -> list:
        return [s.frame for s in self.seen if isinstance(s.frame, kind) and (s.where == "stt" or kind is ErrorFrame)]

    async def __aenter__(self) -> Self:
        self.worker = PipelineWorker(
            Pipeline([Tap("source", self.seen), self.stt, Tap("stt", self.seen)]),
            params=PipelineParams(audio_in_sample_rate=16000),
            idle_timeout_secs=None,
            enable_rtvi=False,
        )
        self.runner = WorkerRunner(handle_sigint=False)
        await self.runner.add_workers(self.worker)
        self.run_task = asyncio.ensure_future(self.runner.run())
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.worker.cancel(reason="test over")
        await asyncio.wait_for(self.run_task, 10)

    async def speak(self, samples: np.ndarray) -> None:
        await self.worker.queue_frame(VADUserStartedSpeakingFrame())
        pcm = samples.astype("<i2").tobytes()
        for i in range(0, len(pcm), FRAME_BYTES):
            await self.worker.queue_frame(
                InputAudioRawFrame(audio=pcm[i : i + FRAME_BYTES], sample_rate=16000, num_channels=1)
            )
        await self.worker.queue_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2, timestamp=time.time()))


def _accepted(sim: Simulator, count: int = 1):
    return lambda: len([r for r in sim.select("sarvam", "stt_connect") if r.meta.get("accepted")]) >= count


@pytest.mark.asyncio
async def test_pipecat_transcribes_hindi_and_odia_through_the_emulator_address(sim, speech):
    sim.stt.script([HINDI])
    async with SttRig(sim) as rig:
        await sim.wait_for(_accepted(sim), timeout=10)
        assert rig.stt._connection is not None and not rig.stt._connection_task.done()
        await rig.speak(speech("aaj mausam kaisa hai"))
        await sim.wait_for(lambda: rig.frames(TranscriptionFrame), timeout=10)
    (heard,) = rig.frames(TranscriptionFrame)
    assert (heard.text, heard.language, heard.finalized) == (HINDI, Language.HI_IN, True)
    assert not rig.frames(ErrorFrame)
    # The app's code for Odia ("or") reaches the streaming endpoint as Sarvam spells it there.
    from desktop_agent.providers.sarvam_stt import language_code

    async with SttRig(sim, language=language_code("or")):
        await sim.wait_for(_accepted(sim, 2), timeout=10)
    assert sim.select("sarvam", "stt_connect")[-1].data["query"]["language-code"] == "od-IN"


@pytest.mark.asyncio
async def test_pipecat_in_band_errors_become_error_frames(sim, speech):
    # (Pipecat itself turns "or-IN" into the streaming "od-IN"; a code Sarvam does not know reaches it as it is.)
    async with SttRig(sim, language="xx-IN") as rig:
        await sim.wait_for(_accepted(sim), timeout=10)
        await rig.speak(speech("namaskar"))
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
    error = rig.frames(ErrorFrame)[0]
    assert "xx-IN" in error.error and "invalid_language_code" in error.error


@pytest.mark.asyncio
async def test_pipecat_a_lost_connection_is_seen_and_restored_by_a_restart(sim, speech):
    """Pipecat's service never reconnects; the app's shows the loss where the healer looks (its connection task
    ends), stays quiet meanwhile, and one ``_disconnect()`` + ``_connect()`` (the healer's restart) brings it back."""
    sim.stt.script(["after the restart"])
    async with SttRig(sim) as rig:
        await sim.wait_for(_accepted(sim), timeout=10)
        sim.drop_connections("sarvam")
        await sim.wait_for(lambda: rig.stt._connection_task.done(), timeout=10)
        errors_before = len(rig.frames(ErrorFrame))
        await rig.speak(speech("nobody hears this"))  # sent while down: dropped quietly, not an error per chunk
        await rig.stt._disconnect()
        await rig.stt._connect()
        await sim.wait_for(_accepted(sim, 2), timeout=10)
        await rig.speak(speech("after the restart"))
        await sim.wait_for(lambda: rig.frames(TranscriptionFrame), timeout=10)
    assert len(rig.frames(ErrorFrame)) - errors_before <= 1
    assert [f.text for f in rig.frames(TranscriptionFrame)] == ["after the restart"]


@pytest.mark.asyncio
async def test_pipecat_tts_speaks_tamil_with_the_chosen_speaker(sim):
    seen: list = []
    tts = SarvamTTSService(
        api_key=SIMULATOR_API_KEYS["sarvam_tts"],
        url=f"{sim.sarvam_tts_url}/text-to-speech/ws",
        settings=SarvamTTSService.Settings(model="bulbul:v3", voice="kavya", language="ta-IN"),
        reconnect_on_error=False,
    )
    worker = PipelineWorker(
        Pipeline([tts, Tap("tts", seen)]),
        params=PipelineParams(audio_out_sample_rate=24000),
        idle_timeout_secs=None,
        enable_rtvi=False,
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    task = asyncio.ensure_future(runner.run())
    try:
        await sim.wait_for(lambda: sim.select("sarvam_tts", "tts_connect"), timeout=10)
        await worker.queue_frame(TTSSpeakFrame(TAMIL))
        await sim.wait_for(lambda: any(isinstance(s.frame, TTSStoppedFrame) for s in seen), timeout=10)
    finally:
        await worker.cancel(reason="test over")
        await asyncio.wait_for(task, 10)
    audio = [s.frame for s in seen if isinstance(s.frame, TTSAudioRawFrame)]
    assert audio and sum(len(f.audio) for f in audio) / 2 / 24000 > 0.5
    config = next(r.data for r in sim.select("sarvam_tts", "tts_message") if r.data.get("type") == "config")
    assert config["data"]["target_language_code"] == "ta-IN" and config["data"]["speaker"] == "kavya"
    assert not [s for s in seen if isinstance(s.frame, ErrorFrame)]


@pytest.mark.asyncio
async def test_faults_reach_both_sarvam_emulators(sim):
    sim.fault("sarvam", Fault.http(429))
    with pytest.raises(ApiError) as refused:
        async with _client(sim.sarvam_url).speech_to_text_streaming.connect(language_code="hi-IN"):
            pass
    assert refused.value.status_code == 429
    sim.fault("sarvam_tts", Fault.ws_close(1011, "Internal server error"))
    async with _client(sim.sarvam_tts_url).text_to_speech_streaming.connect(model="bulbul:v3") as socket:
        await socket.configure(target_language_code="hi-IN", speaker="shubh", output_audio_codec="linear16")
        with pytest.raises(Exception, match="1011"):
            await asyncio.wait_for(socket.recv(), 10)
