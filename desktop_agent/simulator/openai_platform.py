"""OpenAI emulator: ``/v1/chat/completions`` and ``/v1/models`` as api.openai.com answers them.

Streaming follows recorded OpenAI streams: a first chunk with the role alone (``content: ""`` and ``refusal: null``
before text, ``content: null`` before tool calls), one token per chunk, each tool call streamed as its own
chunks (``index``, ``id``, ``type`` and the name with empty ``arguments`` first, then argument fragments carrying
only the ``index``), a chunk with an empty delta and the ``finish_reason``, and with ``stream_options.include_usage``
a last chunk with ``choices: []`` and the usage (every earlier chunk then says ``usage: null``). Chunks carry
``service_tier``, ``system_fingerprint``, ``logprobs: null`` and an ``obfuscation`` pad of random length, and name
the model's dated snapshot (``gpt-4o-mini`` answers as ``gpt-4o-mini-2024-07-18``).

Reasoning models (gpt-5-mini, o4-mini) think before they answer and never show it: the time passes and the tokens
are counted in ``completion_tokens_details.reasoning_tokens``. They refuse ``max_tokens`` (``max_completion_tokens``
is theirs) and any ``temperature`` but 1; the other models refuse ``reasoning_effort``, each with OpenAI's 400.

A missing key and a wrong key are both 401, each with OpenAI's own sentence (the wrong key shown masked, as OpenAI
does); unknown and shut-down models are 404 ``model_not_found``. Every answer carries ``x-request-id``,
``openai-version``, ``openai-processing-ms`` and the ``x-ratelimit-*`` headers, counting requests in the last minute.
"""

from __future__ import annotations

import collections
import random
import string
import time
import uuid
from collections.abc import Iterator

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

PROVIDER = "openai"
#: The chat models served, each with the dated snapshot its replies name, and whether it reasons (hidden).
CATALOGUE = (
    ChatModel("gpt-4.1", 1744316542, "system", "gpt-4.1-2025-04-14"),
    ChatModel("gpt-4.1-mini", 1744318173, "system", "gpt-4.1-mini-2025-04-14"),
    ChatModel("gpt-4.1-nano", 1744321707, "system", "gpt-4.1-nano-2025-04-14"),
    ChatModel("gpt-4o", 1715367049, "system", "gpt-4o-2024-08-06"),
    ChatModel("gpt-4o-mini", 1721172741, "system", "gpt-4o-mini-2024-07-18"),
    ChatModel("gpt-5-mini", 1754425928, "system", "gpt-5-mini-2025-08-07", reasoning="hidden"),
    ChatModel("o4-mini", 1744225351, "system", "o4-mini-2025-04-16", reasoning="hidden"),
)
#: Snapshots answer too, under their own name.
SNAPSHOTS = tuple(ChatModel(m.served_as, m.created, m.owned_by, reasoning=m.reasoning) for m in CATALOGUE)
MODELS = tuple(model.id for model in CATALOGUE)
#: Models OpenAI has shut down: 404 ``model_not_found`` saying so.
RETIRED_MODELS = (
    "gpt-4.5-preview",
    "o1-preview",
    "o1-mini",
    "gpt-4-32k",
    "gpt-4-vision-preview",
    "gpt-3.5-turbo-0613",
    "text-davinci-003",
)
REQUESTS_PER_MINUTE = 5000
TOKENS_PER_MINUTE = 4_000_000


