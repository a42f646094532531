"""Build the services of a session, each by the provider that plays its role (:mod:`desktop_agent.providers`).

An empty ``base_url`` leaves each service on the provider's real TLS endpoint; the simulator (or any loopback
proxy or local server) is reached by setting it. Each provider builds through Pipecat's own class and its current
API: ``Settings`` objects, no init-time ``model``/``voice_id``/``params``/``live_options``.

The websocket services are built with Pipecat's reconnect loop off: :mod:`desktop_agent.engine.healing` is the one
reconnect policy (Pipecat's gives up after three attempts and leaves the service dead for the rest of the session).

Language models have no connection to keep, so the session also builds the other language model providers it has
keys for (``llm_alternatives``): a fallback can answer a turn the chosen one failed, and the user can switch
providers between turns, without a new session.
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


def build_services(config: EngineConfig) -> Services:
    alternatives = {
        provider_id: build_llm(alternative_config(config, provider_id))
        for provider_id in config.llm_alternatives
        if provider_id != config.llm_provider
    }
    return Services(stt=build_stt(config), llm=build_llm(config), tts=build_tts(config), llm_alternatives=alternatives)
