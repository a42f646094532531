"""The provider registry: every provider is complete and builds its own Pipecat service, and no module outside
``providers/``, ``simulator/`` and ``bench/`` names a vendor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pipecat.services.llm_service import LLMService
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

import desktop_agent
from desktop_agent import providers
from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
from desktop_agent.simulator import PROVIDERS as EMULATORS
from desktop_agent.simulator import SIMULATOR_API_KEYS
from desktop_agent.state.events import Provider

PACKAGE = Path(desktop_agent.__file__).parent
#: Where vendors may be named: their own modules, their emulators, and the benchmark's reference runs.
VENDOR_HOMES = ("providers", "simulator", "bench")
SERVICE_BASES = {Provider.STT: STTService, Provider.LLM: LLMService, Provider.TTS: TTSService}


def vendor_words() -> set[str]:
    words = {"openai", "eleven"}  # the client library's and ElevenLabs' model prefix
    for spec in providers.all_providers():
        if spec.key_required:  # "Local server" is no vendor
            words |= {spec.id.split("_")[0], spec.display_name.lower(), spec.keyring_name}
    return words


def test_no_module_outside_the_providers_names_a_vendor():
    pattern = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, sorted(vendor_words()))) + r")", re.IGNORECASE)
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in VENDOR_HOMES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "vendors named outside providers/:\n" + "\n".join(offenders)


def test_the_check_itself_finds_a_vendor_name():
    pattern = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, sorted(vendor_words()))) + r")", re.IGNORECASE)
    assert pattern.search("from pipecat.services.cerebras.llm import CerebrasLLMService")
    assert pattern.search('voice = "ElevenLabs"') and pattern.search("import openai")
    assert not pattern.search("the speech-to-text provider")


def test_every_role_has_its_default_first_and_more_than_one_provider():
    for role in Provider:
        offered = providers.for_role(role)
        assert offered[0] is providers.default_for(role) and len(offered) >= 2
    assert [s.id for s in providers.for_role(Provider.STT)] == ["cartesia", "deepgram", "sarvam", "cartesia_turns"]
    assert [s.id for s in providers.for_role(Provider.LLM)] == ["cerebras", "groq", "openai", "local"]
    assert [s.id for s in providers.for_role(Provider.TTS)] == ["elevenlabs", "cartesia_tts", "sarvam_tts"]
    with pytest.raises(providers.UnknownProvider):
        providers.get("nonesuch")


@pytest.mark.parametrize("spec", providers.all_providers(), ids=lambda spec: spec.id)
def test_each_provider_is_complete_and_builds_its_own_pipecat_service(spec):
    assert spec.display_name and spec.key_hint and spec.default_model in spec.known_models
    assert spec.default_url.startswith(("https://", "wss://")) or spec.key_required is False
    assert spec.prices.per_unit >= 0 and spec.url_variable.endswith("_BASE_URL")
    assert spec.emulator in EMULATORS, "every provider has an emulator"
    assert not spec.key_required or SIMULATOR_API_KEYS.get(spec.emulator), "the emulator's key is public"
    if spec.role is Provider.TTS:
        assert spec.default_voice_id and spec.sample_rates and 24000 in spec.sample_rates
    endpoints = {role: ProviderEndpoint("test-key-123", "") for role in Provider}
    config = EngineConfig(stt=endpoints[Provider.STT], llm=endpoints[Provider.LLM], tts=endpoints[Provider.TTS],
                          **{f"{spec.role.value}_provider": spec.id})
    setattr(config, {Provider.STT: "stt_model", Provider.LLM: "llm_model", Provider.TTS: "tts_model"}[spec.role],
            spec.default_model)
    if spec.role is Provider.TTS:
        config.voice_id = spec.default_voice_id
    assert config.validate() == []
    service = spec.build(config)
    assert isinstance(service, SERVICE_BASES[spec.role])
    assert service._settings.model == spec.default_model


def test_a_local_server_needs_no_key_but_a_cloud_provider_does():
    local = EngineConfig(stt=ProviderEndpoint("k"), llm=ProviderEndpoint(""), tts=ProviderEndpoint("k"),
                         llm_provider="local", llm_model="llama3.2")
    assert local.validate() == []
    cloud = EngineConfig(stt=ProviderEndpoint("k"), llm=ProviderEndpoint(""), tts=ProviderEndpoint("k"),
                         llm_provider="groq")
    assert cloud.validate() == ["The Groq API key is missing. Open Settings > Keys and paste it."]
    remote = EngineConfig(stt=ProviderEndpoint("k"), llm=ProviderEndpoint("", "http://192.0.2.7:11434/v1"),
                          tts=ProviderEndpoint("k"), llm_provider="local")
    assert remote.validate() == [
        "The Local server endpoint must use https:// (encrypted) unless it runs on this computer."]


def test_an_unknown_provider_is_one_sentence():
    config = EngineConfig(stt=ProviderEndpoint("k"), llm=ProviderEndpoint("k"), tts=ProviderEndpoint("k"),
                          tts_provider="acme")
    assert config.validate() == [
        "There is no text to speech provider called 'acme'; choose one of elevenlabs, cartesia_tts, sarvam_tts."]
