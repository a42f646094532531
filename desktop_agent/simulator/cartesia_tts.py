"""Cartesia Sonic TTS emulator: the ``/tts/websocket`` of provider-protocols-2.md §2, ``POST /tts/bytes``, and
``/voices`` as Cartesia's host serves it beside the socket.

Handshake. The key comes as ``X-API-Key`` (Pipecat), ``Authorization: Bearer`` (the SDK) or the ``api_key`` /
``access_token`` query parameter (browsers); the API version as the ``Cartesia-Version`` header or the
``cartesia_version`` query parameter, which wins when both are given (Cartesia's API conventions). A missing or wrong
key is refused with HTTP 401, a missing or malformed version with 400, both with Cartesia's error body.

Contexts. Any number of contexts share a socket and are spoken concurrently. A generation request opens a context
with its ``model_id``, ``voice``, ``output_format``, ``language``, ``add_timestamps``, ``generation_config`` and
``max_buffer_delay_ms``; later requests on it only add ``transcript`` (those settings are locked per context, as
Pipecat notes). Transcripts are joined exactly as sent (Cartesia asks clients to include the spaces). Text is
generated as it is released:

* ``max_buffer_delay_ms: 0``: every submission at once, then ``flush_done`` with the next ``flush_id`` (Pipecat's
  service notes the real server flushes each submission in this mode);
* otherwise (default 3000 ms) up to the last sentence end; the rest when that delay has passed since it arrived;
* ``flush: true``: everything pending, then ``flush_done``; ``continue: false`` (the default): everything pending,
  then ``done`` once the audio is out; the context then ends and its ID may be used afresh.

``{"context_id", "cancel": true}`` stops a context at once and unanswered (Cartesia's docs allow a request already
generating to run on; stopping at once is the stricter behaviour clients must handle anyway).

Replies: ``chunk`` (base64 audio in the requested encoding: pcm_s16le, pcm_f32le, pcm_mulaw or pcm_alaw), and with
``add_timestamps`` a ``timestamps`` message after each chunk with the words that start in it, their times counted
from the start of the context's audio, so they line up with the samples. The audio is the simulator's synthetic voice
(:mod:`desktop_agent.simulator.synth`) at the voice's pitch, paced by the latency profile's ``tts_*`` knobs like the
ElevenLabs emulator; ``generation_config.speed`` (0.6-1.5) changes its pace and ``volume`` (0.5-2.0) its level.

Errors are per context (``type: error``, ``done: true``, and the socket stays open): an unknown ``model_id``, a voice
the account lacks (:mod:`desktop_agent.simulator.voices`), an unsupported output format or an out-of-range setting.
From version 2026-03-01 on they carry ``title``, ``message``, ``error_code`` and ``request_id`` (Cartesia's documented
error event); older versions get the single ``error`` string. The error codes and sentences besides ``model_not_found``
are stand-ins. An idle socket (no client message for :data:`IDLE_TIMEOUT_S`, about five minutes as Pipecat reports) is
closed with 1000.

``POST /tts/bytes`` (the SDK's ``tts.generate``, Pipecat's ``CartesiaHttpTTSService``): a JSON body with
``transcript``, ``model_id``, ``voice`` (an ID, or ``{"id"}`` with an optional ``mode: "id"``), ``output_format``
(``raw`` or ``wav`` with the websocket's encodings and rates; MP3 is refused, the simulator having no MP3 encoder),
optional ``language`` or ``locale`` (not both) and ``generation_config``. The answer is the audio, streamed as it is
generated at the profile's pace (``application/octet-stream`` for raw, ``audio/wav`` with a RIFF header for WAV); a
refused request is answered with its status and Cartesia's error body (``title``, ``message``, ``error_code``,
``status_code``, ``request_id``). HTTP, ``hang``, ``slow_first_byte`` and ``disconnect_after`` (after that many audio
chunks) faults apply.

Faults and records go by the name ``cartesia_tts``, apart from the speech-to-text emulator's ``cartesia``; a
``ws_close`` fault without a reason borrows Cartesia's. Records: ``tts_connect`` (request summary; ``accepted`` and
``request_id`` in ``meta``), ``tts_message`` (each client message, credentials masked), ``tts_reply`` (each reply, a
chunk's audio replaced by ``audio_bytes``), ``tts_close``, ``tts_context`` (a context's text and characters when it
ends: ``completed`` at its ``done``, ``interrupted`` by a cancel or an error, or ``socket_closed``; see
:class:`~desktop_agent.simulator.common.ContextLedger`), ``tts_bytes_request`` (a ``/tts/bytes`` body, the request
summary in ``meta``), ``voices_request``, ``rejected`` (a refused handshake or REST call, or a refused context-opening
or ``/tts/bytes`` request with its ``code``) and ``fault``.
"""

