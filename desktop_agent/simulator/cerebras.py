"""Cerebras emulator: OpenAI-compatible ``/v1/chat/completions`` (SSE streaming or one JSON reply) and
``/v1/models``.

Streaming follows the recorded Cerebras shape: the first chunk carries ``role`` with the first token, one token per
event, one tool call per chunk (name first, then argument fragments), and ``usage`` plus ``time_info`` on the final
chunk that has ``finish_reason``, then ``data: [DONE]`` and the end of the body.

The catalogue is what Cerebras served in 2026 (:data:`MODELS`); retired IDs such as ``llama-3.3-70b`` answer 404
``model_not_found`` with the captured body, as every unknown ID does. gpt-oss models reason before they answer, as
on Cerebras: ``delta.reasoning`` tokens stream first (``message.reasoning`` without streaming), as many as the
request's ``reasoning_effort`` asks for (``medium`` when absent), paced like the answer, counted in
``completion_tokens`` and in ``completion_tokens_details.reasoning_tokens``, and within ``max_completion_tokens``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from aiohttp import web

from desktop_agent.simulator.common import (
    Env,
    abort_connection,
    http_error,
    json_response,
    request_summary,
    start_of_request,
)
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS, bearer_token
from desktop_agent.simulator.responder import (
    ReplyScript,
    ToolCall,
    argument_fragments,
    default_reply,
    prompt_token_estimate,
    reasoning_text,
    tokens,
)

PROVIDER = "cerebras"
#: The models Cerebras serves, as its public model lists of May and October 2026 name them.
MODELS = ("gpt-oss-120b", "qwen-3.8-27b")
#: IDs Cerebras has retired (this app's earlier choices among them); like any unknown ID they answer 404.
RETIRED_MODELS = ("llama-3.3-70b", "llama3.1-8b", "qwen-3-32b", "qwen-3-235b-a22b-instruct-2507", "zai-glm-4.6",
                  "zai-glm-4.7")
REASONING_EFFORTS = ("low", "medium", "high")
DEFAULT_REASONING_EFFORT = "medium"


def reasons(model: str) -> bool:
    """Whether ``model`` streams reasoning before its answer (the gpt-oss family)."""
    return model.startswith("gpt-oss")


class CerebrasEmulator:
    def __init__(self, env: Env, script: ReplyScript) -> None:
        self.env = env
        self.script = script

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/v1/models/{model}", self.model)

    def _reject_key(self, request: web.Request) -> web.Response | None:
        token = bearer_token(request.headers.get("Authorization"))
        if token == SIMULATOR_API_KEYS[PROVIDER]:
            return None
        status = 403 if token is None else 401
        self.env.records.add(PROVIDER, "rejected", {"status": status, "path": request.path})
        return http_error(PROVIDER, status)

    async def models(self, request: web.Request) -> web.StreamResponse:
        self.env.records.add(PROVIDER, "models_request", request_summary(request))
        rejected = self._reject_key(request)
        if rejected is not None:
            return rejected
        return json_response({"object": "list", "data": [_model(name) for name in MODELS]})

    async def model(self, request: web.Request) -> web.Response:
        rejected = self._reject_key(request)
        if rejected is not None:
            return rejected
        name = request.match_info["model"]
        if name not in MODELS:
            return http_error(PROVIDER, 404, model=name)
        return json_response(_model(name))

    async def chat(self, request: web.Request) -> web.StreamResponse:
        arrived = asyncio.get_running_loop().time()
        raw = await request.read()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        self.env.records.add(PROVIDER, "llm_request", body if isinstance(body, dict) else {"raw": raw[:200].decode(
            "utf-8", "replace")}, **request_summary(request))
        rejected = self._reject_key(request)
        if rejected is not None:
            return rejected
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return json_response({"message": "Request body must be a JSON object with a 'messages' list.",
                                  "type": "invalid_request_error", "param": "messages", "code": "bad_request"},
                                 status=400)
        model = str(body.get("model", ""))
        early, fault = await start_of_request(self.env, PROVIDER, request, websocket=False, model=model)
        if early is not None:
            return early
        if model not in MODELS:
            self.env.records.add(PROVIDER, "rejected", {"status": 404, "path": request.path, "model": model})
            return http_error(PROVIDER, 404, model=model)
        scripted = self.script.pop()
        reply = scripted if scripted is not None else default_reply(body)
        thinking = reasoning_text(body, _effort(body)) if reasons(model) else ""
        thinking, reply = _truncate(thinking, reply, body.get("max_completion_tokens") or body.get("max_tokens"))
        if body.get("stream"):
            return await self._stream(request, body, reply, thinking, arrived, fault)
        return await self._complete(request, body, reply, thinking, arrived, fault)

    # ------------------------------------------------------------------------------------------------ streaming
    async def _stream(self, request, body, reply, thinking, arrived, fault) -> web.StreamResponse:
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        model = body["model"]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        deltas, finish = _deltas(reply, thinking)
        profile = self.env.profile
        loop = asyncio.get_running_loop()
        first_at = arrived + profile.llm_first_token_delay
        interval = 0.0 if profile.llm_tokens_per_second == float("inf") else 1.0 / profile.llm_tokens_per_second
        events_sent = 0

        def chunk(delta: dict, finish_reason=None, **extra) -> dict:
            return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                    "system_fingerprint": "fp_simulator",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}], **extra}

        async def emit(payload: str) -> bool:
            nonlocal events_sent
            if fault is not None and fault.kind == "disconnect_after" and events_sent >= fault.n_messages:
                abort_connection(request)
                return False
            if fault is not None and fault.kind == "malformed" and events_sent == 0:
                payload = '{"id": "chatcmpl-broken", "choices": [{"delta": {"content": "unterminated'
            await response.write(f"data: {payload}\n\n".encode())
            events_sent += 1
            return True

        try:
            for i, delta in enumerate(deltas):
                await asyncio.sleep(max(0.0, first_at + i * interval - loop.time()))
                if i == 0:
                    delta = {"role": "assistant", **delta}
                if not await emit(json.dumps(chunk(delta))):
                    return response
            usage = _usage(body, len(deltas), thinking)
            final = chunk({}, finish, usage=usage, time_info=_time_info(loop.time() - arrived, len(deltas)))
            if not await emit(json.dumps(final)) or not await emit("[DONE]"):
                return response
            await response.write_eof()
        except ConnectionError:
            return response
        self.env.records.add(PROVIDER, "llm_reply", _reply_record(reply, finish, usage, thinking))
        return response

    async def _complete(self, request, body, reply, thinking, arrived, fault) -> web.StreamResponse:
        deltas, finish = _deltas(reply, thinking)
        profile = self.env.profile
        duration = profile.llm_first_token_delay
        if profile.llm_tokens_per_second != float("inf"):
            duration += len(deltas) / profile.llm_tokens_per_second
        await asyncio.sleep(max(0.0, arrived + duration - asyncio.get_running_loop().time()))
        if fault is not None and fault.kind == "disconnect_after":
            abort_connection(request)
            return web.Response(status=500)
        if fault is not None and fault.kind == "malformed":
            return web.Response(text='{"id": "chatcmpl-broken", "choices": [', content_type="application/json")
        message: dict = {"role": "assistant"}
        if isinstance(reply, str):
            message["content"] = reply
        else:
            message["content"] = None
            message["tool_calls"] = [{"id": call_id, "type": "function",
                                      "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}
                                     for call_id, call in _calls_with_ids(reply)]
        if thinking:
            message["reasoning"] = thinking
        usage = _usage(body, len(deltas), thinking)
        self.env.records.add(PROVIDER, "llm_reply", _reply_record(reply, finish, usage, thinking))
        return json_response({
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "system_fingerprint": "fp_simulator",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage, "time_info": _time_info(duration, len(deltas)),
        })


class _Truncated(str):
    """A reply cut at the request's token limit; it finishes with ``length`` instead of ``stop``."""


