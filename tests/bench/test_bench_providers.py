"""The benchmark's provider choice: the ``--stt/--llm/--tts`` options and their error, the app's configuration and the
reference's services built for the chosen providers, and the stage split on each vendor's records."""

from __future__ import annotations

import pytest

from desktop_agent import providers
from desktop_agent.bench import report
from desktop_agent.bench.__main__ import parse_args
from desktop_agent.bench.agents import engine_config
from desktop_agent.bench.driver import TurnTiming
from desktop_agent.bench.provider_choice import ProviderChoice, from_args
from desktop_agent.bench.reference import describe
from desktop_agent.bench.reference_services import build_for_reference, reference_services
from desktop_agent.bench.sim_host import _slim
from desktop_agent.bench.stages import STAGES, asks_to_finalize, split_turn
from desktop_agent.engine.config import EngineConfig
from desktop_agent.providers import Role
from desktop_agent.simulator import PROVIDERS, SIMULATOR_API_KEYS, Record
from desktop_agent.simulator.voices import find_voice
from desktop_agent.state.events import Provider, TurnMode

pytestmark = pytest.mark.bench

PRD = {"stt_final_delay": 0.15, "llm_first_token_delay": 0.24, "tts_first_audio_delay": 0.15}


def _hello(choice: ProviderChoice | None = None) -> dict:
    """A simulator hello document as the benchmark's host sends it (made-up ports: nothing connects)."""
    roots = {"cerebras": "/v1", "openai": "/v1", "local_llm": "/v1", "groq": "/openai/v1"}  # chat completions
    urls = {name: f"http://127.0.0.1:{40000 + i}{roots[name]}" if name in roots else f"ws://127.0.0.1:{40000 + i}"
            for i, name in enumerate(PROVIDERS)}
    hello = {"urls": urls, "keys": dict(SIMULATOR_API_KEYS), "profile": PRD}
    if choice is not None:
        hello["providers"] = choice.as_dict()
    return hello


# ------------------------------------------------------------------------------------------------- the options


def test_the_options_default_to_the_apps_providers():
    args = parse_args([])
    assert from_args(args) == ProviderChoice(stt="cartesia", llm="cerebras", tts="elevenlabs")
    assert from_args(args).as_dict() == {role.value: providers.DEFAULTS[role] for role in Role}


def test_the_options_take_any_provider_of_their_role():
    for role, option in ((Role.STT, "--stt"), (Role.LLM, "--llm"), (Role.TTS, "--tts")):
        for spec in providers.for_role(role):
            chosen = from_args(parse_args([option, spec.id]))
            assert chosen.spec(role) is spec


@pytest.mark.parametrize(("argv", "sentence"), [
    (["--stt", "whisper"],
     "argument --stt: There is no speech to text provider called 'whisper'; choose one of cartesia, deepgram, sarvam, cartesia_turns.\n"),
    (["--llm", "grok"],
     ("argument --llm: There is no language model provider called 'grok'; choose one of cerebras, groq, openai, "
      "local.\n")),
    (["--tts", "cartesia"],
     ("argument --tts: There is no text to speech provider called 'cartesia' ('cartesia' does speech to text); "
      "choose one of elevenlabs, cartesia_tts, sarvam_tts.\n")),
])
def test_an_unknown_id_is_refused_in_one_sentence_listing_the_choices(argv, sentence, capsys):
    with pytest.raises(SystemExit) as exited:
        parse_args(["--quick", *argv])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.endswith(f"error: {sentence}")
    listed = sentence.rsplit("choose one of ", 1)[1].rstrip(".\n").split(", ")
    role = {"--stt": Role.STT, "--llm": Role.LLM, "--tts": Role.TTS}[argv[0]]
    assert listed == [spec.id for spec in providers.for_role(role)]  # the registry's list, in its order


# ------------------------------------------------------------------------------------ the app's configuration


