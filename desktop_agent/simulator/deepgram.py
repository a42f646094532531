"""Deepgram emulator: the streaming speech-to-text websocket ``GET /v1/listen`` (Nova models; spec:
shared/docs/provider-protocols-2.md §0-1).

Handshake: ``Authorization: Token <key>`` (what the SDK sends) or the browser form ``Sec-WebSocket-Protocol: token,
<key>``; anything else is refused with 401 and Deepgram's ``{"err_code", "err_msg", "request_id"}`` body (the SDK
replaces it with its own fixed text). An unknown model, or an encoding that is not one of Deepgram's, is refused with
400. Query values are the SDK's strings (``interim_results=true``).

Audio: binary frames in the negotiated ``encoding`` (``linear16``, ``linear32``, ``mulaw``, ``alaw``; without
``encoding`` a WAV header is expected, and anything else is closed with 1008 DATA-0000, as Deepgram does with audio it
cannot decode). 20 ms slices above the profile's RMS threshold count as speech, on the stream's audio clock.

Results follow what the real service sends (field order included): a segment runs from the end of the previous final
to the audio received so far; interims (``is_final: false``) restate the whole segment, every
``stt_interim_interval`` seconds of audio while it holds speech and every second of audio while it is silent (empty
transcripts, as Deepgram streams during silence). A final (``is_final: true``) closes the segment:

* at an endpoint: once the pause after speech lasts the ``endpointing`` value (default 10 ms), but never less than
  :data:`MIN_ENDPOINT_S`, with ``speech_final: true``. The floor is ours: Deepgram's endpointer does not end an
  utterance at the breaks between words that a plain level gate sees (espeak leaves 40 ms ones), and a sentence that
  came apart would split a scripted transcript. ``endpointing=false`` turns endpoints off; a silent segment is closed
  with an empty final after :data:`SILENT_FINAL_S` of audio, as Deepgram does during long silences;
* on ``Finalize``: after the profile's ``stt_final_delay``, with ``speech_final: true`` and ``from_finalize: true``,
  even when the transcript is empty (the speech was already finalized at an endpoint), which is what Pipecat's
  ``DeepgramSTTService`` waits for after a push-to-talk turn (it sends ``Finalize`` on ``VADUserStoppedSpeakingFrame``);
* on ``CloseStream``: for the speech still pending, then ``Metadata``, then close 1000.

The words of a segment with speech come from the STT script (``sim.stt``, one item per final with speech, taken as
the final is sent, so a final lost with its connection leaves its item for the next), else ``"I spoke for N.N
seconds."``; interims show part of them as :mod:`interims` writes them (lagging the audio, sometimes revised, one
more when the speech pauses, and in a share of utterances without the last word until the final). With ``punctuate``
or ``smart_format`` the transcript is the text as written and each word has its ``punctuated_word``; without them it
is lower case without punctuation, as Deepgram writes it. Numbers are left as digits either way.

Also: ``SpeechStarted`` at each onset of speech after a pause (``vad_events=true``); ``UtteranceEnd`` once the pause
after the last word lasts ``utterance_end_ms`` (with ``interim_results=true``); ``KeepAlive`` answered by nothing;
``Configure`` answered ``ConfigureSuccess`` (``ConfigureFailure`` for keyterms on a model older than Nova-3); an
unreadable or unknown text message answered by an ``Error`` of variant ``SchemaError``. A connection with neither audio
nor a text message for :data:`INACTIVITY_TIMEOUT_S` gets ``Metadata`` and a 1011 close NET-0001, as Deepgram does.

Faults (:mod:`faults`) act as on the other websockets; a ``ws_close`` without a reason of its own closes with
Deepgram's words for the code (1008 DATA-0000, 1011 NET-0001), and an HTTP status at the handshake comes in Deepgram's
body with the fault's ``retry-after``. Records (provider ``deepgram``): ``stt_connect`` (request summary, key masked,
subprotocol key too; ``accepted``, ``request_id`` in meta), ``stt_audio`` (``{"bytes", "speech"}`` per frame),
``stt_message`` (client text), ``stt_reply`` (each message sent), ``stt_close`` (``{"code", "request_id"}``),
``rejected`` and ``fault``.

Not emulated: one segment is never cut into several finals while speech goes on (Deepgram does that for long
stretches of speech); several channels are mixed down to one (``channel_index`` is always ``[0, 1]``); diarization,
entities, search and redaction are not applied; flac, opus, speex, AMR and G.729 audio is refused at the handshake
(Deepgram would decode it).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import struct
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from aiohttp import WSMsgType, web

from desktop_agent.simulator.cartesia import SLICE_S, default_transcript, to_int16
from desktop_agent.simulator.common import Env, WsSender, request_summary, start_of_request
from desktop_agent.simulator.faults import Fault
from desktop_agent.simulator.interims import CATCH_UP_PAUSE_S, InterimWriter
from desktop_agent.simulator.keys import MASK, SIMULATOR_API_KEYS
from desktop_agent.simulator.responder import ReplyScript

PROVIDER = "deepgram"
LISTEN_PATH = "/v1/listen"
#: Seconds without audio or a text message after which Deepgram closes with 1011 NET-0001 (it says about 10 s).
INACTIVITY_TIMEOUT_S = 10.0
#: The shortest pause that ends an utterance here, whatever ``endpointing`` asks for (see the module docstring).
MIN_ENDPOINT_S = 0.5
#: Deepgram's own default ``endpointing``, in milliseconds.
DEFAULT_ENDPOINTING_MS = 10
#: Audio seconds between the empty interims of a silent segment, and the length at which it is closed.
SILENT_INTERIM_S = 1.0
SILENT_FINAL_S = 3.0
MODEL_VERSION = "2025-04-17.21547"

NET0001_REASON = (
    "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"
)
DATA0000_REASON = (
    "The payload cannot be decoded as audio. It is either not audio data or is a codec unsupported by Deepgram."
)
#: What a ``ws_close`` fault without a reason of its own closes with.
CLOSE_REASONS = {1008: DATA0000_REASON, 1011: NET0001_REASON}

#: Model names the endpoint accepts -> (``model_info.name``, ``model_info.arch``).
MODELS = {
    "nova-3": ("general-nova-3", "nova-3"),
    "nova-3-general": ("general-nova-3", "nova-3"),
    "nova-3-medical": ("medical-nova-3", "nova-3"),
    "nova-2": ("2-general-nova", "nova-2"),
    "nova-2-general": ("2-general-nova", "nova-2"),
    "nova-2-meeting": ("2-meeting-nova", "nova-2"),
    "nova-2-phonecall": ("2-phonecall-nova", "nova-2"),
    "nova": ("general-nova", "nova"),
    "enhanced": ("general-enhanced", "enhanced"),
    "base": ("general", "base"),
}
DEFAULT_MODEL = "base"
#: Deepgram's raw encodings that are decoded here -> the sample format :func:`to_int16` reads.
ENCODINGS = {"linear16": "pcm_s16le", "linear32": "pcm_s32le", "mulaw": "pcm_mulaw", "alaw": "pcm_alaw"}
#: Deepgram encodings this emulator does not decode (refused at the handshake, see the module docstring).
UNDECODED_ENCODINGS = frozenset({"flac", "opus", "ogg-opus", "speex", "amr-nb", "amr-wb", "g729"})

#: Handshake refusals: status -> (``err_code``, ``err_msg``). 401's and 400's are Deepgram's words; the others are
#: plausible stand-ins.
_ERRORS = {
    400: ("Bad Request", "Bad Request: the request could not be processed."),
    401: ("INVALID_AUTH", "Invalid credentials."),
    402: ("ASR_PAYMENT_REQUIRED", "Project does not have enough credits for an ASR request."),
    403: ("INSUFFICIENT_PERMISSIONS", "This project does not have access to the requested model."),
    404: ("Not Found", "The requested resource was not found."),
    429: ("TOO_MANY_REQUESTS", "Too many requests. Please try again later."),
    500: ("INTERNAL_SERVER_ERROR", "An internal server error occurred. Please try again."),
    503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please try again."),
}
_PUNCTUATION = ".,!?;:\"'()[]{}-"


def error_response(status: int, message: str | None = None, retry_after: str | None = None) -> web.Response:
    """A refused handshake as Deepgram answers it: JSON body, ``dg-error`` and ``dg-request-id`` headers."""
    code, default = _ERRORS.get(status, ("ERROR", f"HTTP {status}"))
    request_id = str(uuid.uuid4())
    text = message or default
    headers = {"dg-error": text, "dg-request-id": request_id}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    body = {"err_code": code, "err_msg": text, "request_id": request_id}
    return web.Response(text=json.dumps(body), status=status, content_type="application/json", headers=headers)


def _key_of(request: web.Request) -> str | None:
    """The API key from ``Authorization: Token <key>`` or the ``token, <key>`` subprotocols."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token" and key.strip():
        return key.strip()
    protocols = _subprotocols(request)
    if len(protocols) == 2 and protocols[0].lower() == "token":
        return protocols[1]
    return None


