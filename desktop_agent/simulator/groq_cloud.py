"""Groq emulator: OpenAI-style chat completions below ``/openai/v1`` (``/openai/v1/chat/completions``,
``/openai/v1/models``), as api.groq.com answers them. Pipecat's GroqLLMService takes ``…/openai/v1`` as its base URL;
the groq SDK takes the server root and adds ``/openai/v1`` itself.

Streaming follows recorded Groq streams: a first chunk with ``role`` and ``content: ""`` and ``x_groq: {"id"}``, one
token per chunk, each tool call whole in a chunk of its own (``id``, ``type``, name and all its arguments, with its
``index``), sent when its last token is due; then a chunk with an empty delta, the ``finish_reason`` and ``x_groq``
with the usage (Groq's usage adds ``queue_time``, ``prompt_time``, ``completion_time`` and ``total_time``). With
``stream_options.include_usage`` that chunk also carries ``usage``, and a last chunk with ``choices: []``, the usage
and ``service_tier`` follows. Chunks carry ``logprobs: null``.

The gpt-oss models reason first: ``delta.reasoning`` tokens (``message.reasoning`` in a whole reply), as many as
``reasoning_effort`` asks for (``medium`` by default), hidden but still timed and counted with
``include_reasoning: false``. Other models refuse ``reasoning_effort`` (Pipecat's GroqLLMService notes they reject
it); the words of that 400 are a stand-in.

A missing or wrong key is 401 ``invalid_api_key``; an unknown model 404 ``model_not_found``; a decommissioned one
400 ``model_decommissioned`` (Groq's answer for the models it has shut down; the model list never names them).
Every answer carries ``x-request-id``, ``x-groq-region`` and the ``x-ratelimit-*`` headers (requests per day,
tokens per minute); ``retry-after`` comes only with a 429.
"""

from __future__ import annotations

import collections
import random
import string
import time
import uuid
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from desktop_agent.simulator.common import Env, json_response
from desktop_agent.simulator.errors import openai_style_error
from desktop_agent.simulator.openai_chat import (
    ChatModel,
    Event,
    OpenAIChatEmulator,
    Turn,
    reasoning_tokens,
)
from desktop_agent.simulator.responder import ReplyScript

PROVIDER = "groq"
ROOT = "/openai/v1"


def _model(name: str, created: int, owner: str, max_completion: int, reasoning: str = "") -> ChatModel:
    return ChatModel(
        name,
        created,
        owner,
        reasoning=reasoning,
        listed={"active": True, "context_window": 131072, "public_apps": None, "max_completion_tokens": max_completion},
    )


CATALOGUE = (
    _model("openai/gpt-oss-120b", 1754408224, "OpenAI", 65536, reasoning="streamed"),
    _model("openai/gpt-oss-20b", 1754407957, "OpenAI", 65536, reasoning="streamed"),
    _model("llama-3.3-70b-versatile", 1733447754, "Meta", 32768),
    _model("llama-3.1-8b-instant", 1693721698, "Meta", 131072),
    _model("meta-llama/llama-4-scout-17b-16e-instruct", 1743874824, "Meta", 8192),
)
MODELS = tuple(model.id for model in CATALOGUE)
#: Models Groq has decommissioned: 400 ``model_decommissioned``.
RETIRED_MODELS = (
    "llama3-70b-8192",
    "llama3-8b-8192",
    "gemma2-9b-it",
    "mixtral-8x7b-32768",
    "llama-3.1-70b-versatile",
    "deepseek-r1-distill-llama-70b",
    "meta-llama/llama-4-maverick-17b-128e-instruct",
    "moonshotai/kimi-k2-instruct",
)
REQUESTS_PER_DAY = 14400
TOKENS_PER_MINUTE = 300_000
_ID_CHARACTERS = "0123456789abcdefghjkmnpqrstvwxyz"  # Groq's request ids are lower-case Crockford base32


