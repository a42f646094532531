"""What a voice session needs to know: endpoints, models, voice, prompt, turn-taking and audio settings.

Plain dataclasses (no Qt, no Pipecat) so the window, the console mode, tests and the benchmark build them the same
way. :meth:`EngineConfig.validate` turns bad values into sentences a user can act on.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from desktop_agent import providers
from desktop_agent.config.languages import language_name, with_answer_language
from desktop_agent.config.settings import DEFAULT_PROMPT_NAME, setting_problem
from desktop_agent.config.tools import McpServer, WebhookTool
from desktop_agent.providers import ProviderSpec
from desktop_agent.state.events import Provider, TurnMode

_DEFAULT_STT = providers.default_for(Provider.STT)
_DEFAULT_LLM = providers.default_for(Provider.LLM)
_DEFAULT_TTS = providers.default_for(Provider.TTS)

# Providers retire models and voices, so the app lists the live ones at run time and picks the voice from the
# account's own list on first run: these are only the starting points (tests, the benchmark, an account that could
# not be asked).
DEFAULT_LLM_MODEL = _DEFAULT_LLM.default_model
DEFAULT_VOICE_ID = _DEFAULT_TTS.default_voice_id
DEFAULT_VOICE_NAME = _DEFAULT_TTS.default_voice_name

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful voice assistant in a spoken conversation. Answer in one to three short sentences of plain "
    "speech: no lists, no markdown, no emoji, no code. Ask a short question when the request is unclear. "
    "When the user says goodbye or asks to end the conversation, say a brief goodbye and call end_conversation."
)

# Sample rates the default voice provider can stream as raw PCM.
TTS_SAMPLE_RATES = _DEFAULT_TTS.sample_rates

#: Session fields checked by the settings' own rules (config/settings.py): field -> (settings section, setting).
#: A value out of range here was set by code (a test, the benchmark), not the settings, which check on load.
_CHECKED_BY_SETTINGS = {
    "temperature": ("models", "temperature"),
    "max_tokens": ("models", "max_tokens"),
    "stt_language": ("models", "stt_language"),
    "interruption_min_words": ("conversation", "interruption_min_words"),
    "max_history_exchanges": ("conversation", "max_history_exchanges"),
    "vad_confidence": ("audio", "vad_confidence"),
    "vad_stop_secs": ("audio", "vad_stop_secs"),
    "stt_final_timeout": ("deadlines", "stt_final_secs"),
    "llm_first_token_timeout": ("deadlines", "llm_first_token_secs"),
    "tts_first_audio_timeout": ("deadlines", "tts_first_audio_secs"),
    "llm_retries": ("deadlines", "llm_retries"),
}


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
    #: Which provider plays each role (ids of :mod:`desktop_agent.providers`).
    stt_provider: str = _DEFAULT_STT.id
    llm_provider: str = _DEFAULT_LLM.id
    tts_provider: str = _DEFAULT_TTS.id
    #: The language model provider that answers when the chosen one fails past its retries ("" = none); it must be
    #: one of ``llm_alternatives``.
    llm_fallback: str = ""
    #: Other language model providers this session can switch to without a restart, with their keys and addresses
    #: (each on its own default model).
    llm_alternatives: dict[str, ProviderEndpoint] = field(default_factory=dict)
    #: The speech-to-text and text-to-speech providers that take over when the chosen one's connection cannot be
    #: restored ("" = none), each on its endpoint in ``speech_fallback_endpoints`` (by provider id), its default model
    #: and (text to speech) its default voice.
    stt_fallback: str = ""
    tts_fallback: str = ""
    speech_fallback_endpoints: dict[str, ProviderEndpoint] = field(default_factory=dict)
    #: How long a fallback answers at least before the chosen provider is tried again (doubled, up to ten times, each
    #: time the chosen one fails again right after coming back).
    fallback_hold_secs: float = 30.0
    stt_model: str = _DEFAULT_STT.default_model
    stt_language: str = "en"
    llm_model: str = DEFAULT_LLM_MODEL
    temperature: float = 0.7
    max_tokens: int = 150
    tts_model: str = _DEFAULT_TTS.default_model
    voice_id: str = DEFAULT_VOICE_ID
    voice_name: str = ""
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    prompt_name: str = DEFAULT_PROMPT_NAME
    mode: TurnMode = TurnMode.PUSH_TO_TALK
    # Hands-free: words the user must say to interrupt the assistant while it speaks (1 = any speech).
    interruption_min_words: int = 2
    # The reply starts before the turn is confirmed (at the push-to-talk release; hands-free when the VAD stops) on the
    # words heard so far, and is heard once the final transcripts match (engine/speculative_stop.py, speculation.py);
    # off, it starts once the turn has ended on its final transcript.
    speculative_replies: bool = True
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
    #: The user's webhook actions that are switched on, and the values of their headers by tool name (secret ones
    #: read from the keyring; kept out of reprs and logs).
    webhooks: list[WebhookTool] = field(default_factory=list)
    webhook_headers: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    #: The user's MCP servers that are switched on: started with the session, stopped with it.
    mcp_servers: list[McpServer] = field(default_factory=list)

    def endpoint(self, provider: Provider) -> ProviderEndpoint:
        return {Provider.STT: self.stt, Provider.LLM: self.llm, Provider.TTS: self.tts}[provider]

    @property
    def system_instruction(self) -> str:
        """The system prompt as the language model is given it: with the sentence that says which language to
        answer in (the conversation's language, :attr:`stt_language`)."""
        return with_answer_language(self.system_prompt, self.stt_language)

    def spec(self, role: Provider) -> ProviderSpec:
        """The provider playing ``role`` (raises :class:`~desktop_agent.providers.UnknownProvider` for a bad id)."""
        return providers.get(
            {Provider.STT: self.stt_provider, Provider.LLM: self.llm_provider, Provider.TTS: self.tts_provider}[role]
        )

    def fallback(self, role: Provider) -> str:
        """The id of the provider that takes over ``role`` when the chosen one fails ("" = none)."""
        fallback = {Provider.STT: self.stt_fallback, Provider.LLM: self.llm_fallback, Provider.TTS: self.tts_fallback}
        return fallback[role]

    def name_of(self, role: Provider) -> str:
        """The name of the provider playing ``role``, as the user knows it."""
        try:
            return self.spec(role).display_name
        except providers.UnknownProvider:
            return role.role_name

    def validate(self, *, keys: bool = True) -> list[str]:
        """Return one sentence per problem; an empty list means the configuration can start a session. ``keys``
        False leaves missing keys to the caller (the settings bridge says them with the variable to set)."""
        problems: list[str] = []
        for role in Provider:
            try:
                spec = self.spec(role)
            except providers.UnknownProvider as unknown:
                known = ", ".join(s.id for s in providers.for_role(role))
                problems.append(
                    f"There is no {role.role_name} provider called {unknown.args[0]!r}; choose one of {known}."
                )
                continue
            endpoint = self.endpoint(role)
            if keys and spec.key_required and not endpoint.api_key.strip():
                problems.append(f"The {spec.display_name} API key is missing. Open Settings > Keys and paste it.")
            problem = _endpoint_problem(spec, endpoint.base_url)
            if problem:
                problems.append(problem)
        if self.llm_fallback and self.llm_fallback not in self.llm_alternatives:
            problems.append(
                f"The fallback language model provider {self.llm_fallback!r} cannot be used: its key is "
                "missing or it is not a language model provider. Open Settings > Providers & keys."
            )
        for provider_id, endpoint in self.llm_alternatives.items():
            try:
                problem = _endpoint_problem(providers.get(provider_id), endpoint.base_url)
            except providers.UnknownProvider:
                problem = f"There is no language model provider called {provider_id!r}."
            if problem:
                problems.append(problem)
        for role in (Provider.STT, Provider.TTS):
            problems.extend(self._speech_fallback_problems(role))
        if not self.stt_model.strip():
            problems.append(f"Choose a {self.name_of(Provider.STT)} speech-to-text model.")
        problems.extend(self._language_problems())
        if not self.llm_model.strip():
            problems.append(f"Choose a {self.name_of(Provider.LLM)} language model.")
        if not self.tts_model.strip():
            problems.append(f"Choose a {self.name_of(Provider.TTS)} voice model.")
        if not self.voice_id.strip():
            problems.append("Choose a voice for the assistant.")
        for name, (section, setting) in _CHECKED_BY_SETTINGS.items():
            problem = setting_problem(section, setting, getattr(self, name))
            if problem:
                problems.append(problem)
        rates_offered = _sample_rates(self.tts_provider)
        if self.output_sample_rate not in rates_offered:
            rates = ", ".join(str(r) for r in rates_offered)
            problems.append(f"The output sample rate must be one of {rates} Hz (it is {self.output_sample_rate}).")
        if not isinstance(self.mode, TurnMode):
            problems.append(f"Unknown turn mode {self.mode!r}: use push-to-talk or hands-free.")
        return problems

    def _language_problems(self) -> list[str]:
        """Speech to text must hear the conversation's language (a voice that cannot speak it is replaced by one
        that can where the language is switched; see VoiceSession.set_language)."""
        try:
            spec = self.spec(Provider.STT)
        except providers.UnknownProvider:
            return []
        if spec.speaks(self.stt_language):
            return []
        return [
            f"{spec.display_name} speech to text cannot hear {language_name(self.stt_language)}; choose another "
            "language or speech-to-text provider in Settings."
        ]

    def _chosen_decides_turns(self) -> bool | None:
        try:
            return self.spec(Provider.STT).decides_turns
        except providers.UnknownProvider:
            return None

    def _speech_fallback_problems(self, role: Provider) -> list[str]:
        provider_id = self.fallback(role)
        if not provider_id:
            return []
        where = "Open Settings > Providers & keys."
        try:
            spec = providers.get(provider_id)
        except providers.UnknownProvider:
            spec = None
        if spec is None or spec.role is not role:
            return [f"There is no {role.role_name} provider called {provider_id!r} to fall back on. {where}"]
        endpoint = self.speech_fallback_endpoints.get(provider_id)
        if endpoint is None or (spec.key_required and not endpoint.api_key.strip()):
            return [f"The fallback {role.role_name} provider {spec.display_name} has no API key. {where}"]
        problem = _endpoint_problem(spec, endpoint.base_url)
        if problem:
            return [problem]
        chosen_decides = self._chosen_decides_turns()
        if role is Provider.STT and chosen_decides is not None and spec.decides_turns is not chosen_decides:
            # The turn strategies are built for the chosen one: hands-free would never end a turn after a switch.
            return [
                f"The fallback speech-to-text provider {spec.display_name} takes turns differently from "
                f"{self.name_of(role)} (one of them decides when you have finished speaking): choose another "
                f"fallback. {where}"
            ]
        if role is Provider.TTS and self.output_sample_rate not in _sample_rates(provider_id):
            return [
                f"The fallback voice provider {spec.display_name} cannot play at {self.output_sample_rate} Hz; "
                f"choose another output sample rate in Settings > Audio or another fallback."
            ]
        return []


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _sample_rates(provider_id: str) -> tuple[int, ...]:
    try:
        return providers.get(provider_id).sample_rates or TTS_SAMPLE_RATES
    except providers.UnknownProvider:
        return TTS_SAMPLE_RATES


def _endpoint_problem(spec: ProviderSpec, base_url: str) -> str | None:
    """Non-loopback endpoints must use TLS; loopback (the simulator, a local proxy) may be plain."""
    if not base_url:
        return None
    name = spec.display_name
    secure, plain = spec.secure_scheme, spec.plain_scheme
    parts = urlsplit(base_url)
    if parts.scheme not in (secure, plain) or not parts.hostname:
        return f"The {name} endpoint {base_url!r} is not a valid {secure}:// address."
    if parts.scheme == plain and not is_loopback_host(parts.hostname):
        return f"The {name} endpoint must use {secure}:// (encrypted) unless it runs on this computer."
    return None
