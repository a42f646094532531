"""Settings + keys + the active prompt preset -> the engine's :class:`~desktop_agent.engine.config.EngineConfig`.

With a running simulator (``--simulate``), its loopback URLs and its public test keys replace the real providers'
(the user's keys are not used at all). Otherwise a missing key raises :class:`ConfigurationError` naming the
provider and pointing at Settings > Keys.
"""

from __future__ import annotations

from typing import Any, Protocol

from desktop_agent import providers
from desktop_agent.config.prompts import FALLBACK_PRESET, PromptLibrary
from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import AppSettings
from desktop_agent.config.tool_secrets import ToolSecrets
from desktop_agent.config.tools import ToolLibrary
from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
from desktop_agent.providers import ProviderSpec
from desktop_agent.state.events import Provider


class SimulatorAddresses(Protocol):
    def url(self, provider: str) -> str: ...


class ConfigurationError(ValueError):
    """The settings cannot start a session. ``problems`` are sentences; ``missing_keys`` the providers lacking one."""

    def __init__(self, problems: list[str], missing_keys: list[Provider]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems
        self.missing_keys = missing_keys


def missing_key_message(spec: ProviderSpec) -> str:
    name = spec.display_name
    return (
        f"The {name} API key is missing. Open Settings > Keys and paste your {name} key (or set {spec.key_variable})."
    )


def resolve_endpoint(
    provider: Provider, settings: AppSettings, secrets: Secrets, simulator: SimulatorAddresses | None = None
) -> ProviderEndpoint:
    """The key and base URL a client of the provider playing ``provider`` should use ("" key when there is none)."""
    spec = settings.providers.spec(provider)
    if simulator is not None:
        from desktop_agent.simulator import SIMULATOR_API_KEYS

        return ProviderEndpoint(SIMULATOR_API_KEYS.get(spec.emulator, ""), simulator.url(spec.emulator))
    return ProviderEndpoint(secrets.get(spec) or "", settings.providers.url(provider))


#: Session fields that are settings as they are: field -> (settings section, setting).
COPIED: dict[str, tuple[str, str]] = {
    "stt_language": ("models", "stt_language"),
    "temperature": ("models", "temperature"),
    "max_tokens": ("models", "max_tokens"),
    "mode": ("conversation", "mode"),
    "interruption_min_words": ("conversation", "interruption_min_words"),
    "speculative_replies": ("conversation", "speculative_replies"),
    "max_history_exchanges": ("conversation", "max_history_exchanges"),
    "vad_confidence": ("audio", "vad_confidence"),
    "vad_stop_secs": ("audio", "vad_stop_secs"),
    "input_device": ("audio", "input_device"),
    "output_device": ("audio", "output_device"),
    "output_sample_rate": ("audio", "output_sample_rate"),
    "echo_cancellation": ("audio", "echo_cancellation"),
    "noise_suppression": ("audio", "noise_suppression"),
    "stt_final_timeout": ("deadlines", "stt_final_secs"),
    "llm_first_token_timeout": ("deadlines", "llm_first_token_secs"),
    "tts_first_audio_timeout": ("deadlines", "tts_first_audio_secs"),
    "llm_retries": ("deadlines", "llm_retries"),
}


def language_model_alternatives(
    settings: AppSettings, secrets: Secrets, simulator: SimulatorAddresses | None = None
) -> dict[str, ProviderEndpoint]:
    """The language model providers other than the chosen one that a session can switch to: those with a key (or
    needing none), each at its own default address (the chosen provider's address setting is its alone)."""
    chosen = settings.providers.spec(Provider.LLM)
    alternatives: dict[str, ProviderEndpoint] = {}
    for spec in providers.for_role(Provider.LLM):
        if spec is chosen:
            continue
        if simulator is not None:
            from desktop_agent.simulator import SIMULATOR_API_KEYS

            endpoint = ProviderEndpoint(SIMULATOR_API_KEYS.get(spec.emulator, ""), simulator.url(spec.emulator))
        else:
            endpoint = ProviderEndpoint(secrets.get(spec) or "", "")
        if endpoint.api_key or not spec.key_required:
            alternatives[spec.id] = endpoint
    return alternatives


def speech_fallback_endpoints(
    settings: AppSettings, secrets: Secrets, simulator: SimulatorAddresses | None = None
) -> dict[str, ProviderEndpoint]:
    """The keys and addresses of the speech-to-text and text-to-speech fallbacks the settings name, by provider id:
    each at its own default address (the address settings are the chosen providers'). A fallback without a key is
    left out; the engine's check says so."""
    endpoints: dict[str, ProviderEndpoint] = {}
    for role in (Provider.STT, Provider.TTS):
        provider_id = settings.providers.fallback(role)
        if not provider_id or provider_id == settings.providers.chosen(role):
            continue
        try:
            spec = providers.get(provider_id)
        except providers.UnknownProvider:
            continue  # loading the settings already said so
        if simulator is not None:
            from desktop_agent.simulator import SIMULATOR_API_KEYS

            endpoint = ProviderEndpoint(SIMULATOR_API_KEYS.get(spec.emulator, ""), simulator.url(spec.emulator))
        else:
            endpoint = ProviderEndpoint(secrets.get(spec) or "", "")
        if endpoint.api_key or not spec.key_required:
            endpoints[spec.id] = endpoint
    return endpoints


def build_engine_config(
    settings: AppSettings,
    secrets: Secrets,
    prompts: PromptLibrary,
    simulator: SimulatorAddresses | Any | None = None,
    tools: ToolLibrary | None = None,
    tool_secrets: ToolSecrets | None = None,
) -> EngineConfig:
    """The engine configuration for a new session; raises :class:`ConfigurationError` if it could not start.
    ``tools`` are the user's webhook actions and MCP servers (those switched on are given to the session), their
    secret header values read from ``tool_secrets``."""
    endpoints = {p: resolve_endpoint(p, settings, secrets, simulator) for p in Provider}
    specs = {p: settings.providers.spec(p) for p in Provider}
    preset = prompts.resolve(settings.prompt.active) or FALLBACK_PRESET
    models = settings.models
    tts = specs[Provider.TTS]
    copied = {name: getattr(getattr(settings, section), setting) for name, (section, setting) in COPIED.items()}
    config = EngineConfig(
        stt=endpoints[Provider.STT],
        llm=endpoints[Provider.LLM],
        tts=endpoints[Provider.TTS],
        stt_provider=specs[Provider.STT].id,
        llm_provider=specs[Provider.LLM].id,
        tts_provider=tts.id,
        stt_model=specs[Provider.STT].model_or_default(models.stt_model),
        llm_model=specs[Provider.LLM].model_or_default(models.llm_model),
        tts_model=tts.model_or_default(models.tts_model),
        # No voice saved yet (its first-run choice could not ask the account): the provider's built-in one; a
        # start-up check says so if the account does not have it.
        voice_id=settings.voice.voice_id or tts.default_voice_id,
        voice_name=settings.voice.voice_name if settings.voice.voice_id else tts.default_voice_name,
        system_prompt=preset.text,
        prompt_name=preset.name,
        **copied,
    )
    config.llm_fallback = (
        settings.providers.llm_fallback if settings.providers.llm_fallback != config.llm_provider else ""
    )
    config.llm_alternatives = language_model_alternatives(settings, secrets, simulator)
    for role in (Provider.STT, Provider.TTS):
        fallback = settings.providers.fallback(role)
        setattr(config, f"{role.value}_fallback", fallback if fallback != settings.providers.chosen(role) else "")
    config.speech_fallback_endpoints = speech_fallback_endpoints(settings, secrets, simulator)
    if tools is not None:
        config.webhooks = [tool for tool in tools.webhooks if tool.enabled]
        config.webhook_headers = {
            tool.name: {
                header.name: (tool_secrets.get(tool.name, header.name) if tool_secrets else "")
                if header.secret
                else header.value
                for header in tool.headers
            }
            for tool in config.webhooks
        }
        config.mcp_servers = [server for server in tools.servers if server.enabled]
    missing = [p for p in Provider if specs[p].key_required and not endpoints[p].api_key]
    # Missing keys in words that name the variable too; the engine's own check says the rest.
    problems = [missing_key_message(specs[p]) for p in missing] + config.validate(keys=False)
    if problems:
        raise ConfigurationError(problems, missing)
    return config
