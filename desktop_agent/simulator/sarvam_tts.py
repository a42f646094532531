"""Sarvam Bulbul text-to-speech emulator: the websocket ``GET /text-to-speech/ws?model=…&send_completion_event=…``
that Pipecat's ``SarvamTTSService`` and the ``sarvamai`` SDK open (spec: shared/docs/provider-protocols-2.md §5c).

Handshake as the speech-to-text emulator's (:mod:`sarvam_stt`): the ``api-subscription-key`` header or subprotocol,
401 with Sarvam's body otherwise. An unknown ``model`` is refused with 400; ``bulbul:v2`` too, as the API now
rejects it.

Messages, all JSON ``{"type", "data"}``:

* ``config`` (required before any text; a later one replaces it): ``target_language_code`` (one of the eleven
  languages, ``od-IN`` for Odia), ``speaker`` (one of the model's speakers; each speaks all eleven languages),
  ``speech_sample_rate`` (8000, 16000, 22050 or 24000, as a number or a string: Pipecat sends a string),
  ``output_audio_codec`` (``linear16`` = raw 16-bit PCM, or ``wav``; MP3 and the others are refused, the simulator
  having no encoder for them: the SDK's own ``configure()`` asks for MP3 unless told otherwise), ``pace`` (0.5-2.0)
  and ``loudness`` (0.3-3.0); other fields are accepted and ignored. A bad field is answered by an ``error`` and the
  config is not applied.
* ``text``: buffered; once the buffer holds ``min_buffer_size`` characters (default 50) its complete sentences are
  spoken (``.``, ``!``, ``?`` and the danda ``।``); ``flush`` speaks the rest and, with ``send_completion_event=true``,
  is answered after its audio by ``{"type": "event", "data": {"event_type": "final"}}``.
* ``ping``: answered by nothing.

Audio: ``{"type": "audio", "data": {"content_type": "audio/wav" or "audio/pcm", "audio": "<base64>", "request_id"}}``
in chunks of about the profile's ``tts_chunk_ms``, the simulator's synthetic voice at the speaker's pitch, paced by
the profile's ``tts_*`` knobs like the other TTS emulators; ``pace`` changes its speed. Errors are
``{"type": "error", "data": {"message", "code": 400}}`` (stand-in texts); the socket stays open.

Records and faults under the name ``sarvam_tts``: ``tts_connect``, ``tts_message``, ``tts_reply`` (a chunk's audio
replaced by ``audio_bytes``), ``tts_close``, ``rejected`` and ``fault``.

Not emulated: the server's close after about 60 s without a message, ``bulbul:v4-flash``'s styled speakers (the
model is served with the v3 speakers), pitch and temperature (accepted, not applied).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
import zlib
from dataclasses import dataclass, field

import numpy as np
from aiohttp import WSMsgType, web

from desktop_agent.simulator import synth
from desktop_agent.simulator.cartesia_tts import wav_header
from desktop_agent.simulator.common import Env, WsSender, accept_websocket, fault_close_reason
from desktop_agent.simulator.elevenlabs import _Pacer
from desktop_agent.simulator.faults import Fault
from desktop_agent.simulator.sarvam_languages import TTS_LANGUAGES
from desktop_agent.simulator.sarvam_stt import refusal

PROVIDER = "sarvam_tts"
PATH = "/text-to-speech/ws"
#: bulbul:v3's speakers (Pipecat 1.14's list); the emulator serves bulbul:v4-flash with the same ones.
SPEAKERS: tuple[str, ...] = (
    "aditya",
    "ritu",
    "priya",
    "neha",
    "rahul",
    "pooja",
    "rohan",
    "simran",
    "kavya",
    "amit",
    "dev",
    "ishita",
    "shreya",
    "ratan",
    "varun",
    "manan",
    "sumit",
    "roopa",
    "kabir",
    "aayan",
    "shubh",
    "ashutosh",
    "advait",
    "amelia",
    "sophia",
)
MODELS = frozenset({"bulbul:v3", "bulbul:v4-flash"})
DEFAULT_MODEL = "bulbul:v3"
SAMPLE_RATES = frozenset({8000, 16000, 22050, 24000})
CODECS = {"linear16": "audio/pcm", "wav": "audio/wav"}
DEFAULT_MIN_BUFFER = 50
_SENTENCE_END = re.compile(r"[.!?।]+[\"')\]]*(\s|$)")


def pitch_for(speaker: str) -> float:
    """A steady pitch per speaker (110-230 Hz), so voices sound apart and the same speaker always alike."""
    return 110.0 + zlib.crc32(speaker.encode()) % 120


class ConfigError(Exception):
    pass


@dataclass
class Voice:
    language: str = ""
    speaker: str = ""
    rate: int = 22050
    codec: str = "linear16"
    pace: float = 1.0
    loudness: float = 1.0
    min_buffer: int = DEFAULT_MIN_BUFFER
    extra: dict = field(default_factory=dict)


def voice_of(data: object) -> Voice:
    """A ``config`` message's data as a :class:`Voice`; :class:`ConfigError` with Sarvam-like words when refused."""
    if not isinstance(data, dict):
        raise ConfigError("config data must be an object.")
    language = data.get("target_language_code")
    if language not in TTS_LANGUAGES:
        raise ConfigError(f"Invalid target_language_code '{language}'. Allowed: {', '.join(sorted(TTS_LANGUAGES))}.")
    speaker = str(data.get("speaker", "")).lower()
    if speaker not in SPEAKERS:
        raise ConfigError(
            f"Speaker '{data.get('speaker')}' is not compatible with the model. Allowed: {', '.join(SPEAKERS)}."
        )
    try:
        rate = int(data.get("speech_sample_rate", 22050))
    except (TypeError, ValueError):
        rate = 0
    if rate not in SAMPLE_RATES:
        raise ConfigError(f"speech_sample_rate must be one of {', '.join(map(str, sorted(SAMPLE_RATES)))}.")
    codec = data.get("output_audio_codec", "mp3")
    if codec not in CODECS:
        raise ConfigError(f"The simulator cannot encode '{codec}' audio; use linear16 or wav.")
    pace = _number(data.get("pace"), 1.0)
    loudness = _number(data.get("loudness"), 1.0)
    if not 0.5 <= pace <= 2.0:
        raise ConfigError("pace must be between 0.5 and 2.0.")
    if not 0.3 <= loudness <= 3.0:
        raise ConfigError("loudness must be between 0.3 and 3.0.")
    min_buffer = int(_number(data.get("min_buffer_size"), DEFAULT_MIN_BUFFER))
    return Voice(language, speaker, rate, codec, pace, loudness, max(1, min_buffer), dict(data))


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


