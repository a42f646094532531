"""The start-up voice check with Cartesia speaking: a voice the account no longer has becomes one sentence with one
of Cartesia's public voices to switch to, through the provider's voice catalogue."""

from __future__ import annotations

import pytest
from pipecat.frames.frames import ErrorFrame

from desktop_agent.engine.catalogue import check_voice, explain_unavailable
from desktop_agent.engine.config import ProviderEndpoint
from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator
from desktop_agent.state.events import ChoiceUnavailable, Provider
from tests.engine.conftest import config_for

GONE = "0a1b2c3d-gone-voice"


def cartesia_config(sim: Simulator, **changes):
    endpoint = ProviderEndpoint(SIMULATOR_API_KEYS["cartesia_tts"], sim.cartesia_tts_url)
    return config_for(sim, tts_provider="cartesia_tts", tts=endpoint, tts_model="sonic-3", **changes)


@pytest.mark.asyncio
async def test_at_start_the_cartesia_account_tells_a_voice_it_no_longer_has(sim):
    gone = await check_voice(cartesia_config(sim, voice_id=GONE, voice_name="Old Favourite"))
    assert isinstance(gone, ChoiceUnavailable)
    assert gone.message == "The voice Old Favourite is no longer in your Cartesia account. Switch to Emu Charlotte."
    assert (gone.provider, gone.current, gone.replacement, gone.replacement_name) == (
        Provider.TTS, GONE, "emu-voice-3", "Emu Charlotte")
    asked = [r.data["path"] for r in sim.select("cartesia_tts", "voices_request")]
    assert asked[0] == f"/voices/{GONE}" and "/voices" in asked[1:], "looked up, then the public voices listed"
    assert not sim.select("elevenlabs", "voices_request"), "the other voice provider is not asked"

    spanish = await check_voice(cartesia_config(sim, voice_id=GONE, stt_language="es"))
    assert spanish.replacement_name == "Emu Sofia", "the replacement speaks the user's language"


@pytest.mark.asyncio
async def test_a_voice_the_cartesia_account_has_or_an_unanswered_check_claims_nothing(sim):
    assert await check_voice(cartesia_config(sim, voice_id="emu-voice-8")) is None
    wrong_key = cartesia_config(sim, voice_id=GONE)
    wrong_key.tts = ProviderEndpoint("sk_car_wrong-key", sim.cartesia_tts_url)
    assert await check_voice(wrong_key) is None, "a refused key says nothing about the voice"


@pytest.mark.asyncio
async def test_a_missing_voice_error_is_explained_with_a_cartesia_replacement(sim):
    """The websocket's error for a voice the account lacks, as Pipecat's CartesiaTTSService quotes it in its
    ``ErrorFrame`` (``f"Error: {msg}"``)."""
    message = {"type": "error", "done": True, "status_code": 404, "error_code": "voice_not_found",
               "title": "Voice not found", "message": f"Voice '{GONE}' was not found.", "context_id": "c1"}
    frame = ErrorFrame(error=f"Error: {message}")
    event = await explain_unavailable(frame, cartesia_config(sim, voice_id=GONE, voice_name="Old Favourite"))
    assert event.message == "The voice Old Favourite is no longer in your Cartesia account. Switch to Emu Charlotte."
    assert (event.current, event.replacement) == (GONE, "emu-voice-3")
