"""A local OpenAI-compatible server (Ollama, LM Studio, vLLM style): ``/v1/chat/completions`` and ``/v1/models``
that take any key or none, shaped like Ollama's OpenAI layer, plus Ollama's own ``/api/tags`` model list.

Ollama streams every chunk with ``role: "assistant"`` and a ``content`` in its delta (``""`` beside reasoning or a
tool call), one token per chunk, each tool call whole in a chunk of its own with its ``index``, then a chunk with
``content: ""`` and the ``finish_reason``, and with ``stream_options.include_usage`` a last chunk with
``choices: []`` and the three token counts. Chunks name the model as it was asked for and carry
``system_fingerprint: "fp_ollama"``; there are no ``logprobs``, rate limits or request ids.

The models are those "pulled" on this machine (:data:`MODELS`); a name without a tag means ``:latest``, as Ollama
reads it. Any other name is 404 ``not_found_error`` with Ollama's ``model "…" not found, try pulling it first``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from desktop_agent.simulator.common import json_response, request_summary
from desktop_agent.simulator.openai_chat import (
    ChatModel,
    Event,
    OpenAIChatEmulator,
    Turn,
)

PROVIDER = "local_llm"
#: What ``ollama list`` would show: name, family, parameter size, quantisation, bytes on disk, when it was pulled.
_PULLED = (
    ("llama3.2:latest", "llama", "3.2B", "Q4_K_M", 2019393189, 1733000000),
    ("llama3.2:3b", "llama", "3.2B", "Q4_K_M", 2019393189, 1733000000),
    ("llama3.1:8b", "llama", "8.0B", "Q4_K_M", 4920753328, 1730000000),
    ("qwen2.5:7b", "qwen2", "7.6B", "Q4_K_M", 4683087332, 1735000000),
)
CATALOGUE = tuple(ChatModel(name, pulled, "library") for name, _, _, _, _, pulled in _PULLED)
MODELS = tuple(model.id for model in CATALOGUE)


class LocalLLMEmulator(OpenAIChatEmulator):
    provider = PROVIDER
    catalogue = CATALOGUE
    whole_tool_calls = True
    fingerprint = "fp_ollama"

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)
        app.router.add_get("/api/tags", self.tags)

    def key_refusal(self, token: str | None) -> tuple[int, dict[str, str]] | None:
        return None  # a server on this machine takes any key, or none

    def find_model(self, name: str) -> ChatModel | None:
        return super().find_model(name if ":" in name else f"{name}:latest")

    def model_entry(self, model: ChatModel) -> dict:
        return {"id": model.id, "object": "model", "created": model.created, "owned_by": model.owned_by}

    async def show_model(self, request: web.Request) -> web.Response:
        name = request.match_info["model"]
        model = self.find_model(name)
        if model is None:
            return self.refuse(request, 404, record=False, model=name)
        return json_response({**self.model_entry(model), "id": name})  # Ollama names it as it was asked

    async def tags(self, request: web.Request) -> web.Response:
        """Ollama's native model list."""
        self.env.records.add(self.provider, "models_request", request_summary(request))
        return json_response({"models": [_tag(*pulled) for pulled in _PULLED]})

    def new_completion_id(self) -> str:
        return f"chatcmpl-{random.randint(0, 999)}"

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
            else [{"index": 0, "delta": {"role": "assistant", "content": "", **delta}, "finish_reason": finish_reason}],
            **extra,
        }

    def stream_events(self, turn: Turn) -> Iterator[tuple[bool, Event]]:
        yield from self.answer_events(turn, lambda delta: self._chunk(turn, delta))
        yield False, self._chunk(turn, {}, turn.finish)
        turn.usage = self.usage(turn, turn.elapsed())
        if turn.include_usage:
            yield False, self._chunk(turn, None, usage=turn.usage)
        yield False, "[DONE]"

    def completion(self, turn: Turn, elapsed: float) -> dict:
        message: dict = {"role": "assistant", "content": turn.reply if turn.text else ""}
        if turn.thinking and self.reasoning_shown(turn):
            message["reasoning"] = turn.thinking
        if not turn.text:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "index": index,
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for index, (call_id, call) in enumerate(turn.calls)
            ]
        return {
            "id": turn.completion_id,
            "object": "chat.completion",
            "created": turn.created,
            "model": turn.served_as,
            "system_fingerprint": self.fingerprint,
            "choices": [{"index": 0, "message": message, "finish_reason": turn.finish}],
            "usage": turn.usage,
        }


def _tag(name: str, family: str, size: str, quantisation: str, size_bytes: int, pulled: int) -> dict:
    digest = hashlib.sha256(name.split(":")[0].encode() + size.encode()).hexdigest()
    return {
        "name": name,
        "model": name,
        "modified_at": datetime.datetime.fromtimestamp(pulled, datetime.UTC).isoformat(),
        "size": size_bytes,
        "digest": digest,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": size,
            "quantization_level": quantisation,
        },
    }