class SarvamTTSEmulator:
    def __init__(self, env: Env) -> None:
        self.env = env

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.stream)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        refused = refusal(self.env, PROVIDER, request, MODELS, DEFAULT_MODEL)
        ws, fault, request_id = await accept_websocket(self.env, PROVIDER, "tts_connect", request, refused)
        if not isinstance(ws, web.WebSocketResponse):
            return ws
        sender = WsSender(self.env, PROVIDER, "tts_reply", request, ws, fault)
        completion = request.query.get("send_completion_event", "").lower() == "true"
        session = _Session(self.env, ws, sender, fault, completion)
        try:
            await session.run()
        finally:
            session.speaker.cancel()
            self.env.websockets.discard(ws)
            self.env.records.add(PROVIDER, "tts_close", {"code": ws.close_code, "request_id": request_id})
        return ws


_FINAL = object()


class _Session:
    def __init__(self, env: Env, ws: web.WebSocketResponse, sender: WsSender, fault: Fault | None, completion: bool):
        self.env, self.ws, self.sender, self.fault = env, ws, sender, fault
        self.completion = completion
        self.voice: Voice | None = None
        self.buffer = ""
        self.queue: asyncio.Queue = asyncio.Queue()
        self.speaker = asyncio.create_task(self._speak())
        self.messages_in = 0

    async def run(self) -> None:
        async for msg in self.ws:
            self.messages_in += 1
            if self.messages_in == 1 and self.fault is not None and self.fault.kind == "ws_close":
                await self.sender.close(self.fault.code or 1011, fault_close_reason(PROVIDER, self.fault))
                return
            if msg.type != WSMsgType.TEXT:
                if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    return
                continue
            try:
                message = json.loads(msg.data)
            except ValueError:
                message = msg.data
            self.env.records.add(PROVIDER, "tts_message", message)
            await self._on_message(message)

    async def _on_message(self, message: object) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        data = message.get("data") if isinstance(message, dict) else None
        if kind == "ping":
            return
        if kind == "config":
            try:
                voice = voice_of(data)
            except ConfigError as error:
                await self._error(str(error))
                return
            self._release(self.buffer)  # what was buffered is spoken with the voice it was sent for
            self.voice = voice
            return
        if kind == "text":
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= 2500:
                await self._error("text must be between 1 and 2500 characters.")
                return
            if self.voice is None:
                await self._error("Send a config message before text.")
                return
            self.buffer += text
            if len(self.buffer) >= self.voice.min_buffer:
                ends = list(_SENTENCE_END.finditer(self.buffer))
                if ends:
                    self._release(self.buffer[: ends[-1].end()])
            return
        if kind == "flush":
            self._release(self.buffer)
            if self.completion:
                self.queue.put_nowait(_FINAL)
            return
        await self._error("Unknown message type; expected config, text, flush or ping.")

    def _release(self, text: str) -> None:
        self.buffer = self.buffer[len(text) :]
        if text.strip() and self.voice is not None:
            self.queue.put_nowait((text.strip(), self.voice, asyncio.get_running_loop().time()))

    async def _speak(self) -> None:
        pacer = _Pacer(0.0)
        profile = self.env.profile
        while True:
            item = await self.queue.get()
            if item is _FINAL:
                await self.sender.send({"type": "event", "data": {"event_type": "final"}})
                continue
            text, voice, arrived = item
            pacer.not_before(arrived + profile.tts_first_audio_delay)
            utterance = synth.synthesize(text, voice.rate, pitch_for(voice.speaker), voice.pace)
            request_id = str(uuid.uuid4())
            for number, piece in enumerate(synth.chunk(utterance, profile.tts_chunk_ms)):
                await pacer.wait_turn()
                pcm = _louder(piece.pcm, voice.loudness)
                if voice.codec == "wav" and number == 0:
                    pcm = wav_header("pcm_s16le", voice.rate, len(utterance.pcm)) + pcm
                message = {
                    "type": "audio",
                    "data": {
                        "content_type": CODECS[voice.codec],
                        "audio": base64.b64encode(pcm).decode(),
                        "request_id": request_id,
                    },
                }
                record = {
                    "type": "audio",
                    "data": {"content_type": CODECS[voice.codec], "request_id": request_id},
                    "audio_bytes": len(pcm),
                    "text": text,
                }
                if not await self.sender.send(message, record):
                    return
                pacer.played(piece.span_ms, profile.tts_realtime_factor)

    async def _error(self, text: str) -> None:
        await self.sender.send({"type": "error", "data": {"message": text, "code": 400}})


def _louder(pcm: bytes, loudness: float) -> bytes:
    if loudness == 1.0:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) * loudness
    return bytes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
