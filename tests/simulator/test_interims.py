"""Interim transcripts written like a streaming recogniser's (desktop_agent/simulator/interims.py): they lag the audio,
revise earlier words, and at the release lack the last word in the profile's share of utterances, while the finals
stay exactly the script. Through plain websocket clients of the Cartesia and Deepgram emulators, and the writer
itself."""

from __future__ import annotations

import itertools
import json

import pytest
import websockets

from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator
from desktop_agent.simulator.interims import DECK, InterimWriter, misheard, misses_last_word
from desktop_agent.simulator.profiles import PROFILES

CARTESIA_HEADERS = {"X-API-Key": SIMULATOR_API_KEYS["cartesia"], "Cartesia-Version": "2026-03-01"}
DEEPGRAM_HEADERS = {"Authorization": f"Token {SIMULATOR_API_KEYS['deepgram']}"}
SENTENCE = "what is the weather like in Paris today"
SHORT = "turn on the kitchen lights"
FRAME = 3200  # bytes: 100 ms of 16 kHz int16
SILENCE = bytes(6400)  # 200 ms: longer than the pause that makes the recogniser catch up


def cartesia_url(sim: Simulator) -> str:
    return f"{sim.cartesia_url}/stt/websocket?model=ink-whisper&language=en&encoding=pcm_s16le&sample_rate=16000"


def deepgram_url(sim: Simulator) -> str:
    return (
        f"{sim.deepgram_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&interim_results=true"
        "&punctuate=true&endpointing=false"
    )  # finals only on Finalize


def knobs(sim: Simulator, **changes) -> None:
    """Interims on every speech frame (no wall-clock spacing), so the texts depend on the audio alone."""
    sim.profile = sim.profile.copy(stt_interim_interval=0.0, **changes)


async def cartesia_turn(ws, audio: bytes, silence: bytes = SILENCE) -> tuple[list[str], str]:
    """One push-to-talk turn: speech, the silence before the release, ``finalize``. Returns the interims and the
    final."""
    for i in range(0, len(audio), FRAME):
        await ws.send(audio[i : i + FRAME])
    if silence:
        await ws.send(silence)
    await ws.send("finalize")
    interims, final = [], None
    while True:
        reply = json.loads(await ws.recv())
        if reply["type"] == "flush_done":
            assert final is not None
            return interims, final
        if reply["type"] == "transcript":
            if reply["is_final"]:
                final = reply["text"]
            else:
                interims.append(reply["text"])


async def deepgram_turn(ws, audio: bytes) -> tuple[list[str], str]:
    for i in range(0, len(audio), FRAME):
        await ws.send(audio[i : i + FRAME])
    await ws.send(SILENCE)
    await ws.send(json.dumps({"type": "Finalize"}))
    interims = []
    while True:
        reply = json.loads(await ws.recv())
        if reply.get("type") != "Results":
            continue
        transcript = reply["channel"]["alternatives"][0]["transcript"]
        if reply["is_final"]:
            assert reply["from_finalize"]
            return interims, transcript
        if transcript:
            interims.append(transcript)


# ----------------------------------------------------------------------------------------------- the writer
def test_the_share_of_utterances_missing_their_last_word_is_exact_in_every_run_and_set_by_the_seed():
    for share in (0.0, 0.15, 0.3, 0.5, 1.0):
        for run in range(3):
            dealt = [misses_last_word(share, 7, run * DECK + i) for i in range(DECK)]
            assert sum(dealt) == round(share * DECK)
    same = [misses_last_word(0.3, 7, i) for i in range(DECK)]
    assert same == [misses_last_word(0.3, 7, i) for i in range(DECK)]
    assert any([misses_last_word(0.3, seed, i) for i in range(DECK)] != same for seed in range(1, 5))


def test_a_word_shows_only_after_the_lag_and_never_the_last_before_the_pause():
    words = SENTENCE.split()
    prompt = InterimWriter(PROFILES["instant"].copy(), 0)
    lagging = InterimWriter(PROFILES["instant"].copy(stt_interim_lag=0.6), 0)
    assert prompt.text(words, 0.5, paused=False) == "what is"
    assert lagging.text(words, 0.5, paused=False) == ""
    assert lagging.text(words, 1.0, paused=False) == "what is"
    assert lagging.text(words, 10.0, paused=False) == " ".join(words[:-1])
    every_word = InterimWriter(PROFILES["instant"].copy(stt_last_word_miss_share=0.0), 0)
    assert every_word.text(words, 2.0, paused=True) == SENTENCE
    # Once shown, words are not taken back (a catch-up mid-sentence is followed by no shorter interim).
    assert every_word.text(words, 2.2, paused=False) == SENTENCE


