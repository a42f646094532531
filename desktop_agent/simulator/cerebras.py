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

What every OpenAI-style vendor shares (request handling, faults, pacing, pieces) is :mod:`openai_chat`; this module
is Cerebras' part: a missing key is 403 and a wrong one 401 with the captured bodies, the role rides on the first
token's chunk, and usage comes on the finishing chunk whether asked for or not.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from desktop_agent.simulator.common import json_response
from desktop_agent.simulator.openai_chat import (
    ChatModel,
    Event,
    OpenAIChatEmulator,
    Turn,
    reasoning_tokens,
)

PROVIDER = "cerebras"
#: The models Cerebras serves, as its public model lists of May and October 2026 name them.
MODELS = ("gpt-oss-120b", "qwen-3.8-27b")
#: IDs Cerebras has retired (this app's earlier choices among them); like any unknown ID they answer 404.
RETIRED_MODELS = (
    "llama-3.3-70b",
    "llama3.1-8b",
    "qwen-3-32b",
    "qwen-3-235b-a22b-instruct-2507",
    "zai-glm-4.6",
    "zai-glm-4.7",
)
REASONING_EFFORTS = ("low", "medium", "high")
DEFAULT_REASONING_EFFORT = "medium"


def reasons(model: str) -> bool:
    """Whether ``model`` streams reasoning before its answer (the gpt-oss family)."""
    return model.startswith("gpt-oss")


class CerebrasEmulator(OpenAIChatEmulator):
    provider = PROVIDER
    catalogue = tuple(
        ChatModel(name, owned_by="Cerebras", reasoning="streamed" if reasons(name) else "") for name in MODELS
    )
    retired = RETIRED_MODELS
    reasoning_efforts = REASONING_EFFORTS
    default_effort = DEFAULT_REASONING_EFFORT

    def key_refusal(self, token: str | None) -> tuple[int, dict[str, str]] | None:
        if super().key_refusal(token) is None:
            return None
        return (403 if token is None else 401), {}

    def bad_body(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "message": "Request body must be a JSON object with a 'messages' list.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "bad_request",
            },
            status=400,
        )

    def _chunk(self, turn: Turn, delta: dict, finish_reason: str | None = None, **extra: Any) -> dict:
        return {
            "id": turn.completion_id,
            "object": "chat.completion.chunk",
            "created": turn.created,
            "model": turn.served_as,
            "system_fingerprint": self.fingerprint,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            **extra,
        }

    def stream_events(self, turn: Turn) -> Iterator[tuple[bool, Event]]:
        # The role rides on the first piece's chunk; every piece is sent as it is, reasoning included.
        for i, piece in enumerate(turn.pieces):
            yield True, self._chunk(turn, {"role": "assistant", **piece} if i == 0 else piece)
        elapsed = turn.elapsed()
        turn.usage = self.usage(turn, elapsed)
        yield (
            False,
            self._chunk(turn, {}, turn.finish, usage=turn.usage, time_info=_time_info(elapsed, len(turn.pieces))),
        )
        yield False, "[DONE]"

    def usage(self, turn: Turn, elapsed: float) -> dict:
        usage = {**super().usage(turn, elapsed), "prompt_tokens_details": {"cached_tokens": 0}}
        if turn.thinking:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens(turn)}
        return usage

    def completion(self, turn: Turn, elapsed: float) -> dict:
        message = self.message(turn)
        if turn.thinking:
            message["reasoning"] = turn.thinking
        return {
            "id": turn.completion_id,
            "object": "chat.completion",
            "created": turn.created,
            "model": turn.served_as,
            "system_fingerprint": self.fingerprint,
            "choices": [{"index": 0, "message": message, "finish_reason": turn.finish}],
            "usage": turn.usage,
            "time_info": _time_info(elapsed, len(turn.pieces)),
        }

    def model_entry(self, model: ChatModel) -> dict:
        return {"id": model.id, "object": "model", "created": model.created, "owned_by": model.owned_by}


def _time_info(elapsed: float, completion_tokens: int) -> dict:
    return {
        "queue_time": 0.0001,
        "prompt_time": 0.002,
        "completion_time": round(max(0.0, elapsed), 6),
        "total_time": round(max(0.0, elapsed) + 0.0021, 6),
        "created": time.time(),
        "completion_tokens": completion_tokens,
    }
