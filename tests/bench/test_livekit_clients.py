"""LiveKit Agents' own plugins, unchanged, against the simulator's emulators (the benchmark's second reference rests on
them): the ElevenLabs plugin's default MP3 websocket stream and its plain ``/stream`` synthesis, the Cartesia plugin
(ink-whisper: it never sends ``finalize``, the emulator finalizes after silence as Cartesia's server does) and the
OpenAI plugin pointed at the Cerebras emulator.

Needs the ``bench`` extra (``pip install -e '.[test,bench]'``); skipped without it, and marked ``bench`` like the
benchmark's other tests."""

from __future__ import annotations

import pytest

pytest.importorskip("livekit.agents", reason="LiveKit Agents comes with the bench extra")

from livekit import rtc  # noqa: E402
from livekit.agents import llm as lk_llm  # noqa: E402
from livekit.agents import stt as lk_stt  # noqa: E402
from livekit.agents.utils import http_context  # noqa: E402
from livekit.plugins import cartesia, elevenlabs, openai  # noqa: E402

from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator, synth, voices  # noqa: E402

pytestmark = [pytest.mark.bench, pytest.mark.asyncio]

VOICE = voices.VOICES[0].voice_id


def http(url: str) -> str:
    return "http" + url[2:] if url.startswith("ws") else url


def tts_plugin(sim: Simulator) -> elevenlabs.TTS:
    return elevenlabs.TTS(  # LiveKit's default encoding: mp3_22050_32
        voice_id=VOICE,
        model="eleven_flash_v2_5",
        api_key=SIMULATOR_API_KEYS["elevenlabs"],
        base_url=http(sim.elevenlabs_url) + "/v1",
    )


def seconds(frames: list[rtc.AudioFrame]) -> float:
    return sum(frame.samples_per_channel / frame.sample_rate for frame in frames)


async def test_elevenlabs_plugin_streams_and_synthesizes_mp3():
    text = "Hello there. How are you today?"
    expected = synth.synthesize(text, 22050, voices.pitch_for(VOICE)).duration_s
    async with Simulator(profile="instant") as sim, http_context.open():
        tts = tts_plugin(sim)
        stream = tts.stream()
        stream.push_text(text)
        stream.end_input()
        streamed = [event.frame async for event in stream]
        await stream.aclose()
        synthesized = [event.frame async for event in tts.synthesize(text)]
        await tts.aclose()
        sent = [r.data for r in sim.select("elevenlabs", "tts_connect")]
        posted = [r.meta["path"] for r in sim.select("elevenlabs", "tts_http_request")]
    assert [connect["query"]["output_format"] for connect in sent] == ["mp3_22050_32"]
    assert posted == [f"/v1/text-to-speech/{VOICE}/stream"]  # synthesize(): the plain stream endpoint
    # Two sentences, two MP3 streams: each may add a little encoder delay and padding.
    assert expected - 0.05 <= seconds(streamed) <= expected + 0.5
    assert expected - 0.05 <= seconds(synthesized) <= expected + 0.3
    assert {frame.sample_rate for frame in streamed + synthesized} == {22050}


async def test_cartesia_plugin_gets_a_final_transcript_after_silence():
    speech = synth.synthesize("What time is it?", 16000).pcm
    audio = speech + bytes(16000 * 2)  # a second of silence after the speech
    async with Simulator(profile="instant") as sim, http_context.open():
        stt = cartesia.STT(
            model="ink-whisper", api_key=SIMULATOR_API_KEYS["cartesia"], base_url=http(sim.cartesia_url), language="en"
        )
        stream = stt.stream()
        for start in range(0, len(audio), 640):
            chunk = audio[start : start + 640]
            stream.push_frame(rtc.AudioFrame(chunk, 16000, 1, len(chunk) // 2))
        finals = []
        async for event in stream:
            if event.type is lk_stt.SpeechEventType.FINAL_TRANSCRIPT:
                finals.append(event.alternatives[0].text)
                break
        await stream.aclose()
        await stt.aclose()
    assert finals and finals[0].startswith("I spoke for")


async def test_openai_plugin_streams_a_reply_from_the_cerebras_emulator():
    async with Simulator(profile="instant") as sim, http_context.open():
        model = openai.LLM.with_cerebras(
            model="gpt-oss-120b", api_key=SIMULATOR_API_KEYS["cerebras"], base_url=sim.cerebras_url
        )
        context = lk_llm.ChatContext()
        context.add_message(role="user", content="Hello there")
        pieces = []
        async with model.chat(chat_ctx=context) as stream:
            async for chunk in stream:
                if chunk.delta and chunk.delta.content:
                    pieces.append(chunk.delta.content)
        await model.aclose()
    assert "".join(pieces).strip()
