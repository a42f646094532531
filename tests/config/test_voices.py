"""The voice catalogue and previews against the simulator's ElevenLabs emulator (the account's 12 voices in 4
languages, then 6 of ElevenLabs' premade voices)."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_agent.config.pcm_player import PcmPlayer
from desktop_agent.config.voices import (
    PREVIEW_SAMPLE_RATE,
    Voice,
    VoiceError,
    VoiceQuery,
    choose_voice,
    sample_sentence,
)
from desktop_agent.providers.elevenlabs_voices import VoiceCatalog
from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault, Simulator
from desktop_agent.simulator.voices import PREMADE_VOICES, RETIRED_VOICE_ID


def catalog(sim: Simulator, key: str | None = None) -> VoiceCatalog:
    return VoiceCatalog(key or SIMULATOR_API_KEYS["elevenlabs"], sim.elevenlabs_url)


@pytest.mark.asyncio
async def test_lists_voices_with_their_labels_and_pages_through_them():
    async with Simulator(profile="instant") as sim:
        voices = catalog(sim)
        first = await voices.search(VoiceQuery(page_size=5))
        assert first.total_count == 18 and first.has_more and len(first.voices) == 5
        rachel = first.voices[0]
        assert (rachel.voice_id, rachel.name, rachel.gender, rachel.accent, rachel.language) == (
            "emu-voice-1", "Emu Rachel", "female", "american", "en")
        assert rachel.summary == "female · american · en · conversational"
        seen = [v.voice_id for v in first.voices]
        page = first
        while page.has_more:
            page = await voices.search(VoiceQuery(page_size=5), page.next_page_token)
            seen += [v.voice_id for v in page.voices]
        assert seen == [f"emu-voice-{n}" for n in range(1, 13)] + [v.voice_id for v in PREMADE_VOICES]
        request = sim.select("elevenlabs", "voices_request")[0].data
        assert "sim-elevenlabs-key" not in str(request), "the simulator records keys masked"


@pytest.mark.asyncio
async def test_search_and_filters_select_the_right_voices():
    async with Simulator(profile="instant") as sim:
        voices = catalog(sim)
        assert [v.name for v in (await voices.search(VoiceQuery(search="british"))).voices] == [
            "Emu Charlotte", "Emu George", "George"]
        spanish = await voices.search(VoiceQuery(language="es"))
        assert [v.name for v in spanish.voices] == ["Emu Sofia", "Emu Mateo"]
        female_en = await voices.search(VoiceQuery(language="en", gender="female"))
        assert {v.name for v in female_en.voices} == {"Emu Rachel", "Emu Charlotte", "Emu Matilda", "Emu Priya",
                                                      "Sarah", "Jessica"}
        irish = await voices.search(VoiceQuery(accent="irish"))
        assert [v.name for v in irish.voices] == ["Emu Liam"]
        nothing = await voices.search(VoiceQuery(search="klingon"))
        assert nothing.voices == [] and nothing.total_count == 0 and not nothing.has_more


@pytest.mark.asyncio
async def test_failures_become_sentences():
    async with Simulator(profile="instant") as sim:
        with pytest.raises(VoiceError, match="^ElevenLabs rejected this key"):
            await catalog(sim, "bad-key-1234567").search()
        sim.fault("elevenlabs", Fault.malformed(times=1, path_contains="/v2/voices"))
        with pytest.raises(VoiceError, match="^ElevenLabs sent a voice list this app cannot read"):
            await catalog(sim).search()
        with pytest.raises(VoiceError, match="^The ElevenLabs API key is missing. Open Settings > Keys"):
            await VoiceCatalog("", sim.elevenlabs_url).search()


def low_band_share(pcm: bytes, rate: int = PREVIEW_SAMPLE_RATE) -> float:
    """Share of the 70-300 Hz energy that lies below 160 Hz (where a low voice's fundamental is)."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(power[(freqs > 70) & (freqs < 160)].sum() / power[(freqs > 70) & (freqs < 300)].sum())


@pytest.mark.asyncio
async def test_preview_is_the_sentence_spoken_in_that_voice():
    async with Simulator(profile="instant") as sim:
        voices = catalog(sim)
        text = sample_sentence("en")
        low = await voices.preview("emu-voice-2", text)  # Emu Adam, 110 Hz
        high = await voices.preview("emu-voice-3", text)  # Emu Charlotte, 220 Hz
        seconds = len(low) / 2 / PREVIEW_SAMPLE_RATE
        assert 2.0 < seconds < 12.0, "a full spoken sentence"
        assert len(high) == len(low) and high != low, "same sentence, different voice"
        assert low_band_share(low) > 2 * low_band_share(high), "the 110 Hz voice has its energy lower down"
        requests = sim.select("elevenlabs", "tts_http_request")
        assert [r.data for r in requests] == [{"text": text, "model_id": "eleven_flash_v2_5"}] * 2
        assert [r.meta["path"] for r in requests] == [
            "/v1/text-to-speech/emu-voice-2/stream/with-timestamps",
            "/v1/text-to-speech/emu-voice-3/stream/with-timestamps",
        ]
        assert requests[0].meta["query"] == {"output_format": "pcm_24000"}
        with pytest.raises(VoiceError, match="rejected this key"):
            await catalog(sim, "bad-key-1234567").preview("emu-voice-1", text)


def test_sample_sentences_follow_the_language():
    assert sample_sentence("de").startswith("Hallo")
    assert sample_sentence("es-MX").startswith("¡Hola")
    assert sample_sentence("sw") == sample_sentence("en")


@pytest.mark.asyncio
async def test_preview_plays_through_the_sound_card_and_can_be_stopped(pulse_null_sink):
    """Real playback through PortAudio into the PulseAudio null sink."""
    import asyncio
    import time

    async with Simulator(profile="instant") as sim:
        pcm = await catalog(sim).preview("emu-voice-1", "Hello there.")
    clip = pcm * 4  # a few seconds, so the fixed amount the sink takes ahead is a small part of it
    clip_seconds = len(clip) / 2 / PREVIEW_SAMPLE_RATE
    player = PcmPlayer()
    for _attempt in range(3):  # the first stream after the null sink starts has been seen to return at once
        started = time.monotonic()
        await player.play(clip, PREVIEW_SAMPLE_RATE)
        if time.monotonic() - started >= clip_seconds * 0.5:
            break
    # Played in real time, not dropped (a dropped clip returns at once). Not the whole length: PortAudio fills the
    # null sink's buffer ahead at the start (with a one-sentence clip that was over half of it once in a while), and a
    # stream that ends may report finished before its last buffer.
    assert time.monotonic() - started >= clip_seconds * 0.5, "played in real time, not dropped"

    long_clip = pcm * 20
    task = asyncio.ensure_future(player.play(long_clip, PREVIEW_SAMPLE_RATE))
    await asyncio.sleep(0.3)
    player.stop()
    started = time.monotonic()
    await asyncio.wait_for(task, timeout=5)
    assert time.monotonic() - started < 2.0


# ------------------------------------------------------------------------------------- a voice to choose, one gone
def voice(name: str, category: str = "premade", use_case: str = "conversational", language: str = "en",
          legacy: bool = False) -> Voice:
    return Voice(voice_id=f"id-{name}", name=name, category=category, use_case=use_case, language=language,
                 legacy=legacy)


def test_the_chosen_voice_is_a_current_premade_conversational_one_the_same_every_time():
    account = [voice("Zoe"), voice("Adam", use_case="narration"), voice("Mine", category="cloned"),
               voice("Bella"), voice("Aaron", legacy=True), voice("Hans", language="de")]
    assert choose_voice(account).name == "Bella", "conversational premade, by name; legacy never"
    assert choose_voice(list(reversed(account))).name == "Bella", "the order the account lists them in is irrelevant"
    assert choose_voice(account, "de").name == "Hans", "the speech language first"
    assert choose_voice([voice("Adam", use_case="narration"), voice("Mine", category="cloned")]).name == "Adam"
    assert choose_voice([voice("Mine", category="cloned")]).name == "Mine"
    assert choose_voice([voice("Old", legacy=True)]) is None and choose_voice([]) is None


@pytest.mark.asyncio
async def test_the_first_run_voice_comes_from_the_accounts_premade_voices():
    async with Simulator(profile="instant") as sim:
        voices = catalog(sim)
        chosen = await voices.first_run_voice("en")
        assert (chosen.voice_id, chosen.name, chosen.category) == ("cjVigY5qzO86Huf0OWal", "Eric", "premade")
        query = sim.select("elevenlabs", "voices_request")[-1].data["query"]
        assert query["category"] == "premade" and query["page_size"] == "100"
        assert [v.name for v in await voices.premade_voices()] == [v.name for v in PREMADE_VOICES]


@pytest.mark.asyncio
async def test_find_tells_a_voice_the_account_has_from_one_it_no_longer_has():
    async with Simulator(profile="instant") as sim:
        voices = catalog(sim)
        assert (await voices.find("SAz9YHcvj6GT2YYXdXww")).name == "River"
        assert await voices.find(RETIRED_VOICE_ID) is None
        with pytest.raises(VoiceError, match="^ElevenLabs rejected this key"):
            await catalog(sim, "bad-key-1234567").find("SAz9YHcvj6GT2YYXdXww")
