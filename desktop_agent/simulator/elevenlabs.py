"""ElevenLabs emulator: the multi-stream-input TTS websocket, the HTTP endpoints (``stream/with-timestamps``, the
plain ``stream`` and the whole-file ``/v1/text-to-speech/{voice_id}``) and the voice lists (``/v1/voices``,
``/v2/voices``).

Websocket contexts follow provider-protocols.md §3: a context opens with its first message, text is synthesized as
it arrives (``auto_mode=true``) or buffered to the chunk schedule (``false``), ``flush`` releases buffered text, and
``close_context`` ends with ``isFinal`` after the remaining audio (when a flush was asked for) or at once (an
interruption). Audio is base64 PCM s16le at the ``output_format`` rate, with character alignment whose span equals
each chunk's audio length; later text of a context starts with a space so words never run together.

Output formats are ElevenLabs' ``pcm_<rate>`` and ``mp3_<rate>_<kbit/s>`` (the API's default, ``mp3_44100_128``,
when an HTTP request names none; the websocket keeps ``pcm_24000``, as this emulator always has). MP3 is encoded by
the optional encoder of :mod:`desktop_agent.simulator.mp3`: each text a context speaks (or each HTTP request) is one
MP3 stream, its frames sent as they are encoded, so a client decoding the concatenated audio of a context hears it
whole. Without the encoder an MP3 request is refused with a sentence that says what to install (websocket: an error
message, then close 1008; HTTP: 422). The plain ``stream`` endpoint answers raw audio (``audio/mpeg`` or
``audio/pcm``), paced like the other endpoints.

A voice the account does not have (:mod:`desktop_agent.simulator.voices`; the retired "Rachel" among them) is
refused: the HTTP endpoint answers 404 ``voice_not_found`` in ElevenLabs' error envelope; the websocket sends an
error message in the shape ElevenLabs uses on its sockets (``{"message", "error", "code"}``) and closes with 1008
and the same sentence (the socket's answer to an unknown voice is not documented; this is a stand-in).

Each context leaves a ``tts_context`` record when it ends (:class:`~desktop_agent.simulator.common.ContextLedger`):
closed after a flush it ``completed``, closed without one it was ``interrupted``.

Strict mode (off by default, like the lenient real-world behaviour Pipecat relies on) closes with 1008 as the real
service does for: a sixth simultaneous context, ``voice_settings`` changed within a context, and no message for
``inactivity_timeout`` seconds (default 20).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from desktop_agent.simulator import mp3, synth, voices
from desktop_agent.simulator.common import (
    ContextAccount,
    ContextLedger,
    Env,
    WsSender,
    abort_connection,
    fault_close_reason,
    http_error,
    json_response,
    parse_message,
    query_lists,
    request_summary,
    start_of_request,
)
from desktop_agent.simulator.errors import elevenlabs_error
from desktop_agent.simulator.faults import Fault
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS, bearer_token, redact

PROVIDER = "elevenlabs"
OUTPUT_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)
CHUNK_LENGTH_SCHEDULE = (120, 160, 250, 290)
MAX_CONTEXTS = 5
DEFAULT_INACTIVITY_TIMEOUT = 20.0
INVALID_KEY_REASON = "Invalid API key"
TOO_MANY_CONTEXTS = (
    f"Maximum simultaneous contexts per WebSocket connection exceeded ({MAX_CONTEXTS}). "
    "Please close unused contexts before opening new ones."
)
VOICE_SETTINGS_CHANGED = (
    "voice_settings field must be provided in the first message and then either be not provided or not change."
)
_FINAL = object()


def inactivity_message(seconds: float) -> str:
    return (
        f"Have not received a new text input within the timeout of {seconds:g} seconds. Streaming input "
        "terminated. Please make sure to either feed the input in the timely manner, or to send the end of "
        'input text (empty string "") when done.'
    )


def _key_of(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization")
    return (
        request.headers.get("xi-api-key")
        or bearer_token(auth)
        or auth
        or request.query.get("xi_api_key")
        or request.query.get("authorization")
    )


def voice_not_found(voice_id: str) -> str:
    """ElevenLabs' sentence for a voice the account does not have."""
    return elevenlabs_error(404, voice=voice_id)["detail"]["message"]


