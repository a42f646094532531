"""What every language model provider here shares: OpenAI's chat-completions protocol, spoken through one of
Pipecat's OpenAI-based services (each vendor module passes its own class). The engine uses these helpers instead of
the client library, so it does not depend on which provider plays the role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig


def build_chat_llm(
    service_class: Any, config: EngineConfig, *, reasoning_effort: str | None = None, default_base_url: str = ""
) -> Any:
    """``service_class`` configured from ``config``: key, address, model, prompt, temperature and reply length.

    ``reasoning_effort`` goes into the request as ``"reasoning_effort"`` (``extra`` keys are create() arguments):
    models that reason before they answer stream that first, so the lowest effort gives the earliest spoken word.
    """
    base_url = config.llm.base_url or default_base_url
    kwargs = {"base_url": base_url} if base_url else {}
    settings = service_class.Settings(
        model=config.llm_model,
        system_instruction=config.system_instruction,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        extra={"reasoning_effort": reasoning_effort} if reasoning_effort else {},
    )
    # A server on this computer that takes no key still gets a non-empty one: the OpenAI client insists on it.
    return service_class(api_key=config.llm.api_key or "none", settings=settings, **kwargs)


def gpt_oss_effort(model: str) -> str | None:
    """The lowest ``reasoning_effort`` for gpt-oss models (they take low, medium or high); None for other models."""
    name = model.strip().rsplit("/", 1)[-1]
    return "low" if name.startswith("gpt-oss") else None


class ModelListRefused(Exception):
    """The provider refused to list models: ``key_refused`` (401/403), or rate limited (``retry_after`` seconds, if
    the provider said), or anything else that makes the provider unavailable for now."""

    def __init__(
        self, *, key_refused: bool = False, rate_limited: bool = False, retry_after: float | None = None, why: str = ""
    ) -> None:
        super().__init__(why)
        self.key_refused = key_refused
        self.rate_limited = rate_limited
        self.retry_after = retry_after


async def served_models(llm: Any, timeout: float) -> list[str] | None:
    """The model IDs the language model service ``llm`` may use (``GET /models`` through its own, reused client, so
    its connection pool stays warm); None for a service with no such client. Raises :class:`ModelListRefused`."""
    import asyncio

    import openai

    client = getattr(llm, "_client", None)  # Pipecat's OpenAI-based services keep an AsyncOpenAI client
    if client is None:
        return None
    try:
        page = await asyncio.wait_for(client.models.list(), timeout=timeout)
    except (openai.AuthenticationError, openai.PermissionDeniedError):
        raise ModelListRefused(key_refused=True, why="key refused") from None
    except openai.RateLimitError as exc:
        from desktop_agent.engine.reply_guard import retry_after_of

        raise ModelListRefused(rate_limited=True, retry_after=retry_after_of(exc), why="rate limited") from None
    except (openai.OpenAIError, TimeoutError) as exc:
        raise ModelListRefused(why=type(exc).__name__) from None
    return with_untagged_names([model.id for model in page.data])


def with_untagged_names(models: list[str]) -> list[str]:
    """``models`` plus, after each ``name:latest``, the bare ``name``: Ollama (and the servers that copy it) lists a
    pulled model with its tag but serves a name without one as ``:latest``, so ``llama3.2`` (the local provider's
    default) is served whenever ``llama3.2:latest`` is listed."""
    names: list[str] = []
    for model in models:
        names.append(model)
        base, tagged, tag = model.rpartition(":")
        if tagged and tag == "latest" and base and base not in models and base not in names:
            names.append(base)
    return names


def cleared_reasoning_effort() -> Any:
    """The value that removes ``reasoning_effort`` from the requests (``extra`` merges key by key)."""
    import openai

    return openai.NOT_GIVEN


def is_connection_error(exc: BaseException) -> bool:
    """An exception of the OpenAI client that means the connection was lost."""
    from openai import APIConnectionError

    return isinstance(exc, APIConnectionError)


class JsonRequestFailed(Exception):
    """A one-off JSON request (a conversation's summary) got no answer; ``str(exc)`` says why in plain words, to
    follow "because" (no vendor name, no key)."""


def request_json(
    base_url: str,
    api_key: str,
    model: str,
    messages: list[dict],
    *,
    schema_name: str,
    schema: dict,
    timeout: float,
    reasoning_effort: str | None = None,
    max_tokens: int = 1500,
) -> str:
    """One chat completion (not streamed) asking for JSON; returns the answer's text. Blocking: call it off the event
    loops. A JSON schema goes in ``response_format``; a server that refuses that (400) is asked once more without
    it, the instruction in the messages being enough. Raises :class:`JsonRequestFailed`."""
    import openai

    client = openai.OpenAI(api_key=api_key or "none", base_url=base_url, timeout=timeout, max_retries=0)
    extra: dict[str, Any] = {"reasoning_effort": reasoning_effort} if reasoning_effort else {}
    arguments: dict[str, Any] = {"model": model, "messages": messages, "max_tokens": max_tokens, **extra}
    json_format = {"type": "json_schema", "json_schema": {"name": schema_name, "schema": schema, "strict": False}}
    try:
        try:
            response = client.chat.completions.create(response_format=json_format, **arguments)  # type: ignore[call-overload]
        except openai.BadRequestError:
            response = client.chat.completions.create(**arguments)
    except (openai.AuthenticationError, openai.PermissionDeniedError):
        raise JsonRequestFailed("the language model refused the key") from None
    except openai.APITimeoutError:
        raise JsonRequestFailed(f"the language model did not answer within {timeout:.0f} seconds") from None
    except openai.APIConnectionError:
        raise JsonRequestFailed("the language model could not be reached") from None
    except openai.APIStatusError as exc:
        raise JsonRequestFailed(f"the language model answered with error {exc.status_code}") from None
    except openai.OpenAIError as exc:
        raise JsonRequestFailed(f"the language model's answer could not be read ({type(exc).__name__})") from None
    finally:
        client.close()
    choices = response.choices or []
    content = choices[0].message.content if choices else None
    return content or ""