def test_without_a_choice_the_app_runs_its_defaults_on_their_emulators():
    hello = _hello()
    config = engine_config(hello, TurnMode.PUSH_TO_TALK)
    defaults = EngineConfig(stt=config.stt, llm=config.llm, tts=config.tts, mode=TurnMode.PUSH_TO_TALK)
    assert config == defaults
    assert (config.stt.base_url, config.llm.base_url, config.tts.base_url) == (
        hello["urls"]["cartesia"], hello["urls"]["cerebras"], hello["urls"]["elevenlabs"])
    assert (config.stt.api_key, config.llm.api_key, config.tts.api_key) == (
        SIMULATOR_API_KEYS["cartesia"], SIMULATOR_API_KEYS["cerebras"], SIMULATOR_API_KEYS["elevenlabs"])


@pytest.mark.parametrize("choice", [
    ProviderChoice(stt="deepgram", llm="groq", tts="cartesia_tts"),
    ProviderChoice(stt="cartesia", llm="openai", tts="cartesia_tts"),
    ProviderChoice(stt="deepgram", llm="local", tts="elevenlabs"),
])
def test_the_app_is_configured_for_the_chosen_providers_on_their_emulators(choice):
    hello = _hello(choice)
    config = engine_config(hello, TurnMode.HANDS_FREE, echo_cancellation=False)
    assert (config.stt_provider, config.llm_provider, config.tts_provider) == (choice.stt, choice.llm, choice.tts)
    for role in Provider:
        spec = config.spec(role)
        endpoint = config.endpoint(role)
        assert endpoint.base_url == hello["urls"][spec.emulator]
        assert endpoint.api_key == SIMULATOR_API_KEYS.get(spec.emulator, "")
    assert (config.stt_model, config.llm_model, config.tts_model) == tuple(
        config.spec(role).default_model for role in Provider)
    assert find_voice(config.voice_id) is not None  # a voice the simulator's TTS emulators speak with
    assert config.mode is TurnMode.HANDS_FREE and config.echo_cancellation is False
    assert config.validate() == []


# ------------------------------------------------------------------------------------ the reference's services


@pytest.mark.parametrize("spec", providers.all_providers(), ids=lambda spec: spec.id)
def test_the_reference_builds_every_provider_as_pipecats_own_service(spec):
    choice = ProviderChoice(**{{Role.STT: "stt", Role.LLM: "llm", Role.TTS: "tts"}[spec.role]: spec.id})
    config = engine_config(_hello(choice), TurnMode.PUSH_TO_TALK)
    service = build_for_reference(config, spec.role)
    assert type(service).__module__.startswith("pipecat.services."), type(service)
    app_service = spec.build(config)
    assert isinstance(app_service, type(service))  # the app's own class, or Pipecat's class it extends
    assert service.settings.model == config.spec(spec.role).default_model
    if spec.role is Role.LLM:
        assert "reasoning_effort" not in service.settings.extra
        app_service.settings.extra.pop("reasoning_effort", None)  # a throwaway service
    assert service.settings == app_service.settings  # the same request settings as the app's, reasoning effort aside


def test_the_reference_uses_pipecats_cartesia_stt_where_the_app_has_its_own():
    config = engine_config(_hello(), TurnMode.PUSH_TO_TALK)
    from pipecat.services.cartesia.stt import CartesiaSTTService

    stt, llm, tts = reference_services(config)
    assert type(stt) is CartesiaSTTService
    assert type(config.spec(Provider.STT).build(config)) is not CartesiaSTTService
    # The app asks gpt-oss for its lowest reasoning effort; the reference asks nothing, as before.
    assert config.spec(Provider.LLM).build(config).settings.extra == {"reasoning_effort": "low"}
    assert llm.settings.extra == {}
    assert [type(s).__name__ for s in (stt, llm, tts)] == ["CartesiaSTTService", "CerebrasLLMService",
                                                           "ElevenLabsTTSService"]


