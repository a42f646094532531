"""What a voice session needs to know: endpoints, models, voice, prompt, turn-taking and audio settings.

Plain dataclasses (no Qt, no Pipecat) so the window, the console mode, tests and the benchmark build them the same
way. :meth:`EngineConfig.validate` turns bad values into sentences a user can act on.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from desktop_agent.state.events import Provider, TurnMode

# Cerebras' gpt-oss, live in its 2026 model lists. Providers retire models (llama-3.3-70b, the earlier default, now
# answers 404), so the app lists the live ones at run time; this is only the starting point.
DEFAULT_LLM_MODEL = "gpt-oss-120b"

# "Eric", a current premade conversational ElevenLabs voice. ElevenLabs retires voices too ("Rachel",
# 21m00Tcm4TlvDq8ikWAM, the earlier default, is gone): the app picks its voice from the account's own list on first
# run, so this is only used when nothing else was chosen (tests, the benchmark, an account that could not be asked).
DEFAULT_VOICE_ID = "cjVigY5qzO86Huf0OWal"
DEFAULT_VOICE_NAME = "Eric"

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful voice assistant in a spoken conversation. Answer in one to three short sentences of plain "
    "speech: no lists, no markdown, no emoji, no code. Ask a short question when the request is unclear. "
    "When the user says goodbye or asks to end the conversation, say a brief goodbye and call end_conversation."
)

# Sample rates ElevenLabs can stream as raw PCM.
TTS_SAMPLE_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)

# The user's turn must keep at least this many past exchanges unless the limit is switched off (0).
MIN_HISTORY_EXCHANGES = 10


def reasoning_effort(model: str) -> str | None:
    """The ``reasoning_effort`` to ask of ``model``: the lowest it takes, or None for a model without the setting.

    gpt-oss reasons before it answers and streams that reasoning first, so every reasoning token delays the first
    spoken word; on Cerebras it takes low, medium (the default) or high.
    """
    return "low" if model.strip().startswith("gpt-oss") else None


@dataclass
class ProviderEndpoint:
    """A provider's API key and endpoint. ``base_url`` "" means the provider's real (TLS) default."""

    api_key: str
    base_url: str = ""

    def __repr__(self) -> str:  # keys never reach logs through a repr
        return f"ProviderEndpoint(api_key={'***' if self.api_key else ''!r}, base_url={self.base_url!r})"


@dataclass
class EngineConfig:
    """Everything a :class:`~desktop_agent.engine.session.VoiceSession` is built from."""

    stt: ProviderEndpoint
    llm: ProviderEndpoint
    tts: ProviderEndpoint
    stt_model: str = "ink-whisper"
    stt_language: str = "en"
    llm_model: str = DEFAULT_LLM_MODEL
    temperature: float = 0.7
    max_tokens: int = 150
    tts_model: str = "eleven_flash_v2_5"
    voice_id: str = DEFAULT_VOICE_ID
    voice_name: str = ""
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    prompt_name: str = "Assistant"
    mode: TurnMode = TurnMode.PUSH_TO_TALK
    # Hands-free: words the user must say to interrupt the assistant while it speaks (1 = any speech).
    interruption_min_words: int = 2
    # Past user+assistant exchanges kept in the LLM context; 0 keeps everything.
    max_history_exchanges: int = 20
    vad_confidence: float = 0.7
    vad_stop_secs: float = 0.2
    input_device: int | str | None = None
    output_device: int | str | None = None
    output_sample_rate: int = 24000
    echo_cancellation: bool = True
    noise_suppression: bool = False
    # Deadlines (seconds): the final transcript after the end of speech, the language model's first token after its
    # request, the first audio after text went to text-to-speech. Past one, a turn nobody heard yet is retried once.
    stt_final_timeout: float = 2.5
    llm_first_token_timeout: float = 6.0
    tts_first_audio_timeout: float = 4.0
    # A language model request refused for a passing reason (429, 5xx, a dropped connection) is tried this many
    # more times within the turn, with backoff, before the turn is given up.
    llm_retries: int = 3

    def endpoint(self, provider: Provider) -> ProviderEndpoint:
        return {Provider.STT: self.stt, Provider.LLM: self.llm, Provider.TTS: self.tts}[provider]

    def validate(self) -> list[str]:
        """Return one sentence per problem; an empty list means the configuration can start a session."""
        problems: list[str] = []
        for provider, endpoint in ((Provider.STT, self.stt), (Provider.LLM, self.llm), (Provider.TTS, self.tts)):
            name = provider.display_name
            if not endpoint.api_key.strip():
                problems.append(f"The {name} API key is missing. Open Settings > Keys and paste it.")
            problem = _endpoint_problem(provider, endpoint.base_url)
            if problem:
                problems.append(problem)
        if not self.stt_model.strip():
            problems.append("Choose a Cartesia speech-to-text model.")
        if not self.llm_model.strip():
            problems.append("Choose a Cerebras language model.")
        if not self.tts_model.strip():
            problems.append("Choose an ElevenLabs voice model.")
        if not self.voice_id.strip():
            problems.append("Choose a voice for the assistant.")
        if not 0.0 <= self.temperature <= 2.0:
            problems.append(f"Temperature must be between 0 and 2 (it is {self.temperature}).")
        if not 1 <= self.max_tokens <= 8192:
            problems.append(f"Maximum reply length must be between 1 and 8192 tokens (it is {self.max_tokens}).")
        if self.interruption_min_words < 1:
            problems.append("The words needed to interrupt the assistant must be at least 1.")
        if self.max_history_exchanges != 0 and self.max_history_exchanges < MIN_HISTORY_EXCHANGES:
            problems.append(
                f"Keep at least {MIN_HISTORY_EXCHANGES} past exchanges, or 0 to keep the whole conversation "
                f"(it is {self.max_history_exchanges})."
            )
        if not 0.0 < self.vad_confidence < 1.0:
            problems.append(f"Voice detection confidence must be between 0 and 1 (it is {self.vad_confidence}).")
        if not 0.05 <= self.vad_stop_secs <= 3.0:
            problems.append(
                f"The pause that ends speech must be between 0.05 and 3 seconds (it is {self.vad_stop_secs})."
            )
        if self.output_sample_rate not in TTS_SAMPLE_RATES:
            rates = ", ".join(str(r) for r in TTS_SAMPLE_RATES)
            problems.append(f"The output sample rate must be one of {rates} Hz (it is {self.output_sample_rate}).")
        if not isinstance(self.mode, TurnMode):
            problems.append(f"Unknown turn mode {self.mode!r}: use push-to-talk or hands-free.")
        return problems


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _endpoint_problem(provider: Provider, base_url: str) -> str | None:
    """Non-loopback endpoints must use TLS; loopback (the simulator, a local proxy) may be plain."""
    if not base_url:
        return None
    name = provider.display_name
    secure, plain = ("https", "http") if provider is Provider.LLM else ("wss", "ws")
    parts = urlsplit(base_url)
    if parts.scheme not in (secure, plain) or not parts.hostname:
        return f"The {name} endpoint {base_url!r} is not a valid {secure}:// address."
    if parts.scheme == plain and not is_loopback_host(parts.hostname):
        return f"The {name} endpoint must use {secure}:// (encrypted) unless it runs on this computer."
    return None
