"""Groq language models (OpenAI-style chat completions below ``/openai/v1``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.chat_completions import build_chat_llm, gpt_oss_effort

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig


def build(config: EngineConfig) -> Any:
    from pipecat.services.groq.llm import GroqLLMService

    return build_chat_llm(GroqLLMService, config, reasoning_effort=gpt_oss_effort(config.llm_model))


SPEC = ProviderSpec(
    id="groq",
    role=Role.LLM,
    display_name="Groq",
    key_variable="GROQ_API_KEY",
    keyring_name="groq",
    key_hint="console.groq.com > API Keys",
    default_url="https://api.groq.com/openai/v1",
    url_variable="GROQ_BASE_URL",
    default_model="llama-3.3-70b-versatile",
    known_models=("llama-3.3-70b-versatile", "openai/gpt-oss-120b", "openai/gpt-oss-20b"),
    prices=Prices(0.69, "llama-3.3-70b-versatile, per million tokens, input and output blended"),
    build=build,
    key_check=KeyCheck("http", "/models", headers={"Authorization": "Bearer {key}"}, counts="models"),
    emulator="groq",
    lists_models=True,
    reasoning_effort=gpt_oss_effort,
    summary="Groq: fast open models",
)
