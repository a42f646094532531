"""Any OpenAI-compatible server (Ollama, LM Studio, vLLM, llama.cpp): a base URL and a model it serves.

On this computer no key is needed; one is sent if set (some servers on other machines require one, over https).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role
from desktop_agent.providers.chat_completions import build_chat_llm

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig

#: Ollama's OpenAI-compatible root: the most common local server. LM Studio is http://127.0.0.1:1234/v1, vLLM
#: http://127.0.0.1:8000/v1.
OLLAMA_URL = "http://127.0.0.1:11434/v1"


def build(config: EngineConfig) -> Any:
    from pipecat.services.openai.llm import OpenAILLMService

    return build_chat_llm(OpenAILLMService, config, default_base_url=OLLAMA_URL)


SPEC = ProviderSpec(
    id="local",
    role=Role.LLM,
    display_name="Local server",
    key_variable="LOCAL_LLM_API_KEY",
    keyring_name="local-llm",
    key_hint="only if your server asks for one",
    # A loopback address: plain http is allowed on this computer (an address elsewhere must use https).
    default_url=OLLAMA_URL,
    url_variable="LOCAL_LLM_BASE_URL",
    default_model="llama3.2",
    known_models=("llama3.2", "qwen2.5:7b"),
    prices=Prices(0.0, "runs on your own machine"),
    build=build,
    key_check=KeyCheck("http", "/models", headers={"Authorization": "Bearer {key}"}, counts="models"),
    emulator="local_llm",
    key_required=False,
    lists_models=True,
    summary="Ollama, LM Studio, vLLM or any OpenAI-compatible server",
)
