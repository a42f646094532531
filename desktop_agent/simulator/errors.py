"""Error bodies shaped like each provider's, for auth failures and injected HTTP faults.

Cerebras' 401/403/404 bodies are the captured ones (provider-protocols.md §2); ElevenLabs uses its ``{"detail":
{"status", "message"}}`` envelope; Cartesia's follow the error object of its STT protocol. OpenAI, Groq and a local
OpenAI-compatible server (Ollama's shapes) wrap theirs in ``{"error": {...}}`` (provider-protocols-2.md §4): OpenAI's
401/404 texts, Groq's 401/404/400 ``model_decommissioned`` and Ollama's 404 are what those servers answer; Groq leaves
``param`` out; Ollama's type follows the status and its ``code`` is always null. The other texts are plausible
stand-ins, not captures.
"""

from __future__ import annotations

import uuid

_CEREBRAS: dict[int, dict[str, str | None]] = {
    400: {"message": "Bad request.", "type": "invalid_request_error", "param": None, "code": "bad_request"},
    401: {"message": "Wrong API Key", "type": "invalid_request_error", "param": "api_key", "code": "wrong_api_key"},
    403: {"detail": "Not authenticated"},
    404: {
        "message": "Model {model} does not exist or you do not have access to it.",
        "type": "not_found_error",
        "param": "model",
        "code": "model_not_found",
    },
    409: {"message": "Conflict.", "type": "invalid_request_error", "param": None, "code": "conflict"},
    422: {
        "message": "Unprocessable request.",
        "type": "invalid_request_error",
        "param": None,
        "code": "unprocessable_entity",
    },
    429: {
        "message": "Requests per minute limit exceeded",
        "type": "too_many_requests_error",
        "param": "quota",
        "code": "request_quota_exceeded",
    },
    500: {"message": "Internal server error", "type": "server_error", "param": None, "code": "internal_error"},
    503: {
        "message": "Service temporarily unavailable",
        "type": "server_error",
        "param": None,
        "code": "service_unavailable",
    },
}

_ELEVENLABS = {
    400: ("invalid_request", "The request is invalid."),
    401: ("invalid_api_key", "Invalid API key"),
    403: ("missing_permissions", "The API key you used is missing the permission needed for this operation."),
    404: ("voice_not_found", "A voice for the voice_id {voice} was not found."),
    422: ("invalid_request", "The request could not be processed."),
    429: ("too_many_concurrent_requests", "Too many concurrent requests for your subscription."),
    500: ("internal_error", "An internal error occurred. Please try again."),
    503: ("system_busy", "The system is experiencing heavy traffic, please try again."),
}

_CARTESIA = {
    400: ("Bad request", "The request is invalid.", "bad_request"),
    401: ("Unauthorized", "Invalid API key.", "unauthorized"),
    403: ("Forbidden", "The API key does not have access to this resource.", "forbidden"),
    404: ("Not found", "The requested resource was not found.", "not_found"),
    422: ("Unprocessable", "The request could not be processed.", "unprocessable_entity"),
    429: ("Too many requests", "Concurrency limit exceeded. Please try again later.", "rate_limited"),
    500: ("Internal server error", "An internal error occurred.", "internal_error"),
    503: ("Service unavailable", "The service is temporarily unavailable.", "service_unavailable"),
}


def cerebras_error(status: int, **fields: str) -> dict:
    body = dict(_CEREBRAS.get(status) or {"message": f"HTTP {status}", "type": "server_error", "code": "error"})
    message = body.get("message")
    if message is not None:
        body["message"] = message.format(model=fields.get("model", "unknown"))
    return body


def elevenlabs_error(status: int, **fields: str) -> dict:
    code, message = _ELEVENLABS.get(status, ("error", f"HTTP {status}"))
    return {"detail": {"status": code, "message": message.format(voice=fields.get("voice", "unknown"))}}


def cartesia_error(status: int, request_id: str | None = None) -> dict:
    title, message, code = _CARTESIA.get(status, ("Error", f"HTTP {status}", "error"))
    return {
        "title": title,
        "message": message,
        "error_code": code,
        "status_code": status,
        "request_id": request_id or str(uuid.uuid4()),
    }


_OPENAI_KEYS_PAGE = "https://platform.openai.com/account/api-keys"
#: OpenAI: status -> (message, type, param, code).
_OPENAI = {
    400: ("Invalid request.", "invalid_request_error", None, None),
    401: (
        f"Incorrect API key provided: {{key}}. You can find your API key at {_OPENAI_KEYS_PAGE}.",
        "invalid_request_error",
        None,
        "invalid_api_key",
    ),
    403: (
        "Country, region, or territory not supported",
        "request_forbidden",
        None,
        "unsupported_country_region_territory",
    ),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        None,
        "model_not_found",
    ),
    429: (
        (
            "Rate limit reached for {model} in organization org-simulator on requests per min (RPM): Limit 5000, Used "
            "5000, Requested 1. Please try again in 12ms. Visit https://platform.openai.com/account/rate-limits to "
            "learn more."
        ),
        "requests",
        None,
        "rate_limit_exceeded",
    ),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None, None),
    503: ("The server is overloaded or not ready yet.", "server_error", None, None),
}
_OPENAI_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) "
    "if you're accessing the API from your browser and are prompted for a username. You can obtain an "
    f"API key from {_OPENAI_KEYS_PAGE}."
)
_OPENAI_RETIRED = (
    "The model `{model}` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations"
)

