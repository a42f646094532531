"""Cerebras' model list (``GET /v1/models``) against the simulator's emulator: fetched, cached, refused as sentences,
and the model to suggest instead of a retired one."""

from __future__ import annotations

import pytest

from desktop_agent.config import llm_models
from desktop_agent.config.llm_models import ModelCatalog, ModelListError, suggest_model
from desktop_agent.simulator import SIMULATOR_API_KEYS, Simulator


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    monkeypatch.setattr(llm_models, "_cache", {})


def catalog(sim: Simulator, key: str | None = None) -> ModelCatalog:
    return ModelCatalog(key if key is not None else SIMULATOR_API_KEYS["cerebras"], sim.cerebras_url)


@pytest.mark.asyncio
async def test_lists_the_served_models_once_then_from_the_cache():
    async with Simulator(profile="instant") as sim:
        models = catalog(sim)
        assert models.cached() is None
        assert await models.models() == ["gpt-oss-120b", "qwen-3.8-27b"]
        assert await catalog(sim).models() == ["gpt-oss-120b", "qwen-3.8-27b"], "a new catalogue, the same cache"
        assert len(sim.select("cerebras", "models_request")) == 1
        assert await models.models(refresh=True) == ["gpt-oss-120b", "qwen-3.8-27b"]
        assert len(sim.select("cerebras", "models_request")) == 2
        request = sim.select("cerebras", "models_request")[0].data
        assert request["path"] == "/v1/models" and request["headers"]["authorization"] == "***"
        # Another key is another account: its own request.
        with pytest.raises(ModelListError, match="^Cerebras rejected this key"):
            await catalog(sim, "csk-wrong-key-123").models()


@pytest.mark.asyncio
async def test_failures_become_sentences():
    async with Simulator(profile="instant") as sim:
        with pytest.raises(ModelListError, match="^The Cerebras API key is missing. Open Settings > Keys"):
            await catalog(sim, "").models()
        url = sim.cerebras_url
    with pytest.raises(ModelListError, match=r"^Could not reach Cerebras at 127\.0\.0\.1:\d+: the connection was "
                                             "refused"):
        await ModelCatalog(SIMULATOR_API_KEYS["cerebras"], url).models()


def test_unreadable_or_hostile_lists_are_refused_or_cleaned():
    with pytest.raises(ModelListError, match="cannot read"):
        llm_models._model_ids("<html>", "Cerebras")
    with pytest.raises(ModelListError, match="cannot read"):
        llm_models._model_ids('{"data": "x"}', "Cerebras")
    assert llm_models._model_ids('{"data": [{"id": "gpt-oss-120b"}, {"id": "bad\\u001b[2Jid"}, {"id": "' + "x" * 200
                                 + '"}, {"object": "model"}]}', "Cerebras") == ["gpt-oss-120b", "badid"]


def test_the_suggestion_is_the_preferred_live_model():
    assert suggest_model(["qwen-3.8-27b", "gpt-oss-120b"], "llama-3.3-70b") == "gpt-oss-120b"
    assert suggest_model(["qwen-3.8-27b", "gpt-oss-120b"], "gpt-oss-120b") == "qwen-3.8-27b"
    assert suggest_model(["future-model-2", "future-model-1"], "llama-3.3-70b") == "future-model-2"
    assert suggest_model(["llama-3.3-70b"], "llama-3.3-70b") is None
    assert suggest_model([], "x") is None
