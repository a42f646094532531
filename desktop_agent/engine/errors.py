"""Turn Pipecat errors into sentences a user can act on.

A provider error reaches the engine as an ``ErrorFrame`` whose text may quote the provider's reply, a URL or an
exception; none of that is shown. The user sees a fixed sentence chosen from the error's category and the provider
it came from, e.g. "<provider> rejected the API key. Open Settings > Keys."
"""

from __future__ import annotations

from collections.abc import Callable

from pipecat.frames.frames import ErrorFrame
from pipecat.services.llm_service import LLMService
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.utils.errors import ErrorCategory

from desktop_agent.providers.chat_completions import is_connection_error
from desktop_agent.state.events import ErrorKind, ErrorOccurred, Provider


def provider_of(processor: object) -> Provider | None:
    if isinstance(processor, STTService):
        return Provider.STT
    if isinstance(processor, LLMService):
        return Provider.LLM
    if isinstance(processor, TTSService):
        return Provider.TTS
    return None


def error_event(frame: ErrorFrame, names: Callable[[Provider], str]) -> ErrorOccurred:
    """The user-facing event for an ``ErrorFrame`` (never includes the frame's own text); ``names`` gives the name of
    the provider playing a role."""
    if isinstance(frame.processor, BaseOutputTransport):
        return ErrorOccurred(
            kind=ErrorKind.AUDIO_DEVICE,
            message="The speaker stopped taking audio. Check the output device in Settings > Audio.",
        )
    provider = provider_of(frame.processor)
    if provider is None:
        return ErrorOccurred(
            kind=ErrorKind.INTERNAL,
            message="Something went wrong in the voice engine. If it keeps happening, start a new conversation.",
        )
    return provider_error(provider, category_of(frame), names(provider))


def category_of(frame: ErrorFrame) -> ErrorCategory:
    """Pipecat's category for the error, with a lost connection that Pipecat could not classify named as such."""
    category = frame.category or ErrorCategory.UNKNOWN
    if category is ErrorCategory.UNKNOWN and _looks_like_connection_loss(frame):
        category = ErrorCategory.CONNECTIVITY
    return category


def provider_error(provider: Provider, category: ErrorCategory, name: str) -> ErrorOccurred:
    if category in (ErrorCategory.AUTHENTICATION, ErrorCategory.AUTHORIZATION):
        return ErrorOccurred(
            kind=ErrorKind.AUTH,
            message=f"{name} rejected the API key. Open Settings > Keys.",
            provider=provider,
            recoverable=False,
        )
    if category is ErrorCategory.RATE_LIMIT:
        return ErrorOccurred(
            kind=ErrorKind.RATE_LIMIT,
            message=f"{name} is limiting how fast requests can be made. Wait a few seconds and try again.",
            provider=provider,
        )
    if category is ErrorCategory.QUOTA:
        return ErrorOccurred(
            kind=ErrorKind.RATE_LIMIT,
            message=f"Your {name} account has used up its credit or quota. Check your plan on the {name} website.",
            provider=provider,
            recoverable=False,
        )
    if category is ErrorCategory.CONNECTIVITY:
        return ErrorOccurred(
            kind=ErrorKind.UNREACHABLE,
            message=f"Cannot reach {name}. Check your internet connection; the assistant keeps trying.",
            provider=provider,
        )
    if category is ErrorCategory.INVALID_REQUEST:
        what = {
            Provider.STT: "speech-to-text model and language",
            Provider.LLM: "language model",
            Provider.TTS: "voice and voice model",
        }[provider]
        return ErrorOccurred(
            kind=ErrorKind.CONFIG,
            message=f"{name} did not accept the request. Check the {what} in Settings.",
            provider=provider,
            recoverable=False,
        )
    if category is ErrorCategory.SERVER:
        return ErrorOccurred(
            kind=ErrorKind.PROVIDER,
            message=f"{name} had a problem on its side. Try again in a moment.",
            provider=provider,
        )
    return ErrorOccurred(
        kind=ErrorKind.PROVIDER,
        message=f"Something went wrong with {name}. Try again; if it keeps happening, check Settings.",
        provider=provider,
    )


_GIVE_UP_REASONS = {
    ErrorCategory.RATE_LIMIT: "is limiting how fast requests can be made",
    ErrorCategory.SERVER: "had a problem on its side",
    ErrorCategory.CONNECTIVITY: "could not be reached",
}


def reply_given_up(provider: Provider, category: ErrorCategory, name: str) -> ErrorOccurred:
    """The sentence when a turn's request failed even after its retries: what happened, and that Retry is there.

    Failures no retry can fix (a refused key, a used-up quota, a refused request) keep their own sentence."""
    event = provider_error(provider, category, name)
    if not event.recoverable:
        return event
    reason = _GIVE_UP_REASONS.get(category, "did not answer")
    return ErrorOccurred(
        kind=event.kind,
        message=f"{name} {reason}, so this turn got no reply. Press Retry to ask again.",
        provider=provider,
        retry=True,
    )


def key_refused_on_reconnect(provider: Provider, name: str, *, retry: bool = False) -> ErrorOccurred:
    """A key that worked earlier in the session is refused: a revoked key, or the provider's trouble. Connections
    keep trying; a turn it cost gets a Retry (``retry``)."""
    then = "Press Retry to ask again" if retry else "The assistant keeps trying"
    return ErrorOccurred(
        kind=ErrorKind.AUTH,
        message=f"{name} refused the API key that worked until now. {then}; if you revoked or changed the key, "
        "open Settings > Keys.",
        provider=provider,
        retry=retry,
    )


def connection_stalled(provider: Provider, name: str) -> ErrorOccurred:
    return ErrorOccurred(
        kind=ErrorKind.UNREACHABLE,
        message=f"{name} stopped answering. Reconnecting…",
        provider=provider,
    )


def connection_dropped(provider: Provider, name: str) -> ErrorOccurred:
    return ErrorOccurred(
        kind=ErrorKind.UNREACHABLE,
        message=f"The connection to {name} dropped. Reconnecting…",
        provider=provider,
    )


def _looks_like_connection_loss(frame: ErrorFrame) -> bool:
    exc: BaseException | None = frame.exception
    while (
        exc is not None
    ):  # SDKs wrap the socket error (the client's connection error <- httpx.ConnectError <- OSError)
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)) or is_connection_error(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    text = frame.error.lower()
    return any(s in text for s in ("connection closed", "reconnect", "unable to connect", "connection failed"))
