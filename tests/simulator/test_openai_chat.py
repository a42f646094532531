"""The OpenAI, Groq and local (Ollama-style) chat-completions emulators, seen through the official ``openai`` and
``groq`` SDKs and Pipecat's own OpenAI and Groq services, unmodified: streamed replies, two parallel tool calls
streamed one call per chunk, model lists, refused keys and models, rate limits the SDKs' retries honour, and faults.
"""

from __future__ import annotations

import asyncio
import json
from typing import Self

import aiohttp
import groq
import httpx
import openai
import pytest
from groq import AsyncGroq
from openai import AsyncOpenAI
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import (
    ErrorFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMTextFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
)
from pipecat.services.groq.llm import GroqLLMService
from pipecat.services.llm_service import FunctionCallParams
from pipecat.services.openai.llm import OpenAILLMService
from pipecat.workers.runner import WorkerRunner

from desktop_agent.simulator import (
    SIMULATOR_API_KEYS,
    Fault,
    ToolCall,
    groq_cloud,
    local_llm,
    openai_platform,
)
from desktop_agent.simulator.faults import FaultBook
from tests.simulator.pipeline_rig import Seen, Tap

VENDORS = ("openai", "groq", "local_llm")
#: A live model of each vendor that answers at once (no reasoning), so event counts are the reply's.
MODEL = {"openai": "gpt-4.1-mini", "groq": "llama-3.3-70b-versatile", "local_llm": "llama3.2:3b"}
ERRORS = {"openai": openai, "groq": groq, "local_llm": openai}  # the exception module of each vendor's SDK
#: What each SDK raises when a stream is cut mid-way: the groq SDK lets httpx's error through unwrapped.
CUT = {"openai": openai.APIConnectionError, "groq": httpx.TransportError, "local_llm": openai.APIConnectionError}
HELLO = [{"role": "user", "content": "hello"}]
REPLY = "Sure. It is sunny in Paris today."
TWO_CALLS = [ToolCall("get_weather", {"location": "Paris", "unit": "celsius"}),
             ToolCall("get_time", {"timezone": "Europe/Paris"})]
TOOLS = [{"type": "function", "function": {"name": name, "description": name, "parameters": {
    "type": "object", "properties": {key: {"type": "string"} for key in keys}}}}
    for name, keys in (("get_weather", ("location", "unit")), ("get_time", ("timezone",)))]


def key(vendor: str) -> str:
    return SIMULATOR_API_KEYS.get(vendor, "ollama")  # a local server takes any key


def client(sim, vendor: str, **options) -> AsyncOpenAI | AsyncGroq:
    """The vendor's official SDK client: the groq SDK for Groq (at the server root), else the openai SDK."""
    api_key = options.pop("api_key", key(vendor))
    if vendor == "groq":
        return AsyncGroq(base_url=sim.groq_http_url, api_key=api_key, **options)
    return AsyncOpenAI(base_url=sim.url(vendor), api_key=api_key, **options)


# ------------------------------------------------------------------------------------------------ the SDKs
@pytest.mark.asyncio
@pytest.mark.parametrize("vendor", VENDORS)
async def test_sdk_streams_a_reply_token_by_token(sim, vendor):
    sim.llm.script([REPLY])
    # The groq SDK has no stream_options: its usage comes in x_groq on the finishing chunk.
    asked = {} if vendor == "groq" else {"stream_options": {"include_usage": True}}
    async with client(sim, vendor) as llm:
        stream = await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO, stream=True, **asked)
        chunks = [chunk async for chunk in stream]
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == REPLY and len(pieces) > 5
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    if vendor == "groq":  # Groq's request id opens and closes the stream, with the timed usage at the end
        marked = [c for c in chunks if c.x_groq]
        assert marked == [chunks[0], chunks[-1]] and chunks[0].x_groq.id == chunks[-1].x_groq.id
        usage = chunks[-1].x_groq.usage
        assert usage.total_time > 0 and chunks[-1].usage is None
    else:  # the usage asked for comes last, in a chunk of its own
        usage = chunks[-1].usage
        assert chunks[-1].choices == []
    assert usage.completion_tokens == len(pieces) and usage.total_tokens == usage.prompt_tokens + len(pieces)
    assert len({c.id for c in chunks}) == 1
    if vendor == "openai":  # the dated snapshot answers
        assert {c.model for c in chunks} == {"gpt-4.1-mini-2025-04-14"}
    assert sim.llm_requests()[-1]["model"] == MODEL[vendor] and sim.llm_replies()[-1]["text"] == REPLY


