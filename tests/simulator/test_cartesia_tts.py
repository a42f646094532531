"""The Cartesia Sonic TTS emulator (``cartesia_tts``) through the official ``cartesia`` SDK and Pipecat's own
CartesiaTTSService, both unmodified: streamed audio, word timestamps, contexts, cancel, refusals and faults."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Self

import cartesia
import numpy as np
import pytest
import websockets
from cartesia import AsyncCartesia
from pipecat.frames.frames import (
    ErrorFrame,
    InterruptionWorkerFrame,
    LLMContextFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
    TTSTextFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.services.cartesia.tts import CartesiaTTSService
from pipecat.services.cerebras.llm import CerebrasLLMService
from pipecat.utils.errors import ErrorCategory
from pipecat.workers.runner import WorkerRunner

from desktop_agent.simulator import SIMULATOR_API_KEYS, VOICES, Fault, Simulator, synth
from desktop_agent.simulator import cartesia_tts as emulator
from desktop_agent.simulator.cartesia import to_int16
from tests.simulator.pipeline_rig import Seen, Tap

KEY = SIMULATOR_API_KEYS["cartesia_tts"]
S16_24K = {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000}
F32_44K = {"container": "raw", "encoding": "pcm_f32le", "sample_rate": 44100}
REPLY = "Sure. It is sunny in Paris today."
REPLY_SENTENCES = ("Sure.", "It is sunny in Paris today.")  # as Pipecat sends them: no space between
LONG_REPLY = ("This reply goes on and on for quite a while, long enough that a listener could stop it well before "
              "the end of the sentence")


def sdk(sim: Simulator, api_key: str = KEY) -> AsyncCartesia:
    """The SDK as a user points it at Cartesia's host: REST ``base_url`` and the ``ws://`` websocket base."""
    return AsyncCartesia(api_key=api_key, base_url=sim.cartesia_tts_http_url, websocket_base_url=sim.cartesia_tts_url,
                         max_retries=0)


def duration_ms(text: str, speed: float = 1.0) -> int:
    """How long the simulator's synthetic voice speaks ``text``."""
    return sum(synth.char_duration_ms(c, speed) for c in text)


REPLY_MS = sum(duration_ms(sentence) for sentence in REPLY_SENTENCES)


def replies(sim: Simulator, context_id: str | None = None, kind: str | None = None) -> list[dict]:
    return [r.data for r in sim.select("cartesia_tts", "tts_reply")
            if (context_id is None or r.data.get("context_id") == context_id)
            and (kind is None or r.data.get("type") == kind)]


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0


async def receive_all(context) -> list:
    return [event async for event in context.receive()]


# ----------------------------------------------------------------------------------------------------------- SDK
@pytest.mark.asyncio
async def test_sdk_streams_a_context_whose_word_timestamps_line_up_with_the_audio(sim):
    client = sdk(sim)
    async with client.tts.websocket_connect() as connection:
        context = connection.context(model_id="sonic-3", voice={"mode": "id", "id": "emu-voice-2"},
                                     output_format=S16_24K, language="en", add_timestamps=True)
        await context.push("Hello there. ")
        await context.push("How are you today?")
        await context.no_more_inputs()
        events = await receive_all(context)
    await client.close()

    assert events[-1].type == "done" and {e.type for e in events} == {"chunk", "timestamps", "done"}
    audio = np.frombuffer(b"".join(e.audio for e in events if e.type == "chunk"), "<i2")
    text = "Hello there. How are you today?"
    assert len(audio) == round(duration_ms(text) * 24)  # 24 samples a millisecond
    assert rms(audio) > 1000

    words, starts, ends = [], [], []
    for event in events:
        if event.type == "timestamps":
            words += event.word_timestamps.words
            starts += event.word_timestamps.start
            ends += event.word_timestamps.end
    assert words == text.split()
    assert starts == sorted(starts) and all(s < e for s, e in zip(starts, ends, strict=True))
    # Counted across the context's two submissions: each word is voiced, the pauses between words are silent.
    for start, end in zip(starts, ends, strict=True):
        assert rms(audio[round(start * 24000):round(end * 24000)]) > 1000
    for end, next_start in zip(ends, starts[1:], strict=False):
        assert rms(audio[round(end * 24000) + 240:round(next_start * 24000) - 240]) < 50
    assert ends[-1] * 1000 <= len(audio) / 24

    connect = sim.select("cartesia_tts", "tts_connect")[0]
    assert connect.data["path"] == "/tts/websocket" and connect.meta["accepted"]
    assert connect.data["headers"]["authorization"] == "***" and connect.data["headers"]["cartesia-version"]
    assert KEY not in repr(sim.records)


