"""The OpenAI-style chat-completions emulator every language-model vendor shares (provider-protocols-2.md §4).

:class:`OpenAIChatEmulator` answers ``POST {root}/chat/completions`` (SSE streaming or one JSON reply),
``GET {root}/models`` and ``GET {root}/models/{id}``. What is the same everywhere lives here: reading and recording
the request, the key, faults armed for the vendor, the model catalogue, the scripted or default reply, reasoning
before the answer, the request's token limit, pacing by the latency profile, cut and garbled streams, and the
``llm_reply`` record. Each vendor is a subclass that sets its root, key, catalogue and retired IDs and overrides the
hooks for what differs on the wire: how it refuses a key or a model, the chunks it streams around the reply's pieces
(role chunk, ``x_groq``, usage chunk), its usage fields, a whole reply's body, and response headers.

The reply is cut into *pieces*, one per streamed token: reasoning tokens first (models that reason), then answer
tokens, or for tool calls the call's name and then fragments of its JSON arguments. Pieces are what the latency
profile paces (``llm_first_token_delay``, then ``llm_tokens_per_second``) and what ``completion_tokens`` counts.

Every answered request also leaves an ``llm_usage`` record when it ends, for the benchmark's cost accounting: the last
user message, whether it was the app's conversation summary, the prompt's tokens, the reply's tokens, how many of
them were generated before the request ended, and whether the client abandoned it (closed the connection before the
reply was all sent).
A vendor streams them as they are, or gathers a tool call's pieces into one chunk sent when its last piece is due
(Groq, Ollama), or keeps reasoning hidden (OpenAI's reasoning models: the time passes, nothing is sent). Every chunk
carries at most one tool call, with an ``index`` that grows by one per call, as the real services stream them:
Pipecat reads only the first tool call of each chunk.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from desktop_agent.simulator.common import (
    Env,
    abort_connection,
    http_error,
    json_response,
    request_summary,
    start_of_request,
)
from desktop_agent.simulator.faults import Fault
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS, bearer_token
from desktop_agent.simulator.responder import (
    Reply,
    ReplyScript,
    ToolCall,
    argument_fragments,
    default_reply,
    message_text,
    prompt_token_estimate,
    reasoning_text,
    tokens,
)
from desktop_agent.simulator.summaries import is_summary_request, summary_reply

#: What a stream event is: a chunk (dict), a literal data line such as ``[DONE]``, or None for a piece whose time
#: passes with nothing sent (hidden reasoning, a tool call not yet complete).
Event = dict | str | None


@dataclass(frozen=True)
class ChatModel:
    """One model of a vendor's catalogue.

    ``served_as`` is the name replies carry when it differs from the ID asked for (OpenAI answers with the dated
    snapshot); ``reasoning`` is ``""`` (answers at once), ``"streamed"`` (reasoning tokens arrive as
    ``delta.reasoning`` first) or ``"hidden"`` (reasoning takes its time and is counted, but never sent); ``listed``
    holds the vendor's extra fields of the ``/models`` entry.
    """

    id: str
    created: int = 1735689600
    owned_by: str = "system"
    served_as: str = ""
    reasoning: str = ""
    listed: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Turn:
    """One request being answered: what was asked, what is said, and the ids the reply carries."""

    body: dict
    model: ChatModel
    asked_for: str
    reply: Reply
    thinking: str
    calls: list[tuple[str, ToolCall]]
    pieces: list[dict]
    finish: str
    arrived: float
    completion_id: str
    created: int = field(default_factory=lambda: int(time.time()))
    request_id: str = ""
    usage: dict = field(default_factory=dict)

    @property
    def served_as(self) -> str:
        return self.model.served_as or self.asked_for

    @property
    def include_usage(self) -> bool:
        options = self.body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True

    def elapsed(self) -> float:
        """Seconds since the request arrived, on the event loop's clock."""
        return asyncio.get_running_loop().time() - self.arrived

    @property
    def text(self) -> bool:
        """True for a spoken reply, False for tool calls."""
        return isinstance(self.reply, str)


