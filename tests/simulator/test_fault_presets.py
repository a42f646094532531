"""The fault presets behind the Faults menu and the console's ``f`` command, applied to running emulators.

Real clients (websockets, the OpenAI SDK) against the real emulators; time-limited faults last about a second here
and are waited out by polling.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import openai
import pytest
import websockets
import websockets.sync.client

from desktop_agent import providers
from desktop_agent.simulator import PROVIDERS, SIMULATOR_API_KEYS, Fault, SimulatorThread
from desktop_agent.simulator.cerebras import MODELS
from desktop_agent.simulator.fault_presets import DEFAULT_EMULATORS, FaultControls, Role, emulators_of, fault_presets
from desktop_agent.simulator.faults import FaultBook
from desktop_agent.state.events import Provider

SHORT = 1.0  # seconds a time-limited preset lasts in these tests
VENDORS = re.compile(r"cartesia|cerebras|elevenlabs|openai|pipecat", re.IGNORECASE)
STT_KEY = {"X-API-Key": SIMULATOR_API_KEYS["cartesia"]}
TTS_KEY = {"xi-api-key": SIMULATOR_API_KEYS["elevenlabs"]}
HELLO = [{"role": "user", "content": "hello"}]
MODEL = MODELS[0]


def _stt_url(sim) -> str:
    return f"{sim.cartesia_url}/stt/websocket?model=ink-whisper&language=en&encoding=pcm_s16le&sample_rate=16000"


def _tts_url(sim) -> str:
    return (f"{sim.elevenlabs_url}/v1/text-to-speech/emu-voice-1/multi-stream-input?model_id=eleven_flash_v2_5"
            "&output_format=pcm_16000&auto_mode=true")


def preset(controls: FaultControls, key: str):
    [found] = [p for p in controls.presets if p.key == key]
    return found


async def until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := await condition()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
    return value


async def _dropped(ws) -> None:
    """The socket ends with no close frame: the connection was cut, not closed."""
    with pytest.raises(websockets.ConnectionClosedError) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is None


# ------------------------------------------------------------------------------------------------ the catalogue
def test_every_role_has_its_scenarios_in_user_words():
    presets = fault_presets()
    assert len({p.key for p in presets}) == len(presets)
    assert {p.role for p in presets} == set(Role)
    for role in (Role.STT, Role.LLM, Role.TTS):
        titles = " | ".join(p.title for p in presets if p.role is role)
        for words in ("(503) for 20 s", "(401) for 20 s", "429, retry-after 2 s", "Slow down", "Hang", "Malformed"):
            assert words in titles, (role, words)
    assert [p.title for p in presets if p.role is Role.ALL] == ["Network outage for 20 s"]
    for p in presets:
        assert not VENDORS.search(p.title + p.description), p
        assert p.description.endswith(".") and "\n" not in p.description
    assert "for 1.5 s" in preset(FaultControls(None, outage_seconds=1.5), "stt.refuse").title


def test_one_shot_presets_are_actions_and_the_rest_switch_on_and_off():
    one_shot = {p.key for p in fault_presets() if not p.lasting}
    assert one_shot == {"stt.drop", "tts.drop", "llm.cut"}


def test_every_preset_can_be_armed_on_every_emulator_that_may_play_its_role():
    book = FaultBook()
    for spec in providers.all_providers():
        chosen = {spec.role: spec.emulator}
        for p in fault_presets():
            for provider in emulators_of(p.role, chosen):
                for fault in p.faults:
                    book.arm(provider, fault)  # raises for a fault an emulator cannot take


def test_the_default_emulators_are_the_default_providers():
    for role in (Role.STT, Role.LLM, Role.TTS):
        assert DEFAULT_EMULATORS[role] == providers.default_for(Provider[role.name]).emulator
        assert preset(FaultControls(None), f"{role.name.lower()}.hang").providers == (DEFAULT_EMULATORS[role],)
    assert emulators_of(Role.ALL, {Provider.STT: "deepgram"}) == PROVIDERS
    with pytest.raises(ValueError):
        FaultControls(None, emulators={Provider.LLM: "nonesuch"}).emulators_of(preset(FaultControls(None), "llm.hang"))


# ------------------------------------------------------------------------------------------------ time limits
def test_a_lasting_fault_disarms_itself_when_its_time_is_up():
    book = FaultBook()
    fault = Fault.http(503).lasting(0.2)
    book.arm("cartesia", fault)
    assert book.armed("cartesia") == [fault]
    assert book.take("cartesia", "/stt/websocket", websocket=True) == fault
    deadline = time.monotonic() + 10
    while book.armed("cartesia"):
        assert time.monotonic() < deadline, "the fault never expired"
        time.sleep(0.02)
    assert book.take("cartesia", "/stt/websocket", websocket=True) is None
    with pytest.raises(ValueError):
        Fault.hang().lasting(0)


def test_disarm_removes_only_that_fault():
    book = FaultBook()
    book.arm("cerebras", Fault.hang())
    book.arm("cerebras", Fault.http(503))
    assert book.disarm("cerebras", Fault.hang()) is True
    assert book.disarm("cerebras", Fault.hang()) is False
    assert book.armed("cerebras") == [Fault.http(503)]


# ------------------------------------------------------------------------------------------------ applied to emulators
@pytest.mark.asyncio
async def test_drop_now_cuts_the_open_websocket_and_reconnecting_works(sim):
    controls = FaultControls(sim)
    async with websockets.connect(_stt_url(sim), additional_headers=STT_KEY) as stt, \
            websockets.connect(_tts_url(sim), additional_headers=TTS_KEY) as tts:
        controls.apply(preset(controls, "stt.drop"))
        await _dropped(stt)
        await tts.send(json.dumps({"text": "Still here.", "context_id": "c", "flush": True}))
        assert "audio" in json.loads(await asyncio.wait_for(tts.recv(), 5))  # the other role is untouched
    async with websockets.connect(_stt_url(sim), additional_headers=STT_KEY) as again:
        await again.send("finalize")
        assert json.loads(await asyncio.wait_for(again.recv(), 5))["type"] == "flush_done"
    [dropped] = [(r.provider, r.data) for r in sim.applied_faults() if r.kind == "connections_dropped"]
    assert dropped == ("cartesia", {"count": 1})


@pytest.mark.asyncio
async def test_refuse_reconnects_cuts_the_socket_refuses_handshakes_then_expires(sim):
    controls = FaultControls(sim, outage_seconds=SHORT)
    refuse = preset(controls, "tts.refuse")
    async with websockets.connect(_tts_url(sim), additional_headers=TTS_KEY) as tts:
        controls.apply(refuse)
        assert controls.is_on(refuse)
        await _dropped(tts)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(_tts_url(sim), additional_headers=TTS_KEY)
    assert refused.value.response.status_code == 503

    async def connects() -> bool:
        try:
            async with websockets.connect(_tts_url(sim), additional_headers=TTS_KEY):
                return True
        except websockets.InvalidStatus:
            return False

    await until(connects)
    assert not controls.is_on(refuse)
    armed = [r.data for r in sim.applied_faults("elevenlabs") if r.kind == "fault_armed"]
    assert armed == [{"kind": "http", "status": 503, "lasts": SHORT}]
    assert any(r.kind == "fault" and r.data["kind"] == "http" for r in sim.applied_faults("elevenlabs"))


@pytest.mark.asyncio
async def test_a_language_model_fault_switches_on_and_off(sim):
    controls = FaultControls(sim)
    rate_limit = preset(controls, "llm.rate_limit")
    client = openai.AsyncOpenAI(base_url=sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"], max_retries=0)
    try:
        controls.apply(rate_limit)
        controls.apply(rate_limit)  # applied twice: still one fault, its time started afresh
        assert sim.faults("cerebras") == [Fault.http(429, retry_after=2.0).lasting(20.0)]
        with pytest.raises(openai.RateLimitError) as limited:
            await client.chat.completions.create(model=MODEL, messages=HELLO)
        assert limited.value.response.headers["retry-after"] == "2"
        controls.switch_off(rate_limit)
        assert not controls.is_on(rate_limit)
        reply = await client.chat.completions.create(model=MODEL, messages=HELLO)
        assert reply.choices[0].message.content
    finally:
        await client.close()
    kinds = [r.kind for r in sim.applied_faults("cerebras")]
    assert kinds == ["fault_armed", "fault_cleared", "fault_armed", "fault", "fault_cleared"]


@pytest.mark.asyncio
async def test_network_outage_cuts_every_service_until_it_is_cleared(sim):
    controls = FaultControls(sim)
    outage = preset(controls, "all.outage")
    async with websockets.connect(_stt_url(sim), additional_headers=STT_KEY) as stt, \
            websockets.connect(_tts_url(sim), additional_headers=TTS_KEY) as tts:
        controls.apply(outage)
        await _dropped(stt)
        await _dropped(tts)
    async with websockets.connect(_stt_url(sim), additional_headers=STT_KEY) as stt:
        await _dropped(stt)  # accepted, then cut at once
    client = openai.AsyncOpenAI(base_url=sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"], max_retries=0)
    try:
        with pytest.raises(openai.APIConnectionError):
            stream = await client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
            [chunk async for chunk in stream]
        assert controls.is_on(outage)
        controls.clear_all()
        assert not any(controls.is_on(p) for p in controls.presets)
        reply = await client.chat.completions.create(model=MODEL, messages=HELLO)
        assert reply.choices[0].message.content
    finally:
        await client.close()
    assert {r.provider for r in sim.applied_faults() if r.kind == "faults_cleared"} == set(PROVIDERS)


def test_presets_apply_from_another_thread_than_the_simulators():
    with SimulatorThread(profile="instant") as sim:
        controls = FaultControls(sim)
        with websockets.sync.client.connect(_stt_url(sim), additional_headers=STT_KEY) as stt:
            controls.apply(preset(controls, "stt.hang"))
            with pytest.raises(websockets.ConnectionClosedError):
                stt.recv(timeout=5)
        with websockets.sync.client.connect(_stt_url(sim), additional_headers=STT_KEY) as hung:
            hung.send("finalize")
            with pytest.raises(TimeoutError):
                hung.recv(timeout=0.5)  # accepted, never answered
        assert controls.is_on(preset(controls, "stt.hang"))


# ------------------------------------------------------------------------------------------------ who plays a role
def _deepgram_url(sim) -> str:
    return f"{sim.deepgram_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"


DEEPGRAM_KEY = {"Authorization": f"Token {SIMULATOR_API_KEYS['deepgram']}"}


@pytest.mark.asyncio
async def test_presets_reach_the_emulators_the_app_says_play_each_role(sim):
    """The app's role -> emulator mapping (keyed by its own role enum): a speech-to-text preset cuts and refuses the
    emulator playing speech-to-text, a language model preset refuses the one playing the language model, and the
    default providers' emulators are left alone."""
    chosen = {Provider.STT: "deepgram", Provider.LLM: "groq", Provider.TTS: "cartesia_tts"}
    controls = FaultControls(sim, outage_seconds=SHORT, emulators=chosen)
    refuse = preset(controls, "stt.refuse")
    assert controls.emulators_of(refuse) == ("deepgram",)
    async with websockets.connect(_deepgram_url(sim), additional_headers=DEEPGRAM_KEY) as deepgram, \
            websockets.connect(_stt_url(sim), additional_headers=STT_KEY) as cartesia:
        controls.apply(refuse)
        assert controls.is_on(refuse)
        await _dropped(deepgram)
        await cartesia.send("finalize")  # the default speech-to-text emulator still answers on its socket
        assert json.loads(await asyncio.wait_for(cartesia.recv(), 5))["type"] == "flush_done"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(_deepgram_url(sim), additional_headers=DEEPGRAM_KEY)
    assert refused.value.response.status_code == 503
    assert sim.faults("cartesia") == []

    limit = preset(controls, "llm.rate_limit")
    controls.apply(limit)
    groq = openai.AsyncOpenAI(base_url=sim.groq_url, api_key=SIMULATOR_API_KEYS["groq"], max_retries=0)
    cerebras = openai.AsyncOpenAI(base_url=sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"], max_retries=0)
    try:
        with pytest.raises(openai.RateLimitError):
            await groq.chat.completions.create(model="llama-3.3-70b-versatile", messages=HELLO)
        reply = await cerebras.chat.completions.create(model=MODEL, messages=HELLO)
        assert reply.choices[0].message.content
        controls.switch_off(limit)
        assert not controls.is_on(limit)
        reply = await groq.chat.completions.create(model="llama-3.3-70b-versatile", messages=HELLO)
        assert reply.choices[0].message.content
    finally:
        await groq.close()
        await cerebras.close()
    assert [r.kind for r in sim.applied_faults("groq")] == ["fault_armed", "fault", "fault_cleared"]
    assert not [r for r in sim.applied_faults("cerebras") if r.kind == "fault_armed"]


@pytest.mark.asyncio
async def test_a_preset_follows_the_role_when_the_app_switches_providers(sim):
    """The mapping is asked afresh at each call: after a switch, the new provider's emulator gets the preset, and
    switching it off clears it where it was switched on as well."""
    playing = {Provider.LLM: "openai"}
    controls = FaultControls(sim, emulators=lambda: playing)
    hang = preset(controls, "llm.hang")
    controls.apply(hang)
    assert sim.faults("openai") == [Fault.hang()] and controls.is_on(hang)
    playing[Provider.LLM] = "local_llm"
    assert not controls.is_on(hang), "the emulator now playing the role has no fault"
    controls.apply(hang)
    assert sim.faults("local_llm") == [Fault.hang()] and sim.faults("openai") == []
    playing[Provider.LLM] = "groq"
    controls.switch_off(hang)
    assert sim.faults("local_llm") == [] and sim.faults("groq") == []