from __future__ import annotations

import asyncio
import base64
import re
import struct
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web

from desktop_agent.simulator import synth, voices
from desktop_agent.simulator.common import (
    ContextAccount,
    ContextLedger,
    Env,
    WsSender,
    abort_connection,
    accept_websocket,
    fault_close_reason,
    http_error,
    json_response,
    parse_message,
    query_lists,
    request_summary,
    start_of_request,
)
from desktop_agent.simulator.elevenlabs import _Pacer
from desktop_agent.simulator.errors import cartesia_error
from desktop_agent.simulator.faults import Fault
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS, bearer_token, redact

PROVIDER = "cartesia_tts"
VENDOR = "cartesia"  # whose close reasons a ws_close fault borrows
OUTPUT_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
ENCODINGS = ("pcm_s16le", "pcm_f32le", "pcm_mulaw", "pcm_alaw")
#: Model families the emulated account may use; a dated snapshot of one (``sonic-3-2025-10-27``) is accepted too.
MODELS = frozenset(
    {
        "sonic",
        "sonic-english",
        "sonic-multilingual",
        "sonic-turbo",
        "sonic-2",
        "sonic-3",
        "sonic-3.5",
        "sonic-3.6",
        "sonic-latest",
    }
)
STRUCTURED_ERRORS_SINCE = "2026-03-01"
DEFAULT_BUFFER_DELAY_MS = 3000
MAX_BUFFER_DELAY_MS = 5000
IDLE_TIMEOUT_S = 300.0
#: The older top-level ``speed`` setting, as a pace factor.
NAMED_SPEEDS = {"slowest": 0.6, "slow": 0.8, "normal": 1.0, "fast": 1.25, "fastest": 1.5}
SPEED_RANGE = (0.6, 1.5)
VOLUME_RANGE = (0.5, 2.0)

_SNAPSHOT = re.compile(r"^(?P<family>.+)-\d{4}-\d{2}-\d{2}$")
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"')\]]*(?=\s|$)")
_WORD = re.compile(r"\S+")
_DONE = object()


def _key_of(request: web.Request) -> str | None:
    return (
        request.query.get("api_key")
        or request.query.get("access_token")
        or request.headers.get("X-API-Key")
        or bearer_token(request.headers.get("Authorization"))
    )


def _version_of(request: web.Request) -> str | None:
    return request.query.get("cartesia_version") or request.headers.get("Cartesia-Version")


def model_known(model_id: object) -> bool:
    if not isinstance(model_id, str):
        return False
    snapshot = _SNAPSHOT.match(model_id)
    return model_id in MODELS or (snapshot is not None and snapshot.group("family") in MODELS)


# ------------------------------------------------------------------------------------------------------ encodings
def encode(pcm_s16: bytes, encoding: str, volume: float = 1.0) -> bytes:
    """Synthesized PCM s16le in the requested ``encoding``, its level scaled by ``volume``."""
    samples = np.frombuffer(pcm_s16, "<i2")
    if volume != 1.0:
        samples = np.clip(samples.astype(np.float32) * volume, -32768, 32767).astype("<i2")
    if encoding == "pcm_f32le":
        return (samples.astype(np.float32) / 32768.0).astype("<f4").tobytes()
    if encoding == "pcm_mulaw":
        return _mulaw(samples).tobytes()
    if encoding == "pcm_alaw":
        return _alaw(samples).tobytes()
    return samples.tobytes()