@pytest.mark.asyncio
async def test_sdk_two_contexts_on_one_socket_then_a_cancel_stops_one(sim):
    sim.profile.tts_realtime_factor = 4.0  # paced, so the contexts overlap
    client = sdk(sim)
    async with client.tts.websocket_connect() as connection:
        low = connection.context("low", model_id="sonic-2", voice={"mode": "id", "id": "emu-voice-2"},
                                 output_format=F32_44K)
        high = connection.context("high", model_id="sonic-3", voice="emu-voice-3", output_format=F32_44K)
        await low.push("The first context says a longer sentence than the other.", continue_=False)
        await high.push("The second one is short.", continue_=False)
        low_events, high_events = await asyncio.gather(receive_all(low), receive_all(high))

        stopped = connection.context("stopped", model_id="sonic-3", voice={"mode": "id", "id": "emu-voice-1"},
                                     output_format=S16_24K)
        sim.profile.tts_realtime_factor = 1.0
        await stopped.push(LONG_REPLY)
        await stopped.no_more_inputs()
        await sim.wait_for(lambda: replies(sim, "stopped", "chunk"), timeout=10)
        await stopped.cancel()
        cancel = await sim.wait_for(lambda: [r for r in sim.select("cartesia_tts", "tts_message")
                                             if r.data.get("cancel")], timeout=10)

        # Another context, at the same pace, speaks a second and a half: the cancelled one would have gone on.
        after = connection.context("after", model_id="sonic-3", voice={"mode": "id", "id": "emu-voice-1"},
                                   output_format=S16_24K)
        await after.push("Still here, after all of that.", continue_=False)
        after_events = await receive_all(after)
    await client.close()

    def pcm(events) -> np.ndarray:
        return np.frombuffer(b"".join(e.audio for e in events if e.type == "chunk"), "<f4")

    low_audio, high_audio = pcm(low_events), pcm(high_events)
    assert len(low_audio) == round(duration_ms("The first context says a longer sentence than the other.") * 44.1)
    assert len(high_audio) == round(duration_ms("The second one is short.") * 44.1)
    assert 0.05 < np.abs(high_audio).max() <= 1.0
    # Both were spoken at once: the short one started before the long one was done.
    order = [r["context_id"] for r in replies(sim, kind="chunk")]
    assert order.index("high") < len(order) - 1 - order[::-1].index("low")

    # The cancel stopped the long context: nothing for it after the cancel, and far less than all of it.
    assert cancel[0].data == {"context_id": "stopped", "cancel": True}
    later = [r for r in sim.select("cartesia_tts", "tts_reply")
             if r.at > cancel[0].at and r.data.get("context_id") == "stopped"]
    assert later == []
    sent = replies(sim, "stopped", "chunk")
    assert len(sent) < len(synth.chunk(synth.synthesize(LONG_REPLY, 24000), sim.profile.tts_chunk_ms)) // 2
    assert not replies(sim, "stopped", "done")
    assert after_events[-1].type == "done" and len(sim.select("cartesia_tts", "tts_connect")) == 1


@pytest.mark.asyncio
async def test_sdk_flush_buffering_speed_and_volume(sim):
    client = sdk(sim)
    async with client.tts.websocket_connect() as connection:
        context = connection.context(model_id="sonic-3-2025-10-27", voice={"mode": "id", "id": "emu-voice-4"},
                                     output_format=S16_24K, max_buffer_delay_ms=400,
                                     generation_config={"speed": 1.5, "volume": 0.5})
        sent_at = asyncio.get_running_loop().time()
        await context.push("Good morning")  # no sentence end: held until the buffer delay has passed
        first = await anext(context.receive())
        waited = asyncio.get_running_loop().time() - sent_at
        await context.push(", dear friend", flush=True)
        await context.push(" and goodbye.")
        await context.no_more_inputs()
        events = [first, *await receive_all(context)]
    await client.close()

    assert first.type == "chunk" and waited >= 0.4
    assert [(e.type, e.flush_id) for e in events if e.type == "flush_done"] == [("flush_done", 1)]
    flush_at = next(i for i, e in enumerate(events) if e.type == "flush_done")
    before = b"".join(e.audio for e in events[:flush_at] if e.type == "chunk")
    assert len(before) == 2 * round(duration_ms("Good morning, dear friend", 1.5) * 24)
    assert all(e.flush_id == 1 for e in events[:flush_at] if e.type == "chunk" and e.flush_id is not None)
    audio = np.frombuffer(before + b"".join(e.audio for e in events[flush_at:] if e.type == "chunk"), "<i2")
    assert len(audio) == round(duration_ms("Good morning, dear friend and goodbye.", 1.5) * 24)
    full = np.frombuffer(synth.synthesize("Good morning", 24000, VOICES[3].pitch_hz, 1.5).pcm, "<i2")
    assert abs(rms(audio[:len(full)]) / rms(full) - 0.5) < 0.01  # half the volume
    assert events[-1].type == "done"