def mask_key(key: str) -> str:
    """The key as OpenAI shows a refused one: its first three and last four characters."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


class OpenAIEmulator(OpenAIChatEmulator):
    provider = PROVIDER
    catalogue = CATALOGUE + SNAPSHOTS
    retired = RETIRED_MODELS
    reasoning_efforts = ("minimal", "low", "medium", "high")
    fingerprint = "fp_sim0penai"

    def __init__(self, env: Env, script: ReplyScript) -> None:
        super().__init__(env, script)
        self._recent: collections.deque[float] = collections.deque()

    # ------------------------------------------------------------------------------------------- requests
    def key_refusal(self, token: str | None) -> tuple[int, dict[str, str]] | None:
        if super().key_refusal(token) is None:
            return None
        return 401, ({"missing_key": "yes"} if token is None else {"key": mask_key(token)})

    def bad_body(self, request: web.Request) -> web.Response:
        return self._invalid(
            request, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
        )

    def model_refusal(self, request: web.Request, body: dict, name: str) -> web.Response | None:
        if name in self.retired:
            return self.refuse(request, 404, model=name, retired="yes")
        model = self.find_model(name)
        if model is None:
            return self.refuse(request, 404, model=name)
        if model.reasoning:
            if body.get("max_tokens") is not None:
                return self._invalid(
                    request,
                    "Unsupported parameter: 'max_tokens' is not supported with this "
                    "model. Use 'max_completion_tokens' instead.",
                    "max_tokens",
                    "unsupported_parameter",
                )
            temperature = body.get("temperature")
            if temperature is not None and temperature != 1:
                return self._invalid(
                    request,
                    f"Unsupported value: 'temperature' does not support {temperature} "
                    "with this model. Only the default (1) value is supported.",
                    "temperature",
                    "unsupported_value",
                )
        elif body.get("reasoning_effort") is not None:
            return self._invalid(
                request,
                "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
                "reasoning_effort",
                "unsupported_parameter",
            )
        return None

    def _invalid(self, request: web.Request, message: str, param: str, code: str) -> web.Response:
        self.env.records.add(self.provider, "rejected", {"status": 400, "path": request.path, "param": param})
        return json_response(
            openai_style_error(message, "invalid_request_error", param, code), status=400, headers=self.headers(400)
        )

    def thinking(self, body: dict, model: ChatModel) -> str:
        if body.get("reasoning_effort") == "minimal":
            return ""
        return super().thinking(body, model)

    def new_call_id(self) -> str:
        return "call_" + "".join(random.choices(string.ascii_letters + string.digits, k=24))

    def new_completion_id(self) -> str:
        return "chatcmpl-" + "".join(random.choices(string.ascii_letters + string.digits, k=29))

    def headers(self, status: int, model: str = "") -> dict[str, str]:
        now = time.monotonic()
        while self._recent and self._recent[0] < now - 60:
            self._recent.popleft()
        if status == 200:
            self._recent.append(now)
        limited = status == 429
        remaining = 0 if limited else max(0, REQUESTS_PER_MINUTE - len(self._recent))
        return {
            "x-request-id": f"req_{uuid.uuid4().hex}",
            "openai-version": "2020-10-01",
            "openai-organization": "user-simulator",
            "openai-processing-ms": str(random.randint(80, 400)),
            "x-ratelimit-limit-requests": str(REQUESTS_PER_MINUTE),
            "x-ratelimit-limit-tokens": str(TOKENS_PER_MINUTE),
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-remaining-tokens": str(0 if limited else TOKENS_PER_MINUTE - 100 * len(self._recent)),
            "x-ratelimit-reset-requests": "1s" if limited else "12ms",
            "x-ratelimit-reset-tokens": "0s",
        }

    # ---------------------------------------------------------------------------------------------- replies
    def _chunk(
        self, turn: Turn, delta: dict | None, finish_reason: str | None = None, usage: dict | None = None
    ) -> dict:
        chunk: dict = {
            "id": turn.completion_id,
            "object": "chat.completion.chunk",
            "created": turn.created,
            "model": turn.served_as,
            "service_tier": _service_tier(turn.body),
            "system_fingerprint": self.fingerprint,
        }
        chunk["choices"] = (
            [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        )
        if turn.include_usage:
            chunk["usage"] = usage
        options = turn.body.get("stream_options")
        if not (isinstance(options, dict) and options.get("include_obfuscation") is False):
            chunk["obfuscation"] = "".join(
                random.choices(string.ascii_letters + string.digits, k=random.randint(0, 16))
            )
        return chunk

    def stream_events(self, turn: Turn) -> Iterator[tuple[bool, Event]]:
        first = (
            {"role": "assistant", "content": "", "refusal": None}
            if turn.text
            else {"role": "assistant", "content": None}
        )
        role_sent = False
        # Hidden reasoning comes first: its time passes before the role chunk, which leads what is shown.
        for paced, event in self.answer_events(turn, lambda delta: self._chunk(turn, delta)):
            if event is not None and not role_sent:
                role_sent = True
                yield False, self._chunk(turn, first)
            yield paced, event
        if not role_sent:  # the token limit ended the reply within its reasoning
            yield False, self._chunk(turn, first)
        yield False, self._chunk(turn, {}, turn.finish)
        turn.usage = self.usage(turn, 0.0)
        if turn.include_usage:
            yield False, self._chunk(turn, None, usage=turn.usage)
        yield False, "[DONE]"

    def usage(self, turn: Turn, elapsed: float) -> dict:
        return {
            **super().usage(turn, elapsed),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": reasoning_tokens(turn),
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def completion(self, turn: Turn, elapsed: float) -> dict:
        message = self.message(turn, refusal=None, annotations=[])
        return {
            "id": turn.completion_id,
            "object": "chat.completion",
            "created": turn.created,
            "model": turn.served_as,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": turn.finish}],
            "usage": turn.usage,
            "service_tier": _service_tier(turn.body),
            "system_fingerprint": self.fingerprint,
        }


def _service_tier(body: dict) -> str:
    """The tier that served the request: the one asked for, ``auto`` meaning ``default``."""
    tier = body.get("service_tier")
    return tier if tier in ("flex", "priority", "scale") else "default"