def bytes_per_sample(encoding: str) -> int:
    return {"pcm_f32le": 4, "pcm_mulaw": 1, "pcm_alaw": 1}.get(encoding, 2)


def _mulaw(samples: np.ndarray) -> np.ndarray:
    """G.711 mu-law: a sign bit, a 3-bit segment and a 4-bit step of the biased magnitude, all bits inverted."""
    s = samples.astype(np.int32)
    magnitude = np.minimum(np.abs(s), 32635) + 0x84
    segment = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 7, 0, 7)
    step = (magnitude >> (segment + 3)) & 0x0F
    code = ((s < 0).astype(np.int32) << 7) | (segment << 4) | step
    return (~code & 0xFF).astype(np.uint8)


def _alaw(samples: np.ndarray) -> np.ndarray:
    """G.711 A-law: a sign bit (set for positive), a 3-bit segment and a 4-bit step, even bits inverted."""
    s = samples.astype(np.int32)
    magnitude = np.minimum(np.abs(s), 32767)
    segment = np.where(
        magnitude < 256, 0, np.clip(np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 7, 1, 7)
    )
    step = np.where(segment == 0, magnitude >> 4, magnitude >> (segment + 3)) & 0x0F
    code = ((s >= 0).astype(np.int32) << 7) | (segment << 4) | step
    return (code ^ 0x55).astype(np.uint8)