def _subprotocols(request: web.Request) -> list[str]:
    return [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]


def _summary(request: web.Request) -> dict:
    """:func:`request_summary` with the key also masked where browsers put it (the second subprotocol)."""
    summary = request_summary(request)
    protocols = _subprotocols(request)
    if protocols:
        summary["headers"]["sec-websocket-protocol"] = ", ".join(p if p.lower() == "token" else MASK for p in protocols)
    return summary


def _flag(value: str | None, default: bool = False) -> bool:
    return default if value is None else value.strip().lower() == "true"


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return number if number > 0 else default


@dataclass(frozen=True)
class ListenOptions:
    """The query of one connection, read the way Deepgram reads it."""

    model: str
    language: str
    encoding: str | None
    sample_rate: int
    channels: int
    interim_results: bool
    punctuate: bool
    endpoint_s: float | None
    utterance_end_s: float | None
    vad_events: bool

    @property
    def model_name(self) -> str:
        return MODELS[self.model][0]

    @property
    def arch(self) -> str:
        return MODELS[self.model][1]

    @property
    def model_uuid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"desktop-agent-simulator/deepgram/{self.model_name}"))

    @property
    def model_info(self) -> dict:
        return {"name": self.model_name, "version": MODEL_VERSION, "arch": self.arch}


