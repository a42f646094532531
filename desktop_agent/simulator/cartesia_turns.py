"""Cartesia emulator, turn-based speech to text: Ink-2 on ``/stt/turns/websocket`` (served on the Cartesia host).

The server decides the turns: binary PCM arrives continuously, 20 ms slices above the profile's RMS threshold count
as speech, and the audio clock (seconds of audio received) drives every event, so a client sending audio faster or
slower than real time gets the same answers:

* ``connected`` once the socket opens (audio may come before it);
* ``turn.start`` on the first speech of a turn;
* ``turn.update`` while speech arrives (at most every ``stt_interim_interval`` of wall-clock time), with the words
  heard so far, cumulative for the turn and written as a streaming recogniser writes its interims
  (:mod:`~desktop_agent.simulator.interims`: they lag the audio and sometimes mishear the newest word);
* ``turn.eager_end`` after :data:`EAGER_END_SILENCE_S` of silence, with every word heard so far, except in the
  profile's share of turns (``stt_last_word_miss_share``) where the last one comes only with ``turn.end``;
* ``turn.resume`` when speech comes back after an ``eager_end``;
* ``turn.end`` after :data:`END_SILENCE_S` of silence (or the ``turn_end_timeout_ms`` asked for, if shorter), with
  the turn's final transcript: the next STT script item, else ``"I spoke for N.N seconds."``.

``{"type":"close"}`` ends an open turn as ``turn.end`` (the server flushes what it heard), then closes with 1000;
``{"type":"config","turn":{...}}`` changes the turn thresholds (the official SDK sends it). The query's thresholds are
checked as Cartesia checks them (each in its range, start > eager end > end): a bad one is answered with an
``error`` (status 400) instead of ``connected``, then the socket closes. Faults apply as on the other emulators: the
handshake ones by :func:`~desktop_agent.simulator.common.accept_websocket`, ``ws_close`` at the client's first
message, ``malformed``/``disconnect_after``/``hang`` by the sender.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from dataclasses import dataclass

import numpy as np
from aiohttp import WSMsgType, web

from desktop_agent.simulator.cartesia import PROVIDER, default_transcript, to_int16
from desktop_agent.simulator.common import Env, WsSender, accept_websocket, fault_close_reason, http_error
from desktop_agent.simulator.faults import Fault
from desktop_agent.simulator.interims import InterimWriter
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS, bearer_token
from desktop_agent.simulator.responder import ReplyScript

PATH = "/stt/turns/websocket"
MODELS = ("ink-2",)
SLICE_S = 0.02
#: Silence after speech before the server predicts the end of the turn ...
EAGER_END_SILENCE_S = 0.25
#: ... and before it commits to it.
END_SILENCE_S = 0.6

# Cartesia's ranges for the turn-detection settings (provider-protocols-2.md, section 3).
_THRESHOLD_RANGES = {
    "turn_start_threshold": (0.5, 0.9),
    "turn_eager_end_threshold": (0.3, 0.8),
    "turn_end_threshold": (0.05, 0.5),
    "turn_end_timeout_ms": (640.0, 11200.0),
}


def _key_of(request: web.Request) -> str | None:
    return request.headers.get("X-API-Key") or bearer_token(request.headers.get("Authorization"))


@dataclass
class _Turn:
    """The turn in progress, on the connection's audio clock."""

    interims: InterimWriter
    speech_s: float = 0.0
    last_speech_end: float = 0.0
    eager_sent: bool = False
    last_update_text: str = ""
    last_update_at: float = -math.inf


class CartesiaTurnsEmulator:
    """Adds the turn-based STT websocket to the Cartesia host's routes (the same port as ink-whisper)."""

    def __init__(self, env: Env, script: ReplyScript) -> None:
        self.env = env
        self.script = script
        #: Numbers the turns heard, on every connection, for :class:`InterimWriter`.
        self.turns_heard = itertools.count()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.turns)

    async def turns(self, request: web.Request) -> web.StreamResponse:
        refused = None
        if _key_of(request) != SIMULATOR_API_KEYS[PROVIDER]:
            self.env.records.add(PROVIDER, "rejected", {"status": 401, "path": request.path})
            refused = http_error(PROVIDER, 401)
        ws, fault, request_id = await accept_websocket(self.env, PROVIDER, "turns_connect", request, refused)
        if not isinstance(ws, web.WebSocketResponse):
            return ws
        sender = WsSender(self.env, PROVIDER, "turns_reply", request, ws, fault)
        try:
            await _TurnsSession(self, request, ws, sender, fault, request_id).run()
        finally:
            self.env.websockets.discard(ws)
            self.env.records.add(PROVIDER, "turns_close", {"code": ws.close_code, "request_id": request_id})
        return ws


def settings_error(query: dict[str, str]) -> str | None:
    """What is wrong with the connection's model or turn settings (Cartesia's check), or None."""
    model = query.get("model", "")
    if model not in MODELS:
        return f"Unknown model {model[:40]!r} for turn-based transcription; use one of: {', '.join(MODELS)}."
    values: dict[str, float] = {}
    for name, (low, high) in _THRESHOLD_RANGES.items():
        if name not in query:
            continue
        try:
            values[name] = float(query[name])
        except ValueError:
            return f"{name} must be a number."
        if not low <= values[name] <= high:
            return f"{name} must be between {low:g} and {high:g}."
    start = values.get("turn_start_threshold", 0.8)
    eager = values.get("turn_eager_end_threshold", 0.4)
    end = values.get("turn_end_threshold", 0.2)
    if not start > eager > end:
        return "Turn thresholds must satisfy start > eager_end > end."
    return None


