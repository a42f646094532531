"""The Cartesia STT emulator finalizes by itself after silence, as Cartesia's server does for clients that never send
``finalize`` (LiveKit's Cartesia plugin with ink-whisper): the final comes with no ``flush_done``, after the
connection's ``max_silence_duration_secs`` of silence on its audio clock, and a ``finalize`` that claimed the speech
first leaves nothing for it to finalize again."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from desktop_agent.simulator import SIMULATOR_API_KEYS, synth
from desktop_agent.simulator.cartesia import AUTO_FINALIZE_SILENCE_S

HEADERS = {"X-API-Key": SIMULATOR_API_KEYS["cartesia"], "Cartesia-Version": "2026-03-01"}
SPEECH = synth.synthesize("What time is it", 16000).pcm  # no trailing punctuation: its pause is silence
FRAME = 640  # 20 ms


def url(sim, extra: str = "") -> str:
    return f"{sim.cartesia_url}/stt/websocket?model=ink-whisper&language=en&encoding=pcm_s16le&sample_rate=16000{extra}"


async def send_audio(ws, pcm: bytes) -> None:
    for start in range(0, len(pcm), FRAME):
        await ws.send(pcm[start : start + FRAME])


async def finals_within(ws, seconds: float) -> list[dict]:
    """Every message but interims that arrives within ``seconds``."""
    got = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = json.loads(await ws.recv())
                if message.get("is_final") is not False:
                    got.append(message)
    except TimeoutError:
        return got


@pytest.mark.asyncio
async def test_silence_after_speech_ends_the_utterance_without_finalize(sim):
    async with websockets.connect(url(sim), additional_headers=HEADERS) as ws:
        await send_audio(ws, SPEECH)
        # Just short of the silence that ends an utterance: no final yet.
        await send_audio(ws, bytes(2 * int(16000 * (AUTO_FINALIZE_SILENCE_S - 0.1))))
        assert await finals_within(ws, 0.5) == []
        await send_audio(ws, bytes(2 * int(16000 * 0.2)))
        replies = await finals_within(ws, 2.0)
    assert [(r["type"], r["text"].startswith("I spoke for")) for r in replies] == [("transcript", True)]
    assert replies[0]["is_final"] is True  # and no flush_done: nothing asked for one
    assert sim.stt_messages() == []


@pytest.mark.asyncio
async def test_the_connection_sets_the_silence_and_finalize_claims_the_speech_first(sim):
    async with websockets.connect(url(sim, "&max_silence_duration_secs=2"), additional_headers=HEADERS) as ws:
        await send_audio(ws, SPEECH + bytes(2 * 16000))  # a second of silence: under this connection's two
        assert await finals_within(ws, 0.5) == []
        await ws.send("finalize")
        await send_audio(ws, bytes(2 * 3 * 16000))  # three more seconds of silence: already finalized
        replies = await finals_within(ws, 1.0)
    assert [r["type"] for r in replies] == ["transcript", "flush_done"]
