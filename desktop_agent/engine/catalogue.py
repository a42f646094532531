"""A language model or voice the provider no longer offers: found at start-up or from a failed request, and said
as one sentence with an available one to switch to (a :class:`~desktop_agent.state.events.ChoiceUnavailable`).

Providers retire what they serve: a language model provider answers a retired model with HTTP 404
``model_not_found``, a voice provider a voice the account lacks with ``voice_not_found`` (HTTP) or a 1008 close
that says so (websocket), which Pipecat
reports as a failed reconnect whose cause holds the close. Left alone, every turn would fail with a sentence about
the connection. Here:

* :func:`check_model` and :func:`check_voice` look before the first turn (the model against the list the LLM
  warm-up fetches anyway, the voice with one REST request);
* :func:`names_unavailable_choice` tells at once whether an ``ErrorFrame`` (or exception) is such a refusal, and
  :func:`explain_unavailable` turns it into the event, finding the replacement (one more request).

No Pipecat or SDK import: errors are read by their shape (``status_code``/``body`` of an HTTP error, ``rcvd`` of a
websocket close), so the window and the console may import this too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from loguru import logger

from desktop_agent import providers
from desktop_agent.config.llm_models import ModelCatalog, ModelListError, suggest_model
from desktop_agent.config.voices import Voice, VoiceError, choose_voice
from desktop_agent.engine.config import EngineConfig
from desktop_agent.providers import ProviderSpec
from desktop_agent.state.events import ChoiceUnavailable, ErrorKind, Provider
from desktop_agent.state.plain_text import plain_text, shorten

MAX_NAME = 60
_MODEL_IN_MESSAGE = re.compile(r"Model (\S+) does not exist")
_VOICE_IN_MESSAGE = re.compile(r"voice_id (\S+?) (?:was not found|does not exist)")
_VOICE_MISSING = ("voice_not_found", "voice_does_not_exist")


def _shown(text: str) -> str:
    return shorten(plain_text(text, single_line=True).strip(), MAX_NAME)


# ------------------------------------------------------------------------------------------------------ the events
def model_unavailable(model: str, replacement: str | None, provider_name: str = "") -> ChoiceUnavailable:
    """The event for ``model``, no longer served by ``provider_name``, with ``replacement`` to switch to (None: none
    was found)."""
    provider_name = provider_name or providers.default_for(Provider.LLM).display_name
    said = f"The language model {_shown(model)} is no longer offered by {provider_name}."
    advice = f"Switch to {_shown(replacement)}." if replacement else "Choose another one in Settings > Models."
    return ChoiceUnavailable(
        kind=ErrorKind.CONFIG,
        message=f"{said} {advice}",
        provider=Provider.LLM,
        recoverable=False,
        current=model,
        replacement=replacement or "",
        replacement_name=_shown(replacement or ""),
    )


def voice_unavailable(
    voice_id: str, voice_name: str, replacement: Voice | None, provider_name: str = ""
) -> ChoiceUnavailable:
    """The event for the voice ``voice_id`` the account no longer has, with ``replacement`` (None: none found)."""
    provider_name = provider_name or providers.default_for(Provider.TTS).display_name
    said = f"The voice {_shown(voice_name or voice_id)} is no longer in your {provider_name} account."
    advice = f"Switch to {_shown(replacement.name)}." if replacement else "Choose another one in Settings > Voice."
    return ChoiceUnavailable(
        kind=ErrorKind.CONFIG,
        message=f"{said} {advice}",
        provider=Provider.TTS,
        recoverable=False,
        current=voice_id,
        replacement=replacement.voice_id if replacement else "",
        replacement_name=_shown(replacement.name) if replacement else "",
    )


# --------------------------------------------------------------------------------------------- start-up checks
def check_model(available: Iterable[str], model: str, spec: ProviderSpec | None = None) -> ChoiceUnavailable | None:
    """The event when ``model`` is not among ``available`` (the IDs ``GET /models`` listed), else None.

    An empty list proves nothing (the provider may list nothing to some keys): None.
    """
    models = [m for m in available if m]
    if not models or model in models:
        return None
    spec = spec or providers.default_for(Provider.LLM)
    return model_unavailable(model, suggest_model(models, model, spec), spec.display_name)


async def check_voice(config: EngineConfig) -> ChoiceUnavailable | None:
    """The event when the account does not have ``config.voice_id``; None when it has it or could not be asked."""
    spec = config.spec(Provider.TTS)
    if spec.voice_catalog is None:
        return None
    catalog = spec.voice_catalog(config.tts.api_key, config.tts.base_url)
    try:
        if await catalog.find(config.voice_id) is not None:
            return None
        replacement = choose_voice(await catalog.premade_voices(), config.stt_language)
    except VoiceError as exc:  # not known either way: the session finds out when it speaks
        logger.debug(f"Voice check inconclusive: {exc}")
        return None
    return voice_unavailable(config.voice_id, config.voice_name, replacement, spec.display_name)


# ------------------------------------------------------------------------------------------- a failed request
def _causes(error: object) -> list[object]:
    """``error`` (an ``ErrorFrame`` or an exception) and the exceptions behind it, outermost first."""
    exc = getattr(error, "exception", None) if not isinstance(error, BaseException) else error
    chain: list[object] = [error] if not isinstance(error, BaseException) else []
    while isinstance(exc, BaseException) and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _http_body(exc: object) -> dict | None:
    body = getattr(exc, "body", None)
    if not isinstance(body, dict):
        return None
    inner = body.get("error")
    return inner if isinstance(inner, dict) else body


def retired_model_in(error: object) -> str | None:
    """The model of a 404 ``model_not_found`` behind ``error`` ("" when its answer does not name it), else None."""
    for cause in _causes(error):
        body = _http_body(cause)
        if getattr(cause, "status_code", None) == 404 and body is not None and body.get("code") == "model_not_found":
            found = _MODEL_IN_MESSAGE.search(str(body.get("message", "")))
            return found.group(1) if found else ""
    return None


def missing_voice_in(error: object) -> str | None:
    """The voice of a ``voice_not_found`` behind ``error`` ("" when not named), else None.

    Read from a websocket close (code 1008 and the provider's sentence), an HTTP error body, or an ``ErrorFrame``'s
    text (the HTTP service quotes the body there).
    """
    for cause in _causes(error):
        close = getattr(cause, "rcvd", None)
        texts = [str(getattr(close, "reason", ""))] if getattr(close, "code", None) == 1008 else []
        body = getattr(cause, "body", None)
        texts += [str(body)] if body is not None else []
        texts += [str(getattr(cause, "error", ""))] if not isinstance(cause, BaseException) else []
        for text in texts:
            named = _VOICE_IN_MESSAGE.search(text)
            if named:
                return named.group(1)
            if any(code in text for code in _VOICE_MISSING):
                return ""
    return None


def names_unavailable_choice(error: object) -> Provider | None:
    """Cheap and synchronous: LLM when ``error`` says the model is not served, TTS when the voice is missing."""
    if retired_model_in(error) is not None:
        return Provider.LLM
    if missing_voice_in(error) is not None:
        return Provider.TTS
    return None


async def explain_unavailable(error: object, config: EngineConfig) -> ChoiceUnavailable | None:
    """The event for an ``ErrorFrame`` (or exception) that says the model or voice is gone, with a replacement
    from the provider's current list; None when ``error`` says nothing of the kind."""
    model = retired_model_in(error)
    if model is not None:
        model = model or config.llm_model
        try:
            available = await ModelCatalog(
                config.llm.api_key, config.llm.base_url, spec=config.spec(Provider.LLM)
            ).models(refresh=True)
        except ModelListError as exc:
            logger.debug(f"Model list unavailable: {exc}")
            available = []
        return model_unavailable(
            model, suggest_model(available, model, config.spec(Provider.LLM)), config.name_of(Provider.LLM)
        )
    voice = missing_voice_in(error)
    if voice is None:
        return None
    voice_id = voice or config.voice_id
    spec = config.spec(Provider.TTS)
    replacement = None
    if spec.voice_catalog is not None:
        try:
            voices = await spec.voice_catalog(config.tts.api_key, config.tts.base_url).premade_voices()
            replacement = choose_voice(voices, config.stt_language)
        except VoiceError as exc:
            logger.debug(f"Voice list unavailable: {exc}")
    name = config.voice_name if voice_id == config.voice_id else ""
    return voice_unavailable(voice_id, name, replacement, spec.display_name)