def parse_options(query: Mapping[str, str]) -> tuple[ListenOptions | None, str | None]:
    """``(options, None)``, or ``(None, why)`` for a query Deepgram would refuse with 400."""
    model = query.get("model", DEFAULT_MODEL)
    language = query.get("language", "en")
    if model not in MODELS or (model.endswith("medical") and not language.lower().startswith("en")):
        return None, "Bad Request: No such model/language/tier combination found."
    encoding = query.get("encoding")
    if encoding is not None and encoding not in ENCODINGS:
        if encoding in UNDECODED_ENCODINGS:
            return None, f"Bad Request: the simulator does not decode {encoding} audio; use linear16."
        return None, f"Bad Request: Invalid encoding '{encoding}'."
    endpointing = (query.get("endpointing") or "").strip().lower()
    endpoint_s = None
    if endpointing != "false":
        milliseconds = _positive_int(endpointing if endpointing != "true" else None, DEFAULT_ENDPOINTING_MS)
        endpoint_s = max(milliseconds / 1000, MIN_ENDPOINT_S)
    interim_results = _flag(query.get("interim_results"))
    utterance_end = query.get("utterance_end_ms")
    utterance_end_s = _positive_int(utterance_end, 0) / 1000 if utterance_end and interim_results else None
    return ListenOptions(
        model=model,
        language=language,
        encoding=encoding,
        sample_rate=_positive_int(query.get("sample_rate"), 16000),
        channels=_positive_int(query.get("channels"), 1),
        interim_results=interim_results,
        punctuate=_flag(query.get("punctuate")) or _flag(query.get("smart_format")),
        endpoint_s=endpoint_s,
        utterance_end_s=utterance_end_s or None,
        vad_events=_flag(query.get("vad_events")),
    ), None


