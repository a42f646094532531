"""The simulator's Cartesia Ink-2 turn-based STT (``/stt/turns/websocket``), driven by the official ``cartesia`` SDK's
auto-finalize websocket client: the events of a turn in order, a predicted end withdrawn when speech resumes, the
final transcript exact, the close flushing an open turn, bad settings refused, faults applied."""

from __future__ import annotations

import asyncio
import itertools

import numpy as np
import pytest
from cartesia import AsyncCartesia

from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault

RATE = 16000
CHUNK_S = 0.1


def _speech(seconds: float) -> bytes:
    t = np.arange(int(RATE * seconds)) / RATE
    return (np.sin(2 * np.pi * 220 * t) * 8000).astype("<i2").tobytes()


def _silence(seconds: float) -> bytes:
    return bytes(2 * int(RATE * seconds))


def _client(sim) -> AsyncCartesia:
    return AsyncCartesia(api_key=SIMULATOR_API_KEYS["cartesia"], base_url=sim.cartesia_http_url)


async def _send(connection, audio: bytes) -> None:
    step = int(RATE * CHUNK_S) * 2
    for i in range(0, len(audio), step):
        await connection.send_raw(audio[i : i + step])


async def _events_until(connection, last: str, timeout: float = 30.0) -> list:
    events = []
    async with asyncio.timeout(timeout):
        async for event in connection:
            events.append(event)
            if event.type == last:
                return events
    return events


@pytest.mark.asyncio
async def test_sdk_hears_a_turn_start_updates_eager_end_and_end_with_the_exact_transcript(sim):
    sim.stt.script(["Book a table for two at eight, please."])
    manager = _client(sim).stt.auto_finalize.websocket(encoding="pcm_s16le", model="ink-2", sample_rate=RATE)
    async with manager as connection:
        connected = await connection.recv()
        assert connected.type == "connected"
        await _send(connection, _speech(2.5) + _silence(1.0))
        events = await _events_until(connection, "turn.end")

    kinds = [event.type for event in events]
    assert kinds[0] == "turn.start"
    assert "turn.update" in kinds
    assert kinds[-2:] == ["turn.eager_end", "turn.end"]
    assert "turn.resume" not in kinds
    updates = [event.transcript for event in events if event.type == "turn.update"]
    assert all(later.startswith(earlier.rstrip(",.")) for earlier, later in itertools.pairwise(updates))
    # The instant profile's recogniser misses the last word at the pause in every turn: only the end has it.
    assert events[-2].transcript == "Book a table for two at eight,"
    assert events[-1].transcript == "Book a table for two at eight, please."
    assert all(event.request_id == connected.request_id for event in events)


@pytest.mark.asyncio
async def test_updates_lag_the_audio_and_the_predicted_end_catches_up(sim):
    """As a streaming recogniser: a word shows only once half a second of audio followed it, so 0.4 s of speech gets
    no update at all; at the pause the recogniser catches up (at most a word per 0.18 s of speech) for the predicted
    end, and the end has the whole transcript."""
    sim.profile = sim.profile.copy(stt_interim_lag=0.5, stt_last_word_miss_share=0.0)
    sim.stt.script(["Book a table for two at eight, please."])
    manager = _client(sim).stt.auto_finalize.websocket(encoding="pcm_s16le", model="ink-2", sample_rate=RATE)
    async with manager as connection:
        assert (await connection.recv()).type == "connected"
        await _send(connection, _speech(0.4) + _silence(1.0))
        events = await _events_until(connection, "turn.end")

    assert [event.type for event in events] == ["turn.start", "turn.eager_end", "turn.end"]
    assert events[1].transcript == "Book a table"
    assert events[2].transcript == "Book a table for two at eight, please."


@pytest.mark.asyncio
async def test_speech_after_a_predicted_end_resumes_the_turn_and_one_final_covers_it_all(sim):
    sim.stt.script(["Remind me to call the dentist tomorrow morning."])
    manager = _client(sim).stt.auto_finalize.websocket(encoding="pcm_s16le", model="ink-2", sample_rate=RATE)
    async with manager as connection:
        assert (await connection.recv()).type == "connected"
        # A pause longer than the eager end's silence, shorter than the end's: predicted, then withdrawn.
        await _send(connection, _speech(0.6) + _silence(0.4) + _speech(2.2) + _silence(1.0))
        events = await _events_until(connection, "turn.end")

    kinds = [event.type for event in events]
    assert kinds.count("turn.start") == 1
    first_eager = kinds.index("turn.eager_end")
    assert kinds[first_eager + 1] == "turn.resume"
    assert events[first_eager].transcript == "Remind me to call"  # only what was heard before the pause
    assert kinds[-2:] == ["turn.eager_end", "turn.end"]
    assert events[-1].transcript == "Remind me to call the dentist tomorrow morning."


@pytest.mark.asyncio
async def test_close_flushes_the_open_turn_then_the_server_closes(sim):
    sim.stt.script(["Stop the music."])
    manager = _client(sim).stt.auto_finalize.websocket(encoding="pcm_s16le", model="ink-2", sample_rate=RATE)
    async with manager as connection:
        assert (await connection.recv()).type == "connected"
        await _send(connection, _speech(1.5))
        await connection.send({"type": "close"})
        events = [event async for event in connection]
    assert [event.type for event in events][-1] == "turn.end"
    assert events[-1].transcript == "Stop the music."
    assert sim.select("cartesia", "turns_close")[-1].data["code"] == 1000


@pytest.mark.asyncio
async def test_thresholds_out_of_order_are_refused_before_connected(sim):
    manager = _client(sim).stt.auto_finalize.websocket(
        encoding="pcm_s16le", model="ink-2", sample_rate=RATE, turn_start_threshold=0.5, turn_eager_end_threshold=0.6
    )
    async with manager as connection:
        error = await connection.recv()
    assert error.type == "error"
    assert error.status_code == 400
    assert "start > eager_end > end" in error.message


@pytest.mark.asyncio
async def test_a_wrong_key_is_refused_at_the_handshake(sim):
    client = AsyncCartesia(api_key="wrong", base_url=sim.cartesia_http_url)
    with pytest.raises(Exception, match="401"):
        async with client.stt.auto_finalize.websocket(encoding="pcm_s16le", model="ink-2", sample_rate=RATE):
            pass


@pytest.mark.asyncio
async def test_an_injected_close_ends_the_connection_at_the_first_message(sim):
    sim.fault("cartesia", Fault.ws_close(1011, "boom"))
    manager = _client(sim).stt.auto_finalize.websocket(encoding="pcm_s16le", model="ink-2", sample_rate=RATE)
    async with manager as connection:
        assert (await connection.recv()).type == "connected"
        await _send(connection, _speech(0.2))
        with pytest.raises(Exception, match="1011"):
            await _events_until(connection, "turn.end")
