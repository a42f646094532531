"""Settings + keys + the active prompt preset -> the engine's :class:`~desktop_agent.engine.config.EngineConfig`.

With a running simulator (``--simulate``), its loopback URLs and its public test keys replace the real providers'
(the user's keys are not used at all). Otherwise a missing key raises :class:`ConfigurationError` naming the
provider and pointing at Settings > Keys.
"""

from __future__ import annotations

from typing import Any, Protocol

from desktop_agent.config.prompts import FALLBACK_PRESET, PromptLibrary
from desktop_agent.config.secrets import KEY_VARIABLES, Secrets
from desktop_agent.config.settings import AppSettings
from desktop_agent.engine.config import (
    DEFAULT_VOICE_ID,
    DEFAULT_VOICE_NAME,
    EngineConfig,
    ProviderEndpoint,
)
from desktop_agent.state.events import Provider

#: Simulator attribute and SIMULATOR_API_KEYS entry of each provider.
_SIMULATED = {Provider.STT: "cartesia", Provider.LLM: "cerebras", Provider.TTS: "elevenlabs"}


class SimulatorAddresses(Protocol):
    cartesia_url: str
    cerebras_url: str
    elevenlabs_url: str


class ConfigurationError(ValueError):
    """The settings cannot start a session. ``problems`` are sentences; ``missing_keys`` the providers lacking one."""

    def __init__(self, problems: list[str], missing_keys: list[Provider]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems
        self.missing_keys = missing_keys


def missing_key_message(provider: Provider) -> str:
    name = provider.display_name
    return (
        f"The {name} API key is missing. Open Settings > Keys and paste your {name} key "
        f"(or set {KEY_VARIABLES[provider]})."
    )


def resolve_endpoint(
    provider: Provider, settings: AppSettings, secrets: Secrets, simulator: SimulatorAddresses | None = None
) -> ProviderEndpoint:
    """The key and base URL a client of ``provider`` should use ("" key when there is none)."""
    if simulator is not None:
        from desktop_agent.simulator import SIMULATOR_API_KEYS

        name = _SIMULATED[provider]
        return ProviderEndpoint(SIMULATOR_API_KEYS[name], getattr(simulator, f"{name}_url"))
    return ProviderEndpoint(secrets.get(provider) or "", settings.providers.url(provider))


def build_engine_config(
    settings: AppSettings,
    secrets: Secrets,
    prompts: PromptLibrary,
    simulator: SimulatorAddresses | Any | None = None,
) -> EngineConfig:
    """The engine configuration for a new session; raises :class:`ConfigurationError` if it could not start."""
    endpoints = {p: resolve_endpoint(p, settings, secrets, simulator) for p in Provider}
    preset = prompts.resolve(settings.prompt.active) or FALLBACK_PRESET
    models, audio, conversation = settings.models, settings.audio, settings.conversation
    config = EngineConfig(
        stt=endpoints[Provider.STT],
        llm=endpoints[Provider.LLM],
        tts=endpoints[Provider.TTS],
        stt_model=models.stt_model,
        stt_language=models.stt_language,
        llm_model=models.llm_model,
        temperature=models.temperature,
        max_tokens=models.max_tokens,
        tts_model=models.tts_model,
        # No voice saved yet (its first-run choice could not ask the account): the built-in one; a start-up check
        # says so if the account does not have it.
        voice_id=settings.voice.voice_id or DEFAULT_VOICE_ID,
        voice_name=settings.voice.voice_name if settings.voice.voice_id else DEFAULT_VOICE_NAME,
        system_prompt=preset.text,
        prompt_name=preset.name,
        mode=conversation.mode,
        interruption_min_words=conversation.interruption_min_words,
        max_history_exchanges=conversation.max_history_exchanges,
        vad_confidence=audio.vad_confidence,
        vad_stop_secs=audio.vad_stop_secs,
        input_device=audio.input_device,
        output_device=audio.output_device,
        output_sample_rate=audio.output_sample_rate,
        echo_cancellation=audio.echo_cancellation,
        noise_suppression=audio.noise_suppression,
        stt_final_timeout=settings.deadlines.stt_final_secs,
        llm_first_token_timeout=settings.deadlines.llm_first_token_secs,
        tts_first_audio_timeout=settings.deadlines.tts_first_audio_secs,
        llm_retries=settings.deadlines.llm_retries,
    )
    missing = [p for p in Provider if not endpoints[p].api_key]
    problems = [missing_key_message(p) for p in missing]
    # The engine's own check also reports missing keys, in its words: keep ours, which name the variable too.
    problems += [p for p in config.validate() if " API key is missing" not in p]
    if problems:
        raise ConfigurationError(problems, missing)
    return config
