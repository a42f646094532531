"""Build the services of a session, each by the provider that plays its role (:mod:`desktop_agent.providers`).

An empty ``base_url`` leaves each service on the provider's real TLS endpoint; the simulator (or any loopback
proxy or local server) is reached by setting it. Each provider builds through Pipecat's own class and its current
API: ``Settings`` objects, no init-time ``model``/``voice_id``/``params``/``live_options``.

The websocket services are built with Pipecat's reconnect loop off: :mod:`desktop_agent.engine.healing` is the one
reconnect policy (Pipecat's gives up after three attempts and leaves the service dead for the rest of the session).

Language models have no connection to keep, so the session also builds the other language model providers it has
keys for (``llm_alternatives``): a fallback can answer a turn the chosen one failed, and the user can switch
providers between turns, without a new session. A speech-to-text or text-to-speech fallback is built too, when one
is set: it connects with the session and stands by, so taking over costs no handshake.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from pipecat.services.llm_service import LLMService
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

from desktop_agent import providers
from desktop_agent.engine.config import EngineConfig
from desktop_agent.state.events import Provider


@dataclass
class Services:
    stt: STTService
    llm: LLMService
    tts: TTSService
    #: Other language model providers by id, built and ready to take over (see the module docstring).
    llm_alternatives: dict[str, LLMService] = field(default_factory=dict)
    #: The speech-to-text and text-to-speech providers standing by to take over (None: no fallback set).
    stt_fallback: STTService | None = None
    tts_fallback: TTSService | None = None


def build_stt(config: EngineConfig) -> STTService:
    return config.spec(Provider.STT).build(config)


def build_llm(config: EngineConfig) -> LLMService:
    return config.spec(Provider.LLM).build(config)


def build_tts(config: EngineConfig) -> TTSService:
    return config.spec(Provider.TTS).build(config)


def alternative_config(config: EngineConfig, provider_id: str) -> EngineConfig:
    """``config`` with ``provider_id`` as the language model, on its own key, address and default model."""
    spec = providers.get(provider_id)
    return dataclasses.replace(
        config, llm_provider=provider_id, llm=config.llm_alternatives[provider_id], llm_model=spec.default_model
    )


def fallback_config(config: EngineConfig, role: Provider) -> EngineConfig:
    """``config`` with the fallback of ``role`` (speech to text or text to speech) playing it, on its own key and
    address, its default model and (text to speech) its default voice: a model or voice of one vendor means
    nothing to another."""
    provider_id = config.fallback(role)
    spec = providers.get(provider_id)
    endpoint = config.speech_fallback_endpoints[provider_id]
    if role is Provider.STT:
        return dataclasses.replace(config, stt_provider=provider_id, stt=endpoint, stt_model=spec.default_model)
    return dataclasses.replace(
        config,
        tts_provider=provider_id,
        tts=endpoint,
        tts_model=spec.default_model,
        voice_id=spec.default_voice_id,
        voice_name=spec.default_voice_name,
    )


def build_services(config: EngineConfig) -> Services:
    alternatives = {
        provider_id: build_llm(alternative_config(config, provider_id))
        for provider_id in config.llm_alternatives
        if provider_id != config.llm_provider
    }
    return Services(
        stt=build_stt(config),
        llm=build_llm(config),
        tts=build_tts(config),
        llm_alternatives=alternatives,
        stt_fallback=build_stt(fallback_config(config, Provider.STT)) if config.stt_fallback else None,
        tts_fallback=build_tts(fallback_config(config, Provider.TTS)) if config.tts_fallback else None,
    )