def test_misheard_words_keep_their_punctuation_and_capital():
    assert misheard("weather") == "whether"
    assert misheard("For") == "Four"
    assert misheard("Paris?") == "Pari?"
    assert misheard("Tokyo.") == "Tokyos."


# -------------------------------------------------------------------------------------------- the emulators
@pytest.mark.asyncio
async def test_cartesia_interims_lag_the_audio(sim, speech):
    audio = speech(SENTENCE).tobytes()[: FRAME * 7]  # the first 0.7 s, released without a pause
    sim.stt.script([SENTENCE, SENTENCE])
    knobs(sim, stt_interim_lag=0.0)
    async with websockets.connect(cartesia_url(sim), additional_headers=CARTESIA_HEADERS) as ws:
        prompt, final = await cartesia_turn(ws, audio, silence=b"")
        assert prompt and final == SENTENCE
        knobs(sim, stt_interim_lag=1.0)
        lagging, final = await cartesia_turn(ws, audio, silence=b"")
        assert lagging == [] and final == SENTENCE


@pytest.mark.asyncio
async def test_cartesia_interims_revise_earlier_words_and_the_final_is_exact(sim, speech):
    audio = speech(SENTENCE).tobytes()
    sim.stt.script([SENTENCE])
    knobs(sim, stt_interim_revision_rate=1.0, stt_last_word_miss_share=0.0)
    async with websockets.connect(cartesia_url(sim), additional_headers=CARTESIA_HEADERS) as ws:
        interims, final = await cartesia_turn(ws, audio)
    assert final == SENTENCE
    # Each interim while speaking ends with a misheard word, which the next interim puts right.
    during, at_release = interims[:-1], interims[-1]
    assert len(during) >= 2
    assert all(text.split() != SENTENCE.split()[: len(text.split())] for text in during)
    revised = [
        (before, after)
        for before, after in itertools.pairwise(interims)
        if before.split()[-1] != after.split()[len(before.split()) - 1]
    ]
    assert len(revised) == len(during)
    assert at_release == SENTENCE  # the catch-up after the pause holds every word, none misheard


@pytest.mark.asyncio
async def test_cartesia_misses_the_last_word_at_the_release_in_the_configured_share(sim, speech):
    audio = speech(SHORT).tobytes()
    knobs(sim, stt_last_word_miss_share=0.3, stt_interim_seed=11)
    sim.stt.script([SHORT] * DECK)
    missed = []
    async with websockets.connect(cartesia_url(sim), additional_headers=CARTESIA_HEADERS) as ws:
        for _ in range(DECK):
            interims, final = await cartesia_turn(ws, audio)
            assert final == SHORT
            assert interims[-1] in (SHORT, SHORT.rsplit(" ", 1)[0])
            missed.append(interims[-1] != SHORT)
    assert sum(missed) == 6
    assert missed == [misses_last_word(0.3, 11, i) for i in range(DECK)]


@pytest.mark.asyncio
async def test_deepgram_interims_lag_revise_and_miss_the_last_word_in_the_configured_share(sim, speech):
    audio = speech(SENTENCE).tobytes()
    knobs(sim, stt_interim_lag=0.4, stt_interim_revision_rate=0.5, stt_last_word_miss_share=0.5, stt_interim_seed=3)
    sim.stt.script([SENTENCE] * DECK)
    missed, revisions = [], 0
    async with websockets.connect(deepgram_url(sim), additional_headers=DEEPGRAM_HEADERS) as ws:
        for _ in range(DECK):
            interims, final = await deepgram_turn(ws, audio)
            assert final == SENTENCE
            # Lag: the first interim comes after 0.4 s of speech and one word's 0.3 s, so never with two words.
            assert len(interims[0].split()) == 1
            revisions += sum(
                before.split()[-1] != after.split()[len(before.split()) - 1]
                for before, after in itertools.pairwise(interims)
            )
            assert interims[-1] in (SENTENCE, SENTENCE.rsplit(" ", 1)[0])
            missed.append(interims[-1] != SENTENCE)
    assert sum(missed) == DECK // 2
    assert revisions >= DECK  # about half of some seven interims per turn
