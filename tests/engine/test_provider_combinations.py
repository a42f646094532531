"""Conversations on other providers than the defaults, end to end through the real session on the simulator.

Each test picks a provider for each role the way the app does with ``--simulate`` (the provider's emulator, its
address and public key; none for a local server), speaks espeak-ng speech into the in-memory sound card and checks
what the user sees and hears: the transcript, the reply streaming in, the reply spoken, and every latency stage. The
healing tests break the connection of the speech-to-text provider whose service is not one of Pipecat's websocket
services (it goes through its vendor's client library) and of the text-to-speech ones, and check that the
conversation carries on by itself and that no word said meanwhile is lost. Heal times are printed (``-s``).
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from desktop_agent import providers
from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
from desktop_agent.engine.healing import ClientConnectionView, ConnectionView, WebsocketView, connection_view
from desktop_agent.simulator import SIMULATOR_API_KEYS, Fault, Simulator
from desktop_agent.state.events import (
    AgentState,
    AssistantSpeechStarted,
    AssistantText,
    AssistantTurnEnded,
    AssistantWordSpoken,
    ConnectionStatus,
    ErrorOccurred,
    Provider,
    ProviderStatusChanged,
    Stage,
    StageLatency,
    TurnMode,
    UsageReported,
    UserTranscript,
    UserTurnEnded,
)
from desktop_agent.state.latency import EXCHANGE_STAGES
from tests.engine.conftest import EngineHarness, config_for
from tests.engine.test_nothing_said_is_lost import spoken_secs

#: The combination the issue names first: each role played by another provider than the default.
COMBINATION = {Provider.STT: "deepgram", Provider.LLM: "groq", Provider.TTS: "cartesia_tts"}
#: A voice the simulator's accounts have (each TTS provider's own default voice is not one of them for every vendor).
SIM_VOICE = "emu-voice-3"
#: Seconds from a provider being reachable again to a working connection (the fault matrix's bound).
HEAL_WITHIN = 5.0
#: How long the speech-to-text emulator refuses reconnects: longer than the sentence spoken meanwhile.
REFUSED_SECS = 8.0

EXCHANGES = [
    ("What is the weather like in Paris today?", "It is sunny in Paris today. Enjoy the warm weather!"),
    ("Should I take an umbrella with me?", "No umbrella needed. The sky stays clear all afternoon."),
    ("And what about tomorrow morning?", "Tomorrow morning brings light clouds and a cool breeze."),
]
HANDS_FREE = ("Can you recommend a good book to read this weekend?",
              "Try a short mystery novel. It is a relaxing weekend read.")
SENTENCE = "Please tell me what the weather will be like tomorrow morning."
#: A reply of about 20 s of speech.
LONG_REPLY = " ".join(["The forecast for the week ahead is long and detailed."] * 6)
#: Rounding of the simulator's "I spoke for N.N seconds": a lost first or last word costs twice as much or more.
ROUNDING = 0.1


def combination_config(sim: Simulator, chosen: dict[Provider, str] | None = None, **changes) -> EngineConfig:
    """A configuration with ``chosen`` providers (the defaults elsewhere), each on its emulator with the emulator's
    public key, as ``config.engine_config.resolve_endpoint`` gives them with a simulator; models are the providers'
    defaults."""
    specs = {role: providers.get((chosen or {}).get(role, providers.default_for(role).id)) for role in Provider}
    endpoints = {role: ProviderEndpoint(SIMULATOR_API_KEYS.get(spec.emulator, ""), sim.url(spec.emulator))
                 for role, spec in specs.items()}
    settings = dict(
        stt=endpoints[Provider.STT], llm=endpoints[Provider.LLM], tts=endpoints[Provider.TTS],
        stt_provider=specs[Provider.STT].id, llm_provider=specs[Provider.LLM].id, tts_provider=specs[Provider.TTS].id,
        stt_model=specs[Provider.STT].default_model, llm_model=specs[Provider.LLM].default_model,
        tts_model=specs[Provider.TTS].default_model,
    )
    if specs[Provider.TTS].id == "cartesia_tts":
        settings["voice_id"] = SIM_VOICE
    elif specs[Provider.TTS].id != providers.default_for(Provider.TTS).id:
        settings["voice_id"] = specs[Provider.TTS].default_voice_id  # a voice of that provider's own
    settings.update(changes)
    return config_for(sim, **settings)


def heard_secs(h: EngineHarness, since: int) -> float:
    """How much speech the recogniser heard in the turn that started at ``since`` (no STT script: the simulator says
    "I spoke for N.N seconds" for the speech it received)."""
    return spoken_secs(h.of(UserTurnEnded, since)[0].text)


async def reference_turn(h: EngineHarness, pcm: np.ndarray) -> float:
    """Say ``pcm`` once with nothing wrong: what the recogniser hears of it in full. (What reaches it is the
    microphone's audio after echo cancellation, which varies a little from turn to turn, so the reference is taken in
    the same session rather than from the recording.)"""
    since = h.mark()
    ended = await h.exchange(pcm)
    assert ended.spoken and ended.text.startswith("You said: I spoke for")
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    return heard_secs(h, since)


def heard_audio(h: EngineHarness, since: int) -> float:
    """Seconds of audible reply the speaker played from the assistant's first sound after ``since`` on."""
    started = h.of(AssistantSpeechStarted, since)[0].at
    return sum(c.ends - c.starts for c in h.backend.audible() if c.starts >= started - 0.05)


