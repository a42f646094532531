"""The Deepgram emulator (``/v1/listen``) against Deepgram's own SDK and Pipecat's DeepgramSTTService, both unmodified:
interim and final results, Finalize and CloseStream, a refused key, and faults as Deepgram shows them."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Self

import numpy as np
import pytest
import websockets
from deepgram import AsyncDeepgramClient, DeepgramClientEnvironment
from deepgram.core import ApiError
from deepgram.core.events import EventType
from deepgram.listen.v1.types import ListenV1Metadata, ListenV1Results, ListenV1SpeechStarted, ListenV1UtteranceEnd
from pipecat.frames.frames import (
    ErrorFrame,
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.services.deepgram.stt import DeepgramSTTService
from pipecat.utils.errors import ErrorCategory
from pipecat.workers.runner import WorkerRunner

from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault, Simulator
from desktop_agent.simulator import deepgram as deepgram_emulator
from tests.simulator.pipeline_rig import FRAME_BYTES, Tap

KEY = SIMULATOR_API_KEYS["deepgram"]
PARIS = "what is the weather in Paris"
SPOKE = re.compile(r"^I spoke for (\d+\.\d) seconds\.$")


# ----------------------------------------------------------------------------------------------------- helpers
def _client(sim: Simulator, key: str = KEY) -> AsyncDeepgramClient:
    http = sim.deepgram_url.replace("ws://", "http://")
    environment = DeepgramClientEnvironment(base=http, production=sim.deepgram_url, agent=sim.deepgram_url,
                                            agent_rest=http)
    return AsyncDeepgramClient(api_key=key, environment=environment)


@dataclass
class Heard:
    """What the SDK's ``start_listening`` emitted."""

    messages: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    closed: bool = False

    def attach(self, connection) -> None:
        connection.on(EventType.MESSAGE, self.messages.append)
        connection.on(EventType.ERROR, self.errors.append)
        connection.on(EventType.CLOSE, lambda _: setattr(self, "closed", True))

    def results(self, **flags) -> list[ListenV1Results]:
        return [m for m in self.messages if isinstance(m, ListenV1Results)
                and all(getattr(m, name) == value for name, value in flags.items())]

    def of(self, kind: type) -> list:
        return [m for m in self.messages if isinstance(m, kind)]


async def _send_speech(connection, samples: np.ndarray, trailing_silence_s: float = 0.0) -> None:
    pcm = samples.astype("<i2").tobytes() + bytes(int(16000 * trailing_silence_s) * 2)
    for i in range(0, len(pcm), FRAME_BYTES):
        await connection.send_media(pcm[i:i + FRAME_BYTES])


def _listen_url(sim: Simulator, **query: str) -> str:
    query = {"model": "nova-3", "encoding": "linear16", "sample_rate": "16000", **query}
    return f"{sim.deepgram_url}/v1/listen?" + "&".join(f"{k}={v}" for k, v in query.items())