@pytest.mark.asyncio
async def test_unknown_voice_or_model_is_an_error_for_that_context_only(sim):
    client = sdk(sim)
    async with client.tts.websocket_connect() as connection:
        bad_voice = connection.context("bad-voice", model_id="sonic-3", voice={"mode": "id", "id": "no-such-voice"},
                                       output_format=S16_24K)
        await bad_voice.push("Hello.", continue_=False)
        voice_error = (await receive_all(bad_voice))[-1]
        bad_model = connection.context(model_id="sonic-9", voice={"mode": "id", "id": "emu-voice-1"},
                                       output_format=S16_24K)
        await bad_model.push("Hello.", continue_=False)
        model_error = (await receive_all(bad_model))[-1]
        good = connection.context(model_id="sonic-3", voice={"mode": "id", "id": "emu-voice-1"},
                                  output_format=S16_24K)
        await good.push("Hello.", continue_=False)
        good_events = await receive_all(good)
    await client.close()

    assert (voice_error.type, voice_error.status_code, voice_error.error_code) == ("error", 404, "voice_not_found")
    assert "no-such-voice" in voice_error.message and voice_error.context_id == "bad-voice"
    assert voice_error.done is True and voice_error.request_id.count(":") == 2
    assert (model_error.status_code, model_error.error_code, model_error.title) == (400, "model_not_found",
                                                                                    "Invalid model")
    assert good_events[-1].type == "done"  # the socket outlived both errors
    assert len(sim.select("cartesia_tts", "tts_connect")) == 1

    # Before API version 2026-03-01 an error was one string.
    url = f"{sim.cartesia_tts_url}/tts/websocket?api_key={KEY}&cartesia_version=2025-04-16"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"context_id": "c", "model_id": "sonic-2", "transcript": "Hi.", "voice": "nobody",
                                  "output_format": S16_24K}))
        old = json.loads(await ws.recv())
    assert old == {"type": "error", "done": True, "status_code": 404, "error": "Voice 'nobody' was not found.",
                   "context_id": "c"}


@pytest.mark.asyncio
async def test_wrong_or_missing_key_or_version_is_refused_at_the_handshake(sim):
    client = sdk(sim, api_key="sk_car_wrong")
    with pytest.raises(websockets.InvalidStatus) as caught:
        await client.tts.websocket_connect().enter()
    await client.close()
    response = caught.value.response
    assert response.status_code == 401 and json.loads(response.body)["error_code"] == "unauthorized"

    url = f"{sim.cartesia_tts_url}/tts/websocket"
    with pytest.raises(websockets.InvalidStatus) as caught:
        await websockets.connect(url, additional_headers={"X-API-Key": KEY})
    assert caught.value.response.status_code == 400 and b"Cartesia-Version" in caught.value.response.body
    # Browsers' query parameters work too, and the query's version wins over the header's.
    async with websockets.connect(f"{url}?access_token={KEY}&cartesia_version=2024-11-13",
                                  additional_headers={"Cartesia-Version": "2026-03-01"}) as ws:
        await ws.send(json.dumps({"context_id": "c", "cancel": True}))
        await ws.send(json.dumps({"context_id": "c", "model_id": "x", "transcript": "", "voice": "emu-voice-1",
                                  "output_format": S16_24K}))
        old_style = json.loads(await ws.recv())
    assert old_style["error"].startswith("Model 'x' does not exist") and "title" not in old_style
    assert [r.data["status"] for r in sim.select("cartesia_tts", "rejected")] == [401, 400, 400]