class OpenAIChatEmulator:
    """A vendor's chat-completions API; subclasses set the class attributes and override the hooks."""

    provider: ClassVar[str] = ""
    #: The API root clients put in their base URL.
    root: ClassVar[str] = "/v1"
    catalogue: ClassVar[tuple[ChatModel, ...]] = ()
    #: IDs the vendor has shut down; they are refused like unknown ones unless :meth:`model_refusal` says otherwise.
    retired: ClassVar[tuple[str, ...]] = ()
    reasoning_efforts: ClassVar[tuple[str, ...]] = ("low", "medium", "high")
    default_effort: ClassVar[str] = "medium"
    #: True: a tool call streams as one chunk holding its whole arguments; False: name first, then fragments.
    whole_tool_calls: ClassVar[bool] = False
    fingerprint: ClassVar[str] = "fp_simulator"

    def __init__(self, env: Env, script: ReplyScript) -> None:
        self.env = env
        self.script = script
        self._models = {model.id: model for model in self.catalogue}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{self.root}/chat/completions", self.chat)
        app.router.add_get(f"{self.root}/models", self.list_models)
        # Model IDs may hold a slash (Groq's openai/gpt-oss-20b; the SDKs send it as %2F).
        app.router.add_get(f"{self.root}/models/{{model:.+}}", self.show_model)

    # ------------------------------------------------------------------------------------------------ hooks
    def key_refusal(self, token: str | None) -> tuple[int, dict[str, str]] | None:
        """None when ``token`` (the bearer key, None when absent) is accepted, else the status and error fields."""
        if token == SIMULATOR_API_KEYS[self.provider]:
            return None
        return 401, {}

    def model_refusal(self, request: web.Request, body: dict, name: str) -> web.Response | None:
        """The answer to a request for a model the vendor does not serve, or with options it rejects for that
        model; None when the request may go ahead."""
        if self.find_model(name) is None:
            return self.refuse(request, 404, model=name)
        return None

    def find_model(self, name: str) -> ChatModel | None:
        return self._models.get(name)

    def model_entry(self, model: ChatModel) -> dict:
        """The model as ``/models`` lists it."""
        return {"id": model.id, "object": "model", "created": model.created, "owned_by": model.owned_by, **model.listed}

    def headers(self, status: int, model: str = "") -> dict[str, str]:
        """Headers every answer carries besides its content type (request ids, rate limits)."""
        return {}

    def new_call_id(self) -> str:
        return f"call_{uuid.uuid4().hex[:9]}"

    def new_completion_id(self) -> str:
        return f"chatcmpl-{uuid.uuid4().hex[:24]}"

    def thinking(self, body: dict, model: ChatModel) -> str:
        """What ``model`` reasons before it answers, as long as the request's ``reasoning_effort`` asks for."""
        if not model.reasoning:
            return ""
        effort = body.get("reasoning_effort")
        return reasoning_text(body, effort if effort in self.reasoning_efforts else self.default_effort)

    def reasoning_shown(self, turn: Turn) -> bool:
        """Whether the turn's reasoning is sent (``delta.reasoning``, ``message.reasoning``) or only takes time."""
        return turn.model.reasoning == "streamed"

    def stream_events(self, turn: Turn) -> Iterator[tuple[bool, Event]]:
        """The stream as ``(paced, event)`` pairs, produced lazily so late values (timings) are read when sent.

        A paced event waits for its piece's time; the others follow at once (the first event of all waits for
        the first token's time)."""
        raise NotImplementedError

    def completion(self, turn: Turn, elapsed: float) -> dict:
        """The body of a reply read whole (``stream`` false); ``turn.usage`` is set by then."""
        raise NotImplementedError

    def usage(self, turn: Turn, elapsed: float) -> dict:
        """The vendor's usage object for the turn, ``elapsed`` seconds after the request arrived."""
        return usage_counts(turn)

    def bad_body(self, request: web.Request) -> web.Response:
        return self.refuse(request, 400, record=False)

    # ------------------------------------------------------------------------------------------------ helpers
    def refuse(self, request: web.Request, status: int, *, record: bool = True, **fields: str) -> web.Response:
        """The vendor's error answer, recorded as ``rejected`` (with the model when there is one)."""
        return self._refusal(request, status, fields, record)

    def _refusal(self, request: web.Request, status: int, fields: dict[str, str], record: bool) -> web.Response:
        if record:
            data: dict[str, Any] = {"status": status, "path": request.path}
            if "model" in fields:
                data["model"] = fields["model"]
            self.env.records.add(self.provider, "rejected", data)
        response = http_error(self.provider, status, None, **fields)
        response.headers.update(self.headers(status, fields.get("model", "")))
        return response

    def message(self, turn: Turn, **vendor_fields: Any) -> dict:
        """The assistant message of a whole reply; ``vendor_fields`` go after ``content`` (and before the calls)."""
        message: dict = {"role": "assistant"}
        if turn.text:
            message["content"] = turn.reply
        else:
            message["content"] = None
        message.update(vendor_fields)
        if not turn.text:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for call_id, call in turn.calls
            ]
        return message

    def answer_events(self, turn: Turn, wrap: Callable[[dict], dict]) -> Iterator[tuple[bool, Event]]:
        """The reply's pieces as paced events: reasoning streamed or hidden per the model, answer tokens one each,
        tool calls by fragment or whole. ``wrap(delta)`` makes a chunk of a delta."""
        whole_call: list[dict] = []
        for position, piece in enumerate(turn.pieces):
            if "reasoning" in piece:
                yield True, (wrap(piece) if self.reasoning_shown(turn) else None)
            elif "tool_calls" in piece and self.whole_tool_calls:
                whole_call.append(piece)
                following = turn.pieces[position + 1] if position + 1 < len(turn.pieces) else {}
                if _call_index(following) != _call_index(piece):  # the call's last piece: send it whole
                    yield True, wrap(_whole_call_delta(whole_call))
                    whole_call = []
                else:
                    yield True, None
            else:
                yield True, wrap(piece)

    # ----------------------------------------------------------------------------------------------- handlers
    def _reject_key(self, request: web.Request) -> web.Response | None:
        token = bearer_token(request.headers.get("Authorization"))
        refusal = self.key_refusal(token)
        if refusal is None:
            return None
        status, fields = refusal
        return self._refusal(request, status, fields, True)

    async def list_models(self, request: web.Request) -> web.StreamResponse:
        self.env.records.add(self.provider, "models_request", request_summary(request))
        rejected = self._reject_key(request)
        if rejected is not None:
            return rejected
        return json_response(
            {"object": "list", "data": [self.model_entry(model) for model in self.catalogue]},
            headers=self.headers(200) or None,
        )

    async def show_model(self, request: web.Request) -> web.Response:
        rejected = self._reject_key(request)
        if rejected is not None:
            return rejected
        name = request.match_info["model"]
        model = self.find_model(name)
        if model is None:
            return self.refuse(request, 404, record=False, model=name)
        return json_response(self.model_entry(model), headers=self.headers(200, name) or None)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        arrived = asyncio.get_running_loop().time()
        raw = await request.read()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        self.env.records.add(
            self.provider,
            "llm_request",
            body if isinstance(body, dict) else {"raw": raw[:200].decode("utf-8", "replace")},
            **request_summary(request),
        )
        rejected = self._reject_key(request)
        if rejected is not None:
            return rejected
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return self.bad_body(request)
        name = str(body.get("model", ""))
        early, fault = await start_of_request(self.env, self.provider, request, websocket=False, model=name)
        if early is not None:
            early.headers.update(self.headers(early.status, name))
            return early
        refusal = self.model_refusal(request, body, name)
        if refusal is not None:
            return refusal
        model = self.find_model(name)
        assert model is not None  # model_refusal answers every name find_model does not know
        if is_summary_request(body):  # the app's summary of an ended conversation: not a turn of the script
            reply: Reply = summary_reply(body)
        else:
            scripted = self.script.pop()
            reply = scripted if scripted is not None else default_reply(body)
        thinking, reply = truncate(
            self.thinking(body, model), reply, body.get("max_completion_tokens") or body.get("max_tokens")
        )
        calls = [] if isinstance(reply, str) else [(call.id or self.new_call_id(), call) for call in _calls(reply)]
        pieces, finish = reply_pieces(reply, thinking, calls)
        turn = Turn(
            body=body,
            model=model,
            asked_for=name,
            reply=reply,
            thinking=thinking,
            calls=calls,
            pieces=pieces,
            finish=finish,
            arrived=arrived,
            completion_id=self.new_completion_id(),
        )
        if body.get("stream"):
            return await self._stream(request, turn, fault)
        return await self._complete(request, turn, fault)

    async def _stream(self, request: web.Request, turn: Turn, fault: Fault | None) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                **self.headers(200, turn.asked_for),
            }
        )
        await response.prepare(request)
        profile = self.env.profile
        loop = asyncio.get_running_loop()
        first_at = turn.arrived + profile.llm_first_token_delay
        interval = 0.0 if profile.llm_tokens_per_second == float("inf") else 1.0 / profile.llm_tokens_per_second
        events_sent = 0
        paced_sent = 0
        abandoned = True  # until the stream ends or the server itself cuts it

        async def emit(payload: str) -> bool:
            nonlocal events_sent
            if fault is not None and fault.kind == "disconnect_after" and events_sent >= (fault.n_messages or 0):
                abort_connection(request)
                return False
            if fault is not None and fault.kind == "malformed" and events_sent == 0:
                payload = '{"id": "chatcmpl-broken", "choices": [{"delta": {"content": "unterminated'
            await response.write(f"data: {payload}\n\n".encode())
            events_sent += 1
            return True

        generated = 0
        try:
            for paced, event in self.stream_events(turn):
                if paced:
                    await asyncio.sleep(max(0.0, first_at + paced_sent * interval - loop.time()))
                    paced_sent += 1
                elif paced_sent == 0:
                    await asyncio.sleep(max(0.0, first_at - loop.time()))
                if event is not None and not await emit(event if isinstance(event, str) else json.dumps(event)):
                    abandoned = False  # a fault cut it
                    return response
                generated += paced
            await response.write_eof()
            abandoned = False
        except ConnectionError:
            return response
        finally:
            self.env.records.add(self.provider, "llm_usage", usage_record(turn, generated, abandoned))
        self.env.records.add(self.provider, "llm_reply", reply_record(turn))
        return response

    async def _complete(self, request: web.Request, turn: Turn, fault: Fault | None) -> web.StreamResponse:
        profile = self.env.profile
        duration = profile.llm_first_token_delay
        if profile.llm_tokens_per_second != float("inf"):
            duration += len(turn.pieces) / profile.llm_tokens_per_second
        await asyncio.sleep(max(0.0, turn.arrived + duration - asyncio.get_running_loop().time()))
        if fault is not None and fault.kind == "disconnect_after":
            abort_connection(request)
            return web.Response(status=500)
        if fault is not None and fault.kind == "malformed":
            return web.Response(text='{"id": "chatcmpl-broken", "choices": [', content_type="application/json")
        turn.usage = self.usage(turn, duration)
        self.env.records.add(self.provider, "llm_usage", usage_record(turn, len(turn.pieces), abandoned=False))
        self.env.records.add(self.provider, "llm_reply", reply_record(turn))
        return json_response(self.completion(turn, duration), headers=self.headers(200, turn.asked_for) or None)