def stages_of(h: EngineHarness, since: int) -> dict[Stage, float]:
    return {e.stage: e.seconds for e in h.of(StageLatency, since)}


def status_events(h: EngineHarness, provider: Provider, since: int = 0) -> list[ProviderStatusChanged]:
    return [e for e in h.of(ProviderStatusChanged, since) if e.provider is provider]


def is_connected(h: EngineHarness, provider: Provider, since: int = 0) -> bool:
    statuses = status_events(h, provider, since)
    return bool(statuses) and statuses[-1].status is ConnectionStatus.CONNECTED


async def assert_spoken_turn(h: EngineHarness, since: int, released: float, question: str, reply: str) -> None:
    """One push-to-talk turn as the user meets it: the words as said, the reply streamed, spoken word by word and
    heard after the release, and all five latency stages."""
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    finals = [e.text for e in h.of(UserTranscript, since) if e.final]
    assert finals == [question]
    assert [e.text for e in h.of(UserTurnEnded, since)] == [question]
    assert len(h.of(AssistantText, since)) > 3, "the reply should stream in pieces"
    assert "".join(e.text for e in h.of(AssistantText, since)) == reply
    assert " ".join(e.word for e in h.of(AssistantWordSpoken, since)) == reply
    assert ended.text == reply and ended.spoken and ended.complete and not ended.interrupted
    assert h.of(AssistantSpeechStarted, since)
    # The reply is audible, after the release, and as long as a two-sentence reply (not a blip).
    await h.until(lambda: sum(c.ends - c.starts for c in h.backend.audible() if c.starts > released) > 1.5, 10,
                  "the reply's audio to be played")
    stages = stages_of(h, since)
    assert set(stages) == set(EXCHANGE_STAGES), f"missing stages: {set(EXCHANGE_STAGES) - set(stages)}"
    assert all(0 <= s < 5 for s in stages.values()), stages
    assert stages[Stage.VOICE_TO_VOICE] >= max(stages[Stage.ENDPOINTING], stages[Stage.STT_FINAL])


def assert_asked_in_order(sim: Simulator, emulator: str, questions: list[str]) -> None:
    """The language model emulator ``emulator`` got one request per turn, each carrying the conversation so far."""
    requests = [r.data for r in sim.select(emulator, "llm_request")]
    assert len(requests) == len(questions)
    for n, request in enumerate(requests):
        users = [m["content"] for m in request["messages"] if m["role"] == "user"]
        assert users == questions[: n + 1]


