"""OpenAI language models (chat completions, streamed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.chat_completions import build_chat_llm

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig


def build(config: EngineConfig) -> Any:
    from pipecat.services.openai.llm import OpenAILLMService

    return build_chat_llm(OpenAILLMService, config)


SPEC = ProviderSpec(
    id="openai",
    role=Role.LLM,
    display_name="OpenAI",
    key_variable="OPENAI_API_KEY",
    keyring_name="openai",
    key_hint="platform.openai.com > API keys",
    default_url="https://api.openai.com/v1",
    url_variable="OPENAI_BASE_URL",
    default_model="gpt-4.1-mini",
    known_models=("gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini"),
    prices=Prices(1.00, "gpt-4.1-mini, per million tokens, input and output blended"),
    build=build,
    key_check=KeyCheck("http", "/models", headers={"Authorization": "Bearer {key}"}, counts="models"),
    emulator="openai",
    lists_models=True,
    summary="OpenAI GPT-4.1 family",
)
