"""Cerebras language models (gpt-oss and Qwen, OpenAI-style chat completions): the default LLM."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.chat_completions import build_chat_llm, gpt_oss_effort

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig


def build(config: EngineConfig) -> Any:
    from pipecat.services.cerebras.llm import CerebrasLLMService

    return build_chat_llm(CerebrasLLMService, config, reasoning_effort=gpt_oss_effort(config.llm_model))


SPEC = ProviderSpec(
    id="cerebras",
    role=Role.LLM,
    display_name="Cerebras",
    key_variable="CEREBRAS_API_KEY",
    keyring_name="cerebras",
    key_hint="cloud.cerebras.ai > API keys",
    default_url="https://api.cerebras.ai/v1",
    url_variable="CEREBRAS_BASE_URL",
    # Live in Cerebras' 2026 model lists (llama-3.3-70b, the first default, is retired and answers 404); Settings
    # lists what the key is served at run time.
    default_model="gpt-oss-120b",
    known_models=("gpt-oss-120b", "qwen-3.8-27b"),
    prices=Prices(0.60, "per million tokens, input and output"),
    build=build,
    key_check=KeyCheck("http", "/models", headers={"Authorization": "Bearer {key}"}, counts="models"),
    emulator="cerebras",
    lists_models=True,
    reasoning_effort=gpt_oss_effort,
    summary="Cerebras: the fastest first token",
)