class _TurnsSession:
    def __init__(
        self,
        owner: CartesiaTurnsEmulator,
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
        timeout_ms = request.query.get("turn_end_timeout_ms")
        self.end_silence_s = min(END_SILENCE_S, float(timeout_ms) / 1000) if timeout_ms else END_SILENCE_S
        self.audio_clock = 0.0
        self.turn: _Turn | None = None
        self.messages_in = 0

    async def run(self) -> None:
        problem = settings_error(dict(self.request.query))
        if problem is not None:
            await self._send_error(problem, 400, "invalid_request")
            await self.sender.close(1008, problem)
            return
        await self.sender.send({"type": "connected", "request_id": self.request_id})
        async for msg in self.ws:
            self.messages_in += 1
            if self.messages_in == 1 and self.fault is not None and self.fault.kind == "ws_close":
                await self.sender.close(self.fault.code or 1011, fault_close_reason(PROVIDER, self.fault))
                return
            if msg.type == WSMsgType.BINARY:
                await self._on_audio(msg.data)
            elif msg.type == WSMsgType.TEXT:
                if not await self._on_text(msg.data):
                    return
            elif msg.type == WSMsgType.ERROR:
                return

    async def _send(self, event: str, **fields: str) -> None:
        await self.sender.send({"type": event, "request_id": self.request_id, **fields})

    async def _send_error(self, message: str, status: int, code: str) -> None:
        await self.sender.send(
            {
                "type": "error",
                "title": "Invalid request",
                "message": message,
                "status_code": status,
                "error_code": code,
                "request_id": self.request_id,
            }
        )

    # ------------------------------------------------------------------------------------------------- audio
    async def _on_audio(self, data: bytes) -> None:
        samples = to_int16(data, self.encoding)
        per_slice = max(1, int(self.rate * SLICE_S))
        threshold = self.env.profile.stt_speech_rms
        for i in range(0, len(samples), per_slice):
            piece = samples[i : i + per_slice]
            if not piece.size:
                continue
            end = self.audio_clock + (i + piece.size) / self.rate
            if math.sqrt(float(np.mean(piece.astype(np.float64) ** 2))) >= threshold:
                await self._on_speech(piece.size / self.rate, end)
            else:
                await self._on_silence(end)
        self.audio_clock += len(samples) / self.rate
        self.env.records.add(PROVIDER, "turns_audio", {"bytes": len(data)})

    async def _on_speech(self, seconds: float, end: float) -> None:
        turn = self.turn
        if turn is None:
            turn = self.turn = _Turn(InterimWriter(self.env.profile, next(self.owner.turns_heard)))
            await self._send("turn.start")
        elif turn.eager_sent:
            turn.eager_sent = False
            await self._send("turn.resume")
        turn.speech_s += seconds
        turn.last_speech_end = end
        now = asyncio.get_running_loop().time()
        text = self._heard(turn, paused=False)
        due = now - turn.last_update_at >= self.env.profile.stt_interim_interval
        if text and text != turn.last_update_text and due:
            turn.last_update_text, turn.last_update_at = text, now
            await self._send("turn.update", transcript=text)

    async def _on_silence(self, now: float) -> None:
        turn = self.turn
        if turn is None:
            return
        silence = now - turn.last_speech_end
        if silence >= self.end_silence_s:
            await self._end_turn()
        elif silence >= EAGER_END_SILENCE_S and not turn.eager_sent:
            turn.eager_sent = True
            await self._send("turn.eager_end", transcript=self._heard(turn, paused=True))

    def _heard(self, turn: _Turn, *, paused: bool) -> str:
        """The words heard so far in ``turn`` (``paused``: the speech has stopped and the recogniser catches up)."""
        scripted = self.script.peek()
        text = scripted if isinstance(scripted, str) else default_transcript(turn.speech_s)
        return turn.interims.text(text.split(), turn.speech_s, paused)

    async def _end_turn(self) -> None:
        turn, self.turn = self.turn, None
        if turn is None:
            return
        scripted = self.script.pop()
        text = scripted if isinstance(scripted, str) else default_transcript(turn.speech_s)
        await self._send("turn.end", transcript=text)

    # ------------------------------------------------------------------------------------------------ commands
    async def _on_text(self, raw: str) -> bool:
        """Handle a command; False when the session is over."""
        self.env.records.add(PROVIDER, "turns_message", raw)
        try:
            command = json.loads(raw)
        except ValueError:
            command = None
        kind = command.get("type") if isinstance(command, dict) else None
        if kind == "close":
            await self._end_turn()
            await self.sender.close(1000)
            return False
        if kind == "config" and isinstance(command, dict):
            turn = command.get("turn") or {}
            query = {"model": MODELS[0]}
            query.update({f"turn_{name}": str(value) for name, value in turn.items() if value is not None})
            problem = settings_error(query)
            if problem is not None:
                await self._send_error(problem, 400, "invalid_request")
            elif "end_timeout_ms" in turn:
                self.end_silence_s = min(END_SILENCE_S, float(turn["end_timeout_ms"]) / 1000)
            return True
        await self._send_error(f"Unknown message {raw[:40]!r}; expected close or config.", 400, "invalid_message")
        return True


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return number if number > 0 else default