@pytest.mark.asyncio
async def test_voices_are_served_on_the_tts_host_and_its_faults_leave_stt_alone(sim):
    client = sdk(sim)
    assert [v.id async for v in client.voices.list(limit=100)] == [v.voice_id for v in VOICES]
    sim.fault("cartesia_tts", Fault.http(503, path_contains="/voices"))
    stt_client = AsyncCartesia(api_key=SIMULATOR_API_KEYS["cartesia"], base_url=sim.cartesia_http_url,
                               max_retries=0)
    assert len([v async for v in stt_client.voices.list(limit=100)]) == len(VOICES)
    with pytest.raises(cartesia.InternalServerError) as caught:
        [v async for v in client.voices.list()]
    await client.close()
    await stt_client.close()
    assert caught.value.status_code == 503 and caught.value.body["error_code"] == "service_unavailable"
    assert [r.data["kind"] for r in sim.select("cartesia_tts", "fault")] == ["http"]
    assert not sim.select("cartesia", "fault") and sim.select("cartesia", "voices_request")


@pytest.mark.asyncio
async def test_idle_socket_is_closed(sim, monkeypatch):
    monkeypatch.setattr(emulator, "IDLE_TIMEOUT_S", 0.3)
    url = f"{sim.cartesia_tts_url}/tts/websocket?api_key={KEY}&cartesia_version=2026-03-01"
    async with websockets.connect(url) as ws:
        await asyncio.wait_for(ws.wait_closed(), 10)
    assert ws.close_code == 1000


@pytest.mark.parametrize("encoding", ["pcm_mulaw", "pcm_alaw"])
def test_g711_encodings_decode_back_to_the_voice(encoding):
    pcm = synth.synthesize("Hello there.", 8000).pcm
    original = np.frombuffer(pcm, "<i2").astype(np.float64)
    coded = emulator.encode(pcm, encoding)
    assert len(coded) == len(original) and emulator.bytes_per_sample(encoding) == 1
    decoded = to_int16(coded, encoding).astype(np.float64)
    assert rms(decoded - original) < 0.05 * rms(original)


# ------------------------------------------------------------------------------------------------------- Pipecat
@dataclass
class SpeakerRig:
    """Cerebras LLM -> Pipecat's CartesiaTTSService (``voice``, at ``rate``), with a tap before the LLM (errors come
    upstream) and one after the speaker. ``say(text)`` scripts the LLM's reply and asks for it."""

    sim: Simulator
    key: str = KEY
    rate: int = 16000
    reconnect_on_error: bool = False
    wait_connected: bool = True
    voice: str = "emu-voice-3"
    seen: list[Seen] = field(default_factory=list)

    def frames(self, kind: type, where: str | None = None) -> list:
        return [s.frame for s in self.seen if isinstance(s.frame, kind) and (where is None or s.where == where)]

    async def __aenter__(self) -> Self:
        self.llm = CerebrasLLMService(api_key=SIMULATOR_API_KEYS["cerebras"], base_url=self.sim.cerebras_url,
                                      settings=CerebrasLLMService.Settings(model="gpt-oss-120b"))
        self.tts = CartesiaTTSService(api_key=self.key, url=f"{self.sim.cartesia_tts_url}/tts/websocket",
                                      sample_rate=self.rate, reconnect_on_error=self.reconnect_on_error,
                                      settings=CartesiaTTSService.Settings(voice=self.voice, model="sonic-3"))
        pipeline = Pipeline([Tap("source", self.seen), self.llm, self.tts, Tap("tts", self.seen)])
        self.worker = PipelineWorker(pipeline, params=PipelineParams(audio_out_sample_rate=24000),
                                     idle_timeout_secs=None, enable_rtvi=False)
        self.runner = WorkerRunner(handle_sigint=False)
        await self.runner.add_workers(self.worker)
        self.run_task = asyncio.ensure_future(self.runner.run())
        if self.wait_connected:
            await self.sim.wait_for(lambda: self.sim.select("cartesia_tts", "tts_connect"), timeout=10)
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.worker.cancel(reason="test over")
        await asyncio.wait_for(self.run_task, 10)

    async def say(self, text: str) -> None:
        self.sim.llm.add(text)
        await self.worker.queue_frame(LLMContextFrame(LLMContext(messages=[{"role": "user", "content": "Talk."}])))

    def ms_spoken(self) -> float:
        return sum(len(f.audio) for f in self.frames(TTSAudioRawFrame, "tts")) / 2 / (self.rate / 1000)


