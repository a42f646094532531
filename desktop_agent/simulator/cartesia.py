"""Cartesia emulator: the ink-whisper STT websocket (``/stt/websocket``) and the voice list (``/voices``); Ink-2's
turn-based STT on the same host is in :mod:`desktop_agent.simulator.cartesia_turns`.

STT: binary PCM arrives continuously; 20 ms slices above an RMS threshold count as speech. While speech arrives,
interim transcripts go out at most every ``stt_interim_interval`` seconds, and one more when the speech pauses; they
lag the audio, are sometimes revised and may lack the last word at the release, as :mod:`interims` writes them.
``finalize`` answers, after the profile's delay, with one final transcript for the speech since the last final and
then ``flush_done`` (only ``flush_done`` when there was no speech). The final's words come from the STT script, else
``"I spoke for N.N seconds."``.

The server also finalizes by itself: once :data:`AUTO_FINALIZE_SILENCE_S` seconds of silence (on the connection's
audio clock) follow speech that no ``finalize`` has claimed, the final transcript goes out after the profile's delay,
with no ``flush_done`` (nothing asked for one). ``max_silence_duration_secs`` sets that silence per connection, as
Cartesia's query parameter does. Clients that wait for it rather than sending ``finalize`` (LiveKit's Cartesia plugin
with ink-whisper, which pushes silence to flush) need it; a client that sends ``finalize`` at the end of speech claims
the speech first.

Idle: a connection with no message from the client (audio or text) for :attr:`CartesiaEmulator.stt_idle_timeout_s`
(Cartesia's 3 minutes by default) is closed, as Cartesia does (its close code is not documented: 1000 here, with a
reason saying why). Pipecat's service sends 100 ms of silence after 2 minutes without audio to prevent it.
"""

from __future__ import annotations

import asyncio
import itertools
import math

import numpy as np
from aiohttp import WSMsgType, web

from desktop_agent.simulator import voices
from desktop_agent.simulator.common import (
    Env,
    WsSender,
    abort_connection,
    accept_websocket,
    fault_close_reason,
    http_error,
    json_response,
    query_lists,
    request_summary,
    start_of_request,
)
from desktop_agent.simulator.faults import Fault
from desktop_agent.simulator.interims import CATCH_UP_PAUSE_S, InterimWriter
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS, bearer_token
from desktop_agent.simulator.responder import ReplyScript

PROVIDER = "cartesia"
SLICE_S = 0.02
#: Cartesia closes a speech-to-text connection after this long with no message (provider-protocols.md, "Idle").
STT_IDLE_TIMEOUT_S = 180.0
IDLE_CLOSE_REASON = "Connection closed: no audio or message received for too long"
#: Silence after speech that ends an utterance without ``finalize``. Cartesia documents the parameter
#: (``max_silence_duration_secs``), not its default: this is a stand-in.
AUTO_FINALIZE_SILENCE_S = 0.5
_BYTES_PER_SAMPLE = {"pcm_s16le": 2, "pcm_s32le": 4, "pcm_f16le": 2, "pcm_f32le": 4, "pcm_mulaw": 1, "pcm_alaw": 1}


def default_transcript(duration_s: float) -> str:
    return f"I spoke for {duration_s:.1f} seconds."


def _key_of(request: web.Request) -> str | None:
    return (
        request.headers.get("X-API-Key")
        or bearer_token(request.headers.get("Authorization"))
        or request.query.get("access_token")
        or request.query.get("api_key")
    )


def _reject_key(env: Env, request: web.Request) -> web.Response | None:
    if _key_of(request) == SIMULATOR_API_KEYS[PROVIDER]:
        return None
    env.records.add(PROVIDER, "rejected", {"status": 401, "path": request.path})
    return http_error(PROVIDER, 401)


def to_int16(data: bytes, encoding: str) -> np.ndarray:
    """Received audio as int16 samples, whatever the negotiated encoding."""
    usable = len(data) - len(data) % _BYTES_PER_SAMPLE.get(encoding, 2)
    data = data[:usable]
    if encoding == "pcm_s32le":
        return (np.frombuffer(data, "<i4") >> 16).astype(np.int16)
    if encoding == "pcm_f32le":
        return (np.clip(np.frombuffer(data, "<f4"), -1, 1) * 32767).astype(np.int16)
    if encoding == "pcm_f16le":
        return (np.clip(np.frombuffer(data, "<f2").astype(np.float32), -1, 1) * 32767).astype(np.int16)
    if encoding in ("pcm_mulaw", "pcm_alaw"):
        return _g711_to_int16(np.frombuffer(data, np.uint8), mu_law=encoding == "pcm_mulaw")
    return np.frombuffer(data, "<i2")


def _g711_to_int16(codes: np.ndarray, mu_law: bool) -> np.ndarray:
    if mu_law:
        u = ~codes.astype(np.int32) & 0xFF
        magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
        return np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)
    a = codes.astype(np.int32) ^ 0x55
    exponent, mantissa = (a >> 4) & 0x07, a & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