def test_the_reference_description_names_the_services_it_ran():
    described = describe({"stt": "DeepgramSTTService", "llm": "GroqLLMService", "tts": "CartesiaTTSService"})
    assert described["pipeline"] == ("transport.input, DeepgramSTTService, LLMUserAggregator, GroqLLMService, "
                                     "CartesiaTTSService, transport.output, LLMAssistantAggregator")
    assert "pipeline" not in describe(None) and describe(None)["hands_free"]


# --------------------------------------------------------------------------------------- records of each vendor


def test_finalize_is_recognised_in_each_vendors_words():
    assert asks_to_finalize("finalize")
    assert asks_to_finalize('{"type": "Finalize"}') and asks_to_finalize('{"type":"Finalize"}')
    for other in ('{"type": "KeepAlive"}', '{"type": "CloseStream"}', "done", "{not json", None, {"type": "Finalize"}):
        assert not asks_to_finalize(other)


def test_a_deepgram_turn_is_split_at_the_final_that_answers_finalize():
    """Deepgram also sends finals nobody asked for (an empty one during silence, an endpoint's): the turn's final is
    the one answering ``Finalize``."""
    t0 = 100.0
    records = [
        {"kind": "stt_reply", "at": t0 - 1.0, "data": {"type": "Results", "is_final": True, "from_finalize": False}},
        {"kind": "stt_reply", "at": t0 - 0.5, "data": {"type": "Results", "is_final": False, "from_finalize": False}},
        {"kind": "stt_message", "at": t0 + 0.005, "data": '{"type": "Finalize"}'},
        {"kind": "stt_reply", "at": t0 + 0.155, "data": {"type": "Results", "is_final": True, "from_finalize": True}},
        {"kind": "llm_request", "at": t0 + 0.205, "data": {}},
        {"kind": "tts_message", "at": t0 + 0.47, "data": {"text": "You said: hello.", "flush": None,
                                                          "context_id": "c1"}},
        {"kind": "tts_reply", "at": t0 + 0.62, "data": {"audio_bytes": 9600}},
    ]
    turn = TurnTiming(0, "push_to_talk", "hello", started=t0 - 3, speech_end=t0 - 0.1, release=t0,
                      first_audio=t0 + 0.63)
    split = split_turn(turn, records, PRD)
    assert split is not None and list(split) == [name for name, _ in STAGES]
    assert split["to_finalize"] == pytest.approx(0.005)
    assert split["stt_final"] == pytest.approx(0.150)
    assert split["to_llm_request"] == pytest.approx(0.050)
    assert sum(split.values()) == pytest.approx(turn.v2v)


def test_the_host_keeps_what_the_split_reads_from_each_vendor():
    cartesia_text = _slim(Record("cartesia_tts", "tts_message", {"transcript": "Hi there.", "context_id": "c1",
                                                                 "continue": True, "voice": {"id": "v"}}, 1.0))
    assert cartesia_text["data"] == {"text": "Hi there.", "flush": None, "context_id": "c1"}
    eleven_text = _slim(Record("elevenlabs", "tts_message", {"text": " ", "xi_api_key": "***"}, 1.0))
    assert eleven_text["data"] == {"text": " ", "flush": None, "context_id": None}
    final = _slim(Record("deepgram", "stt_reply", {"type": "Results", "is_final": True, "from_finalize": True,
                                                   "channel": {"alternatives": [{"transcript": "hi"}]}}, 1.0))
    assert final["data"] == {"type": "Results", "is_final": True, "from_finalize": True, "final_text": "hi",
                             "interim_text": None}
    usage = {"user_text": "hi", "prompt_tokens": 9, "generated_tokens": 3, "abandoned": True}
    assert _slim(Record("cerebras", "llm_usage", usage, 1.0))["data"] == usage


def test_the_report_names_the_providers():
    results = {"latency": {"floor_ms": 540.0,
                           "providers": ProviderChoice(stt="deepgram", llm="groq", tts="cartesia_tts").describe()}}
    text = report.latency_details(results)
    assert ("providers (app and reference): speech to text Deepgram nova-3 (deepgram), language model Groq "
            "llama-3.3-70b-versatile (groq), text to speech Cartesia sonic-3 (cartesia_tts)") in text