# ------------------------------------------------------------------------------------------------------ requests
class RequestError(Exception):
    """A generation request Cartesia would refuse: its status, title, message and error code."""

    def __init__(self, status: int, title: str, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.code = status, title, message, code


def _invalid(message: str, code: str = "invalid_request") -> RequestError:
    return RequestError(400, "Invalid request", message, code)


@dataclass(frozen=True)
class Settings:
    """What a context speaks with, fixed by the request that opens it."""

    model_id: str
    voice_id: str
    encoding: str
    rate: int
    add_timestamps: bool
    language: str | None
    buffer_delay_ms: int
    speed: float
    volume: float


def settings_of(data: dict) -> Settings:
    """The settings of a context-opening request; :class:`RequestError` for what Cartesia would refuse."""
    model_id, voice_id = _model_and_voice(data)
    encoding, rate = _output_format(data.get("output_format"))
    speed, volume = _generation(data)
    delay = data.get("max_buffer_delay_ms")
    if delay is None:
        delay = DEFAULT_BUFFER_DELAY_MS
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_BUFFER_DELAY_MS:
        raise _invalid(f"max_buffer_delay_ms must be an integer from 0 to {MAX_BUFFER_DELAY_MS}.")
    language = data.get("language")
    return Settings(
        model_id,
        voice_id,
        encoding,
        rate,
        data.get("add_timestamps") is True,
        language if isinstance(language, str) else None,
        delay,
        speed,
        volume,
    )


def _model_and_voice(data: dict) -> tuple[str, str]:
    """The request's model (one the account may use) and voice (one it has)."""
    model_id = data.get("model_id")
    if not isinstance(model_id, str) or not model_known(model_id):
        raise RequestError(
            400, "Invalid model", f"Model '{model_id}' does not exist or is not available to you.", "model_not_found"
        )
    voice_id = _voice_id(data.get("voice"))
    if voices.find_cartesia_voice(voice_id) is None:
        raise RequestError(404, "Voice not found", f"Voice '{voice_id}' was not found.", "voice_not_found")
    return model_id, voice_id


@dataclass(frozen=True)
class BytesRequest:
    """A ``POST /tts/bytes`` request: the whole transcript at once, answered with one audio file."""

    transcript: str
    model_id: str
    voice_id: str
    container: str
    encoding: str
    rate: int
    speed: float
    volume: float


def bytes_request_of(data: object) -> BytesRequest:
    """The ``/tts/bytes`` request in ``data`` (the JSON body); :class:`RequestError` for what Cartesia would refuse.
    MP3, which Cartesia also serves, is refused: the simulator has no MP3 encoder."""
    if not isinstance(data, dict):
        raise _invalid("The body must be a JSON object with transcript, model_id, voice and output_format.")
    transcript = data.get("transcript")
    if not isinstance(transcript, str):
        raise _invalid("transcript is required and must be a string.")
    model_id, voice_id = _model_and_voice(data)
    if data.get("language") is not None and data.get("locale") is not None:
        raise _invalid("A request may set language or locale, never both.")
    encoding, rate = _output_format(data.get("output_format"), ("raw", "wav"))
    speed, volume = _generation(data)
    return BytesRequest(
        transcript, model_id, voice_id, data["output_format"]["container"], encoding, rate, speed, volume
    )


def wav_header(encoding: str, rate: int, data_bytes: int) -> bytes:
    """A RIFF/WAVE header for ``data_bytes`` of mono audio in ``encoding`` (PCM, IEEE float, A-law or mu-law)."""
    tag = {"pcm_s16le": 1, "pcm_f32le": 3, "pcm_alaw": 6, "pcm_mulaw": 7}[encoding]
    width = bytes_per_sample(encoding)
    fmt = struct.pack("<HHIIHH", tag, 1, rate, rate * width, width, width * 8)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(fmt) + 8 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def _voice_id(voice: object) -> str:
    if isinstance(voice, str) and voice:
        return voice
    if isinstance(voice, dict) and voice.get("mode", "id") == "id" and isinstance(voice.get("id"), str):
        return voice["id"]
    if isinstance(voice, dict) and voice.get("mode") == "embedding":
        raise _invalid("Voice embeddings are not supported; give a voice by id (mode 'id').", "invalid_voice")
    raise _invalid("A voice is required: {'mode': 'id', 'id': '<voice id>'}.", "invalid_voice")


def _output_format(output_format: object, containers: tuple[str, ...] = ("raw",)) -> tuple[str, int]:
    """Encoding and sample rate of an ``output_format`` whose container is one of ``containers`` (the websocket
    speaks raw audio only; ``/tts/bytes`` also WAV)."""
    if not isinstance(output_format, dict):
        raise _invalid("output_format is required.", "invalid_output_format")
    container, encoding = output_format.get("container"), output_format.get("encoding")
    rate = output_format.get("sample_rate")
    if container not in containers:
        where = "on the WebSocket" if containers == ("raw",) else "by the simulator"
        raise _invalid(
            f"Container '{container}' is not supported {where}; use {' or '.join(repr(c) for c in containers)}.",
            "invalid_output_format",
        )
    if encoding not in ENCODINGS:
        raise _invalid(
            f"Encoding '{encoding}' is not supported; use one of {', '.join(ENCODINGS)}.", "invalid_output_format"
        )
    if isinstance(rate, bool) or rate not in OUTPUT_RATES:
        raise _invalid(
            f"Sample rate {rate} is not supported; use one of {', '.join(map(str, OUTPUT_RATES))}.",
            "invalid_output_format",
        )
    return encoding, int(rate)


def _generation(data: dict) -> tuple[float, float]:
    """Pace and level from ``generation_config`` (or the older top-level ``speed``)."""
    config = data.get("generation_config") or {}
    if not isinstance(config, dict):
        raise _invalid("generation_config must be an object.")
    speed = config.get("speed")
    if speed is None and isinstance(data.get("speed"), str):
        speed = NAMED_SPEEDS.get(data["speed"])
        if speed is None:
            raise _invalid(f"speed must be one of {', '.join(NAMED_SPEEDS)}.")
    speed = 1.0 if speed is None else speed
    volume = config.get("volume", 1.0)
    for name, value, (low, high) in (("speed", speed, SPEED_RANGE), ("volume", volume, VOLUME_RANGE)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise _invalid(f"generation_config.{name} must be between {low} and {high}.")
    return float(speed), float(volume)


# ------------------------------------------------------------------------------------------------------ emulator
class CartesiaTTSEmulator:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.base_url = ""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/tts/websocket", self.websocket)
        app.router.add_post("/tts/bytes", self.tts_bytes)
        app.router.add_get("/voices", self.list_voices)
        app.router.add_get("/voices/", self.list_voices)
        app.router.add_get("/voices/{voice_id}", self.get_voice)

    def _refusal(self, request: web.Request) -> web.Response | None:
        """The handshake or REST answer for a missing or wrong key (401) or API version (400); None when fine."""
        if _key_of(request) != SIMULATOR_API_KEYS[PROVIDER]:
            self.env.records.add(PROVIDER, "rejected", {"status": 401, "path": request.path})
            return http_error(PROVIDER, 401)
        version = _version_of(request)
        if version is None or not _VERSION.match(version):
            self.env.records.add(PROVIDER, "rejected", {"status": 400, "path": request.path})
            body = cartesia_error(400)
            body["message"] = (
                "A Cartesia-Version header (or cartesia_version query parameter) with a date such as "
                f"{STRUCTURED_ERRORS_SINCE} is required."
            )
            return json_response(body, status=400)
        return None

    # ------------------------------------------------------------------------------------------------------ REST
    async def list_voices(self, request: web.Request) -> web.StreamResponse:
        self.env.records.add(PROVIDER, "voices_request", request_summary(request))
        refused = self._refusal(request)
        if refused is not None:
            return refused
        early, fault = await start_of_request(self.env, PROVIDER, request, websocket=False)
        if early is not None:
            return early
        await asyncio.sleep(self.env.profile.http_delay)
        if fault is not None and fault.kind == "malformed":
            return web.Response(text='{"data": [', content_type="application/json")
        if fault is not None and fault.kind == "disconnect_after":
            abort_connection(request)
            return web.Response(status=500)
        return json_response(voices.cartesia_page(query_lists(request), self.base_url))

    async def get_voice(self, request: web.Request) -> web.StreamResponse:
        self.env.records.add(PROVIDER, "voices_request", request_summary(request))
        refused = self._refusal(request)
        if refused is not None:
            return refused
        voice = voices.find_cartesia_voice(request.match_info["voice_id"])
        if voice is None:
            return http_error(PROVIDER, 404)
        return json_response(voices.cartesia_voice(voice, self.base_url, with_preview=True))

    async def tts_bytes(self, request: web.Request) -> web.StreamResponse:
        """``POST /tts/bytes``: the transcript spoken at once, streamed as it is generated (raw or WAV)."""
        arrived = asyncio.get_running_loop().time()
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.env.records.add(
            PROVIDER,
            "tts_bytes_request",
            body if isinstance(body, dict) else {"invalid": True},
            **request_summary(request),
        )
        refused = self._refusal(request)
        if refused is not None:
            return refused
        early, fault = await start_of_request(self.env, PROVIDER, request, websocket=False)
        if early is not None:
            return early
        try:
            spoken = bytes_request_of(body)
        except RequestError as error:
            self.env.records.add(
                PROVIDER, "rejected", {"status": error.status, "code": error.code, "path": request.path}
            )
            answer = cartesia_error(error.status)
            answer.update(title=error.title, message=error.message, error_code=error.code)
            return json_response(answer, status=error.status)
        utterance = synth.synthesize(spoken.transcript, spoken.rate, voices.pitch_for(spoken.voice_id), spoken.speed)
        pieces = [
            (piece.span_ms, encode(piece.pcm, spoken.encoding, spoken.volume))
            for piece in synth.chunk(utterance, self.env.profile.tts_chunk_ms)
        ]
        content_type = "audio/wav" if spoken.container == "wav" else "application/octet-stream"
        response = web.StreamResponse(headers={"Content-Type": content_type})
        await response.prepare(request)
        if spoken.container == "wav":
            await response.write(wav_header(spoken.encoding, spoken.rate, sum(len(audio) for _, audio in pieces)))
        profile = self.env.profile
        pacer = _Pacer(arrived + profile.tts_first_audio_delay)
        for sent, (span_ms, audio) in enumerate(pieces):
            await pacer.wait_turn()
            if fault is not None and fault.kind == "disconnect_after" and sent >= (fault.n_messages or 0):
                abort_connection(request)
                return response
            try:
                await response.write(audio)
            except ConnectionError:
                return response
            pacer.played(span_ms, profile.tts_realtime_factor)
        await response.write_eof()
        return response

    # ------------------------------------------------------------------------------------------------- websocket
    async def websocket(self, request: web.Request) -> web.StreamResponse:
        ws, fault, request_id = await accept_websocket(
            self.env, PROVIDER, "tts_connect", request, self._refusal(request)
        )
        if not isinstance(ws, web.WebSocketResponse):
            return ws
        sender = WsSender(self.env, PROVIDER, "tts_reply", request, ws, fault)
        session = _Session(self.env, ws, sender, fault, request_id, _version_of(request) or "")
        try:
            await session.run()
        finally:
            session.stop_all()
            self.env.websockets.discard(ws)
            self.env.records.add(PROVIDER, "tts_close", {"code": ws.close_code, "request_id": request_id})
        return ws


@dataclass
class _Segment:
    """Released text, when it arrived, and the flush that released it (None: no flush did)."""

    text: str
    arrived: float
    flush_id: int | None


@dataclass
class _FlushDone:
    flush_id: int


@dataclass
class _Context:
    context_id: str
    settings: Settings
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    pending: str = ""
    pending_since: float | None = None
    flushes: int = 0
    input_closed: bool = False
    clock_ms: int = 0  # audio generated so far: where the next segment's timestamps start
    worker: asyncio.Task | None = None
    timer: asyncio.Task | None = None
    account: ContextAccount = field(default_factory=lambda: ContextAccount(""))  # the ledger's, for its record


class _Session:
    """One socket: its contexts, each spoken by its own task, and the idle watchdog."""

    def __init__(
        self, env: Env, ws: web.WebSocketResponse, sender: WsSender, fault: Fault | None, request_id: str, version: str
    ) -> None:
        self.env, self.ws, self.sender, self.fault = env, ws, sender, fault
        self.request_id = request_id
        self.structured_errors = version >= STRUCTURED_ERRORS_SINCE
        self.contexts: dict[str, _Context] = {}
        self.ledger = ContextLedger(env, PROVIDER)
        self.tasks: set[asyncio.Task] = set()
        self.last_message_at = asyncio.get_running_loop().time()
        self.closing_idle = False

    async def run(self) -> None:
        watchdog = asyncio.create_task(self._watch_idle())
        try:
            first = True
            async for msg in self.ws:
                if msg.type == WSMsgType.ERROR:
                    break
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                self.last_message_at = asyncio.get_running_loop().time()
                data = parse_message(msg.data) if msg.type == WSMsgType.TEXT else msg.data
                self.env.records.add(
                    PROVIDER, "tts_message", redact(data) if isinstance(data, dict) else {"invalid": repr(data)[:200]}
                )
                if first and self.fault is not None and self.fault.kind == "ws_close":
                    await self.sender.close(self.fault.code or 1011, fault_close_reason(VENDOR, self.fault))
                    break
                first = False
                await self._on_message(data)
        finally:
            if self.closing_idle:  # the watchdog is closing the socket: let it finish the close handshake
                await watchdog
            else:
                watchdog.cancel()
            self.ledger.end_all()

    async def _watch_idle(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            idle = loop.time() - self.last_message_at
            if idle >= IDLE_TIMEOUT_S:
                self.closing_idle = True
                self.stop_all()
                await self.sender.close(1000, "Connection closed after a period of inactivity.")
                return
            await asyncio.sleep(min(1.0, IDLE_TIMEOUT_S - idle))

    async def _on_message(self, data: object) -> None:
        if not isinstance(data, dict):
            await self._send_error(_invalid("Messages must be JSON objects (generation or cancel requests)."))
            return
        context_id = data.get("context_id")
        if not isinstance(context_id, str) or not context_id:
            await self._send_error(_invalid("context_id is required."))
            return
        if data.get("cancel") is True:
            self._cancel(context_id)
            return
        transcript = data.get("transcript")
        if not isinstance(transcript, str):
            await self._send_error(_invalid("transcript is required and must be a string."), context_id)
            return
        context = self.contexts.get(context_id)
        if context is not None and context.input_closed:
            await self._send_error(
                _invalid(f"Context '{context_id}' has already received its last input (continue: false)."), context_id
            )
            return
        if context is None:
            try:
                context = _Context(context_id, settings_of(data), account=self.ledger.open(context_id))
            except RequestError as error:
                self.env.records.add(
                    PROVIDER, "rejected", {"status": error.status, "code": error.code, "context_id": context_id}
                )
                await self._send_error(error, context_id)
                return
            context.worker = self._task(self._speak(context))
            self.contexts[context_id] = context
        self._submit(context, transcript, data.get("continue") is True, data.get("flush") is True)

    # ------------------------------------------------------------------------------------------- text release
    def _submit(self, context: _Context, transcript: str, more_to_come: bool, flush: bool) -> None:
        now = asyncio.get_running_loop().time()
        context.account.text += transcript
        if transcript:
            if not context.pending:
                context.pending_since = now
            context.pending += transcript
        if flush or not more_to_come or context.settings.buffer_delay_ms == 0:
            flush_id = None
            if flush or (context.settings.buffer_delay_ms == 0 and transcript):
                context.flushes += 1
                flush_id = context.flushes
            self._release(context, len(context.pending), flush_id)
            if flush_id is not None:
                context.queue.put_nowait(_FlushDone(flush_id))
        else:
            ends = list(_SENTENCE_END.finditer(context.pending))
            if ends:
                self._release(context, ends[-1].end(), None)
            if context.pending and context.timer is None:
                context.timer = self._task(self._release_later(context))
        if not more_to_come:
            context.input_closed = True
            context.queue.put_nowait(_DONE)

    def _release(self, context: _Context, upto: int, flush_id: int | None) -> None:
        text, context.pending = context.pending[:upto], context.pending[upto:]
        if text or flush_id is not None:
            context.queue.put_nowait(
                _Segment(text, context.pending_since or asyncio.get_running_loop().time(), flush_id)
            )
        context.pending_since = asyncio.get_running_loop().time() if context.pending else None
        if not context.pending and context.timer is not None:
            context.timer.cancel()
            context.timer = None

    async def _release_later(self, context: _Context) -> None:
        """The buffer delay: what is still pending that long after it arrived goes out as it is."""
        loop = asyncio.get_running_loop()
        while context.pending and not context.input_closed:
            due = (context.pending_since or loop.time()) + context.settings.buffer_delay_ms / 1000
            if loop.time() >= due:
                context.timer = None
                self._release(context, len(context.pending), None)
                return
            await asyncio.sleep(due - loop.time())
        context.timer = None

    def _cancel(self, context_id: str) -> None:
        context = self.contexts.pop(context_id, None)
        if context is None:
            return  # unknown or finished: nothing to stop, and Cartesia does not answer cancels
        for task in (context.worker, context.timer):
            if task is not None:
                task.cancel()
        self.ledger.end(context.account, "interrupted")

    # ------------------------------------------------------------------------------------------------ speaking
    async def _speak(self, context: _Context) -> None:
        pacer = _Pacer(0.0)
        settings = context.settings
        pitch = voices.pitch_for(settings.voice_id)
        while True:
            item = await context.queue.get()
            if item is _DONE:
                if self.contexts.get(context.context_id) is context:
                    del self.contexts[context.context_id]
                self.ledger.end(context.account, "completed")
                await self.sender.send(
                    {"type": "done", "done": True, "status_code": 206, "context_id": context.context_id}
                )
                return
            if isinstance(item, _FlushDone):
                if not await self.sender.send(
                    {
                        "type": "flush_done",
                        "done": False,
                        "flush_done": True,
                        "flush_id": item.flush_id,
                        "status_code": 206,
                        "context_id": context.context_id,
                    }
                ):
                    return
                continue
            if not await self._speak_segment(context, item, pacer, pitch):
                return

    async def _speak_segment(self, context: _Context, segment: _Segment, pacer: _Pacer, pitch: float) -> bool:
        settings = context.settings
        utterance = synth.synthesize(segment.text, settings.rate, pitch, settings.speed)
        words = [(m.start(), m.group()) for m in _WORD.finditer(segment.text)]
        profile = self.env.profile
        loop = asyncio.get_running_loop()
        pacer.not_before(segment.arrived + profile.tts_first_audio_delay)
        last_sent, first_char = segment.arrived, 0
        for piece in synth.chunk(utterance, profile.tts_chunk_ms):
            await pacer.wait_turn()
            audio = encode(piece.pcm, settings.encoding, settings.volume)
            message = {
                "type": "chunk",
                "data": base64.b64encode(audio).decode(),
                "done": False,
                "status_code": 206,
                "step_time": round((loop.time() - last_sent) * 1000, 3),
                "context_id": context.context_id,
            }
            if segment.flush_id is not None:
                message["flush_id"] = segment.flush_id
            if not await self.sender.send(message, {**message, "data": None, "audio_bytes": len(audio)}):
                return False
            context.account.audio_bytes += len(audio)
            last_sent = loop.time()
            end_char = first_char + len(piece.chars)
            starting = [(i, w) for i, w in words if first_char <= i < end_char]
            if (
                settings.add_timestamps
                and starting
                and not await self._send_timestamps(context, utterance, starting, segment.flush_id)
            ):
                return False
            first_char = end_char
            pacer.played(piece.span_ms, profile.tts_realtime_factor)
        context.clock_ms += sum(utterance.durations_ms)
        return True

    async def _send_timestamps(
        self, context: _Context, utterance: synth.Utterance, words: list[tuple[int, str]], flush_id: int | None
    ) -> bool:
        offset = context.clock_ms
        starts = [(offset + utterance.starts_ms[i]) / 1000 for i, _ in words]
        ends = []
        for i, word in words:
            # A word ends with its last letter or digit: the pause its punctuation leaves is not speech.
            last = i + max((k for k, char in enumerate(word) if char.isalnum()), default=len(word) - 1)
            ends.append((offset + utterance.starts_ms[last] + utterance.durations_ms[last]) / 1000)
        message = {
            "type": "timestamps",
            "done": False,
            "status_code": 206,
            "context_id": context.context_id,
            "word_timestamps": {"words": [w for _, w in words], "start": starts, "end": ends},
        }
        if flush_id is not None:
            message["flush_id"] = flush_id
        return await self.sender.send(message)

    # ------------------------------------------------------------------------------------------------- helpers
    async def _send_error(self, error: RequestError, context_id: str | None = None) -> None:
        if context_id is not None:
            self._cancel(context_id)
        message: dict = {"type": "error", "done": True, "status_code": error.status}
        if self.structured_errors:
            request_id = self.request_id if context_id is None else f"{self.request_id}:{context_id}:{uuid.uuid4()}"
            message.update(error_code=error.code, title=error.title, message=error.message, request_id=request_id)
        else:
            message["error"] = error.message
        if context_id is not None:
            message["context_id"] = context_id
        await self.sender.send(message)

    def _task(self, coro: Coroutine[Any, Any, object]) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def stop_all(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self.contexts.clear()