class _Utterance:
    """Speech received since the last final, measured on the connection's audio clock (seconds of audio)."""

    def __init__(self) -> None:
        self.start: float | None = None
        self.end = 0.0
        self.interims: InterimWriter | None = None  # from the first slice of speech
        self.caught_up = False  # the interim after the latest pause went out

    @property
    def duration(self) -> float:
        return 0.0 if self.start is None else self.end - self.start


class CartesiaEmulator:
    def __init__(self, env: Env, script: ReplyScript) -> None:
        self.env = env
        self.script = script
        self.base_url = ""
        #: Numbers the utterances heard, on every connection, for :class:`InterimWriter`.
        self.utterances = itertools.count()
        #: Tests shorten it to watch a keepalive at work without waiting three minutes.
        self.stt_idle_timeout_s = STT_IDLE_TIMEOUT_S
        # Ink-2's turn-based transcription, on the same host; imported here as it builds on this module.
        from desktop_agent.simulator.cartesia_turns import CartesiaTurnsEmulator

        self.turns = CartesiaTurnsEmulator(env, script)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/stt/websocket", self.stt)
        self.turns.add_routes(app)
        app.router.add_get("/voices", self.list_voices)
        app.router.add_get("/voices/", self.list_voices)
        app.router.add_get("/voices/{voice_id}", self.get_voice)

    # ------------------------------------------------------------------------------------------------------ REST
    async def list_voices(self, request: web.Request) -> web.StreamResponse:
        self.env.records.add(PROVIDER, "voices_request", request_summary(request))
        rejected = _reject_key(self.env, request)
        if rejected is not None:
            return rejected
        early, fault = await start_of_request(self.env, PROVIDER, request, websocket=False)
        if early is not None:
            return early
        await asyncio.sleep(self.env.profile.http_delay)
        if fault is not None and fault.kind == "malformed":
            return web.Response(text='{"data": [', content_type="application/json")
        if fault is not None and fault.kind == "disconnect_after":
            return await _drop(request)
        return json_response(voices.cartesia_page(query_lists(request), self.base_url))

    async def get_voice(self, request: web.Request) -> web.StreamResponse:
        self.env.records.add(PROVIDER, "voices_request", request_summary(request))
        rejected = _reject_key(self.env, request)
        if rejected is not None:
            return rejected
        voice = voices.find_cartesia_voice(request.match_info["voice_id"])
        if voice is None:
            return http_error(PROVIDER, 404)
        return json_response(voices.cartesia_voice(voice, self.base_url, with_preview=True))

    # ------------------------------------------------------------------------------------------------------- STT
    async def stt(self, request: web.Request) -> web.StreamResponse:
        ws, fault, request_id = await accept_websocket(
            self.env, PROVIDER, "stt_connect", request, _reject_key(self.env, request)
        )
        if not isinstance(ws, web.WebSocketResponse):
            return ws
        session = _SttSession(
            self, request, ws, WsSender(self.env, PROVIDER, "stt_reply", request, ws, fault), fault, request_id
        )
        try:
            await session.run()
        finally:
            self.env.websockets.discard(ws)
            self.env.records.add(PROVIDER, "stt_close", {"code": ws.close_code, "request_id": request_id})
        return ws


async def _drop(request: web.Request) -> web.StreamResponse:
    abort_connection(request)
    return web.Response(status=500)