@pytest.mark.asyncio
async def test_pipecat_speaks_a_reply_at_its_rate_with_word_timings(sim):
    async with SpeakerRig(sim) as rig:
        await rig.say(REPLY)
        await sim.wait_for(lambda: rig.frames(TTSStoppedFrame, "tts"), timeout=15)

    assert not rig.frames(ErrorFrame)
    audio = rig.frames(TTSAudioRawFrame, "tts")
    assert audio and {f.sample_rate for f in audio} == {16000}
    samples = np.frombuffer(b"".join(f.audio for f in audio), "<i2")
    # Pipecat sends each sentence as it is complete, with no space between: each is spoken on its own.
    assert len(samples) == 16 * REPLY_MS
    assert rms(samples) > 1000

    # Every word in order, each at its start in the audio: "Sure." is 4 letters and a full stop (480 ms), "It " two
    # letters and a space (180 ms), "sunny " 375 ms. Pipecat completes the last word at the previous one's time.
    words = rig.frames(TTSTextFrame, "tts")
    assert [w.text for w in words] == REPLY.split()
    assert [round((b.pts - a.pts) / 1e6) for a, b in itertools.pairwise(words)] == [480, 180, 180, 375, 180, 375]

    messages = [r.data for r in sim.select("cartesia_tts", "tts_message")]
    assert [m["transcript"] for m in messages] == ["Sure.", "It is sunny in Paris today.", ""]
    assert [m["continue"] for m in messages] == [True, True, False]
    first = messages[0]
    assert first["output_format"] == {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}
    assert first["voice"] == {"mode": "id", "id": "emu-voice-3"} and first["model_id"] == "sonic-3"
    assert first["add_timestamps"] is True and first["max_buffer_delay_ms"] == 0
    headers = sim.select("cartesia_tts", "tts_connect")[0].data["headers"]
    assert headers["x-api-key"] == "***" and headers["cartesia-version"] == "2026-03-01"
    assert [r["flush_id"] for r in replies(sim, kind="flush_done")] == [1, 2]  # one per submission


@pytest.mark.asyncio
async def test_pipecat_interruption_cancels_the_context_and_its_audio_stops(sim):
    sim.profile.tts_realtime_factor = 1.0  # the reply streams as fast as it plays: seconds of it are left to stop
    async with SpeakerRig(sim) as rig:
        await rig.say(LONG_REPLY + ".")
        await sim.wait_for(lambda: rig.frames(TTSAudioRawFrame, "tts"), timeout=15)
        await rig.worker.queue_frame(InterruptionWorkerFrame())
        cancel = await sim.wait_for(lambda: [r for r in sim.select("cartesia_tts", "tts_message")
                                             if r.data.get("cancel")], timeout=10)
        context_id = cancel[0].data["context_id"]
        # A new reply after the interruption is spoken in full on the same socket, at the same pace: the cancelled
        # context would have gone on meanwhile.
        await rig.say("Okay, I will stop talking now.")
        await sim.wait_for(lambda: [r for r in replies(sim, kind="done") if r["context_id"] != context_id],
                           timeout=15)

    chunks = replies(sim, context_id, "chunk")
    full = synth.chunk(synth.synthesize(LONG_REPLY + ".", 16000), sim.profile.tts_chunk_ms)
    assert 0 < len(chunks) < len(full) // 2
    assert not [r for r in sim.select("cartesia_tts", "tts_reply")
                if r.at > cancel[0].at and r.data.get("context_id") == context_id]
    assert not replies(sim, context_id, "done")
    spoken_long = sum(r["audio_bytes"] for r in chunks) / 2 / 16000
    assert spoken_long < duration_ms(LONG_REPLY + ".") / 2000
    assert len(sim.select("cartesia_tts", "tts_connect")) == 1


@pytest.mark.asyncio
async def test_pipecat_wrong_key_is_a_permanent_authentication_error(sim):
    async with SpeakerRig(sim, key="sk_car_wrong", wait_connected=False) as rig:
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
    errors = rig.frames(ErrorFrame)
    assert {e.category for e in errors} == {ErrorCategory.AUTHENTICATION}
    assert "401" in errors[0].error and "sk_car_wrong" not in errors[0].error
    assert not rig.tts.is_usable
    assert sim.select("cartesia_tts", "tts_connect")[0].meta["accepted"] is False