@pytest.mark.asyncio
@pytest.mark.parametrize("vendor", VENDORS)
async def test_sdk_gets_two_parallel_tool_calls_one_call_per_chunk(sim, vendor):
    sim.llm.script([TWO_CALLS])
    async with client(sim, vendor) as llm:
        stream = await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO, tools=TOOLS, stream=True)
        calls: dict[int, dict] = {}
        finish = None
        async for chunk in stream:
            for choice in chunk.choices:
                finish = choice.finish_reason or finish
                deltas = choice.delta.tool_calls or []
                assert len(deltas) <= 1, "one tool call per chunk: Pipecat reads only the first"
                for delta in deltas:
                    call = calls.setdefault(delta.index, {"id": None, "name": "", "arguments": "", "chunks": 0})
                    call["id"] = delta.id or call["id"]
                    call["name"] += (delta.function.name or "") if delta.function else ""
                    call["arguments"] += (delta.function.arguments or "") if delta.function else ""
                    call["chunks"] += 1
    assert finish == "tool_calls" and sorted(calls) == [0, 1]
    assert [(calls[i]["name"], json.loads(calls[i]["arguments"])) for i in (0, 1)] == [
        (call.name, call.arguments) for call in TWO_CALLS]
    assert calls[0]["id"] != calls[1]["id"] and all(call["id"] for call in calls.values())
    if vendor == "openai":  # the name first, then the arguments in several fragments
        assert all(call["chunks"] >= 3 for call in calls.values())
    else:  # Groq and Ollama send each call whole
        assert all(call["chunks"] == 1 for call in calls.values())
    assert sim.llm_replies()[-1]["tool_calls"] == [{"name": c.name, "arguments": c.arguments} for c in TWO_CALLS]


