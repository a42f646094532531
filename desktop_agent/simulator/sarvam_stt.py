"""Sarvam streaming speech-to-text emulator: the websocket ``GET /speech-to-text/ws`` that the ``sarvamai`` SDK (and
through it Pipecat's ``SarvamSTTService``) opens (spec: shared/docs/provider-protocols-2.md §5a).

Handshake: the key comes as the ``api-subscription-key`` header (any case, what the SDK sends) or as the subprotocol
``api-subscription-key.<key>`` (browsers); anything else is refused with 401 and Sarvam's error body (the SDK turns it
into ``ApiError("Websocket initialized with invalid credentials.")``). An unknown ``model`` is refused with 400. The
query is the SDK's: ``language-code`` (with a hyphen), ``model``, ``mode``, ``sample_rate``, ``flush_signal``,
``vad_signals``, ``high_vad_sensitivity`` and the VAD tuning fields (read and ignored).

Audio: ``{"audio": {"data": "<base64>", "sample_rate": 16000, "encoding": "audio/wav"}}``; the data is raw 16-bit PCM
whatever the encoding says (Pipecat sends no WAV header; one that is there is skipped). 20 ms slices above the
profile's RMS threshold count as speech, on the stream's audio clock.

Results: one ``data`` message per utterance, with the whole transcript (Sarvam sends no interims), its
``language_code`` (the one asked for, or for ``unknown`` the one detected: here the script of the transcript's first
letter, :mod:`sarvam_languages`), ``language_probability`` and ``metrics``. An utterance ends

* on ``{"type": "flush"}`` (with ``flush_signal=true``, what Pipecat sends when its VAD hears the user stop), after the
  profile's ``stt_final_delay``; a flush with no speech since the last one is answered by nothing;
* with ``vad_signals=true``: at a pause of :data:`END_OF_SPEECH_S` after speech, announced by an ``events`` message
  ``END_SPEECH`` (and its onset by ``START_SPEECH``; the field ``occured_at`` is spelled as Sarvam spells it).

The words come from the STT script (``sim.stt``, one item per utterance), else ``"I spoke for N.N seconds."``.

In-band errors, as Sarvam reports them (``{"type": "error", "data": {"error", "code"}}``): a language code the
endpoint does not take (``or-IN``, the realtime endpoint's Odia, among them) is answered at the first message and the
socket closed with 1008; a message that is neither audio nor a flush is answered and the socket stays open. The codes
and sentences are stand-ins.

Faults act as on the other websockets (records and faults under the name ``sarvam``). Records: ``stt_connect``,
``stt_audio`` (``{"bytes", "speech"}``), ``stt_message`` (each client message, audio data replaced by its length),
``stt_reply``, ``stt_close``, ``rejected`` and ``fault``.

Not emulated: ``translate``/``translit``/``codemix`` modes (the transcript is returned as scripted), diarization and
timestamps (always null), the idle timeout.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import time
import uuid

import numpy as np
from aiohttp import WSMsgType, web

from desktop_agent.simulator.cartesia import SLICE_S, default_transcript, to_int16
from desktop_agent.simulator.common import Env, WsSender, accept_websocket, fault_close_reason, http_error
from desktop_agent.simulator.faults import Fault
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS
from desktop_agent.simulator.responder import ReplyScript
from desktop_agent.simulator.sarvam_languages import STT_LANGUAGES, detect_language

PROVIDER = "sarvam"
PATH = "/speech-to-text/ws"
MODELS = frozenset({"saarika:v2.5", "saaras:v3", "saaras:v4"})
DEFAULT_MODEL = "saaras:v3"
#: The pause after speech that ends an utterance when Sarvam's own VAD signals are asked for.
END_OF_SPEECH_S = 0.6
SUBPROTOCOL_PREFIX = "api-subscription-key."


def key_of(request: web.Request) -> str | None:
    """The key from the ``api-subscription-key`` header or the ``api-subscription-key.<key>`` subprotocol."""
    key = request.headers.get("api-subscription-key")
    if key:
        return key.strip()
    for protocol in request.headers.get("Sec-WebSocket-Protocol", "").split(","):
        protocol = protocol.strip()
        if protocol.startswith(SUBPROTOCOL_PREFIX):
            return protocol[len(SUBPROTOCOL_PREFIX) :]
    return None


def refusal(
    env: Env, provider: str, request: web.Request, models: frozenset[str], default_model: str
) -> web.Response | None:
    """401 with Sarvam's body for a missing or wrong key, 400 for a ``model`` not in ``models``, else None."""
    if key_of(request) != SIMULATOR_API_KEYS[provider]:
        env.records.add(provider, "rejected", {"status": 401, "path": request.path})
        return http_error(provider, 401)
    model = request.query.get("model", default_model)
    if model not in models:
        env.records.add(provider, "rejected", {"status": 400, "path": request.path, "model": model})
        return http_error(provider, 400)
    return None