def _effort(body: dict) -> str:
    effort = body.get("reasoning_effort")
    return effort if effort in REASONING_EFFORTS else DEFAULT_REASONING_EFFORT


def _truncate(thinking: str, reply, limit) -> tuple[str, object]:
    """Cut reasoning and then a text reply at the request's token limit; reasoning tokens count towards it."""
    if not isinstance(limit, int) or limit <= 0:
        return thinking, reply
    thought = tokens(thinking)
    if len(thought) >= limit and thought:
        return "".join(thought[:limit]), (_Truncated("") if isinstance(reply, str) else reply)
    if not isinstance(reply, str):
        return thinking, reply
    pieces, room = tokens(reply), limit - len(thought)
    if room < len(pieces):
        return thinking, _Truncated("".join(pieces[:room]))
    return thinking, reply


def _model(name: str) -> dict:
    return {"id": name, "object": "model", "created": 1735689600, "owned_by": "Cerebras"}


def _calls(reply) -> tuple[ToolCall, ...]:
    return (reply,) if isinstance(reply, ToolCall) else tuple(reply)


def _calls_with_ids(reply) -> list[tuple[str, ToolCall]]:
    return [(call.id or f"call_{uuid.uuid4().hex[:9]}", call) for call in _calls(reply)]


def _deltas(reply, thinking: str = "") -> tuple[list[dict], str]:
    """The streamed ``delta`` objects of a reply (one token, or one tool-call piece, each), after its reasoning
    tokens, and its finish reason."""
    deltas = [{"reasoning": token} for token in tokens(thinking)]
    if isinstance(reply, str):
        finish = "length" if isinstance(reply, _Truncated) else "stop"
        return deltas + [{"content": token} for token in tokens(reply)] or [{"content": ""}], finish
    for index, (call_id, call) in enumerate(_calls_with_ids(reply)):
        deltas.append({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                       "function": {"name": call.name, "arguments": ""}}]})
        deltas.extend({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
                      for fragment in argument_fragments(call.arguments))
    return deltas, "tool_calls"


def _usage(body: dict, completion_tokens: int, thinking: str = "") -> dict:
    prompt = prompt_token_estimate(body)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
             "total_tokens": prompt + completion_tokens, "prompt_tokens_details": {"cached_tokens": 0}}
    if thinking:
        usage["completion_tokens_details"] = {"reasoning_tokens": len(tokens(thinking))}
    return usage


def _time_info(elapsed: float, completion_tokens: int) -> dict:
    return {"queue_time": 0.0001, "prompt_time": 0.002, "completion_time": round(max(0.0, elapsed), 6),
            "total_time": round(max(0.0, elapsed) + 0.0021, 6), "created": time.time(),
            "completion_tokens": completion_tokens}


def _reply_record(reply, finish: str, usage: dict, thinking: str = "") -> dict:
    reasoning = {"reasoning": thinking} if thinking else {}
    if isinstance(reply, str):
        return {"text": reply, "finish_reason": finish, "usage": usage, **reasoning}
    return {"tool_calls": [{"name": c.name, "arguments": c.arguments} for c in _calls(reply)],
            "finish_reason": finish, "usage": usage, **reasoning}
