"""The Cerebras emulator's model catalogue and gpt-oss reasoning, seen through the official ``openai`` SDK and
Pipecat's own Cerebras service: the live models are listed, retired IDs answer 404 ``model_not_found`` as Cerebras
does, and reasoning streams before the answer without ever becoming text Pipecat would speak."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI
from pipecat.frames.frames import (
    ErrorFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMTextFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext

from desktop_agent.simulator import SIMULATOR_API_KEYS
from desktop_agent.simulator.cerebras import MODELS, RETIRED_MODELS
from desktop_agent.simulator.responder import tokens
from tests.simulator.pipeline_rig import VoiceRig

HELLO = [{"role": "user", "content": "hello there"}]


def client(sim) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"], max_retries=0)


@pytest.mark.asyncio
async def test_models_lists_the_live_catalogue_and_retired_ids_answer_404_model_not_found(sim):
    async with client(sim) as llm:
        assert [m.id for m in (await llm.models.list()).data] == ["gpt-oss-120b", "qwen-3.8-27b"] == list(MODELS)
        assert (await llm.models.retrieve("gpt-oss-120b")).id == "gpt-oss-120b"
        assert "llama-3.3-70b" in RETIRED_MODELS
        for retired in RETIRED_MODELS:
            with pytest.raises(openai.NotFoundError) as caught:
                await llm.chat.completions.create(model=retired, messages=HELLO, stream=True)
            assert caught.value.status_code == 404
            assert caught.value.body == {
                "message": f"Model {retired} does not exist or you do not have access to it.",
                "type": "not_found_error", "param": "model", "code": "model_not_found"}
            with pytest.raises(openai.NotFoundError):
                await llm.models.retrieve(retired)
    rejected = [r.data for r in sim.select("cerebras", "rejected")]
    assert [r["model"] for r in rejected] == list(RETIRED_MODELS)


@pytest.mark.asyncio
async def test_gpt_oss_streams_reasoning_first_as_much_as_the_effort_asks(sim):
    async def streamed(**extra) -> tuple[str, str, object]:
        stream = await llm.chat.completions.create(model="gpt-oss-120b", messages=HELLO, stream=True,
                                                   stream_options={"include_usage": True}, **extra)
        reasoning, content, usage, order = "", "", None, []
        async for chunk in stream:
            usage = chunk.usage or usage
            for choice in chunk.choices:
                thought = getattr(choice.delta, "reasoning", None)  # Cerebras' field, beyond the SDK's types
                if thought:
                    reasoning += thought
                    order.append("reasoning")
                if choice.delta.content:
                    content += choice.delta.content
                    order.append("content")
        assert order == sorted(order, key=lambda kind: kind == "content"), "all reasoning comes before the answer"
        return reasoning, content, usage

    async with client(sim) as llm:
        low, answer, usage = await streamed(reasoning_effort="low")
        assert answer == "You said: hello there. This is the simulated assistant answering."
        assert low.startswith('The user said "hello there".') and answer not in low
        reasoning_tokens = usage.completion_tokens_details.reasoning_tokens
        assert reasoning_tokens == len(tokens(low)) > 3 and usage.completion_tokens == reasoning_tokens + len(tokens(answer))
        medium, _, _ = await streamed()  # Cerebras' default effort
        high, _, _ = await streamed(reasoning_effort="high")
        assert len(low) * 3 < len(medium) < len(high)

        # A model that does not reason streams none; a reply read whole carries the reasoning beside the content.
        assert (await unreasoned_reply(llm, "qwen-3.8-27b")).startswith("You said: hello there.")
        whole = await llm.chat.completions.create(model="gpt-oss-120b", messages=HELLO, reasoning_effort="low")
        assert whole.choices[0].message.content == answer
        assert whole.choices[0].message.model_extra["reasoning"] == low
    assert sim.llm_requests()[0]["reasoning_effort"] == "low"


async def unreasoned_reply(llm: AsyncOpenAI, model: str) -> str:
    """The streamed answer of ``model``, checking that no reasoning came with it."""
    stream = await llm.chat.completions.create(model=model, messages=HELLO, stream=True)
    deltas = [chunk.choices[0].delta async for chunk in stream if chunk.choices]
    assert not any(getattr(delta, "reasoning", None) for delta in deltas)
    return "".join(delta.content or "" for delta in deltas)


@pytest.mark.asyncio
async def test_reasoning_counts_towards_the_token_limit(sim):
    sim.llm.script(["one two three four five six seven"])
    async with client(sim) as llm:
        reply = await llm.chat.completions.create(model="gpt-oss-120b", messages=HELLO, reasoning_effort="low",
                                                  max_completion_tokens=12)
    thought = reply.choices[0].message.model_extra["reasoning"]
    assert reply.usage.completion_tokens == 12 and reply.choices[0].finish_reason == "length"
    spoken = reply.choices[0].message.content
    assert spoken and "one two three four five six seven".startswith(spoken) and spoken != "one two three four five six seven"
    assert reply.usage.completion_tokens_details.reasoning_tokens + len(tokens(spoken)) == 12 and thought


@pytest.mark.asyncio
async def test_pipecat_gets_only_the_answer_as_text_and_a_404_for_a_retired_model(sim):
    """Pipecat's CerebrasLLMService, unmodified: reasoning deltas are never text frames (nothing to speak), and a
    retired model is a NotFoundError ErrorFrame."""
    async with VoiceRig(sim, model="gpt-oss-120b") as rig:
        await rig.worker.queue_frame(LLMContextFrame(LLMContext(messages=list(HELLO))))
        await sim.wait_for(lambda: rig.frames(LLMFullResponseEndFrame, "llm"), timeout=10)
    text = "".join(frame.text for frame in rig.frames(LLMTextFrame, "llm"))
    assert text == "You said: hello there. This is the simulated assistant answering."
    assert sim.select("cerebras", "llm_reply")[0].data["reasoning"].startswith('The user said "hello there".')
    assert not rig.frames(ErrorFrame)

    async with VoiceRig(sim, model="llama-3.3-70b") as rig:
        await rig.worker.queue_frame(LLMContextFrame(LLMContext(messages=list(HELLO))))
        await sim.wait_for(lambda: rig.frames(ErrorFrame), timeout=10)
    error = rig.frames(ErrorFrame)[0]
    assert isinstance(error.exception, openai.NotFoundError)
    assert error.exception.body["code"] == "model_not_found" and not rig.frames(LLMTextFrame, "llm")