class Truncated(str):
    """A reply cut at the request's token limit; it finishes with ``length`` instead of ``stop``."""


def truncate(thinking: str, reply: Reply, limit: object) -> tuple[str, Reply]:
    """Cut reasoning and then a text reply at the request's token limit; reasoning tokens count towards it."""
    if not isinstance(limit, int) or limit <= 0:
        return thinking, reply
    thought = tokens(thinking)
    if len(thought) >= limit and thought:
        return "".join(thought[:limit]), (Truncated("") if isinstance(reply, str) else reply)
    if not isinstance(reply, str):
        return thinking, reply
    pieces, room = tokens(reply), limit - len(thought)
    if room < len(pieces):
        return thinking, Truncated("".join(pieces[:room]))
    return thinking, reply


def _calls(reply: ToolCall | tuple[ToolCall, ...]) -> tuple[ToolCall, ...]:
    return (reply,) if isinstance(reply, ToolCall) else tuple(reply)


def reply_pieces(reply: Reply, thinking: str, calls: list[tuple[str, ToolCall]]) -> tuple[list[dict], str]:
    """The reply's streamed ``delta`` pieces (one token, or one tool-call piece, each), after its reasoning tokens,
    and its finish reason."""
    pieces: list[dict] = [{"reasoning": token} for token in tokens(thinking)]
    if isinstance(reply, str):
        finish = "length" if isinstance(reply, Truncated) else "stop"
        return pieces + [{"content": token} for token in tokens(reply)] or [{"content": ""}], finish
    for index, (call_id, call) in enumerate(calls):
        pieces.append(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ]
            }
        )
        pieces.extend(
            {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
            for fragment in argument_fragments(call.arguments)
        )
    return pieces, "tool_calls"


def _call_index(piece: dict) -> int | None:
    calls = piece.get("tool_calls")
    return calls[0]["index"] if calls else None


def _whole_call_delta(pieces: list[dict]) -> dict:
    """One call's pieces as the single delta Groq and Ollama send: id, name and the whole arguments."""
    head = pieces[0]["tool_calls"][0]
    arguments = "".join(p["tool_calls"][0]["function"]["arguments"] for p in pieces)
    return {
        "tool_calls": [
            {
                "id": head["id"],
                "type": "function",
                "function": {"name": head["function"]["name"], "arguments": arguments},
                "index": head["index"],
            }
        ]
    }


def reasoning_tokens(turn: Turn) -> int:
    return sum(1 for piece in turn.pieces if "reasoning" in piece)


def usage_counts(turn: Turn) -> dict:
    """The three counts every vendor reports; ``completion_tokens`` counts every piece, reasoning included."""
    prompt = prompt_token_estimate(turn.body)
    completion = len(turn.pieces)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def usage_record(turn: Turn, generated: int, abandoned: bool) -> dict:
    """What one request cost and whether its reply reached the client: the ``llm_usage`` record.

    ``generated`` is how many of the reply's ``completion_tokens`` were streamed before the request ended (all of
    them unless it was abandoned or cut); the text says what was asked and answered, so the benchmark can tell a
    reply the app used from one it threw away."""
    messages = [m for m in turn.body.get("messages", []) if isinstance(m, dict)]
    user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    return {
        "arrived": time.monotonic() - turn.elapsed(),  # on the records' clock
        "user_text": message_text(user) if user is not None else "",
        "reply_text": turn.reply if isinstance(turn.reply, str) else "",
        "summary": is_summary_request(turn.body),
        "prompt_tokens": prompt_token_estimate(turn.body),
        "completion_tokens": len(turn.pieces),
        "generated_tokens": generated,
        "abandoned": abandoned,
    }


def reply_record(turn: Turn) -> dict:
    reasoning = {"reasoning": turn.thinking} if turn.thinking else {}
    if turn.text:
        return {"text": turn.reply, "finish_reason": turn.finish, "usage": turn.usage, **reasoning}
    return {
        "tool_calls": [{"name": call.name, "arguments": call.arguments} for _, call in turn.calls],
        "finish_reason": turn.finish,
        "usage": turn.usage,
        **reasoning,
    }