@pytest.mark.asyncio
async def test_model_lists(sim):
    async with client(sim, "openai") as llm:
        listed = [m.id for m in (await llm.models.list()).data]
        assert listed[:len(openai_platform.MODELS)] == list(openai_platform.MODELS)
        assert {"gpt-4.1-mini", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"} <= set(listed)
        assert (await llm.models.retrieve("gpt-4.1-mini")).owned_by == "system"
    async with client(sim, "groq") as llm:
        models = (await llm.models.list()).data
        assert [m.id for m in models] == list(groq_cloud.MODELS)
        assert {"llama-3.3-70b-versatile", "openai/gpt-oss-20b"} <= {m.id for m in models}
        scout = await llm.models.retrieve("openai/gpt-oss-20b")  # an ID with a slash, sent as %2F
        assert scout.id == "openai/gpt-oss-20b" and scout.model_extra["context_window"] == 131072
    async with aiohttp.ClientSession() as http:  # no key at all: a local server does not ask for one
        async with http.get(f"{sim.local_llm_url}/models") as response:
            assert response.status == 200
            listed = await response.json()
        assert [m["id"] for m in listed["data"]] == list(local_llm.MODELS)
        assert {"llama3.2:3b", "qwen2.5:7b"} <= {m["id"] for m in listed["data"]}
        assert {m["owned_by"] for m in listed["data"]} == {"library"}
        async with http.get(sim.local_llm_url.removesuffix("/v1") + "/api/tags") as response:
            tags = await response.json()
        assert [m["name"] for m in tags["models"]] == list(local_llm.MODELS)
        assert tags["models"][0]["details"]["format"] == "gguf"


@pytest.mark.asyncio
async def test_local_server_answers_without_a_key_and_with_any_key(sim):
    body = {"model": "llama3.2", "messages": HELLO, "stream": True}  # no tag: Ollama reads it as llama3.2:latest
    async with aiohttp.ClientSession() as http, \
            http.post(f"{sim.local_llm_url}/chat/completions", json=body) as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
        events = [line[6:] for line in (await response.text()).splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert all(c["choices"][0]["delta"]["role"] == "assistant" for c in chunks)  # Ollama repeats the role
    assert {c["model"] for c in chunks} == {"llama3.2"} and {c["system_fingerprint"] for c in chunks} == {"fp_ollama"}
    assert "".join(c["choices"][0]["delta"]["content"] for c in chunks).startswith("You said: hello.")
    async with client(sim, "local_llm", api_key="anything-at-all") as llm:
        reply = await llm.chat.completions.create(model="qwen2.5:7b", messages=HELLO)
    assert reply.choices[0].message.content.startswith("You said: hello.")
    assert not sim.select("local_llm", "rejected")


@pytest.mark.asyncio
async def test_wrong_or_missing_key_is_401_with_each_vendors_body(sim):
    async with client(sim, "openai", api_key="sk-wrong-but-long-enough-1234", max_retries=0) as llm:
        with pytest.raises(openai.AuthenticationError) as caught:
            await llm.chat.completions.create(model=MODEL["openai"], messages=HELLO, stream=True)
    assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"
    assert "sk-****" in caught.value.message and "1234" in caught.value.message  # masked as OpenAI masks it
    assert "sk-wrong-but-long-enough-1234" not in caught.value.message
    async with client(sim, "groq", api_key="gsk_wrong", max_retries=0) as llm:
        with pytest.raises(groq.AuthenticationError) as caught_groq:
            await llm.chat.completions.create(model=MODEL["groq"], messages=HELLO)
        with pytest.raises(groq.AuthenticationError):
            await llm.models.list()
    assert caught_groq.value.body == {"error": {"message": "Invalid API Key", "type": "invalid_request_error",
                                                "code": "invalid_api_key"}}
    async with aiohttp.ClientSession() as http, \
            http.post(f"{sim.openai_url}/chat/completions", json={"model": "gpt-4o", "messages": HELLO}) as r:
        assert r.status == 401 and "didn't provide an API key" in (await r.json())["error"]["message"]
    assert [r.data["status"] for r in sim.select("openai", "rejected")] == [401, 401]
    assert len(sim.select("groq", "rejected")) == 2
    recorded = json.dumps([r.data for r in sim.records] + [r.meta for r in sim.records])
    assert "sk-wrong" not in recorded and "gsk_wrong" not in recorded


@pytest.mark.asyncio
async def test_unknown_and_retired_models(sim):
    async with client(sim, "openai", max_retries=0) as llm:
        with pytest.raises(openai.NotFoundError) as unknown:
            await llm.chat.completions.create(model="gpt-9-imaginary", messages=HELLO, stream=True)
        with pytest.raises(openai.NotFoundError) as retired:
            await llm.chat.completions.create(model="gpt-4.5-preview", messages=HELLO)
        with pytest.raises(openai.NotFoundError):
            await llm.models.retrieve("gpt-9-imaginary")
    assert unknown.value.code == retired.value.code == "model_not_found"
    assert "`gpt-9-imaginary` does not exist" in unknown.value.message and "deprecated" in retired.value.message

    async with client(sim, "groq", max_retries=0) as llm:
        with pytest.raises(groq.NotFoundError) as unknown_groq:
            await llm.chat.completions.create(model="llama-9-imaginary", messages=HELLO, stream=True)
        with pytest.raises(groq.BadRequestError) as decommissioned:  # Groq's answer for a shut-down model
            await llm.chat.completions.create(model="llama3-70b-8192", messages=HELLO)
    assert unknown_groq.value.body["error"]["code"] == "model_not_found"
    assert decommissioned.value.body["error"]["code"] == "model_decommissioned"

    async with client(sim, "local_llm", max_retries=0) as llm:
        with pytest.raises(openai.NotFoundError) as not_pulled:
            await llm.chat.completions.create(model="mistral:7b", messages=HELLO)
    assert not_pulled.value.body == {"message": 'model "mistral:7b" not found, try pulling it first',
                                     "type": "not_found_error", "param": None, "code": None}
    assert [r.data["model"] for r in sim.select(kind="rejected")] == [
        "gpt-9-imaginary", "gpt-4.5-preview", "llama-9-imaginary", "llama3-70b-8192", "mistral:7b"]


@pytest.mark.asyncio
@pytest.mark.parametrize("vendor", ("openai", "groq"))
async def test_rate_limit_retry_after_is_honoured_by_the_sdk(sim, vendor):
    sim.fault(vendor, Fault.http(429, retry_after=0.4, times=1))
    async with client(sim, vendor) as llm:  # the SDK's default retries
        reply = await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO)
    assert reply.choices[0].message.content.startswith("You said: hello.")
    first, second = sim.select(vendor, "llm_request")
    assert second.at - first.at >= 0.4
    assert second.meta["headers"]["x-stainless-retry-count"] == "1"

    sim.fault(vendor, Fault.http(429, retry_after=2))
    async with client(sim, vendor, max_retries=0) as llm:
        with pytest.raises(ERRORS[vendor].RateLimitError) as caught:
            await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO, stream=True)
    headers = caught.value.response.headers
    assert headers["retry-after"] == "2" and headers["x-ratelimit-remaining-requests"] == "0"
    assert int(headers["x-ratelimit-limit-requests"]) > 0 and headers["x-request-id"].startswith("req_")
    body = caught.value.body if vendor == "openai" else caught.value.body["error"]
    assert body["code"] == "rate_limit_exceeded" and MODEL[vendor] in body["message"]
    assert len(sim.select(vendor, "llm_request")) == 3