@pytest.mark.asyncio
async def test_pipecat_rate_limited_handshake_then_speaks_when_it_clears(sim):
    sim.fault("cartesia_tts", Fault.http(429, retry_after=1, times=1))
    async with SpeakerRig(sim, wait_connected=False) as rig:
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
        assert {e.category for e in rig.frames(ErrorFrame)} == {ErrorCategory.RATE_LIMIT}
        assert rig.tts.is_usable  # a rate limit is not permanent
        await rig.say(REPLY)
        await sim.wait_for(lambda: rig.frames(TTSStoppedFrame, "tts"), timeout=15)
    assert rig.ms_spoken() == REPLY_MS
    accepted = [r.meta["accepted"] for r in sim.select("cartesia_tts", "tts_connect")]
    assert accepted == [False, True]
    assert sim.select("cartesia_tts", "rejected")[0].data == {"status": 429, "path": "/tts/websocket",
                                                              "injected": True}


@pytest.mark.asyncio
async def test_connection_dropped_mid_reply_then_pipecat_reconnects_and_speaks(sim):
    sim.fault("cartesia_tts", Fault.disconnect_after(3, times=1))
    async with SpeakerRig(sim, reconnect_on_error=True) as rig:
        await rig.say(LONG_REPLY + ".")
        second = await sim.wait_for(lambda: sim.select("cartesia_tts", "tts_connect")[1:], timeout=15)
        first_socket = [r.data for r in sim.select("cartesia_tts", "tts_reply") if r.at < second[0].at]
        cut_short_ms = sum(r.get("audio_bytes", 0) for r in first_socket) / 2 / 16
        await rig.say(REPLY)
        # What came before the drop is played, then the next reply in full over the new connection.
        done = await sim.wait_for(lambda: replies(sim, kind="done"), timeout=20)
        await sim.wait_for(lambda: done[0]["context_id"] in {f.context_id for f in rig.frames(TTSStoppedFrame, "tts")},
                           timeout=20)
        await sim.wait_for(lambda: rig.ms_spoken() == cut_short_ms + REPLY_MS, timeout=20)
    assert len(first_socket) == 3  # dropped right after the third message (chunk, timestamps, chunk)
    assert 0 < cut_short_ms < duration_ms(LONG_REPLY + ".") / 4
    assert sim.select("cartesia_tts", "tts_close")[0].data["code"] != 1000  # no close frame
    assert len(done) == 1 and all(r["context_id"] != done[0]["context_id"] for r in first_socket)


@pytest.mark.asyncio
async def test_sdk_sees_a_drop_mid_stream_as_an_abnormal_close(sim):
    sim.fault("cartesia_tts", Fault.disconnect_after(2, times=1))
    client = sdk(sim)
    connection = await client.tts.websocket_connect().enter()
    await connection.send({"context_id": "c", "model_id": "sonic-3", "transcript": LONG_REPLY,
                           "voice": {"mode": "id", "id": "emu-voice-1"}, "output_format": S16_24K})
    received = []
    with pytest.raises(websockets.ConnectionClosedError) as closed:
        async for event in connection:
            received.append(event)
    assert [e.type for e in received] == ["chunk", "chunk"] and closed.value.rcvd is None
    await client.close()


@pytest.mark.asyncio
async def test_pipecat_reports_a_voice_the_account_lacks(sim):
    async with SpeakerRig(sim, voice="retired-voice") as rig:
        await rig.say(REPLY)
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=15)
    error = rig.frames(ErrorFrame)[0]
    assert "voice_not_found" in error.error and "retired-voice" in error.error
    assert rig.tts.is_usable and not rig.frames(TTSAudioRawFrame)


@pytest.mark.asyncio
async def test_close_fault_at_the_first_message_carries_cartesias_reason(sim):
    sim.fault("cartesia_tts", Fault.ws_close(1011, times=1))
    client = sdk(sim)
    connection = await client.tts.websocket_connect().enter()
    await connection.send({"context_id": "c", "model_id": "sonic-3", "transcript": "Hi.",
                           "voice": {"mode": "id", "id": "emu-voice-1"}, "output_format": S16_24K})
    with pytest.raises(websockets.ConnectionClosedError) as closed:
        await connection.recv()
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1011, "Internal server error.")
    assert not sim.select("cartesia_tts", "tts_reply") and not sim.select("cartesia", "fault")
    await client.close()