# ------------------------------------------------------------------------------------------------ conversations
@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(180)
async def test_deepgram_groq_cartesia_push_to_talk_and_hands_free(sim, harness_factory, speech, assert_no_key_leak):
    h = await harness_factory(combination_config(sim, COMBINATION))
    assert {role: h.session.config.spec(role).id for role in Provider} == COMBINATION

    for question, reply in EXCHANGES:
        sim.stt.script([question])
        sim.llm.script([reply])
        since = h.mark()
        released = await h.push_to_talk(speech(question))
        await assert_spoken_turn(h, since, released, question, reply)
        assert any(not e.final for e in h.of(UserTranscript, since)), "interim transcripts stream while talking"
        assert {e.provider for e in h.of(UsageReported, since)} == set(Provider)
        await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    # The same session, hands-free: no button, the pause after the words ends the turn.
    question, reply = HANDS_FREE
    sim.stt.script([question])
    sim.llm.script([reply])
    h.session.set_mode(TurnMode.HANDS_FREE)
    since = h.mark()
    h.backend.push_input(np.zeros(16000, dtype=np.int16))  # room silence first, so the VAD has settled
    await h.speak(speech(question), trailing_silence=1.5)
    turn = await h.wait(UserTurnEnded, since, timeout=15)
    assert turn.text == question
    ended = await h.wait(AssistantTurnEnded, since, timeout=20)
    assert ended.text == reply and ended.spoken and not ended.interrupted
    assert " ".join(e.word for e in h.of(AssistantWordSpoken, since)) == reply
    assert set(stages_of(h, since)) == set(EXCHANGE_STAGES)

    # Every request went to the chosen providers' emulators, none to the defaults'.
    assert_asked_in_order(sim, "groq", [q for q, _ in EXCHANGES] + [question])
    assert sim.select("deepgram", "stt_connect") and sim.select("cartesia_tts", "tts_connect")
    for default in ("cartesia", "cerebras", "elevenlabs"):
        assert not [r for r in sim.select(default) if r.kind.endswith(("connect", "request"))], default
    assert not h.errors()
    assert_no_key_leak(h.events)


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.parametrize("llm", [spec.id for spec in providers.for_role(Provider.LLM)
                                 if spec is not providers.default_for(Provider.LLM)])
async def test_each_language_model_with_the_default_speech_providers(llm, sim, harness_factory, speech):
    """The OpenAI-compatible local server (no key at all), OpenAI and Groq, each with the default speech-to-text and
    text-to-speech: two turns, the second asked with the first in its context."""
    spec = providers.get(llm)
    config = combination_config(sim, {Provider.LLM: llm})
    assert bool(config.llm.api_key) is spec.key_required
    h = await harness_factory(config)
    for question, reply in EXCHANGES[:2]:
        sim.stt.script([question])
        sim.llm.script([reply])
        since = h.mark()
        released = await h.push_to_talk(speech(question))
        await assert_spoken_turn(h, since, released, question, reply)
        await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    assert_asked_in_order(sim, spec.emulator, [q for q, _ in EXCHANGES[:2]])
    assert {r.data["model"] for r in sim.select(spec.emulator, "llm_request")} == {spec.default_model}
    assert not sim.select("cerebras", "llm_request")
    assert not h.errors()