def _token(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


# ------------------------------------------------------------------------------------------------- the SDK
@pytest.mark.asyncio
async def test_sdk_gets_interims_and_the_finalize_answer_then_closes_cleanly(sim, speech):
    sim.stt.script([PARIS])
    heard = Heard()
    async with _client(sim).listen.v1.connect(model="nova-3", language="en", encoding="linear16",
                                                sample_rate="16000", interim_results="true", punctuate="true",
                                                endpointing="false") as connection:
        heard.attach(connection)
        listening = asyncio.create_task(connection.start_listening())
        await _send_speech(connection, speech(PARIS))
        await connection.send_finalize()
        await sim.wait_for(lambda: heard.results(from_finalize=True), timeout=10)
        await connection.send_close_stream()
        await asyncio.wait_for(listening, 10)

    assert heard.closed and not heard.errors
    interims = heard.results(is_final=False)
    assert len(interims) >= 2 and all(PARIS.startswith(r.channel.alternatives[0].transcript) for r in interims)
    assert all(r.start == 0.0 for r in interims)
    assert [r.duration for r in interims] == sorted(r.duration for r in interims)
    final = heard.results(is_final=True)
    assert len(final) == 1  # endpointing off: the only final is Finalize's answer
    answer = final[0]
    assert (answer.speech_final, answer.from_finalize) == (True, True)
    alternative = answer.channel.alternatives[0]
    assert alternative.transcript == PARIS and alternative.confidence > 0.9
    assert [w.punctuated_word for w in alternative.words] == PARIS.split()
    assert [w.word for w in alternative.words] == PARIS.lower().split()
    assert all(a.end <= b.start + 1e-6 for a, b in zip(alternative.words, alternative.words[1:]))
    assert answer.duration == pytest.approx(len(speech(PARIS)) / 16000, abs=0.03)
    assert answer.metadata.model_info.name == "general-nova-3" and answer.metadata.model_info.arch == "nova-3"
    # CloseStream: Metadata last, then a normal close.
    assert isinstance(heard.messages[-1], ListenV1Metadata)
    assert heard.messages[-1].duration == pytest.approx(answer.start + answer.duration, abs=0.01)
    assert heard.messages[-1].request_id == answer.metadata.request_id
    assert sim.select("deepgram", "stt_close")[-1].data["code"] == 1000
    assert [json.loads(m)["type"] for m in _messages(sim)] == ["Finalize", "CloseStream"]

    # What the SDK sent: its query, and the key as "Token <key>", masked in the records.
    connect = sim.select("deepgram", "stt_connect")[-1]
    assert connect.meta["accepted"] is True
    assert connect.data["query"]["model"] == "nova-3" and connect.data["query"]["interim_results"] == "true"
    assert connect.data["headers"]["authorization"] == "***"
    assert connect.data["headers"]["user-agent"].startswith("deepgram-sdk/")


@pytest.mark.asyncio
async def test_sdk_endpoint_final_vad_events_utterance_end_and_an_empty_finalize_answer(sim, speech):
    heard = Heard()
    async with _client(sim).listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000",
                                                interim_results="true", punctuate="false", vad_events="true",
                                                utterance_end_ms="1000") as connection:
        heard.attach(connection)
        listening = asyncio.create_task(connection.start_listening())
        await _send_speech(connection, speech("hello there"), trailing_silence_s=1.5)
        await connection.send_finalize()
        await sim.wait_for(lambda: heard.results(from_finalize=True), timeout=10)
        await connection.send_close_stream()
        await asyncio.wait_for(listening, 10)

    assert not heard.errors
    kinds = [type(m).__name__ for m in heard.messages if not (isinstance(m, ListenV1Results) and not m.is_final)]
    assert kinds == ["ListenV1SpeechStarted", "ListenV1Results", "ListenV1UtteranceEnd", "ListenV1Results",
                     "ListenV1Metadata"]
    assert heard.of(ListenV1SpeechStarted)[0].timestamp < 0.1
    endpoint, answer = heard.results(is_final=True)
    # The pause ended the utterance (default endpointing): no punctuation asked for, so Deepgram's plain words.
    assert (endpoint.speech_final, endpoint.from_finalize) == (True, False)
    said = endpoint.channel.alternatives[0].transcript
    assert re.fullmatch(r"i spoke for \d\.\d seconds", said)
    assert all(w.punctuated_word is None for w in endpoint.channel.alternatives[0].words)
    last_word = endpoint.channel.alternatives[0].words[-1]
    assert heard.of(ListenV1UtteranceEnd)[0].last_word_end == pytest.approx(last_word.end, abs=0.002)
    # Finalize still answers, empty: the speech had been finalized already. Segments follow on without a gap.
    assert (answer.speech_final, answer.from_finalize, answer.channel.alternatives[0].transcript) == (True, True, "")
    assert answer.start == pytest.approx(endpoint.start + endpoint.duration, abs=0.001)


@pytest.mark.asyncio
async def test_sdk_refused_with_a_wrong_key(sim):
    with pytest.raises(ApiError) as refused:
        async with _client(sim, key="wrong-key").listen.v1.connect(model="nova-3", encoding="linear16",
                                                                     sample_rate="16000"):
            pass
    assert refused.value.status_code == 401
    assert refused.value.body == "Websocket initialized with invalid credentials."