@pytest.mark.asyncio
async def test_every_answer_carries_rate_limit_headers_counting_requests(sim):
    async with aiohttp.ClientSession() as http:
        remaining = []
        for _ in range(2):
            async with http.post(f"{sim.openai_url}/chat/completions", json={"model": "gpt-4o-mini", "messages": HELLO},
                                 headers={"Authorization": f"Bearer {SIMULATOR_API_KEYS['openai']}"}) as response:
                assert response.status == 200 and response.headers["openai-version"] == "2020-10-01"
                remaining.append(int(response.headers["x-ratelimit-remaining-requests"]))
        assert remaining[1] == remaining[0] - 1
        async with http.get(f"{sim.groq_url}/models",
                            headers={"Authorization": f"Bearer {SIMULATOR_API_KEYS['groq']}"}) as response:
            assert response.headers["x-ratelimit-limit-tokens"] and response.headers["x-groq-region"]
            assert "retry-after" not in response.headers  # Groq sends it only with a 429


@pytest.mark.asyncio
async def test_reasoning_models_of_openai_and_groq(sim):
    async with client(sim, "openai", max_retries=0) as llm:
        stream = await llm.chat.completions.create(model="gpt-5-mini", messages=HELLO, stream=True,
                                                   stream_options={"include_usage": True})
        chunks = [chunk async for chunk in stream]
        with pytest.raises(openai.BadRequestError) as max_tokens:
            await llm.chat.completions.create(model="gpt-5-mini", messages=HELLO, max_tokens=50)
        with pytest.raises(openai.BadRequestError) as effort:
            await llm.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, reasoning_effort="low")
    # OpenAI never shows the reasoning; it is counted.
    assert not any(getattr(c.choices[0].delta, "reasoning", None) for c in chunks if c.choices)
    answer = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert answer.startswith("You said: hello.")
    assert chunks[-1].usage.completion_tokens_details.reasoning_tokens > 10
    assert (max_tokens.value.param, max_tokens.value.code) == ("max_tokens", "unsupported_parameter")
    assert effort.value.param == "reasoning_effort"

    async with client(sim, "groq", max_retries=0) as llm:
        stream = await llm.chat.completions.create(model="openai/gpt-oss-20b", messages=HELLO, stream=True,
                                                   reasoning_effort="low")
        deltas = [c.choices[0].delta async for c in stream if c.choices]
        with pytest.raises(groq.BadRequestError):
            await llm.chat.completions.create(model="llama-3.3-70b-versatile", messages=HELLO,
                                              reasoning_effort="low")
    reasoning = "".join(d.reasoning or "" for d in deltas)
    assert reasoning.startswith('The user said "hello".')
    order = ["reasoning" if d.reasoning else "content" for d in deltas if d.reasoning or d.content]
    assert order == sorted(order, key=lambda kind: kind == "content") and "content" in order


def test_http_only_vendors_refuse_a_websocket_close_fault():
    book = FaultBook()
    for vendor in VENDORS:
        with pytest.raises(ValueError, match="no websocket endpoint"):
            book.arm(vendor, Fault.ws_close(1011))


@pytest.mark.asyncio
async def test_llm_requests_and_replies_cover_every_language_model_in_arrival_order(sim):
    sim.llm.script(["One.", "Two.", "Three.", "Four."])
    for vendor, model in (("groq", MODEL["groq"]), ("cerebras", "qwen-3.8-27b"), ("local_llm", MODEL["local_llm"]),
                          ("openai", MODEL["openai"])):
        async with AsyncOpenAI(base_url=sim.url(vendor), api_key=key(vendor)) as llm:
            await llm.chat.completions.create(model=model, messages=HELLO)
    assert [r["model"] for r in sim.llm_requests()] == ["llama-3.3-70b-versatile", "qwen-3.8-27b", "llama3.2:3b",
                                                        "gpt-4.1-mini"]
    assert [r["text"] for r in sim.llm_replies()] == ["One.", "Two.", "Three.", "Four."]