class DeepgramEmulator:
    def __init__(self, env: Env, script: ReplyScript) -> None:
        self.env = env
        self.script = script
        #: Numbers the segments with speech, on every connection, for :class:`InterimWriter`.
        self.utterances = itertools.count()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(LISTEN_PATH, self.listen)

    async def listen(self, request: web.Request) -> web.StreamResponse:
        summary = _summary(request)
        if _key_of(request) != SIMULATOR_API_KEYS[PROVIDER]:
            self.env.records.add(PROVIDER, "rejected", {"status": 401, "path": request.path})
            self.env.records.add(PROVIDER, "stt_connect", summary, accepted=False)
            return error_response(401)
        early, fault = await start_of_request(self.env, PROVIDER, request, websocket=True)
        if early is not None:
            self.env.records.add(PROVIDER, "stt_connect", summary, accepted=False)
            return error_response(early.status, retry_after=early.headers.get("retry-after"))
        options, problem = parse_options(request.query)
        if options is None:
            self.env.records.add(PROVIDER, "rejected", {"status": 400, "path": request.path, "reason": problem})
            self.env.records.add(PROVIDER, "stt_connect", summary, accepted=False)
            return error_response(400, problem)
        await asyncio.sleep(self.env.profile.connect_delay)
        request_id = str(uuid.uuid4())
        ws = web.WebSocketResponse(max_msg_size=1 << 20, protocols=("token",))
        ws.headers["dg-request-id"] = request_id
        await ws.prepare(request)
        self.env.websockets.add(ws)
        self.env.records.add(PROVIDER, "stt_connect", summary, accepted=True, request_id=request_id)
        sender = WsSender(self.env, PROVIDER, "stt_reply", request, ws, fault)
        session = _ListenSession(self.env, self.script, ws, sender, fault, request_id, options, self.utterances)
        try:
            await session.run()
        finally:
            self.env.websockets.discard(ws)
            self.env.records.add(PROVIDER, "stt_close", {"code": ws.close_code, "request_id": request_id})
        return ws