# ------------------------------------------------------------------------------------------------ handshake
@pytest.mark.asyncio
async def test_wrong_key_is_refused_with_401_at_the_handshake(sim):
    for headers in ({}, _token("wrong-key"), {"Authorization": f"Bearer {KEY}"}):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(_listen_url(sim), additional_headers=headers)
        response = refused.value.response
        body = json.loads(response.body)
        assert response.status_code == 401
        assert (body["err_code"], body["err_msg"]) == ("INVALID_AUTH", "Invalid credentials.")
        assert response.headers["dg-error"] == "Invalid credentials." and body["request_id"]
    assert [r.data["status"] for r in sim.select("deepgram", "rejected")] == [401, 401, 401]
    assert not any(KEY in json.dumps(r.data) for r in sim.select("deepgram"))

    # The browsers' form: the key as the second subprotocol after "token" (masked in the records too).
    async with websockets.connect(_listen_url(sim), subprotocols=["token", KEY]) as ws:
        assert ws.subprotocol == "token"
    assert sim.select("deepgram", "stt_connect")[-1].data["headers"]["sec-websocket-protocol"] == "token, ***"


@pytest.mark.asyncio
async def test_unknown_model_or_encoding_is_a_400(sim):
    for query in ({"model": "nova-9"}, {"model": "flux-general-en"}, {"encoding": "pcm_s16le"}):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(_listen_url(sim, **query), additional_headers=_token())
        assert refused.value.response.status_code == 400
        assert json.loads(refused.value.response.body)["err_code"] == "Bad Request"
    refused_model = sim.select("deepgram", "rejected")[0].data["reason"]
    assert refused_model == "Bad Request: No such model/language/tier combination found."


# ---------------------------------------------------------------------------------------------------- faults
@pytest.mark.asyncio
async def test_rate_limit_and_server_error_at_the_handshake(sim):
    sim.fault("deepgram", Fault.http(429, retry_after=2, times=1))
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(_listen_url(sim), additional_headers=_token())
    response = refused.value.response
    assert (response.status_code, response.headers["retry-after"]) == (429, "2")
    assert json.loads(response.body)["err_code"] == "TOO_MANY_REQUESTS"

    # The SDK keeps only the status (and its own fixed text).
    sim.fault("deepgram", Fault.http(500, times=1))
    with pytest.raises(ApiError) as failed:
        async with _client(sim).listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000"):
            pass
    assert failed.value.status_code == 500
    assert failed.value.body == "Unexpected error when initializing websocket connection."
    async with websockets.connect(_listen_url(sim), additional_headers=_token()):
        pass  # the faults were one-shot
    assert [r.data["status"] for r in sim.select("deepgram", "rejected")] == [429, 500]


@pytest.mark.asyncio
async def test_dropped_connection_mid_stream_ends_the_sdks_listening_with_an_error(sim, speech):
    sim.stt.script([PARIS])
    sim.fault("deepgram", Fault.disconnect_after(2, times=1))
    heard = Heard()
    async with _client(sim).listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000",
                                                interim_results="true") as connection:
        heard.attach(connection)
        listening = asyncio.create_task(connection.start_listening())
        await _send_speech(connection, speech(PARIS))
        await asyncio.wait_for(listening, 10)  # start_listening catches the failure and returns
    assert len(heard.results()) == 2 and heard.closed
    assert len(heard.errors) == 1 and isinstance(heard.errors[0], websockets.ConnectionClosedError)
    assert heard.errors[0].rcvd is None  # no close frame: the network just went away


@pytest.mark.asyncio
async def test_websocket_message_faults(sim, speech, monkeypatch):
    audio = speech("hello there").tobytes()
    sim.fault("deepgram", Fault.ws_close(1011, times=1))  # no reason given: Deepgram's own NET-0001 words
    async with websockets.connect(_listen_url(sim), additional_headers=_token()) as ws:
        await ws.send(audio)
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 1011 and "https://dpgr.am/net0001" in closed.value.rcvd.reason

    sim.fault("deepgram", Fault.malformed(times=1))
    async with websockets.connect(_listen_url(sim, interim_results="true"), additional_headers=_token()) as ws:
        await ws.send(audio)
        with pytest.raises(json.JSONDecodeError):
            json.loads(await ws.recv())

    sim.fault("deepgram", Fault.hang(times=1))
    async with websockets.connect(_listen_url(sim, interim_results="true"), additional_headers=_token()) as ws:
        await ws.send(audio)
        await ws.send(json.dumps({"type": "Finalize"}))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)

    # Neither audio nor a text message for the timeout: Metadata, then 1011 NET-0001 (Deepgram waits ~10 s).
    monkeypatch.setattr(deepgram_emulator, "INACTIVITY_TIMEOUT_S", 0.3)
    async with websockets.connect(_listen_url(sim), additional_headers=_token()) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "Metadata"
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd.code == 1011 and closed.value.rcvd.reason.startswith("Deepgram did not receive audio")