# ------------------------------------------------------------------------------------------------ healing
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(180)
async def test_speech_to_text_dropped_and_refused_heals_and_keeps_the_words(speech, assert_no_key_leak):
    """Deepgram's connection is cut and reconnects are refused for a while; the user speaks meanwhile. The words
    wait, are transcribed in full once it is back, and the next turn needs nothing from the user."""
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(combination_config(sim, COMBINATION))
        await h.start()
        try:
            pcm = speech(SENTENCE)
            full = await reference_turn(h, pcm)

            during = h.mark()
            armed = time.monotonic()
            sim.fault("deepgram", Fault.http(503).lasting(REFUSED_SECS))
            sim.drop_connections("deepgram")
            await h.until(lambda: not h.session.ready, 10, "speech-to-text to go down")
            assert h.session.state is AgentState.RECONNECTING
            await h.push_to_talk(pcm)
            assert not h.session.ready, "the words were said while speech-to-text was away"

            turn = await h.wait(UserTurnEnded, during, timeout=REFUSED_SECS + 20)
            reply = await h.wait(AssistantTurnEnded, during, timeout=20)
            assert spoken_secs(turn.text) >= full - ROUNDING, f"heard {turn.text!r}, {full} s without the outage"
            assert reply.spoken and turn.text.rstrip(".") in reply.text

            # What the user was told, and the status while it was down.
            told = [e.message for e in h.of(ErrorOccurred, during)]
            assert told == ["The connection to Deepgram dropped. Reconnecting…"]
            down = [e for e in status_events(h, Provider.STT, during) if e.status is not ConnectionStatus.CONNECTED]
            assert down and all(e.down_since is not None and e.retry_at is not None for e in down)
            assert len([r for r in sim.applied_faults("deepgram") if r.kind == "fault"]) >= 1, "never refused"
            back = next(e for e in status_events(h, Provider.STT, during) if e.status is ConnectionStatus.CONNECTED)
            heal = back.at - (armed + REFUSED_SECS)
            print(f"\nspeech-to-text (client library) refused {REFUSED_SECS:g} s: back {heal:.2f} s after the "
                  f"refusals ended, {len(down)} status reports while down")
            assert heal < HEAL_WITHIN

            # The next turn works without anything from the user.
            after = h.mark()
            nxt = await h.exchange(speech("One more question: how long does it take to fly from Lisbon to Berlin?"))
            assert nxt.spoken and nxt.text.startswith("You said: I spoke for") and heard_secs(h, after) > full
            assert not h.of(ErrorOccurred, after)
            assert_no_key_leak(h.events)
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_speech_to_text_dropped_mid_turn_loses_no_words(speech):
    """The connection drops while the user is speaking, after part of the turn was sent on it: the whole turn is given
    again on the new connection and transcribed in full."""
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(combination_config(sim, COMBINATION))
        await h.start()
        try:
            pcm = speech(SENTENCE)
            full = await reference_turn(h, pcm)
            connects = len(sim.select("deepgram", "stt_connect"))
            since = h.mark()
            h.session.press_talk()
            h.backend.push_input(pcm)
            # Words are being transcribed on the connection: cut it in the middle of the sentence.
            await h.until(lambda: any(not e.final and e.text for e in h.of(UserTranscript, since)), 10,
                          "an interim transcript")
            dropped = time.monotonic()
            sim.drop_connections("deepgram")
            await asyncio.to_thread(h.backend.wait_input_drained)
            await asyncio.sleep(0.06)  # the release follows the last word, as with a person
            h.session.release_talk()
            turn = await h.wait(UserTurnEnded, since, timeout=20)
            reply = await h.wait(AssistantTurnEnded, since, timeout=20)
            assert spoken_secs(turn.text) >= full - ROUNDING, f"heard {turn.text!r}, {full} s without the drop"
            assert reply.spoken
            assert len(sim.select("deepgram", "stt_connect")) > connects, "a new connection was made"
            back = next(e for e in status_events(h, Provider.STT, since) if e.status is ConnectionStatus.CONNECTED)
            print(f"\nspeech-to-text (client library) dropped mid-turn: back {back.at - dropped:.2f} s after the "
                  f"drop; heard {spoken_secs(turn.text)} s of speech ({full} s without the drop)")
            assert back.at - dropped < HEAL_WITHIN
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_text_to_speech_dropped_heals_and_the_next_reply_is_spoken(sim, harness_factory, speech):
    """Cartesia's text-to-speech connection is cut between turns, then again in the middle of a reply: each time the
    next reply is spoken in full, with nothing asked of the user."""
    h = await harness_factory(combination_config(sim, COMBINATION))
    question, reply = EXCHANGES[0]
    sim.stt.script([question])
    sim.llm.script([reply])
    since = h.mark()
    await assert_spoken_turn(h, since, await h.push_to_talk(speech(question)), question, reply)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    # Between turns.
    since = h.mark()
    dropped = time.monotonic()
    sim.drop_connections("cartesia_tts")
    await h.until(lambda: status_events(h, Provider.TTS, since), 10, "the drop to be noticed")
    await h.until(lambda: is_connected(h, Provider.TTS, since), 10, "text-to-speech to reconnect")
    heal_between = status_events(h, Provider.TTS, since)[-1].at - dropped
    question, reply = EXCHANGES[1]
    sim.stt.script([question])
    sim.llm.script([reply])
    await assert_spoken_turn(h, since, await h.push_to_talk(speech(question)), question, reply)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    # In the middle of a reply: the voice now streams in real time, so most of the reply is still to come.
    fast = sim.profile.tts_realtime_factor
    sim.profile.tts_realtime_factor = 1.0
    sim.stt.script(["Tell me the whole forecast."])
    sim.llm.script([LONG_REPLY])
    since = h.mark()
    await h.push_to_talk(speech("Tell me the whole forecast."))
    await h.until(lambda: len(h.of(AssistantWordSpoken, since)) >= 3, 20, "the first words to be spoken")
    assert h.session.state is AgentState.ASSISTANT_SPEAKING and not h.of(AssistantTurnEnded, since)
    dropped = time.monotonic()
    sim.drop_connections("cartesia_tts")
    cut = await h.wait(AssistantTurnEnded, since, timeout=30)
    assert cut.text.strip(), "the reply is kept"
    await h.until(lambda: is_connected(h, Provider.TTS, since), 10, "text-to-speech to reconnect")
    heal_mid = next(e for e in status_events(h, Provider.TTS, since)
                    if e.status is ConnectionStatus.CONNECTED).at - dropped
    await h.until(lambda: h.session.state is AgentState.LISTENING, 30, "listening again")
    sim.profile.tts_realtime_factor = fast

    question, reply = EXCHANGES[2]
    sim.stt.script([question])
    sim.llm.script([reply])
    since = h.mark()
    await assert_spoken_turn(h, since, await h.push_to_talk(speech(question)), question, reply)
    asks = [e for e in h.of(ErrorOccurred, since) if e.retry or not e.recoverable]
    assert not asks, f"nothing for the user to do once it is back: {asks}"
    print(f"\ntext-to-speech dropped: back {heal_between:.2f} s after a drop between turns, {heal_mid:.2f} s after "
          "one mid-reply")
    assert heal_between < HEAL_WITHIN and heal_mid < HEAL_WITHIN
    assert len(sim.select("cartesia_tts", "tts_connect")) >= 3


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(150)
@pytest.mark.parametrize("tts", [spec.id for spec in providers.for_role(Provider.TTS)])
async def test_text_to_speech_dropped_as_a_reply_starts_leaves_every_later_reply_spoken(tts, sim, harness_factory,
                                                                                       speech):
    """The connection drops as the first audio of a reply arrives, while its next sentences are still being sent:
    the service reopens the socket by itself to send them while the healer restarts it. Both at once once left the
    service reading one socket and sending on another, and every later reply silent."""
    h = await harness_factory(combination_config(sim, {Provider.TTS: tts}))
    await h.exchange(speech("Hello there."))
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")
    fast = sim.profile.tts_realtime_factor
    sim.profile.tts_realtime_factor = 1.0  # the reply's sentences go out one by one as the voice speaks
    sim.llm.script([LONG_REPLY])
    since = h.mark()
    await h.push_to_talk(speech("Tell me the whole forecast."))
    await h.wait(AssistantSpeechStarted, since, timeout=20)
    sim.drop_connections(providers.get(tts).emulator)
    await h.wait(AssistantTurnEnded, since, timeout=30)
    await h.until(lambda: is_connected(h, Provider.TTS, since), 10, "text-to-speech to reconnect")
    await h.until(lambda: h.session.state is AgentState.LISTENING, 30, "listening again")
    sim.profile.tts_realtime_factor = fast
    for question, reply in EXCHANGES[1:]:
        sim.stt.script([question])
        sim.llm.script([reply])
        since = h.mark()
        await assert_spoken_turn(h, since, await h.push_to_talk(speech(question)), question, reply)
        await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")