class _Segment:
    """Audio since the last final, on the connection's audio clock: where it starts and where its speech lies."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.speech_start: float | None = None
        self.speech_end = start
        self.next_interim = start + SILENT_INTERIM_S  # audio time of the next interim
        self.interims: InterimWriter | None = None  # from the first slice of speech
        self.caught_up = False  # the interim after the latest pause is queued

    @property
    def has_speech(self) -> bool:
        return self.speech_start is not None

    @property
    def speech_duration(self) -> float:
        return 0.0 if self.speech_start is None else self.speech_end - self.speech_start


class _ListenSession:
    def __init__(
        self,
        env: Env,
        script: ReplyScript,
        ws: web.WebSocketResponse,
        sender: WsSender,
        fault: Fault | None,
        request_id: str,
        options: ListenOptions,
        utterances: Iterator[int],
    ) -> None:
        self.env, self.script, self.ws, self.sender, self.fault = env, script, ws, sender, fault
        self.utterances = utterances
        self.request_id, self.options = request_id, options
        self.created = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.hung = fault is not None and fault.kind == "hang"
        self.sample_rate, self.channels, self.sample_format = options.sample_rate, options.channels, None
        if options.encoding is not None:
            self.sample_format = ENCODINGS[options.encoding]
        self.audio_clock = 0.0
        self.segment = _Segment(0.0)
        self.pause = math.inf  # seconds of silence since the last speech (inf: none yet)
        self.last_word_end: float | None = None  # speech not yet followed by an UtteranceEnd
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.last_activity = asyncio.get_running_loop().time()
        self.messages_in = 0
        self.closing = False

    # ------------------------------------------------------------------------------------------------ reading
    async def run(self) -> None:
        writer = asyncio.create_task(self._write_outbox())
        watchdog = asyncio.create_task(self._watch_inactivity())
        try:
            async for msg in self.ws:
                if not self.sender.open:
                    break  # dropped: what was still buffered never reached the server
                self.last_activity = asyncio.get_running_loop().time()
                self.messages_in += 1
                if self.messages_in == 1 and self.fault is not None and self.fault.kind == "ws_close":
                    code = self.fault.code or 1011  # Fault.ws_close always gives one
                    reason = self.fault.reason if self.fault.reason is not None else CLOSE_REASONS.get(code, "")
                    await self.sender.close(code, reason)
                    break
                if self.closing:
                    continue  # after CloseStream nothing more is read
                if msg.type == WSMsgType.BINARY:
                    if not await self._on_audio(msg.data):
                        break
                elif msg.type == WSMsgType.TEXT:
                    if not await self._on_text(msg.data):
                        break
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            writer.cancel()
            watchdog.cancel()

    async def _on_text(self, text: str) -> bool:
        self.env.records.add(PROVIDER, "stt_message", text)
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "KeepAlive":
            return True
        if kind == "Finalize":
            self._close_segment(speech_final=True, from_finalize=True, delay=self.env.profile.stt_final_delay)
            return True
        if kind == "CloseStream":
            return await self._close_stream()
        if kind == "Configure":
            self._configure(message)
            return True
        description = "Unknown message type." if kind is not None else "Could not parse the message as JSON."
        self._queue({"type": "Error", "variant": "SchemaError", "description": description, "message": text[:200]})
        return True

    def _configure(self, message: dict) -> None:
        keyterms = message.get("keyterms")
        if keyterms is not None and self.options.arch != "nova-3":
            self._queue(
                {
                    "type": "ConfigureFailure",
                    "request_id": self.request_id,
                    "code": "CONFIGURE_KEYTERMS_NOT_SUPPORTED",
                    "description": "Keyterms can only be updated on Nova-3 models.",
                }
            )
            return
        reply: dict = {"type": "ConfigureSuccess", "request_id": self.request_id}
        if isinstance(keyterms, list):
            reply["keyterms"] = [str(term) for term in keyterms]
        self._queue(reply)

    async def _close_stream(self) -> bool:
        """CloseStream: the pending speech as a final, then Metadata, then a normal close once all is sent."""
        self.closing = True
        if self.segment.has_speech:
            self._close_segment(speech_final=True, from_finalize=False, delay=self.env.profile.stt_final_delay)
        self._queue(self._metadata())
        await self.outbox.join()
        if not self.hung:
            await self.sender.close(1000)
            return False
        return True

    # -------------------------------------------------------------------------------------------------- audio
    async def _on_audio(self, data: bytes) -> bool:
        samples = self._decode(data)
        if samples is None:
            self.env.records.add(PROVIDER, "stt_audio", {"bytes": len(data), "speech": False})
            await self._close_after_metadata(1008, DATA0000_REASON)
            return False
        rate = self.sample_rate
        per_slice = max(1, int(rate * SLICE_S))
        threshold = self.env.profile.stt_speech_rms
        speech = False
        for i in range(0, len(samples), per_slice):
            piece = samples[i : i + per_slice]
            begin = self.audio_clock + i / rate
            voiced = bool(piece.size) and math.sqrt(float(np.mean(piece.astype(np.float64) ** 2))) >= threshold
            speech = speech or voiced
            self._on_slice(begin, begin + piece.size / rate, voiced)
        self.audio_clock += len(samples) / rate
        self.env.records.add(PROVIDER, "stt_audio", {"bytes": len(data), "speech": speech})
        return True

    def _decode(self, data: bytes) -> np.ndarray | None:
        """The frame as mono int16 samples; None when it cannot be audio (no ``encoding`` and no WAV header)."""
        if self.sample_format is None:
            offset = self._read_wav_header(data)
            if offset is None:
                return None
            data = data[offset:]
        samples = to_int16(data, self.sample_format or "pcm_s16le")
        if self.channels > 1:
            usable = len(samples) - len(samples) % self.channels
            samples = samples[:usable].reshape(-1, self.channels).mean(axis=1).astype(np.int16)
        return samples

    def _on_slice(self, begin: float, end: float, voiced: bool) -> None:
        options, segment = self.options, self.segment
        if voiced:
            if options.vad_events and self.pause >= MIN_ENDPOINT_S:
                self._queue({"type": "SpeechStarted", "channel": [0, 1], "timestamp": round(begin, 3)})
            if segment.speech_start is None:
                segment.speech_start = begin
                segment.next_interim = min(segment.next_interim, begin + self.env.profile.stt_interim_interval)
                segment.interims = InterimWriter(self.env.profile, next(self.utterances))
            segment.speech_end = end
            segment.caught_up = False
            self.pause = 0.0
            self.last_word_end = end
        else:
            self.pause += end - begin
        paused = segment.has_speech and self.pause >= CATCH_UP_PAUSE_S and not segment.caught_up
        if self._at_endpoint(segment, end):
            self._close_segment(speech_final=True, from_finalize=False, delay=0.0, at=end)
        elif options.interim_results and (paused or end >= segment.next_interim):
            segment.caught_up = segment.caught_up or paused
            segment.next_interim = end + (
                self.env.profile.stt_interim_interval if segment.has_speech else SILENT_INTERIM_S
            )
            shown = copy.copy(segment)  # as it is now; its text is read from the script as it is sent
            self._queue(lambda: self._results(shown, end, self._interim_text(shown), is_final=False))
        if (
            options.utterance_end_s is not None
            and self.last_word_end is not None
            and self.pause >= options.utterance_end_s
        ):
            self._queue({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": round(self.last_word_end, 3)})
            self.last_word_end = None

    def _at_endpoint(self, segment: _Segment, end: float) -> bool:
        """A pause after speech as long as the endpointing asks, or a long silent segment (both off without it)."""
        if self.options.endpoint_s is None:
            return False
        if segment.has_speech:
            return self.pause >= self.options.endpoint_s
        return end - segment.start >= SILENT_FINAL_S

    def _read_wav_header(self, data: bytes) -> int | None:
        """Without ``encoding`` Deepgram reads the container; here only a PCM WAV header, whose format is taken for
        the rest of the stream. Returns where the samples start, or None when there is no such header."""
        if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
            return None
        offset, fmt = 12, None
        while offset + 8 <= len(data):
            name, size = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
            if name == b"fmt " and offset + 24 <= len(data):
                fmt = struct.unpack("<HHIIHH", data[offset + 8 : offset + 24])
            if name == b"data":
                if fmt is None or fmt[0] != 1 or fmt[5] != 16:
                    return None
                self.channels, self.sample_rate, self.sample_format = fmt[1], fmt[2], "pcm_s16le"
                return offset + 8
            offset += 8 + size + size % 2
        return None

    # ------------------------------------------------------------------------------------------------ results
    def _interim_text(self, segment: _Segment) -> str:
        """What :class:`InterimWriter` shows of the segment's words (all it will show, once the speech paused)."""
        if segment.interims is None:
            return ""
        scripted = self.script.peek()
        words = (scripted if isinstance(scripted, str) else default_transcript(segment.speech_duration)).split()
        return segment.interims.text(words, segment.speech_duration, segment.caught_up)

    def _final_text(self, segment: _Segment) -> str:
        if not segment.has_speech:
            return ""
        scripted = self.script.pop()
        return scripted if isinstance(scripted, str) else default_transcript(segment.speech_duration)

    def _close_segment(self, speech_final: bool, from_finalize: bool, delay: float, at: float | None = None) -> None:
        """End the segment here and send its final after ``delay``. Its words are taken from the script only as it
        is sent (replies go out in order, so the script is used in order), so a final lost with the connection
        leaves its scripted words for the next one."""
        end = self.audio_clock if at is None else at
        segment, self.segment = self.segment, _Segment(end)
        self._queue(
            lambda: self._results(
                segment,
                end,
                self._final_text(segment),
                is_final=True,
                speech_final=speech_final,
                from_finalize=from_finalize,
            ),
            delay,
        )

    def _results(
        self,
        segment: _Segment,
        end: float,
        text: str,
        is_final: bool,
        speech_final: bool = False,
        from_finalize: bool = False,
    ) -> dict:
        words = self._words(text, segment)
        transcript = text if self.options.punctuate else " ".join(w["word"] for w in words)
        confidence = 0.0 if not words else (0.99 if is_final else 0.9)
        alternative: dict = {"transcript": transcript, "confidence": confidence, "words": words}
        if self.options.language == "multi" and words:
            alternative["languages"] = ["en"]
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(end - segment.start, 3),
            "start": round(segment.start, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "channel": {"alternatives": [alternative]},
            "metadata": {
                "request_id": self.request_id,
                "model_info": self.options.model_info,
                "model_uuid": self.options.model_uuid,
            },
            "from_finalize": from_finalize,
        }

    def _words(self, text: str, segment: _Segment) -> list[dict]:
        tokens = text.split()
        if not tokens or segment.speech_start is None:
            return []
        step = segment.speech_duration / len(tokens)
        words = []
        for i, token in enumerate(tokens):
            word = {
                "word": token.strip(_PUNCTUATION).lower() or token.lower(),
                "start": round(segment.speech_start + i * step, 3),
                "end": round(segment.speech_start + (i + 1) * step, 3),
                "confidence": 0.99,
            }
            if self.options.punctuate:
                word["punctuated_word"] = token
            if self.options.language == "multi":
                word["language"] = "en"
            words.append(word)
        return words

    def _metadata(self) -> dict:
        metadata = {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self.request_id,
            "sha256": "incomplete",
            "created": self.created,
            "duration": round(self.audio_clock, 3),
            "channels": self.channels,
        }
        if self.audio_clock > 0:
            metadata["models"] = [self.options.model_uuid]
            metadata["model_info"] = {self.options.model_uuid: self.options.model_info}
        return metadata

    # ------------------------------------------------------------------------------------------------ sending
    def _queue(self, message: dict | Callable[[], dict], delay: float = 0.0) -> None:
        """Replies go out in the order they are decided; one held back by a delay holds back those after it. A
        callable is made into its message when its turn comes, and only if the connection can still carry it."""
        self.outbox.put_nowait((asyncio.get_running_loop().time() + delay, message))

    async def _close_after_metadata(self, code: int, reason: str) -> None:
        """How Deepgram ends a stream itself (timeout, undecodable audio): Metadata, then the close."""
        self.closing = True
        self._queue(self._metadata())
        await self.outbox.join()
        await self.sender.close(code, reason)

    async def _write_outbox(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, message = await self.outbox.get()
            try:
                if due > loop.time():
                    await asyncio.sleep(due - loop.time())
                if callable(message):
                    if self.hung or not self.sender.open:
                        continue
                    message = message()
                await self.sender.send(message)
            finally:
                self.outbox.task_done()

    async def _watch_inactivity(self) -> None:
        """Deepgram's NET-0001: Metadata, then close 1011, after the timeout without audio or a text message."""
        if self.hung:
            return
        loop = asyncio.get_running_loop()
        timeout = INACTIVITY_TIMEOUT_S
        while True:
            idle = loop.time() - self.last_activity
            if idle >= timeout:
                await self._close_after_metadata(1011, NET0001_REASON)
                return
            await asyncio.sleep(min(0.5, timeout - idle))
