"""The reference's three services, built for the providers the run chose, through the same provider specs as the app.

Both systems must talk to the same provider with the same model, voice, prompt and reply length, so the reference
asks each provider's :attr:`~desktop_agent.providers.base.ProviderSpec.build` as the app's engine does, except where
a builder adds something of the app's own, which the reference exists to be measured without:

* Cartesia speech to text: its builder returns the app's ``FinalizingCartesiaSTTService``, which marks the answer to
  ``finalize`` as the turn's final transcript (its docstring measured about 490 ms of every hands-free turn) and asks
  for no compression. The reference builds Pipecat's own ``CartesiaSTTService`` with the same key, address, model and
  language.
* Deepgram speech to text: its builder returns the app's ``SingleAttemptDeepgramSTTService`` (one connection attempt,
  the app's healer reconnecting; connection events and empty ``Finalize`` answers told to the app's engine). The
  reference builds Pipecat's own ``DeepgramSTTService`` with the same key, address and settings.
* Cartesia Ink-2 turn-based speech to text: its builder returns the app's ``KeyAwareCartesiaTurnsSTTService``
  (server turn events passed as transcripts only while a push-to-talk key decides the turn, no compression). The
  reference builds Pipecat's own ``CartesiaTurnsSTTService`` with the same key, address, model and eager end of turn.
* Sarvam speech to text: its builder returns the app's ``HealableSarvamSTTService`` (reconnectable, Sarvam's in-band
  errors heard). The reference builds Pipecat's own ``SarvamSTTService`` with the same key, model and language; since
  Pipecat's has no base-URL option, its SDK client is pointed at the configured address the way the app's is.
* Language models: the builders ask reasoning models (gpt-oss) for the lowest ``reasoning_effort``, a choice of the
  app; the reference sends none, as Pipecat's services do unless told, so the provider's default applies (and the
  reference's requests for the default providers stay what they were before providers were plug-ins).

The builders also turn Pipecat's own reconnect loop off on websocket services (the app's healer reconnects); the
reference keeps that, since the benchmark injects no faults and the figures cannot depend on it.
:func:`reference_services` checks that every service it returns is Pipecat's own class, so a provider whose builder
returns an app subclass must be given its plain builder here before the reference can use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_agent.engine.config import EngineConfig
from desktop_agent.state.events import Provider


def _plain_cartesia_stt(config: EngineConfig) -> Any:
    from pipecat.services.cartesia.stt import CartesiaSTTService

    return CartesiaSTTService(
        api_key=config.stt.api_key,
        base_url=config.stt.base_url,
        settings=CartesiaSTTService.Settings(model=config.stt_model, language=config.stt_language),
    )


def _plain_deepgram_stt(config: EngineConfig) -> Any:
    from pipecat.services.deepgram.stt import DeepgramSTTService

    kwargs: dict[str, Any] = {"base_url": config.stt.base_url} if config.stt.base_url else {}
    return DeepgramSTTService(
        api_key=config.stt.api_key,
        settings=DeepgramSTTService.Settings(
            model=config.stt_model,
            language=config.stt_language,
            interim_results=True,
            punctuate=True,
            smart_format=True,
        ),
        **kwargs,
    )


def _plain_cartesia_turns_stt(config: EngineConfig) -> Any:
    from pipecat.services.cartesia.turns.stt import CartesiaTurnsSTTService

    from desktop_agent.providers.cartesia_turns_stt import turns_url

    return CartesiaTurnsSTTService(
        api_key=config.stt.api_key,
        url=turns_url(config.stt.base_url),
        enable_eager_end_of_turn=True,
        settings=CartesiaTurnsSTTService.Settings(model=config.stt_model),
    )


def _plain_sarvam_stt(config: EngineConfig) -> Any:
    from pipecat.services.sarvam.stt import SarvamSTTService

    from desktop_agent.providers.sarvam_service import point_at
    from desktop_agent.providers.sarvam_stt import language_code

    service = SarvamSTTService(
        api_key=config.stt.api_key,
        settings=SarvamSTTService.Settings(model=config.stt_model, language=language_code(config.stt_language)),
    )
    if config.stt.base_url:
        point_at(service, config.stt.base_url)
    return service


#: Provider id -> the plain-Pipecat builder the reference uses instead of the spec's (see the module docstring). Each
#: must give the service the settings the spec's builder gives (tests/bench/test_bench_providers.py compares them).
PLAIN_BUILDERS: dict[str, Callable[[EngineConfig], Any]] = {
    "cartesia": _plain_cartesia_stt,
    "deepgram": _plain_deepgram_stt,
    "cartesia_turns": _plain_cartesia_turns_stt,
    "sarvam": _plain_sarvam_stt,
}


class NotPlainPipecat(TypeError):
    """A provider's builder returned a service of the app's own, and the reference has no plain builder for it."""


def build_for_reference(config: EngineConfig, role: Provider) -> Any:
    """The reference's service for ``role``: the plain builder if the provider has one, else the spec's."""
    spec = config.spec(role)
    service = PLAIN_BUILDERS.get(spec.id, spec.build)(config)
    if role is Provider.LLM:
        _without_reasoning_effort(service)
    if not type(service).__module__.startswith("pipecat."):
        raise NotPlainPipecat(
            f"the {spec.display_name} builder returns {type(service).__name__}, not one of "
            "Pipecat's services; give the reference a plain builder in bench/reference_services.py"
        )
    return service


def reference_services(config: EngineConfig) -> tuple[Any, Any, Any]:
    """Speech to text, language model and text to speech for the reference, in pipeline order."""
    return tuple(build_for_reference(config, role) for role in (Provider.STT, Provider.LLM, Provider.TTS))


def _without_reasoning_effort(llm: Any) -> None:
    """Take the app's ``reasoning_effort`` out of a language model service's request settings.

    Done on the settings the service was just built with, before any pipeline holds it: the same as building it
    without (Pipecat's ``Settings.extra`` is merged into every request as it is).
    """
    extra = getattr(getattr(llm, "settings", None), "extra", None)
    if isinstance(extra, dict):
        extra.pop("reasoning_effort", None)