# ------------------------------------------------------------------------------------------------- faults
@pytest.mark.asyncio
@pytest.mark.parametrize("vendor", VENDORS)
async def test_cut_garbled_and_hung_streams(sim, vendor):
    errors = ERRORS[vendor]
    async with client(sim, vendor, max_retries=0) as llm:
        sim.fault(vendor, Fault.disconnect_after(3, times=1))
        stream = await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO, stream=True)
        received = []
        with pytest.raises(CUT[vendor]):
            async for chunk in stream:
                received.append(chunk)
        assert len(received) == 3

        sim.fault(vendor, Fault.malformed(times=1))
        stream = await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO, stream=True)
        with pytest.raises(json.JSONDecodeError):
            [chunk async for chunk in stream]

        sim.fault(vendor, Fault.hang(times=1))
        with pytest.raises(errors.APITimeoutError):
            await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO, timeout=0.3)

        sim.fault(vendor, Fault.http(503, times=1))
        with pytest.raises(errors.InternalServerError):
            await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO, stream=True)

        stream = await llm.chat.completions.create(model=MODEL[vendor], messages=HELLO, stream=True)
        assert len([chunk async for chunk in stream]) > 3  # faults used up: back to normal
    assert [r.data["kind"] for r in sim.select(vendor, "fault")] == ["disconnect_after", "malformed", "hang", "http"]


@pytest.mark.asyncio
async def test_dropping_the_connections_cuts_a_stream_in_flight(sim):
    sim.profile.llm_tokens_per_second = 2.0  # slow enough to be cut mid-way
    async with client(sim, "openai", max_retries=0) as llm:
        stream = await llm.chat.completions.create(model=MODEL["openai"], messages=HELLO, stream=True)
        received = []
        with pytest.raises(openai.APIConnectionError):
            async for chunk in stream:
                received.append(chunk)
                if len(received) == 2:
                    sim.drop_connections("openai")
    assert 2 <= len(received) < 6 and not sim.llm_replies()
    assert sim.select("openai", "connections_dropped")[0].data == {"count": 1}


# ------------------------------------------------------------------------------------------------- Pipecat
def pipecat_llm(sim, vendor: str, model: str):
    """Pipecat's own service for the vendor, unmodified, pointed at its emulator."""
    prompt = "You are a test assistant."
    if vendor == "groq":
        return GroqLLMService(api_key=key(vendor), base_url=sim.groq_url,
                              settings=GroqLLMService.Settings(model=model, system_instruction=prompt))
    return OpenAILLMService(api_key=key(vendor), base_url=sim.url(vendor),
                            settings=OpenAILLMService.Settings(model=model, system_instruction=prompt))


class LLMRig:
    """The language model in a small pipeline (a tap for errors pushed upstream, the LLM, a tap, the assistant
    aggregator, which reports tool results and asks the model again), fed one context frame."""

    def __init__(self, sim, llm, context: LLMContext) -> None:
        self.sim, self.llm, self.context = sim, llm, context
        self.seen: list[Seen] = []

    def frames(self, kind: type) -> list:
        return [s.frame for s in self.seen if isinstance(s.frame, kind)]

    async def __aenter__(self) -> Self:
        pair = LLMContextAggregatorPair(self.context)
        pipeline = Pipeline([Tap("source", self.seen), self.llm, Tap("llm", self.seen), pair.assistant()])
        self.worker = PipelineWorker(pipeline,
                                     params=PipelineParams(), idle_timeout_secs=None, enable_rtvi=False)
        self.runner = WorkerRunner(handle_sigint=False)
        await self.runner.add_workers(self.worker)
        self.task = asyncio.ensure_future(self.runner.run())
        await self.worker.queue_frame(LLMContextFrame(self.context))
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.worker.cancel(reason="test over")
        await asyncio.wait_for(self.task, 10)