class _SttSession:
    def __init__(
        self,
        owner: CartesiaEmulator,
        request: web.Request,
        ws: web.WebSocketResponse,
        sender: WsSender,
        fault: Fault | None,
        request_id: str,
    ) -> None:
        self.owner, self.env, self.script = owner, owner.env, owner.script
        self.request, self.ws, self.sender, self.fault = request, ws, sender, fault
        self.request_id = request_id
        self.rate = _positive_int(request.query.get("sample_rate"), 16000)
        self.encoding = request.query.get("encoding", "pcm_s16le")
        self.language = request.query.get("language", "en")
        self.auto_finalize_silence = _positive_float(
            request.query.get("max_silence_duration_secs"), AUTO_FINALIZE_SILENCE_S
        )
        self.audio_clock = 0.0
        self.utterance = _Utterance()
        self.last_interim_at = -math.inf
        self.last_interim_text = ""
        self.finals: asyncio.Queue = asyncio.Queue()
        self.messages_in = 0
        self.last_message_at = asyncio.get_running_loop().time()

    async def run(self) -> None:
        finalizer = asyncio.create_task(self._finalize_worker())
        idle_watch = asyncio.create_task(self._close_when_idle())
        try:
            async for msg in self.ws:
                self.messages_in += 1
                self.last_message_at = asyncio.get_running_loop().time()
                if self.messages_in == 1 and self.fault is not None and self.fault.kind == "ws_close":
                    await self.sender.close(self.fault.code or 1011, fault_close_reason(PROVIDER, self.fault))
                    break
                if msg.type == WSMsgType.BINARY:
                    await self._on_audio(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    if not await self._on_text(msg.data.strip()):
                        break
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            finalizer.cancel()
            idle_watch.cancel()

    async def _close_when_idle(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            idle = loop.time() - self.last_message_at
            timeout = self.owner.stt_idle_timeout_s
            if idle >= timeout:
                self.env.records.add(PROVIDER, "stt_idle_close", {"idle_s": round(idle, 3)})
                await self.sender.close(1000, IDLE_CLOSE_REASON)
                return
            await asyncio.sleep(min(0.5, timeout - idle))

    async def _on_audio(self, data: bytes) -> None:
        samples = to_int16(data, self.encoding)
        per_slice = max(1, int(self.rate * SLICE_S))
        threshold = self.env.profile.stt_speech_rms
        speech = False
        for i in range(0, len(samples), per_slice):
            piece = samples[i : i + per_slice]
            begin = self.audio_clock + i / self.rate
            if piece.size and math.sqrt(float(np.mean(piece.astype(np.float64) ** 2))) >= threshold:
                speech = True
                if self.utterance.start is None:
                    self.utterance.start = begin
                    self.utterance.interims = InterimWriter(self.env.profile, next(self.owner.utterances))
                self.utterance.end = begin + piece.size / self.rate
                self.utterance.caught_up = False
        self.audio_clock += len(samples) / self.rate
        self.env.records.add(PROVIDER, "stt_audio", {"bytes": len(data), "speech": speech})
        utterance = self.utterance
        paused = utterance.start is not None and self.audio_clock - utterance.end >= CATCH_UP_PAUSE_S
        if paused and not utterance.caught_up:
            utterance.caught_up = True
            await self._maybe_interim(paused=True)
        elif speech:
            await self._maybe_interim(paused=False)
        if paused and self.audio_clock - utterance.end >= self.auto_finalize_silence:
            await self._claim_utterance(flush_done=False)

    async def _maybe_interim(self, paused: bool) -> None:
        """An interim, unless one went out less than ``stt_interim_interval`` ago (the one after a pause always
        goes) or it would say what the last one said."""
        now = asyncio.get_running_loop().time()
        if not paused and now - self.last_interim_at < self.env.profile.stt_interim_interval:
            return
        writer = self.utterance.interims
        assert writer is not None, "interims are written only for an utterance with speech"
        words = self._expected_text(self.utterance.duration).split()
        text = writer.text(words, self.utterance.duration, paused)
        if not text or text == self.last_interim_text:
            return
        self.last_interim_at = now
        self.last_interim_text = text
        await self.sender.send(
            {
                "type": "transcript",
                "is_final": False,
                "request_id": self.request_id,
                "text": text,
                "language": self.language,
            }
        )

    def _expected_text(self, duration: float) -> str:
        scripted = self.script.peek()
        return scripted if isinstance(scripted, str) else default_transcript(duration)

    async def _on_text(self, text: str) -> bool:
        self.env.records.add(PROVIDER, "stt_message", text)
        if text == "finalize":
            await self._claim_utterance(flush_done=True)
            return True
        if text in ("done", "close"):
            await self.finals.join()
            await self.sender.send({"type": "done", "request_id": self.request_id})
            await self.sender.close(1000)
            return False
        await self.sender.send(
            {
                "type": "error",
                "title": "Invalid message",
                "message": f"Unknown message {text[:40]!r}; expected finalize, done or close.",
                "error_code": "invalid_message",
                "status_code": 400,
                "request_id": self.request_id,
            }
        )
        return True

    async def _claim_utterance(self, *, flush_done: bool) -> None:
        """End the utterance so far: its final (and ``flush_done`` when ``finalize`` asked) after the delay."""
        utterance, self.utterance = self.utterance, _Utterance()
        self.last_interim_text = ""
        self.last_interim_at = -math.inf
        due = asyncio.get_running_loop().time() + self.env.profile.stt_final_delay
        await self.finals.put((due, utterance, flush_done))

    async def _finalize_worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, utterance, flush_done = await self.finals.get()
            try:
                await asyncio.sleep(max(0.0, due - loop.time()))
                if utterance.start is not None:
                    await self.sender.send(self._final(utterance, utterance.start))
                if flush_done:
                    await self.sender.send({"type": "flush_done", "request_id": self.request_id})
            finally:
                self.finals.task_done()

    def _final(self, utterance: _Utterance, start: float) -> dict:
        """The final transcript of ``utterance``, whose speech started ``start`` seconds into the audio."""
        scripted = self.script.pop()
        text = scripted if isinstance(scripted, str) else default_transcript(utterance.duration)
        words = text.split()
        step = utterance.duration / max(1, len(words))
        timed = [
            {"word": w, "start": round(start + i * step, 3), "end": round(start + (i + 1) * step, 3)}
            for i, w in enumerate(words)
        ]
        return {
            "type": "transcript",
            "is_final": True,
            "request_id": self.request_id,
            "text": text,
            "duration": round(utterance.duration, 3),
            "language": self.language,
            "words": timed,
        }


def _positive_float(value: str | None, default: float) -> float:
    try:
        number = float(value) if value else default
    except ValueError:
        return default
    return number if number > 0 else default


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return number if number > 0 else default