#: Groq: status -> (message, type, code); Groq's error objects have no ``param``.
_GROQ = {
    400: ("Invalid request.", "invalid_request_error", "bad_request"),
    401: ("Invalid API Key", "invalid_request_error", "invalid_api_key"),
    403: ("Forbidden", "permissions_error", "forbidden"),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: (
        (
            "Rate limit reached for model `{model}` in organization `org_simulator` service tier `on_demand` on "
            "requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in 2s. Need more tokens? "
            "Upgrade to Dev Tier today at https://console.groq.com/settings/billing"
        ),
        "requests",
        "rate_limit_exceeded",
    ),
    500: ("Internal Server Error", "internal_server_error", "internal_server_error"),
    503: ("Service Unavailable", "internal_server_error", "service_unavailable"),
}
_GROQ_RETIRED = (
    "The model `{model}` has been decommissioned and is no longer supported. Please refer to "
    "https://console.groq.com/docs/deprecations for a recommendation on which model to use instead."
)

#: A local server (Ollama's OpenAI-compatible layer): status -> message; the type follows from the status.
_LOCAL = {
    400: "invalid request",
    401: "unauthorized",
    403: "forbidden",
    404: 'model "{model}" not found, try pulling it first',
    429: "too many requests",
    500: "an error was encountered while running the model",
    503: "server busy, please try again.  maximum pending requests exceeded",
}


def openai_style_error(
    message: str, type_: str, param: str | None = None, code: str | None = None, *, with_param: bool = True
) -> dict:
    """The ``{"error": {...}}`` envelope OpenAI-compatible servers answer with."""
    error: dict = {"message": message, "type": type_}
    if with_param:
        error["param"] = param
    error["code"] = code
    return {"error": error}


def openai_error(status: int, **fields: str) -> dict:
    """OpenAI's body; ``key`` is the (masked) key that was refused, ``missing_key`` set when none came,
    ``retired`` set for a model OpenAI has shut down."""
    if status == 401 and fields.get("missing_key"):
        return openai_style_error(_OPENAI_NO_KEY, "invalid_request_error")
    message, type_, param, code = _OPENAI.get(status, (f"HTTP {status}", "server_error", None, None))
    if status == 404 and fields.get("retired"):
        message = _OPENAI_RETIRED
    return openai_style_error(
        message.format(model=fields.get("model", "unknown"), key=fields.get("key", "sk-***")), type_, param, code
    )


def groq_error(status: int, **fields: str) -> dict:
    """Groq's body; ``retired`` turns a 400 into ``model_decommissioned``, Groq's answer for a shut-down model."""
    if status == 400 and fields.get("retired"):
        message, type_, code = _GROQ_RETIRED, "invalid_request_error", "model_decommissioned"
    else:
        message, type_, code = _GROQ.get(status, (f"HTTP {status}", "internal_server_error", "error"))
    return openai_style_error(message.format(model=fields.get("model", "unknown")), type_, code=code, with_param=False)


def local_llm_error(status: int, **fields: str) -> dict:
    type_ = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    message = _LOCAL.get(status, f"HTTP {status}").format(model=fields.get("model", "unknown"))
    return openai_style_error(message, type_)


_SARVAM = {
    400: ("invalid_request_error", "The request is invalid."),
    401: ("invalid_api_key_error", "Invalid API key. Please check your API subscription key."),
    403: ("insufficient_quota_error", "Your subscription does not allow this request."),
    429: ("rate_limit_exceeded_error", "Rate limit exceeded. Please try again later."),
    500: ("internal_server_error", "Internal server error."),
    503: ("internal_server_error", "The service is temporarily unavailable."),
}


def sarvam_error(status: int) -> dict:
    """Sarvam's REST envelope ``{"error": {"message", "code", "request_id"}}`` (texts are stand-ins)."""
    code, message = _SARVAM.get(status, ("internal_server_error", f"HTTP {status}"))
    return {"error": {"message": message, "code": code, "request_id": str(uuid.uuid4())}}


def error_body(provider: str, status: int, **fields: str) -> dict:
    if provider in ("sarvam", "sarvam_tts"):
        return sarvam_error(status)
    if provider == "openai":
        return openai_error(status, **fields)
    if provider == "groq":
        return groq_error(status, **fields)
    if provider == "local_llm":
        return local_llm_error(status, **fields)
    if provider == "cerebras":
        return cerebras_error(status, **fields)
    if provider == "elevenlabs":
        return elevenlabs_error(status, **fields)
    return cartesia_error(status)
