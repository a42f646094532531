"""The Cartesia voice catalogue against the simulator's Cartesia TTS host: search, cursor paging, the filters
Cartesia applies (``q``, ``gender``, ``is_owner``) and those applied here (language, its own public voices), finding
a voice, the first-run choice, previews through ``/tts/bytes``, and refusals said as sentences naming Cartesia."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import pytest_asyncio

from desktop_agent.config.voices import (
    SAMPLE_SENTENCES,
    Voice,
    VoiceError,
    VoiceQuery,
    choose_voice,
    sample_sentence,
)
from desktop_agent.providers import cartesia_tts, cartesia_voices
from desktop_agent.providers.cartesia_stt import CARTESIA_VERSION
from desktop_agent.providers.cartesia_voices import VoiceCatalog
from desktop_agent.simulator import SIMULATOR_API_KEYS, VOICES, Fault, Simulator, synth
from desktop_agent.simulator.voices import pitch_for

KEY = SIMULATOR_API_KEYS["cartesia_tts"]
ALL_IDS = [v.voice_id for v in VOICES]
ENGLISH = ["Emu Rachel", "Emu Adam", "Emu Charlotte", "Emu George", "Emu Matilda", "Emu Liam", "Emu Priya", "Emu Sam"]


@pytest_asyncio.fixture
async def sim():
    async with Simulator(profile="instant") as simulator:
        yield simulator


def catalog(sim: Simulator, key: str = KEY) -> VoiceCatalog:
    """The catalogue as the app makes it: from the provider's spec, with the websocket base settings hold."""
    return cartesia_tts.SPEC.voice_catalog(key, sim.cartesia_tts_url)


def list_queries(sim: Simulator) -> list[dict]:
    return [r.data["query"] for r in sim.select("cartesia_tts", "voices_request") if r.data["path"] == "/voices"]


def names(voices: list[Voice]) -> list[str]:
    return [v.name for v in voices]


@pytest.mark.asyncio
async def test_search_lists_the_voices_as_the_apps_voices_with_pipecats_headers(sim):
    page = await catalog(sim).search(VoiceQuery(page_size=100))
    assert [v.voice_id for v in page.voices] == ALL_IDS
    assert not page.has_more and page.next_page_token is None and page.total_count is None
    rachel, adam, sam = page.voices[0], page.voices[1], page.voices[-1]
    assert rachel == Voice(voice_id="emu-voice-1", name="Emu Rachel", category="premade", gender="female",
                           accent="general american", language="en", use_case="conversational",
                           description="Calm, warm American voice for assistants.")
    assert rachel.summary == "female · general american · en · conversational"
    assert (adam.gender, sam.gender) == ("male", "neutral")
    request = sim.select("cartesia_tts", "voices_request")[-1].data
    assert request["query"] == {"limit": "100"}
    assert request["headers"]["x-api-key"] == "***" and request["headers"]["cartesia-version"] == CARTESIA_VERSION


@pytest.mark.asyncio
async def test_pages_follow_cartesias_cursor(sim):
    voices = catalog(sim)
    query = VoiceQuery(page_size=5)
    first = await voices.search(query)
    second = await voices.search(query, first.next_page_token)
    third = await voices.search(query, second.next_page_token)
    assert [len(p.voices) for p in (first, second, third)] == [5, 5, 2]
    assert (first.next_page_token, second.next_page_token) == ("emu-voice-5", "emu-voice-10")
    assert first.has_more and second.has_more and not third.has_more and third.next_page_token is None
    assert [v.voice_id for p in (first, second, third) for v in p.voices] == ALL_IDS
    assert [q.get("starting_after") for q in list_queries(sim)] == [None, "emu-voice-5", "emu-voice-10"]
    assert {q["limit"] for q in list_queries(sim)} == {"5"}


