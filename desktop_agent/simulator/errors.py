"""Error bodies shaped like each provider's, for auth failures and injected HTTP faults.

Cerebras' 401/403/404 bodies are the captured ones (provider-protocols.md §2); ElevenLabs uses its ``{"detail":
{"status", "message"}}`` envelope; Cartesia's follow the error object of its STT protocol. The other texts are
plausible stand-ins, not captures.
"""

from __future__ import annotations

import uuid

_CEREBRAS = {
    400: {"message": "Bad request.", "type": "invalid_request_error", "param": None, "code": "bad_request"},
    401: {"message": "Wrong API Key", "type": "invalid_request_error", "param": "api_key", "code": "wrong_api_key"},
    403: {"detail": "Not authenticated"},
    404: {"message": "Model {model} does not exist or you do not have access to it.", "type": "not_found_error",
          "param": "model", "code": "model_not_found"},
    409: {"message": "Conflict.", "type": "invalid_request_error", "param": None, "code": "conflict"},
    422: {"message": "Unprocessable request.", "type": "invalid_request_error", "param": None,
          "code": "unprocessable_entity"},
    429: {"message": "Requests per minute limit exceeded", "type": "too_many_requests_error", "param": "quota",
          "code": "request_quota_exceeded"},
    500: {"message": "Internal server error", "type": "server_error", "param": None, "code": "internal_error"},
    503: {"message": "Service temporarily unavailable", "type": "server_error", "param": None,
          "code": "service_unavailable"},
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
    if "message" in body:
        body["message"] = body["message"].format(model=fields.get("model", "unknown"))
    return body


def elevenlabs_error(status: int, **fields: str) -> dict:
    code, message = _ELEVENLABS.get(status, ("error", f"HTTP {status}"))
    return {"detail": {"status": code, "message": message.format(voice=fields.get("voice", "unknown"))}}


def cartesia_error(status: int, request_id: str | None = None) -> dict:
    title, message, code = _CARTESIA.get(status, ("Error", f"HTTP {status}", "error"))
    return {"title": title, "message": message, "error_code": code, "status_code": status,
            "request_id": request_id or str(uuid.uuid4())}


def error_body(provider: str, status: int, **fields: str) -> dict:
    if provider == "cerebras":
        return cerebras_error(status, **fields)
    if provider == "elevenlabs":
        return elevenlabs_error(status, **fields)
    return cartesia_error(status)
