"""EngineConfig.validate: clear sentences for bad values; plain (non-TLS) endpoints only on this computer."""

from __future__ import annotations

import pytest

from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
from desktop_agent.engine.errors import provider_error
from desktop_agent.state.events import ErrorKind, Provider
from pipecat.utils.errors import ErrorCategory


def config(**changes) -> EngineConfig:
    c = EngineConfig(stt=ProviderEndpoint("stt-key-123"), llm=ProviderEndpoint("llm-key-123"),
                     tts=ProviderEndpoint("tts-key-123"))
    for name, value in changes.items():
        setattr(c, name, value)
    return c


def test_defaults_are_valid_and_keep_ten_exchanges():
    c = config()
    assert c.validate() == []
    assert c.max_history_exchanges >= 10, "the product keeps more than ten turns of context"
    assert (c.stt_model, c.llm_model, c.tts_model) == ("ink-whisper", "gpt-oss-120b", "eleven_flash_v2_5")
    assert (c.temperature, c.max_tokens, c.interruption_min_words) == (0.7, 150, 2)


@pytest.mark.parametrize(
    ("endpoint", "url", "ok"),
    [
        ("llm", "https://api.example.com/v1", True),
        ("llm", "http://127.0.0.1:8000/v1", True),
        ("llm", "http://localhost:8000/v1", True),
        ("llm", "http://api.example.com/v1", False),
        ("tts", "wss://api.example.com", True),
        ("tts", "ws://[::1]:9000", True),
        ("tts", "ws://10.0.0.5:9000", False),
        ("stt", "https://api.cartesia.ai", False),  # a websocket service needs ws/wss
    ],
)
def test_endpoints_must_use_tls_unless_local(endpoint, url, ok):
    c = config()
    getattr(c, endpoint).base_url = url
    problems = c.validate()
    assert (problems == []) is ok, problems


def test_bad_values_become_sentences():
    c = config(temperature=3.0, max_tokens=0, max_history_exchanges=4, output_sample_rate=12345,
               interruption_min_words=0, vad_stop_secs=5.0)
    c.tts.api_key = " "
    problems = c.validate()
    assert "The ElevenLabs API key is missing. Open Settings > Keys and paste it." in problems
    assert "Temperature is not between 0 and 2 (it is 3.0)." in problems
    assert "Conversation memory (past exchanges) must be 0 (keep everything) or at least 10 (it is 4)." in problems
    assert any("output sample rate" in p for p in problems)
    assert len(problems) == 7
    assert all(p.endswith(".") for p in problems)


def test_keys_do_not_show_in_repr():
    assert "stt-key-123" not in repr(config())


@pytest.mark.parametrize(
    ("category", "kind", "text"),
    [
        (ErrorCategory.AUTHENTICATION, ErrorKind.AUTH, "ElevenLabs rejected the API key. Open Settings > Keys."),
        (ErrorCategory.RATE_LIMIT, ErrorKind.RATE_LIMIT, "ElevenLabs is limiting how fast requests can be made."),
        (ErrorCategory.CONNECTIVITY, ErrorKind.UNREACHABLE, "Cannot reach ElevenLabs."),
        (ErrorCategory.SERVER, ErrorKind.PROVIDER, "ElevenLabs had a problem on its side."),
        (ErrorCategory.INVALID_REQUEST, ErrorKind.CONFIG, "Check the voice and voice model in Settings."),
    ],
)
def test_error_sentences_name_the_provider_and_the_remedy(category, kind, text):
    event = provider_error(Provider.TTS, category, "ElevenLabs")
    assert event.kind is kind and event.provider is Provider.TTS
    assert text in event.message


def test_a_speech_to_text_that_decides_turns_takes_only_a_fallback_that_does_too():
    c = config(stt_provider="cartesia_turns", stt_model="ink-2", stt_fallback="deepgram",
               speech_fallback_endpoints={"deepgram": ProviderEndpoint("dg-key-123")})
    assert c.validate() == [
        "The fallback speech-to-text provider Deepgram takes turns differently from Cartesia Ink-2 (turn-based) (one "
        "of them decides when you have finished speaking): choose another fallback. Open Settings > Providers & keys."
    ]
    c.stt_provider, c.stt_model = "sarvam", "saaras:v3"
    assert c.validate() == []