@pytest.mark.asyncio
@pytest.mark.parametrize(("vendor", "model"), [("openai", "gpt-4.1-mini"), ("groq", "llama-3.3-70b-versatile"),
                                               ("groq", "openai/gpt-oss-20b"), ("local_llm", "qwen2.5:7b")])
async def test_pipecat_service_streams_a_reply(sim, vendor, model):
    sim.llm.script([REPLY])
    async with LLMRig(sim, pipecat_llm(sim, vendor, model), LLMContext(messages=list(HELLO))) as rig:
        await sim.wait_for(lambda: rig.frames(LLMFullResponseEndFrame), timeout=15)
    texts = [frame.text for frame in rig.frames(LLMTextFrame)]
    assert "".join(texts) == REPLY and len(texts) > 5  # streamed token by token; reasoning never becomes text
    assert not rig.frames(ErrorFrame)
    request = sim.llm_requests()[-1]
    assert request["stream"] is True and request["model"] == model
    assert request["messages"][-1] == {"role": "user", "content": "hello"}


@pytest.mark.asyncio
@pytest.mark.parametrize("vendor", VENDORS)
async def test_pipecat_service_runs_two_parallel_tool_calls(sim, vendor):
    """Both calls of one reply reach their registered functions with their arguments (Pipecat reads one tool call per
    chunk, so a second call sharing a chunk would be lost), and the model is asked again with both results."""
    sim.llm.script([TWO_CALLS, "It is sunny and ten past three."])
    llm = pipecat_llm(sim, vendor, MODEL[vendor])
    called: list[tuple[str, dict, str]] = []

    async def handler(params: FunctionCallParams) -> None:
        called.append((params.function_name, dict(params.arguments), params.tool_call_id))
        await params.result_callback({"ok": params.function_name})

    for call in TWO_CALLS:
        llm.register_function(call.name, handler)
    tools = ToolsSchema(standard_tools=[
        FunctionSchema("get_weather", "Weather.", {"location": {"type": "string"}, "unit": {"type": "string"}}, []),
        FunctionSchema("get_time", "Time.", {"timezone": {"type": "string"}}, [])])
    context = LLMContext(messages=[{"role": "user", "content": "Weather and time in Paris?"}], tools=tools)
    async with LLMRig(sim, llm, context) as rig:
        await sim.wait_for(lambda: len(sim.llm_replies()) == 2 and len(rig.frames(LLMFullResponseEndFrame)) == 2,
                           timeout=15)
    assert sorted((name, arguments) for name, arguments, _ in called) == sorted(
        (call.name, call.arguments) for call in TWO_CALLS)
    assert not rig.frames(ErrorFrame)
    first, second = sim.llm_requests()
    assert {tool["function"]["name"] for tool in first["tools"]} == {"get_weather", "get_time"}
    # Pipecat's context holds each call as an assistant message of its own, followed by its result.
    asked = [call for m in second["messages"] if m["role"] == "assistant" for call in m.get("tool_calls", [])]
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in asked] == [
        (call.name, call.arguments) for call in TWO_CALLS]
    results = [m for m in second["messages"] if m["role"] == "tool"]
    assert sorted(m["tool_call_id"] for m in results) == sorted(c["id"] for c in asked) == sorted(
        tool_call_id for _, _, tool_call_id in called)
    assert len({tool_call_id for _, _, tool_call_id in called}) == 2
    assert "".join(frame.text for frame in rig.frames(LLMTextFrame)) == "It is sunny and ten past three."


@pytest.mark.asyncio
async def test_pipecat_reports_a_retired_model_and_a_dropped_stream(sim):
    async with LLMRig(sim, pipecat_llm(sim, "openai", "gpt-4.5-preview"), LLMContext(messages=list(HELLO))) as rig:
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=15)
    error = rig.frames(ErrorFrame)[0]
    assert isinstance(error.exception, openai.NotFoundError) and error.exception.code == "model_not_found"

    sim.fault("groq", Fault.disconnect_after(4, times=1))  # the role chunk and three tokens, then the cut
    async with LLMRig(sim, pipecat_llm(sim, "groq", MODEL["groq"]), LLMContext(messages=list(HELLO))) as rig:
        await sim.wait_for(lambda: rig.frames(LLMFullResponseEndFrame), timeout=15)
    assert len(rig.frames(ErrorFrame)) == 1 and not sim.llm_replies()
    assert "".join(f.text for f in rig.frames(LLMTextFrame)) == "You said:"  # what came before the cut