@pytest.mark.e2e
@pytest.mark.asyncio
@pytest.mark.timeout(120)
@pytest.mark.parametrize("tts", [spec.id for spec in providers.for_role(Provider.TTS)])
async def test_a_reply_cut_by_a_text_to_speech_drop_is_not_reported_as_spoken(tts, sim, harness_factory, speech):
    """The connection drops a few words into a long reply: what was on its way on the old connection is never
    heard. The turn must not be saved as spoken in full (it would be shown whole, marked as not spoken, as when the
    voice could not say it at all)."""
    h = await harness_factory(combination_config(sim, {Provider.TTS: tts}))
    sentence = LONG_REPLY.split(". ")[0] + "."
    sim.llm.script([sentence])
    since = h.mark()
    await h.exchange(speech("Hello there."))
    sentence_secs = heard_audio(h, since)
    assert sentence_secs > 1.0
    await h.until(lambda: h.session.state is AgentState.LISTENING, 10, "listening again")

    sim.profile.tts_realtime_factor = 1.0
    sim.llm.script([LONG_REPLY])
    since = h.mark()
    await h.push_to_talk(speech("Tell me the whole forecast."))
    await h.until(lambda: len(h.of(AssistantWordSpoken, since)) >= 3, 20, "the first words to be spoken")
    sim.drop_connections(providers.get(tts).emulator)
    cut = await h.wait(AssistantTurnEnded, since, timeout=30)
    await h.until(lambda: h.session.state is AgentState.LISTENING, 30, "listening again")
    heard, whole = heard_audio(h, since), sentence_secs * LONG_REPLY.count(sentence)
    assert heard < whole - 1.0, "the drop cut part of the reply out (else this test proves nothing)"
    assert not (cut.spoken and cut.text == LONG_REPLY), (
        f"{heard:.1f} s of the reply's {whole:.1f} s were heard, but the turn says the whole reply was spoken")