@dataclass(frozen=True)
class OutputFormat:
    """An ``output_format`` this emulator produces: PCM s16le mono (``kbps`` None) or MP3 at ``kbps``."""

    name: str
    rate: int
    kbps: int | None = None

    @property
    def content_type(self) -> str:
        return "audio/mpeg" if self.kbps is not None else "audio/pcm"

    def stream(self) -> _AudioStream:
        return _AudioStream(self)


class _AudioStream:
    """Turns one utterance's PCM into the bytes of the format as it is synthesized (MP3 frames, or the PCM)."""

    def __init__(self, output: OutputFormat) -> None:
        self._mp3 = mp3.Mp3Stream(output.rate, output.kbps) if output.kbps is not None else None

    def encode(self, pcm: bytes) -> bytes:
        return pcm if self._mp3 is None else self._mp3.encode(pcm)

    def flush(self) -> bytes:
        return b"" if self._mp3 is None else self._mp3.flush()


def output_format(name: str | None, default: str = "pcm_24000") -> OutputFormat | None:
    """The format named by an ``output_format`` parameter (``default`` when absent), None for anything this emulator
    cannot produce."""
    name = name or default
    if name in mp3.MP3_FORMATS:
        rate, kbps = mp3.MP3_FORMATS[name]
        return OutputFormat(name, rate, kbps)
    kind, _, rate_text = name.partition("_")
    if kind == "pcm" and rate_text.isdigit() and int(rate_text) in OUTPUT_RATES:
        return OutputFormat(name, int(rate_text))
    return None


def format_refusal(name: str | None, output: OutputFormat | None) -> str | None:
    """Why a request for ``output_format`` ``name`` cannot be served (None when it can)."""
    if output is None:
        return (
            f"Invalid output_format {name!r}: use pcm_<rate> ({', '.join(map(str, OUTPUT_RATES))}) or one of "
            f"{', '.join(mp3.MP3_FORMATS)}."
        )
    return mp3.encoder_missing() if output.kbps is not None else None


#: The HTTP endpoints' default, as ElevenLabs' API reference gives it.
HTTP_DEFAULT_FORMAT = "mp3_44100_128"


def _speed(voice_settings: dict | None) -> float:
    try:
        speed = float((voice_settings or {}).get("speed", 1.0))
    except (TypeError, ValueError):
        return 1.0
    return min(4.0, max(0.25, speed))