@pytest.mark.asyncio
async def test_the_language_filter_is_applied_here_and_pages_go_on_from_the_last_voice_read(sim):
    """Cartesia's list has no language filter: whole pages are read and filtered, and the token is the last voice
    looked at, so the next page skips the Spanish, French and German voices in between."""
    voices = catalog(sim)
    query = VoiceQuery(language="en", page_size=3)
    pages = [await voices.search(query)]
    while pages[-1].has_more:
        pages.append(await voices.search(query, pages[-1].next_page_token))
        assert len(pages) < 5, "paging must end"
    assert [names(p.voices) for p in pages] == [ENGLISH[:3], ENGLISH[3:6], ENGLISH[6:]]
    assert [q.get("starting_after") for q in list_queries(sim)] == [None, "emu-voice-3", "emu-voice-6"]
    assert all("language" not in q and q["limit"] == "100" for q in list_queries(sim))

    assert names((await voices.search(VoiceQuery(language="es"))).voices) == ["Emu Sofia", "Emu Mateo"]
    assert names((await voices.search(VoiceQuery(language="fr-CA"))).voices) == ["Emu Camille"]
    assert (await voices.search(VoiceQuery(language="ja"))).voices == []
    exact = await voices.search(VoiceQuery(language="es", page_size=2))
    assert not exact.has_more, "no Spanish voice is left after the second one"


@pytest.mark.asyncio
async def test_search_gender_and_owned_voices_are_cartesias_own_filters(sim):
    voices = catalog(sim)
    assert names((await voices.search(VoiceQuery(search="british"))).voices) == ["Emu Charlotte", "Emu George"]
    male = await voices.search(VoiceQuery(language="en", gender="male"))
    assert names(male.voices) == ["Emu Adam", "Emu George", "Emu Liam"]
    neutral = await voices.search(VoiceQuery(gender="neutral"))
    assert names(neutral.voices) == ["Emu Sam"]
    personal = await voices.search(VoiceQuery(category="personal"))
    assert personal.voices == [] and not personal.has_more, "the emulated account owns no voice"
    queries = list_queries(sim)
    assert queries[0]["q"] == "british"
    assert (queries[1]["gender"], queries[2]["gender"]) == ("masculine", "gender_neutral")
    assert queries[3]["is_owner"] == "true"
    assert VoiceCatalog.filters == {"search", "language", "gender", "category"}, "no accent filter"


@pytest.mark.asyncio
async def test_find_a_voice_or_none_when_the_account_lacks_it(sim):
    voices = catalog(sim)
    george = await voices.find("emu-voice-4")
    assert (george.voice_id, george.name, george.accent, george.language) == ("emu-voice-4", "Emu George",
                                                                              "british", "en")
    assert george.preview_url.endswith("/voices/emu-voice-4/preview")
    assert await voices.find("no-such-voice") is None
    assert await voices.find(" ") is None
    paths = [r.data["path"] for r in sim.select("cartesia_tts", "voices_request")]
    assert paths == ["/voices/emu-voice-4", "/voices/no-such-voice"], "an empty ID is not asked about"


@pytest.mark.asyncio
async def test_first_run_voice_is_a_public_conversational_voice_in_the_language(sim):
    voices = catalog(sim)
    public = await voices.premade_voices()
    assert [v.voice_id for v in public] == ALL_IDS and {v.category for v in public} == {"premade"}
    assert (await voices.first_run_voice("en")).name == "Emu Charlotte"
    assert (await voices.first_run_voice("es-MX")).name == "Emu Sofia"
    assert (await voices.first_run_voice("de")).name == "Emu Lukas"
    assert (await voices.first_run_voice("ja")).name == "Emu Camille", "none speaks it: any conversational voice"


def test_owned_voices_are_personal_and_never_the_first_run_choice():
    owned = cartesia_voices.voice_from_api({"id": "v1", "name": "My Clone", "is_owner": True, "access": "private",
                                            "language": "en", "tagline": "Conversational",
                                            "locales": [{"locale": "en-GB", "is_native": True}]})
    public = cartesia_voices.voice_from_api({"id": "v2", "name": "Zed", "is_owner": False, "access": "public",
                                             "language": "", "gender": "masculine",
                                             "locales": [{"locale": "es-MX", "is_native": False},
                                                         {"locale": "pt-BR", "is_native": True}]})
    assert (owned.category, owned.use_case) == ("personal", "conversational")
    assert (public.category, public.language, public.gender) == ("premade", "pt", "male")
    assert cartesia_voices.speaks({"language": "pt", "locales": [{"locale": "es-MX"}]}, "es")
    assert choose_voice([owned, public], "en") is public