@pytest.mark.asyncio
async def test_keepalive_configure_and_bad_messages(sim, speech):
    async with websockets.connect(_listen_url(sim), additional_headers=_token()) as ws:
        await ws.send(json.dumps({"type": "KeepAlive"}))
        await ws.send(json.dumps({"type": "Configure", "keyterms": ["Paris"]}))
        assert json.loads(await ws.recv())["keyterms"] == ["Paris"]
        await ws.send("not json")
        error = json.loads(await ws.recv())
        assert (error["type"], error["variant"], error["message"]) == ("Error", "SchemaError", "not json")
        await ws.send(json.dumps({"type": "CloseStream"}))
        assert json.loads(await ws.recv())["type"] == "Metadata"
        with pytest.raises(websockets.ConnectionClosedOK):
            await ws.recv()

    # Without ``encoding`` Deepgram expects a container: raw PCM cannot be decoded (1008); a WAV header is read.
    async with websockets.connect(f"{sim.deepgram_url}/v1/listen?model=nova-3", additional_headers=_token()) as ws:
        await ws.send(speech("hello there").tobytes())
        assert json.loads(await ws.recv())["type"] == "Metadata"
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 1008
    samples = speech("hello there")
    header = b"RIFF" + (36 + samples.nbytes).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little") \
        + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (16000).to_bytes(4, "little") \
        + (32000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little") \
        + b"data" + samples.nbytes.to_bytes(4, "little")
    async with websockets.connect(f"{sim.deepgram_url}/v1/listen?model=nova-3&punctuate=true",
                                  additional_headers=_token()) as ws:
        await ws.send(header + samples.tobytes())
        await ws.send(json.dumps({"type": "Finalize"}))
        finals = []
        while not (finals and finals[-1]["from_finalize"]):
            finals.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    assert [SPOKE.match(f["channel"]["alternatives"][0]["transcript"]) is not None for f in finals] == [True]
    assert finals[0]["duration"] == pytest.approx(len(samples) / 16000, abs=0.03)


# --------------------------------------------------------------------------------------------------- Pipecat
class SttRig:
    """Pipecat's DeepgramSTTService alone in a pipeline, fed push-to-talk turns the way a transport would."""

    def __init__(self, sim: Simulator, key: str = KEY) -> None:
        self.sim, self.seen = sim, []
        self.stt = DeepgramSTTService(api_key=key, base_url=sim.deepgram_url,
                                      settings=DeepgramSTTService.Settings(model="nova-3", language="en",
                                                                           smart_format=True))

    def frames(self, kind: type) -> list:
        """Frames of ``kind`` out of the service (errors: whichever way they went)."""
        return [s.frame for s in self.seen if isinstance(s.frame, kind) and (s.where == "stt" or kind is ErrorFrame)]

    async def __aenter__(self) -> Self:
        self.worker = PipelineWorker(Pipeline([Tap("source", self.seen), self.stt, Tap("stt", self.seen)]),
                                     params=PipelineParams(audio_in_sample_rate=16000), idle_timeout_secs=None,
                                     enable_rtvi=False)
        self.runner = WorkerRunner(handle_sigint=False)
        await self.runner.add_workers(self.worker)
        self.run_task = asyncio.ensure_future(self.runner.run())
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.worker.cancel(reason="test over")
        await asyncio.wait_for(self.run_task, 10)

    async def speak(self, samples: np.ndarray, trailing_silence_s: float = 0.0) -> None:
        """Press, the audio in 20 ms frames, release (Pipecat sends Finalize on the release)."""
        await self.worker.queue_frame(VADUserStartedSpeakingFrame())
        pcm = samples.astype("<i2").tobytes() + bytes(int(16000 * trailing_silence_s) * 2)
        for i in range(0, len(pcm), FRAME_BYTES):
            await self.worker.queue_frame(InputAudioRawFrame(audio=pcm[i:i + FRAME_BYTES], sample_rate=16000,
                                                             num_channels=1))
        await self.worker.queue_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2, timestamp=time.time()))