class GroqEmulator(OpenAIChatEmulator):
    provider = PROVIDER
    root = ROOT
    catalogue = CATALOGUE
    retired = RETIRED_MODELS
    whole_tool_calls = True
    fingerprint = "fp_sim6r0q"

    def __init__(self, env: Env, script: ReplyScript) -> None:
        super().__init__(env, script)
        self._today: collections.deque[float] = collections.deque()

    # ------------------------------------------------------------------------------------------- requests
    def bad_body(self, request: web.Request) -> web.Response:
        return self._invalid(request, "'messages' : property 'messages' is missing", "messages")

    def model_refusal(self, request: web.Request, body: dict, name: str) -> web.Response | None:
        if name in self.retired:
            return self.refuse(request, 400, model=name, retired="yes")
        model = self.find_model(name)
        if model is None:
            return self.refuse(request, 404, model=name)
        if not model.reasoning and body.get("reasoning_effort") is not None:
            return self._invalid(request, "reasoning_effort is not supported with this model", "reasoning_effort")
        return None

    def _invalid(self, request: web.Request, message: str, param: str) -> web.Response:
        self.env.records.add(self.provider, "rejected", {"status": 400, "path": request.path, "param": param})
        return json_response(
            openai_style_error(message, "invalid_request_error", code="bad_request", with_param=False),
            status=400,
            headers=self.headers(400),
        )

    def reasoning_shown(self, turn: Turn) -> bool:
        return super().reasoning_shown(turn) and turn.body.get("include_reasoning") is not False

    def new_call_id(self) -> str:
        return "call_" + "".join(random.choices(string.ascii_lowercase + string.digits, k=24))

    def new_completion_id(self) -> str:
        return f"chatcmpl-{uuid.uuid4()}"

    def headers(self, status: int, model: str = "") -> dict[str, str]:
        now = time.monotonic()
        while self._today and self._today[0] < now - 86400:
            self._today.popleft()
        if status == 200:
            self._today.append(now)
        limited = status == 429
        return {
            "x-request-id": _request_id(),
            "x-groq-region": "sim-loopback",
            "x-ratelimit-limit-requests": str(REQUESTS_PER_DAY),
            "x-ratelimit-limit-tokens": str(TOKENS_PER_MINUTE),
            "x-ratelimit-remaining-requests": str(0 if limited else max(0, REQUESTS_PER_DAY - len(self._today))),
            "x-ratelimit-remaining-tokens": str(0 if limited else TOKENS_PER_MINUTE - 100),
            "x-ratelimit-reset-requests": "2m59.56s" if limited else "6s",
            "x-ratelimit-reset-tokens": "7.66s" if limited else "20ms",
        }

    # ---------------------------------------------------------------------------------------------- replies
    def _chunk(self, turn: Turn, delta: dict | None, finish_reason: str | None = None, **extra: Any) -> dict:
        return {
            "id": turn.completion_id,
            "object": "chat.completion.chunk",
            "created": turn.created,
            "model": turn.served_as,
            "system_fingerprint": self.fingerprint,
            "choices": []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            **extra,
        }

    def stream_events(self, turn: Turn) -> Iterator[tuple[bool, Event]]:
        turn.request_id = _request_id()
        yield False, self._chunk(turn, {"role": "assistant", "content": ""}, x_groq={"id": turn.request_id})
        yield from self.answer_events(turn, lambda delta: self._chunk(turn, delta))
        turn.usage = self.usage(turn, turn.elapsed())
        finish = self._chunk(turn, {}, turn.finish, x_groq={"id": turn.request_id, "usage": turn.usage})
        if turn.include_usage:
            finish["usage"] = turn.usage
        yield False, finish
        if turn.include_usage:
            yield False, self._chunk(turn, None, usage=turn.usage, service_tier="on_demand")
        yield False, "[DONE]"

    def usage(self, turn: Turn, elapsed: float) -> dict:
        counts = super().usage(turn, elapsed)
        queue, prompt = 0.0187, 0.0021
        completion = round(max(0.0, elapsed - queue - prompt), 9)
        usage = {
            "queue_time": queue,
            "prompt_tokens": counts["prompt_tokens"],
            "prompt_time": prompt,
            "completion_tokens": counts["completion_tokens"],
            "completion_time": completion,
            "total_tokens": counts["total_tokens"],
            "total_time": round(prompt + completion, 9),
        }
        if turn.thinking:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens(turn)}
        return usage

    def completion(self, turn: Turn, elapsed: float) -> dict:
        shown = {"reasoning": turn.thinking} if turn.thinking and self.reasoning_shown(turn) else {}
        return {
            "id": turn.completion_id,
            "object": "chat.completion",
            "created": turn.created,
            "model": turn.served_as,
            "choices": [
                {"index": 0, "message": self.message(turn, **shown), "logprobs": None, "finish_reason": turn.finish}
            ],
            "usage": turn.usage,
            "usage_breakdown": None,
            "system_fingerprint": self.fingerprint,
            "x_groq": {"id": _request_id()},
            "service_tier": "on_demand",
        }


def _request_id() -> str:
    return "req_" + "".join(random.choices(_ID_CHARACTERS, k=26))
