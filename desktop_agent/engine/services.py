"""Build the three services of a session, each by the provider that plays its role (:mod:`desktop_agent.providers`).

An empty ``base_url`` leaves each service on the provider's real TLS endpoint; the simulator (or any loopback
proxy or local server) is reached by setting it. Each provider builds through Pipecat's own class and its current
API: ``Settings`` objects, no init-time ``model``/``voice_id``/``params``/``live_options``.

The websocket services are built with Pipecat's reconnect loop off: :mod:`desktop_agent.engine.healing` is the one
reconnect policy (Pipecat's gives up after three attempts and leaves the service dead for the rest of the session).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.services.llm_service import LLMService
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

from desktop_agent.engine.config import EngineConfig
from desktop_agent.state.events import Provider


@dataclass
class Services:
    stt: STTService
    llm: LLMService
    tts: TTSService


def build_stt(config: EngineConfig) -> STTService:
    return config.spec(Provider.STT).build(config)


def build_llm(config: EngineConfig) -> LLMService:
    return config.spec(Provider.LLM).build(config)


def build_tts(config: EngineConfig) -> TTSService:
    return config.spec(Provider.TTS).build(config)


def build_services(config: EngineConfig) -> Services:
    return Services(stt=build_stt(config), llm=build_llm(config), tts=build_tts(config))