# ------------------------------------------------------------------------------------------ how each service is seen
def test_each_service_is_watched_by_what_it_holds_not_by_who_provides_it(sim):
    """Every speech service the providers build is watched through the connection it keeps: Pipecat's websocket
    services by their socket, a service built on its vendor's client library by that library's connection."""
    for role in (Provider.STT, Provider.TTS):
        for spec in providers.for_role(role):
            service = spec.build(combination_config(sim, {role: spec.id}))
            view = connection_view(service)
            assert type(view) in (WebsocketView, ClientConnectionView), spec.id
            assert view.open_socket(service) is None, "nothing is connected before the session starts"
    assert type(connection_view(object())) is ConnectionView


@pytest.mark.asyncio
async def test_a_client_connection_counts_only_while_its_task_runs_and_its_socket_is_open():
    class Socket:
        def __init__(self, state):
            self.state = state

    class Connection:
        def __init__(self, state):
            self._websocket = Socket(state)

    class Service:
        _connection = None
        _connection_task = None

    from websockets.protocol import State

    service, view = Service(), ClientConnectionView()
    running = asyncio.ensure_future(asyncio.sleep(60))
    try:
        service._connection, service._connection_task = Connection(State.OPEN), running
        assert view.open_socket(service) is service._connection
        service._connection._websocket.state = State.CLOSING
        assert view.open_socket(service) is None
        service._connection = Connection(State.OPEN)
        running.cancel()
        await asyncio.sleep(0)
        assert view.open_socket(service) is None, "a connection whose task ended is gone"
    finally:
        running.cancel()


@pytest.mark.asyncio
async def test_a_websocket_service_opens_one_socket_at_a_time():
    """Two handshakes asked for at once (the service's own reconnect to send, and the healer's restart) make one
    socket, which both get; another address makes its own; a handshake nobody waits for any more is abandoned."""
    opened: list[str] = []
    release = asyncio.Event()

    class Service:
        _websocket = None

        async def _websocket_connect(self, uri, **kwargs):
            opened.append(uri)
            await release.wait()
            return f"socket {len(opened)} to {uri}"

    service = Service()
    WebsocketView().adopt(service)
    WebsocketView().adopt(service)  # adopting twice wraps once
    first = asyncio.ensure_future(service._websocket_connect("ws://a", additional_headers={"k": "v"}))
    second = asyncio.ensure_future(service._websocket_connect("ws://a", additional_headers={"k": "v"}))
    await asyncio.sleep(0.01)
    release.set()
    assert await first == await second == "socket 1 to ws://a" and opened == ["ws://a"]
    assert await service._websocket_connect("ws://b") == "socket 2 to ws://b"

    release.clear()
    abandoned = asyncio.ensure_future(service._websocket_connect("ws://a"))
    await asyncio.sleep(0.01)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    release.set()
    assert await service._websocket_connect("ws://a") == "socket 4 to ws://a", "a new handshake, not the cancelled one"