def pcm_of(encoded: str) -> bytes | None:
    """The raw PCM in a base64 audio payload (a WAV header, when there is one, skipped); None when not base64."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        index = data.find(b"data", 12)
        return data[index + 8 :] if index >= 0 else b""
    return data


class SarvamSTTEmulator:
    def __init__(self, env: Env, script: ReplyScript) -> None:
        self.env = env
        self.script = script

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.stream)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        refused = refusal(self.env, PROVIDER, request, MODELS, DEFAULT_MODEL)
        ws, fault, request_id = await accept_websocket(self.env, PROVIDER, "stt_connect", request, refused)
        if not isinstance(ws, web.WebSocketResponse):
            return ws
        sender = WsSender(self.env, PROVIDER, "stt_reply", request, ws, fault)
        session = _StreamSession(self, request, ws, sender, fault, request_id)
        try:
            await session.run()
        finally:
            self.env.websockets.discard(ws)
            self.env.records.add(PROVIDER, "stt_close", {"code": ws.close_code, "request_id": request_id})
        return ws


class _StreamSession:
    def __init__(
        self,
        owner: SarvamSTTEmulator,
        request: web.Request,
        ws: web.WebSocketResponse,
        sender: WsSender,
        fault: Fault | None,
        request_id: str,
    ) -> None:
        self.env, self.script = owner.env, owner.script
        self.ws, self.sender, self.fault = ws, sender, fault
        self.request_id = request_id
        self.language = request.query.get("language-code", "unknown")
        self.vad_signals = request.query.get("vad_signals", "").lower() == "true"
        self.rate = 16000
        self.audio_clock = 0.0
        self.speech_start: float | None = None
        self.speech_end = 0.0
        self.pause = math.inf
        self.messages_in = 0
        self.results: asyncio.Queue = asyncio.Queue()

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_results())
        try:
            async for msg in self.ws:
                self.messages_in += 1
                if self.messages_in == 1 and not await self._first_message_allowed():
                    break
                if msg.type == WSMsgType.TEXT:
                    if not await self._on_text(msg.data):
                        break
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            writer.cancel()

    async def _first_message_allowed(self) -> bool:
        if self.fault is not None and self.fault.kind == "ws_close":
            await self.sender.close(self.fault.code or 1011, fault_close_reason(PROVIDER, self.fault))
            return False
        if self.language not in STT_LANGUAGES:
            await self._error(f"Invalid language code '{self.language}'.", "invalid_language_code")
            await self.sender.close(1008, "Invalid language code")
            return False
        return True

    async def _on_text(self, text: str) -> bool:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        audio = message.get("audio") if isinstance(message, dict) else None
        if isinstance(audio, dict) and isinstance(audio.get("data"), str):
            self.env.records.add(PROVIDER, "stt_message", {"audio": {**audio, "data": len(audio["data"])}})
            pcm = pcm_of(audio["data"])
            if pcm is None:
                await self._error("Audio data is not valid base64.", "invalid_audio")
                return True
            self.rate = _rate(audio.get("sample_rate"), self.rate)
            await self._on_audio(pcm)
            return True
        self.env.records.add(PROVIDER, "stt_message", message if message is not None else text)
        if isinstance(message, dict) and message.get("type") == "flush":
            self._end_utterance(self.env.profile.stt_final_delay)
            return True
        await self._error("Unknown message; expected audio or a flush signal.", "invalid_message")
        return True

    async def _on_audio(self, pcm: bytes) -> None:
        samples = to_int16(pcm, "pcm_s16le")
        per_slice = max(1, int(self.rate * SLICE_S))
        threshold = self.env.profile.stt_speech_rms
        speech = False
        for i in range(0, len(samples), per_slice):
            piece = samples[i : i + per_slice]
            begin = self.audio_clock + i / self.rate
            voiced = bool(piece.size) and math.sqrt(float(np.mean(piece.astype(np.float64) ** 2))) >= threshold
            speech = speech or voiced
            self._on_slice(begin, begin + piece.size / self.rate, voiced)
        self.audio_clock += len(samples) / self.rate
        self.env.records.add(PROVIDER, "stt_audio", {"bytes": len(pcm), "speech": speech})

    def _on_slice(self, begin: float, end: float, voiced: bool) -> None:
        if voiced:
            if self.speech_start is None:
                self.speech_start = begin
                if self.vad_signals:
                    self.results.put_nowait((0.0, self._event("START_SPEECH")))
            self.speech_end = end
            self.pause = 0.0
            return
        self.pause += end - begin
        if self.vad_signals and self.speech_start is not None and self.pause >= END_OF_SPEECH_S:
            self.results.put_nowait((0.0, self._event("END_SPEECH")))
            self._end_utterance(self.env.profile.stt_final_delay)

    def _end_utterance(self, delay: float) -> None:
        """The speech since the last end becomes one ``data`` message after ``delay``; its words are taken from the
        script as it is sent."""
        if self.speech_start is None:
            return
        duration = max(0.0, self.speech_end - self.speech_start)
        self.speech_start = None
        due = asyncio.get_running_loop().time() + delay
        self.results.put_nowait((due, lambda: self._data(duration)))

    def _data(self, duration: float) -> dict:
        scripted = self.script.pop()
        transcript = scripted if isinstance(scripted, str) else default_transcript(duration)
        language = self.language if self.language != "unknown" else detect_language(transcript)
        return {
            "type": "data",
            "data": {
                "request_id": str(uuid.uuid4()),
                "transcript": transcript,
                "timestamps": None,
                "diarized_transcript": None,
                "language_code": language,
                "language_probability": 0.98 if self.language == "unknown" else None,
                "metrics": {"audio_duration": round(duration, 3), "processing_latency": 0.05},
            },
        }

    @staticmethod
    def _event(signal: str) -> dict:
        return {"type": "events", "data": {"event_type": "vad", "signal_type": signal, "occured_at": time.time()}}

    async def _error(self, text: str, code: str) -> None:
        await self.sender.send({"type": "error", "data": {"error": text, "code": code}})

    async def _write_results(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, message = await self.results.get()
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            if callable(message):
                if not self.sender.open:
                    continue
                message = message()
            await self.sender.send(message)


def _rate(value: object, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default
