"""Build the three provider services from an :class:`EngineConfig`, through Pipecat's own classes and settings.

An empty ``base_url`` leaves each service on the provider's real TLS endpoint; the simulator (or any loopback
proxy) is reached by setting it. Only Pipecat's current API is used: ``Settings`` objects, no init-time
``model``/``voice_id``/``params``/``live_options``.

The websocket services are built with Pipecat's reconnect loop off: :mod:`desktop_agent.engine.healing` is the one
reconnect policy (Pipecat's gives up after three attempts and leaves the service dead for the rest of the session).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.services.cerebras.llm import CerebrasLLMService
from pipecat.services.elevenlabs.tts import ElevenLabsTTSService

from desktop_agent.engine.cartesia_stt import FinalizingCartesiaSTTService
from desktop_agent.engine.config import EngineConfig, reasoning_effort


@dataclass
class Services:
    stt: FinalizingCartesiaSTTService
    llm: CerebrasLLMService
    tts: ElevenLabsTTSService


def build_stt(config: EngineConfig) -> FinalizingCartesiaSTTService:
    kwargs = {"base_url": config.stt.base_url} if config.stt.base_url else {}
    return FinalizingCartesiaSTTService(
        api_key=config.stt.api_key,
        settings=FinalizingCartesiaSTTService.Settings(model=config.stt_model, language=config.stt_language),
        reconnect_on_error=False,
        **kwargs,
    )


def build_llm(config: EngineConfig) -> CerebrasLLMService:
    kwargs = {"base_url": config.llm.base_url} if config.llm.base_url else {}
    effort = reasoning_effort(config.llm_model)
    return CerebrasLLMService(
        api_key=config.llm.api_key,
        settings=CerebrasLLMService.Settings(
            model=config.llm_model,
            system_instruction=config.system_prompt,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            # ``extra`` keys are create() arguments: the request carries "reasoning_effort": "low" for gpt-oss.
            extra={"reasoning_effort": effort} if effort else {},
        ),
        **kwargs,
    )


def build_tts(config: EngineConfig) -> ElevenLabsTTSService:
    kwargs = {"url": config.tts.base_url} if config.tts.base_url else {}
    return ElevenLabsTTSService(
        api_key=config.tts.api_key,
        settings=ElevenLabsTTSService.Settings(voice=config.voice_id, model=config.tts_model),
        reconnect_on_error=False,
        **kwargs,
    )


def build_services(config: EngineConfig) -> Services:
    return Services(stt=build_stt(config), llm=build_llm(config), tts=build_tts(config))
