"""Sarvam's speakers as the voice page sees them (every one speaks the Indian languages, none another language) and
a preview spoken through the text-to-speech emulator in the sample sentence's own language."""

from __future__ import annotations

import pytest
import pytest_asyncio

from desktop_agent.config.voices import SAMPLE_SENTENCES, VoiceError, VoiceQuery, sample_sentence
from desktop_agent.providers import get
from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator


@pytest_asyncio.fixture
async def sim():
    async with Simulator(profile="instant") as simulator:
        yield simulator


def test_every_indian_language_has_its_own_preview_sentence():
    for code in ("hi", "bn", "ta", "te", "kn", "ml", "mr", "gu", "pa", "or"):
        assert sample_sentence(code) != SAMPLE_SENTENCES["en"], code
    assert sample_sentence("od") == SAMPLE_SENTENCES["or"] and sample_sentence("en-IN") == SAMPLE_SENTENCES["en"]


@pytest.mark.asyncio
async def test_speakers_are_filtered_by_language_and_previewed_in_it(sim):
    catalog = get("sarvam_tts").voice_catalog(SIMULATOR_API_KEYS["sarvam_tts"], sim.sarvam_tts_url)
    tamil = await catalog.search(VoiceQuery(language="ta"))
    assert len(tamil.voices) == 25 and tamil.voices[0].voice_id == "shubh"
    assert (await catalog.search(VoiceQuery(language="de"))).voices == []
    assert [v.voice_id for v in (await catalog.search(VoiceQuery(search="kav"))).voices] == ["kavya"]
    assert (await catalog.first_run_voice("ta")).voice_id == "shubh"

    audio = await catalog.preview("kavya", sample_sentence("ta"), sample_rate=24000)
    assert len(audio) / 2 / 24000 > 1.0
    config = [r.data["data"] for r in sim.select("sarvam_tts", "tts_message") if r.data.get("type") == "config"][-1]
    assert (config["target_language_code"], config["speaker"], config["output_audio_codec"]) == ("ta-IN", "kavya",
                                                                                               "linear16")
    with pytest.raises(VoiceError, match="refused the key"):
        await get("sarvam_tts").voice_catalog("wrong", sim.sarvam_tts_url).preview("kavya", "Hello")