def _connected(sim: Simulator, count: int = 1):
    return lambda: len([r for r in sim.select("deepgram", "stt_connect") if r.meta.get("accepted")]) >= count


@pytest.mark.asyncio
async def test_pipecat_transcribes_scripted_and_unscripted_push_to_talk_turns(sim, speech):
    sim.stt.script([PARIS])
    async with SttRig(sim) as rig:
        await sim.wait_for(_connected(sim), timeout=10)
        # Released right after the words: Finalize's answer carries them, and Pipecat marks them finalized.
        await rig.speak(speech(PARIS))
        await sim.wait_for(lambda: rig.frames(TranscriptionFrame), timeout=10)
        # A pause before the release: the endpoint final carries the words, Finalize answers empty.
        await rig.speak(speech("hello there, how are you"), trailing_silence_s=0.8)
        await sim.wait_for(lambda: len(rig.frames(TranscriptionFrame)) == 2 and len(_finalize_answers(sim)) == 2,
                           timeout=10)

    assert not rig.frames(ErrorFrame)
    first, second = rig.frames(TranscriptionFrame)
    assert (first.text, first.finalized) == (PARIS, True)
    assert SPOKE.match(second.text) and 1.0 <= float(SPOKE.match(second.text).group(1)) <= 2.5
    interims = [f.text for f in rig.frames(InterimTranscriptionFrame)]
    assert any(PARIS.startswith(text) for text in interims)
    assert any(second.text.startswith(text) and text != second.text for text in interims)
    assert [a["channel"]["alternatives"][0]["transcript"] for a in _finalize_answers(sim)] == [PARIS, ""]
    query = sim.select("deepgram", "stt_connect")[-1].data["query"]
    assert {k: query[k] for k in ("model", "language", "encoding", "sample_rate", "interim_results", "smart_format")} \
        == {"model": "nova-3", "language": "en", "encoding": "linear16", "sample_rate": "16000",
            "interim_results": "true", "smart_format": "true"}


def _finalize_answers(sim: Simulator) -> list[dict]:
    return [r.data for r in sim.select("deepgram", "stt_reply") if r.data.get("from_finalize")]


def _messages(sim: Simulator) -> list[str]:
    return [r.data for r in sim.select("deepgram", "stt_message")]


@pytest.mark.asyncio
async def test_pipecat_gives_up_at_once_on_a_refused_key_or_a_rate_limit(sim):
    async with SttRig(sim, key="wrong-key") as rig:
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
    error = rig.frames(ErrorFrame)[0]
    assert error.category == ErrorCategory.AUTHENTICATION and "status 401" in error.error
    assert not rig.stt.is_usable and "wrong-key" not in error.error

    sim.fault("deepgram", Fault.http(429, retry_after=2))
    async with SttRig(sim) as rig:
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
    error = rig.frames(ErrorFrame)[0]
    assert error.category == ErrorCategory.RATE_LIMIT and "status 429" in error.error
    assert len(sim.select("deepgram", "stt_connect")) == 2  # one attempt each: a 4xx is not retried


@pytest.mark.asyncio
async def test_pipecat_reconnects_after_a_dropped_connection(sim, speech):
    sim.stt.script(["first words", "second words"])
    sim.fault("deepgram", Fault.disconnect_after(3, times=1))
    async with SttRig(sim) as rig:
        await sim.wait_for(_connected(sim), timeout=10)
        await rig.speak(speech(PARIS))
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
        await sim.wait_for(_connected(sim, 2), timeout=15)  # Pipecat waits 4 s before it tries again
        await rig.speak(speech("hello again"))
        await sim.wait_for(lambda: rig.frames(TranscriptionFrame), timeout=10)
    assert all(not e.fatal for e in rig.frames(ErrorFrame))
    # The first turn's words were lost with the connection; the script moves on only when a final is decided.
    assert [f.text for f in rig.frames(TranscriptionFrame)] == ["first words"]
