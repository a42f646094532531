"""Latency profiles: how long each emulated provider takes, knob by knob.

A profile is plain data read by the servers at the moment they need a value, so a test or the benchmark can swap it
(or change one knob) while connections are open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any


@dataclass
class LatencyProfile:
    """Every timing the emulators apply. Seconds unless the name says otherwise.

    STT (Cartesia): ``stt_final_delay`` is the time from a ``finalize`` message to the final transcript;
    ``stt_interim_interval`` the spacing of interim transcripts while speech arrives. How interims lag the audio,
    get revised and miss the last word at the release (Cartesia and Deepgram; :mod:`interims`):
    ``stt_interim_lag`` (seconds of audio a word waits before it is shown), ``stt_interim_revision_rate`` (the chance
    an interim's newest word is misheard, put right in the next), ``stt_last_word_miss_share`` (the share of
    utterances whose interim at the release still lacks the last word) and ``stt_interim_seed``.
    LLM (every chat-completions emulator): ``llm_first_token_delay`` is request arrival to the first streamed token,
    then tokens follow at ``llm_tokens_per_second`` (``math.inf`` = all at once).
    TTS (ElevenLabs): ``tts_first_audio_delay`` is a text message's arrival to its first audio chunk, then chunks of
    about ``tts_chunk_ms`` of audio are sent ``tts_realtime_factor`` times faster than they play (``math.inf`` = as
    fast as they are made).
    ``http_delay`` is added before every REST answer (voice lists); ``connect_delay`` before a websocket handshake
    completes.
    """

    stt_interim_interval: float = 0.3
    stt_final_delay: float = 0.15
    stt_interim_lag: float = 0.4
    stt_interim_revision_rate: float = 0.2
    stt_last_word_miss_share: float = 0.3
    stt_interim_seed: int = 0
    llm_first_token_delay: float = 0.24
    llm_tokens_per_second: float = 450.0
    tts_first_audio_delay: float = 0.15
    tts_realtime_factor: float = 5.0
    tts_chunk_ms: int = 200
    http_delay: float = 0.0
    connect_delay: float = 0.0
    #: Root-mean-square level (int16 units) above which a 20 ms slice of received audio counts as speech.
    stt_speech_rms: float = 300.0

    def copy(self, **changes: Any) -> LatencyProfile:
        """A copy with some knobs changed (profiles in ``PROFILES`` are shared; never mutate those)."""
        return replace(self, **changes)


PROFILES: dict[str, LatencyProfile] = {
    # Tests: no waiting anywhere, but audio still streams in chunks and interims still arrive.
    "instant": LatencyProfile(
        stt_interim_interval=0.1,
        stt_final_delay=0.0,
        # Interims as the emulators always wrote them: no lag, no revision, never the last word before the final.
        stt_interim_lag=0.0,
        stt_interim_revision_rate=0.0,
        stt_last_word_miss_share=1.0,
        llm_first_token_delay=0.0,
        llm_tokens_per_second=math.inf,
        tts_first_audio_delay=0.0,
        tts_realtime_factor=math.inf,
        tts_chunk_ms=200,
    ),
    # The latencies the product requirements assume for the real providers.
    "prd": LatencyProfile(
        stt_interim_interval=0.3,
        stt_final_delay=0.15,
        # A word shows 0.4 s after it is spoken, one interim in five mishears its newest word, and at the release
        # three utterances in ten still lack their last word (see README, "Simulator").
        stt_interim_lag=0.4,
        stt_interim_revision_rate=0.2,
        stt_last_word_miss_share=0.3,
        llm_first_token_delay=0.24,
        llm_tokens_per_second=450.0,
        tts_first_audio_delay=0.15,
        tts_realtime_factor=5.0,
        tts_chunk_ms=200,
    ),
    # A bad day: every stage several times slower, still inside the clients' timeouts.
    "slow": LatencyProfile(
        stt_interim_interval=0.5,
        stt_final_delay=0.6,
        stt_interim_lag=0.7,
        stt_interim_revision_rate=0.3,
        stt_last_word_miss_share=0.5,
        llm_first_token_delay=1.0,
        llm_tokens_per_second=100.0,
        tts_first_audio_delay=0.6,
        tts_realtime_factor=1.5,
        tts_chunk_ms=250,
        http_delay=0.3,
        connect_delay=0.2,
    ),
}


def resolve_profile(profile: str | LatencyProfile) -> LatencyProfile:
    """A private copy of a named or given profile, so per-simulator knob changes never leak into ``PROFILES``."""
    if isinstance(profile, LatencyProfile):
        return profile.copy()
    try:
        return PROFILES[profile].copy()
    except KeyError:
        names = ", ".join(sorted(PROFILES))
        raise ValueError(f"Unknown latency profile {profile!r}; choose one of {names}.") from None