class ElevenLabsEmulator:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.base_url = ""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/text-to-speech/{voice_id}/multi-stream-input", self.multi_stream)
        app.router.add_post("/v1/text-to-speech/{voice_id}/stream/with-timestamps", self.http_stream)
        app.router.add_post("/v1/text-to-speech/{voice_id}/stream", self.http_audio_stream)
        app.router.add_post("/v1/text-to-speech/{voice_id}", self.http_audio_file)
        app.router.add_get("/v1/voices", self.voices_v1)
        app.router.add_get("/v2/voices", self.voices_v2)
        app.router.add_get("/v1/voices/{voice_id}", self.voice)

    def _reject_key(self, request: web.Request) -> web.Response | None:
        key = _key_of(request)
        if key == SIMULATOR_API_KEYS[PROVIDER]:
            return None
        self.env.records.add(PROVIDER, "rejected", {"status": 401, "path": request.path})
        if key is None:
            return json_response(
                {
                    "detail": {
                        "status": "needs_authorization",
                        "message": ("Neither authorization header nor xi-api-key received, please provide one."),
                    }
                },
                status=401,
            )
        return http_error(PROVIDER, 401)

    # ------------------------------------------------------------------------------------------------ voice lists
    async def _voice_list(self, request: web.Request, make: Callable[[], object]) -> web.StreamResponse:
        self.env.records.add(PROVIDER, "voices_request", request_summary(request))
        rejected = self._reject_key(request)
        if rejected is not None:
            return rejected
        early, fault = await start_of_request(self.env, PROVIDER, request, websocket=False)
        if early is not None:
            return early
        await asyncio.sleep(self.env.profile.http_delay)
        if fault is not None and fault.kind == "malformed":
            return web.Response(text='{"voices": [', content_type="application/json")
        if fault is not None and fault.kind == "disconnect_after":
            abort_connection(request)
            return web.Response(status=500)
        return json_response(make())

    async def voices_v1(self, request: web.Request) -> web.StreamResponse:
        return await self._voice_list(request, lambda: voices.elevenlabs_v1(self.base_url))

    async def voices_v2(self, request: web.Request) -> web.StreamResponse:
        return await self._voice_list(request, lambda: voices.elevenlabs_v2(query_lists(request), self.base_url))

    async def voice(self, request: web.Request) -> web.StreamResponse:
        voice_id = request.match_info["voice_id"]
        found = voices.find_voice(voice_id)
        if found is None:
            rejected = self._reject_key(request)
            return rejected if rejected is not None else http_error(PROVIDER, 404, voice=voice_id)
        return await self._voice_list(request, lambda: voices.elevenlabs_voice(found, self.base_url))

    # ------------------------------------------------------------------------------------------- HTTP streaming TTS
    async def _http_request(self, request: web.Request, default_format: str) -> web.StreamResponse | _HttpSynthesis:
        """Check an HTTP synthesis request: the refusal to answer with, or what to synthesize."""
        voice_id = request.match_info["voice_id"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.env.records.add(PROVIDER, "tts_http_request", body, **request_summary(request))
        rejected = self._reject_key(request)
        if rejected is not None:
            return rejected
        early, fault = await start_of_request(self.env, PROVIDER, request, websocket=False, voice=voice_id)
        if early is not None:
            return early
        if voices.find_voice(voice_id) is None:
            self.env.records.add(PROVIDER, "rejected", {"status": 404, "path": request.path, "voice": voice_id})
            return http_error(PROVIDER, 404, voice=voice_id)
        name = request.query.get("output_format")
        output = output_format(name, default_format)
        refusal = format_refusal(name, output)
        if refusal is None and not (isinstance(body, dict) and isinstance(body.get("text"), str)):
            refusal = "Expected a JSON body with 'text'."
        if refusal is not None or output is None or not isinstance(body, dict):
            message = refusal or "Expected a JSON body with 'text'."
            return json_response({"detail": {"status": "invalid_request", "message": message}}, status=422)
        speed = _speed(body.get("voice_settings"))
        utterance = synth.synthesize(body["text"], output.rate, voices.pitch_for(voice_id), speed)
        return _HttpSynthesis(output, fault, utterance)

    async def http_stream(self, request: web.Request) -> web.StreamResponse:
        """``stream/with-timestamps``: newline-delimited JSON, each line a chunk's audio with its alignment."""
        arrived = asyncio.get_running_loop().time()
        accepted = await self._http_request(request, "pcm_24000")
        if isinstance(accepted, web.StreamResponse):
            return accepted
        output, fault, utterance = accepted.output, accepted.fault, accepted.utterance
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        profile = self.env.profile
        pacer = _Pacer(arrived + profile.tts_first_audio_delay)
        audio = output.stream()
        pieces = synth.chunk(utterance, profile.tts_chunk_ms)
        for sent, piece in enumerate(pieces):
            await pacer.wait_turn()
            if fault is not None and fault.kind == "disconnect_after" and sent >= (fault.n_messages or 0):
                abort_connection(request)
                return response
            alignment = {
                "characters": list(piece.chars),
                "character_start_times_seconds": [(piece.offset_ms + s) / 1000 for s in piece.starts_ms],
                "character_end_times_seconds": [
                    (piece.offset_ms + s + d) / 1000 for s, d in zip(piece.starts_ms, piece.durations_ms, strict=True)
                ],
            }
            encoded = audio.encode(piece.pcm) + (audio.flush() if sent == len(pieces) - 1 else b"")
            line = json.dumps(
                {
                    "audio_base64": base64.b64encode(encoded).decode(),
                    "alignment": alignment,
                    "normalized_alignment": alignment,
                }
            )
            if fault is not None and fault.kind == "malformed" and sent == 0:
                line = '{"audio_base64": "unterminated'
            try:
                await response.write(line.encode() + b"\n")
            except ConnectionError:
                return response
            pacer.played(piece.span_ms, self.env.profile.tts_realtime_factor)
        await response.write_eof()
        return response

    async def http_audio_stream(self, request: web.Request) -> web.StreamResponse:
        """The plain ``stream`` endpoint: the audio itself, chunked as it is synthesized, in real-time pace."""
        arrived = asyncio.get_running_loop().time()
        accepted = await self._http_request(request, HTTP_DEFAULT_FORMAT)
        if isinstance(accepted, web.StreamResponse):
            return accepted
        output, fault, utterance = accepted.output, accepted.fault, accepted.utterance
        response = web.StreamResponse(headers={"Content-Type": output.content_type})
        await response.prepare(request)
        profile = self.env.profile
        pacer = _Pacer(arrived + profile.tts_first_audio_delay)
        audio = output.stream()
        for sent, piece in enumerate(synth.chunk(utterance, profile.tts_chunk_ms)):
            await pacer.wait_turn()
            if (
                fault is not None
                and fault.kind in ("disconnect_after", "malformed")
                and sent >= (fault.n_messages or 0)
            ):
                abort_connection(request)
                return response
            try:
                await response.write(audio.encode(piece.pcm))
            except ConnectionError:
                return response
            pacer.played(piece.span_ms, self.env.profile.tts_realtime_factor)
        await response.write(audio.flush())
        await response.write_eof()
        return response

    async def http_audio_file(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/text-to-speech/{voice_id}``: the whole audio in one body, once synthesized."""
        accepted = await self._http_request(request, HTTP_DEFAULT_FORMAT)
        if isinstance(accepted, web.StreamResponse):
            return accepted
        output, fault, utterance = accepted.output, accepted.fault, accepted.utterance
        await asyncio.sleep(self.env.profile.tts_first_audio_delay)
        if fault is not None and fault.kind in ("disconnect_after", "malformed"):
            abort_connection(request)
            return web.Response(status=500)
        audio = output.stream()
        return web.Response(body=audio.encode(utterance.pcm) + audio.flush(), content_type=output.content_type)

    # ----------------------------------------------------------------------------------------- websocket streaming
    async def multi_stream(self, request: web.Request) -> web.StreamResponse:
        summary = request_summary(request)
        voice_id = request.match_info["voice_id"]
        key = _key_of(request)
        early, fault = await start_of_request(self.env, PROVIDER, request, websocket=True, voice=voice_id)
        if early is not None:
            self.env.records.add(PROVIDER, "tts_connect", summary, accepted=False)
            return early
        await asyncio.sleep(self.env.profile.connect_delay)
        ws = web.WebSocketResponse(max_msg_size=16 << 20)
        await ws.prepare(request)
        self.env.websockets.add(ws)
        self.env.records.add(PROVIDER, "tts_connect", summary, accepted=True)
        sender = WsSender(self.env, PROVIDER, "tts_reply", request, ws, fault)
        session = _TtsSession(self.env, request, ws, sender, fault, voice_id, key)
        try:
            await session.run()
        finally:
            session.stop_all()
            self.env.websockets.discard(ws)
            self.env.records.add(PROVIDER, "tts_close", {"code": ws.close_code})
        return ws


@dataclass(frozen=True)
class _HttpSynthesis:
    """An accepted HTTP synthesis request: its format, the fault armed for it, and its speech."""

    output: OutputFormat
    fault: Fault | None
    utterance: synth.Utterance


class _Pacer:
    """Releases audio chunks: the first at ``first_due``, each next one a chunk's duration divided by the real-time
    factor after the previous."""

    def __init__(self, first_due: float) -> None:
        self.next_due = first_due

    async def wait_turn(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, self.next_due - loop.time()))

    def played(self, span_ms: int, realtime_factor: float) -> None:
        loop_now = asyncio.get_running_loop().time()
        step = 0.0 if realtime_factor == float("inf") else span_ms / 1000 / realtime_factor
        self.next_due = max(self.next_due, loop_now - step) + step

    def not_before(self, due: float) -> None:
        self.next_due = max(self.next_due, due)


@dataclass(eq=False)
class _Context:
    context_id: str
    voice_settings: dict | None
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    buffer: str = ""
    schedule_index: int = 0
    flush_requested: bool = False
    spoken_any: bool = False
    worker: asyncio.Task | None = None
    account: ContextAccount = field(default_factory=lambda: ContextAccount(""))  # the ledger's, for its record


class _TtsSession:
    def __init__(
        self,
        env: Env,
        request: web.Request,
        ws: web.WebSocketResponse,
        sender: WsSender,
        fault: Fault | None,
        voice_id: str,
        key: str | None,
    ) -> None:
        self.env, self.request, self.ws, self.sender, self.fault = env, request, ws, sender, fault
        self.voice_id = voice_id
        self.key = key
        self.authorized = key == SIMULATOR_API_KEYS[PROVIDER]
        self.format_name = request.query.get("output_format")
        self.output = output_format(self.format_name)
        self.auto_mode = request.query.get("auto_mode", "false").lower() == "true"
        try:
            self.inactivity_timeout = float(request.query.get("inactivity_timeout", DEFAULT_INACTIVITY_TIMEOUT))
        except ValueError:
            self.inactivity_timeout = DEFAULT_INACTIVITY_TIMEOUT
        self.contexts: dict[str, _Context] = {}
        self.ledger = ContextLedger(env, PROVIDER)
        self.tasks: set[asyncio.Task] = set()
        self.last_message_at = asyncio.get_running_loop().time()
        self.closing = False

    async def run(self) -> None:
        if self.key is not None and not self.authorized:
            self.env.records.add(PROVIDER, "rejected", {"status": 1008, "path": self.request.path})
            await self.sender.close(1008, INVALID_KEY_REASON)
            return
        if self.authorized and not await self._voice_known():
            return
        refusal = format_refusal(self.format_name, self.output)
        if refusal is not None or self.output is None:
            message = refusal or ""
            await self.sender.send({"message": message, "error": "invalid_output_format", "code": 1008})
            await self.sender.close(1008, message)
            return
        watchdog = asyncio.create_task(self._watch_inactivity()) if self.env.strict_elevenlabs else None
        try:
            first = True
            async for msg in self.ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.ERROR:
                        break
                    continue
                self.last_message_at = asyncio.get_running_loop().time()
                if first and self.fault is not None and self.fault.kind == "ws_close":
                    data = parse_message(msg.data)
                    self.env.records.add(PROVIDER, "tts_message", redact(data) if isinstance(data, dict) else data)
                    await self.sender.close(self.fault.code or 1011, fault_close_reason(PROVIDER, self.fault))
                    break
                if not await self._on_message(msg.data, first):
                    break
                first = False
        finally:
            if watchdog is not None:
                if self.closing:  # the watchdog is closing the socket: let it finish the close handshake
                    await watchdog
                else:
                    watchdog.cancel()
            self.ledger.end_all()

    async def _voice_known(self) -> bool:
        """False (after refusing the voice and closing) when the account has no voice ``voice_id``."""
        if voices.find_voice(self.voice_id) is not None:
            return True
        self.env.records.add(PROVIDER, "rejected", {"status": 1008, "path": self.request.path, "voice": self.voice_id})
        message = voice_not_found(self.voice_id)
        await self.sender.send({"message": message, "error": "voice_not_found", "code": 1008})
        await self.sender.close(1008, message)
        return False

    async def _policy_close(self, reason: str) -> bool:
        self.stop_all()
        await self.sender.close(1008, reason)
        return False

    async def _on_message(self, raw: str, first: bool) -> bool:
        data = parse_message(raw)
        self.env.records.add(PROVIDER, "tts_message", redact(data) if isinstance(data, dict) else data)
        if not isinstance(data, dict):
            return await self._policy_close("Invalid message: expected a JSON object.")
        if not self.authorized:
            key = data.get("xi_api_key") or data.get("xi-api-key") or bearer_token(data.get("authorization"))
            if first and key == SIMULATOR_API_KEYS[PROVIDER]:
                self.authorized = True
                if not await self._voice_known():
                    return False
            else:
                self.env.records.add(PROVIDER, "rejected", {"status": 1008, "path": self.request.path})
                return await self._policy_close(INVALID_KEY_REASON)
        if data.get("close_socket"):
            self.stop_all()
            await self.sender.close(1000)
            return False
        context_id = data.get("context_id") or data.get("contextId")
        if context_id is None:
            if data.get("text") == "" or not data:
                return True  # a connection-level keepalive
            context_id = "default"
        context = self.contexts.get(context_id)
        if data.get("close_context"):
            if context is not None:
                self._close_context(context)
            return True
        if context is None:
            if self.env.strict_elevenlabs and len(self.contexts) >= MAX_CONTEXTS:
                return await self._policy_close(TOO_MANY_CONTEXTS)
            context = _Context(context_id, data.get("voice_settings"), account=self.ledger.open(context_id))
            context.worker = self._task(self._speak(context))
            self.contexts[context_id] = context
        elif (
            self.env.strict_elevenlabs and "voice_settings" in data and data["voice_settings"] != context.voice_settings
        ):
            return await self._policy_close(VOICE_SETTINGS_CHANGED)
        text = data.get("text")
        if isinstance(text, str) and text.strip():
            context.account.text += text
            if self.auto_mode:
                self._enqueue(context, text)
            else:
                context.buffer += text
                self._release_by_schedule(context)
        if data.get("flush") or data.get("try_trigger_generation"):
            context.flush_requested = True
            if context.buffer:
                self._enqueue(context, context.buffer)
                context.buffer = ""
        return True

    def _release_by_schedule(self, context: _Context) -> None:
        threshold = CHUNK_LENGTH_SCHEDULE[min(context.schedule_index, len(CHUNK_LENGTH_SCHEDULE) - 1)]
        if len(context.buffer) >= threshold:
            self._enqueue(context, context.buffer)
            context.buffer = ""
            context.schedule_index += 1

    def _enqueue(self, context: _Context, text: str) -> None:
        context.queue.put_nowait((text, asyncio.get_running_loop().time()))

    def _close_context(self, context: _Context) -> None:
        del self.contexts[context.context_id]
        if context.flush_requested:
            if context.buffer:
                self._enqueue(context, context.buffer)
                context.buffer = ""
            context.queue.put_nowait(_FINAL)
            return
        if context.worker is not None:  # an interruption: drop what is pending, end the context now
            context.worker.cancel()
        self.ledger.end(context.account, "interrupted")
        context.worker = self._task(self._send_final(context.context_id))

    async def _send_final(self, context_id: str) -> None:
        await self.sender.send({"isFinal": True, "contextId": context_id})

    async def _speak(self, context: _Context) -> None:
        pacer = _Pacer(0.0)
        pitch = voices.pitch_for(self.voice_id)
        speed = _speed(context.voice_settings)
        while True:
            item = await context.queue.get()
            if item is _FINAL:
                self.ledger.end(context.account, "completed")
                await self._send_final(context.context_id)
                return
            text, arrived = item
            if context.spoken_any and not text[:1].isspace():
                text = " " + text
            assert self.output is not None  # run() refused the socket otherwise
            utterance = synth.synthesize(text, self.output.rate, pitch, speed)
            profile = self.env.profile
            pacer.not_before(arrived + profile.tts_first_audio_delay)
            audio = self.output.stream()
            pieces = synth.chunk(utterance, profile.tts_chunk_ms)
            for index, piece in enumerate(pieces):
                await pacer.wait_turn()
                encoded = audio.encode(piece.pcm) + (audio.flush() if index == len(pieces) - 1 else b"")
                alignment = {
                    "chars": list(piece.chars),
                    "charStartTimesMs": list(piece.starts_ms),
                    "charDurationsMs": list(piece.durations_ms),
                }
                message = {
                    "audio": base64.b64encode(encoded).decode(),
                    "isFinal": None,
                    "contextId": context.context_id,
                    "alignment": alignment,
                    "normalizedAlignment": alignment,
                }
                record = {**message, "audio": None, "audio_bytes": len(encoded)}
                if not await self.sender.send(message, record):
                    return
                context.account.audio_bytes += len(encoded)
                pacer.played(piece.span_ms, self.env.profile.tts_realtime_factor)
            context.spoken_any = True

    async def _watch_inactivity(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            idle = loop.time() - self.last_message_at
            if idle >= self.inactivity_timeout:
                self.closing = True
                self.stop_all()
                await self.sender.close(1008, inactivity_message(self.inactivity_timeout))
                return
            await asyncio.sleep(min(0.5, self.inactivity_timeout - idle))

    def _task(self, coro: Coroutine[Any, Any, object]) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def stop_all(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self.contexts.clear()
