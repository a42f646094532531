"""The providers' official SDKs, unmodified, as independent clients of the emulators."""

from __future__ import annotations

import json

import pytest
from cartesia import AsyncCartesia
from elevenlabs.client import AsyncElevenLabs
from openai import AsyncOpenAI

from desktop_agent.simulator import SIMULATOR_API_KEYS, VOICES, ToolCall
from desktop_agent.simulator.voices import ELEVENLABS_VOICES, RETIRED_VOICE_ID

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}


@pytest.mark.asyncio
async def test_openai_streams_a_chat_with_a_tool_call_round_trip(sim):
    sim.llm.script([ToolCall("get_weather", {"location": "Paris"}), "It is sunny in Paris."])
    client = AsyncOpenAI(base_url=sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"])
    messages = [{"role": "user", "content": "Weather in Paris?"}]

    stream = await client.chat.completions.create(model="gpt-oss-120b", messages=messages, tools=[WEATHER_TOOL],
                                                  stream=True, stream_options={"include_usage": True})
    call_id, name, arguments, finish, usage = None, "", "", None, None
    async for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for call in choice.delta.tool_calls or []:
                assert call.index == 0
                call_id = call.id or call_id
                name += call.function.name or ""
                arguments += call.function.arguments or ""
    assert (name, json.loads(arguments), finish) == ("get_weather", {"location": "Paris"}, "tool_calls")
    assert usage.completion_tokens >= 2 and usage.prompt_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens

    messages += [{"role": "assistant", "tool_calls": [{"id": call_id, "type": "function",
                                                       "function": {"name": name, "arguments": arguments}}]},
                 {"role": "tool", "tool_call_id": call_id, "content": json.dumps({"conditions": "sunny"})}]
    stream = await client.chat.completions.create(model="gpt-oss-120b", messages=messages, tools=[WEATHER_TOOL],
                                                  stream=True)
    pieces = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == "It is sunny in Paris." and len(pieces) > 3
    second = sim.llm_requests()[-1]
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": call_id, "content": '{"conditions": "sunny"}'}

    # With the script used up, the default responder quotes the user, without streaming too.
    reply = await client.chat.completions.create(model="gpt-oss-120b",
                                                 messages=[{"role": "user", "content": "tell me a joke"}])
    assert reply.choices[0].message.content.startswith("You said: tell me a joke.")
    assert [m.id for m in (await client.models.list()).data][0] == "gpt-oss-120b"
    await client.close()


@pytest.mark.asyncio
async def test_elevenlabs_sdk_lists_searches_and_pages_voices(sim):
    client = AsyncElevenLabs(api_key=SIMULATOR_API_KEYS["elevenlabs"], base_url=sim.elevenlabs_http_url)

    everyone = await client.voices.get_all()
    assert [v.voice_id for v in everyone.voices] == [v.voice_id for v in ELEVENLABS_VOICES]
    assert everyone.voices[0].labels["accent"] == "american"
    assert RETIRED_VOICE_ID not in {v.voice_id for v in everyone.voices}
    assert "Rachel" not in {v.name for v in everyone.voices}

    british = await client.voices.search(search="british")
    assert {v.name for v in british.voices} == {"Emu Charlotte", "Emu George", "George"}
    assert british.total_count == 3 and british.has_more is False
    premade = await client.voices.search(category="premade", use_cases="conversational", sort="name")
    assert [v.name for v in premade.voices] == ["Eric", "Jessica", "River", "Roger"]
    assert {v.category for v in (await client.voices.search(voice_type="default")).voices} == {"premade"}
    spanish_women = await client.voices.search(language="es", gender="female")
    assert [v.voice_id for v in spanish_women.voices] == ["emu-voice-7"]
    assert [v.name for v in (await client.voices.search(accent="irish")).voices] == ["Emu Liam"]

    seen, token, pages = [], None, 0
    while True:
        page = await client.voices.search(page_size=5, next_page_token=token, include_total_count=True)
        pages += 1
        seen += [v.voice_id for v in page.voices]
        assert page.total_count == len(ELEVENLABS_VOICES)
        if not page.has_more:
            break
        token = page.next_page_token
    assert pages == 4 and seen == [v.voice_id for v in ELEVENLABS_VOICES]


@pytest.mark.asyncio
async def test_cartesia_sdk_pages_through_voices_with_its_cursor(sim):
    client = AsyncCartesia(api_key=SIMULATOR_API_KEYS["cartesia"], base_url=sim.cartesia_http_url)
    listed = [voice async for voice in client.voices.list(limit=5)]
    assert [v.id for v in listed] == [v.voice_id for v in VOICES]
    # Three full or partial pages, then the empty page that ends the SDK's auto-pagination.
    requests = sim.select("cartesia", "voices_request")
    assert len(requests) == 4 and requests[-1].data["query"]["starting_after"] == "emu-voice-12"
    assert requests[0].data["headers"]["authorization"] == "***"

    feminine = [voice async for voice in client.voices.list(gender="feminine")]
    assert feminine and all(v.gender == "feminine" for v in feminine)
    assert [v.name async for v in client.voices.list(q="parisian")] == ["Emu Camille"]
    await client.close()