@pytest.mark.asyncio
async def test_preview_is_pcm_of_the_sentence_in_the_voice(sim):
    voices = catalog(sim)
    text = sample_sentence("en")
    pcm = await voices.preview("emu-voice-3", text)
    samples = np.frombuffer(pcm, "<i2")
    assert 2.0 < len(samples) / 24000 < 15.0, "a sentence's worth of audio at 24 kHz"
    assert pcm == synth.synthesize(text, 24000, pitch_for("emu-voice-3")).pcm, "the voice's own audio, whole"
    assert float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) > 500
    request = sim.select("cartesia_tts", "tts_bytes_request")[-1]
    assert request.data == {"model_id": "sonic-3", "transcript": text, "voice": {"mode": "id", "id": "emu-voice-3"},
                            "output_format": {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000},
                            "language": "en"}
    assert request.meta["headers"]["cartesia-version"] == CARTESIA_VERSION

    spanish = await voices.preview("emu-voice-7", SAMPLE_SENTENCES["es"], model_id="sonic-2", sample_rate=16000)
    assert len(spanish) == len(synth.synthesize(SAMPLE_SENTENCES["es"], 16000, pitch_for("emu-voice-7")).pcm)
    last = sim.select("cartesia_tts", "tts_bytes_request")[-1].data
    assert (last["model_id"], last["language"], last["output_format"]["sample_rate"]) == ("sonic-2", "es", 16000)


@pytest.mark.asyncio
async def test_preview_refusals_are_sentences(sim):
    voices = catalog(sim)
    with pytest.raises(VoiceError) as gone:
        await voices.preview("no-such-voice", "Hello.")
    assert str(gone.value) == "Cartesia does not know this voice any more; choose another one."
    with pytest.raises(VoiceError) as model:
        await voices.preview("emu-voice-1", "Hello.", model_id="sonic-9")
    assert str(model.value) == ("Cartesia does not offer the voice model sonic-9 to this account; choose another one "
                                "in Settings > Models.")
    with pytest.raises(VoiceError) as rate:
        await voices.preview("emu-voice-1", "Hello.", sample_rate=11025)
    assert "11025 Hz" in str(rate.value)


@pytest.mark.asyncio
async def test_a_wrong_or_missing_key_is_a_sentence_naming_cartesia(sim):
    wrong = catalog(sim, key="sk_car_wrong-key")
    expected = "Cartesia rejected this key. Check that you copied the whole key from your Cartesia account."
    for call in (wrong.search(), wrong.find("emu-voice-1"), wrong.preview("emu-voice-1", "Hello."),
                 wrong.first_run_voice()):
        with pytest.raises(VoiceError) as refused:
            await call
        assert str(refused.value) == expected
    assert [r.data["status"] for r in sim.select("cartesia_tts", "rejected")] == [401] * 4
    with pytest.raises(VoiceError) as missing:
        await catalog(sim, key=" ").search()
    assert str(missing.value) == "The Cartesia API key is missing. Open Settings > Keys and paste it."


@pytest.mark.asyncio
async def test_provider_trouble_and_an_unreachable_host_are_sentences(sim):
    voices = catalog(sim)
    sim.fault("cartesia_tts", Fault.http(503, times=1, path_contains="/voices"))
    with pytest.raises(VoiceError) as busy:
        await voices.search()
    assert str(busy.value) == "Cartesia has a problem on its side (HTTP 503); try again later."
    sim.fault("cartesia_tts", Fault.malformed(times=1, path_contains="/voices"))
    with pytest.raises(VoiceError) as garbled:
        await voices.search()
    assert str(garbled.value) == "Cartesia sent a voice list this app cannot read; try again later."
    assert [v.voice_id for v in (await voices.search()).voices] == ALL_IDS, "both faults were used up"

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(VoiceError) as unreachable:
        await VoiceCatalog(KEY, f"ws://127.0.0.1:{port}").search()
    assert str(unreachable.value).startswith(f"Could not reach Cartesia at 127.0.0.1:{port}: the connection was "
                                             "refused.")
