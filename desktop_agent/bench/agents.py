"""The two systems under test behind one small interface: the app's engine (:class:`AppAgent`) and the plain
Pipecat reference (:class:`~desktop_agent.bench.reference.ReferenceAgent`)."""

from __future__ import annotations

import asyncio
import threading
import time

from desktop_agent.bench.provider_choice import ProviderChoice
from desktop_agent.engine.audio_backend import AudioBackend
from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
from desktop_agent.providers import ProviderSpec
from desktop_agent.state.events import AssistantTurnEnded, Event, Provider, StageLatency, TurnMode


def engine_config(sim: dict, mode: TurnMode, *, echo_cancellation: bool | None = None) -> EngineConfig:
    """The configuration both systems use: the providers the run chose (the hello document's ``"providers"``, the
    app's defaults without it), each on its emulator's address and key with its default model, everything else the
    app's defaults (echo cancellation included, as users run it, unless ``echo_cancellation`` says otherwise)."""
    choice = ProviderChoice.from_dict(sim.get("providers"))
    stt, llm, tts = (choice.spec(role) for role in (Provider.STT, Provider.LLM, Provider.TTS))
    config = EngineConfig(
        stt=_endpoint(sim, stt),
        llm=_endpoint(sim, llm),
        tts=_endpoint(sim, tts),
        stt_provider=stt.id,
        llm_provider=llm.id,
        tts_provider=tts.id,
        stt_model=stt.default_model,
        llm_model=llm.default_model,
        tts_model=tts.default_model,
        voice_id=simulator_voice(tts),
        mode=mode,
    )
    if echo_cancellation is not None:
        config.echo_cancellation = echo_cancellation
    return config


def _endpoint(sim: dict, spec: ProviderSpec) -> ProviderEndpoint:
    """The emulator's address and key (none for a server that takes none: the local LLM)."""
    return ProviderEndpoint(sim["keys"].get(spec.emulator, ""), sim["urls"][spec.emulator])


def simulator_voice(spec: ProviderSpec) -> str:
    """The voice the benchmark speaks with: the provider's default voice when the simulator's accounts have it
    (ElevenLabs' Eric), else the simulator's first voice.

    Every TTS emulator speaks with the simulator's one voice catalogue, which lacks Cartesia's default voice (a real
    Cartesia id): asked for it, the Cartesia emulator answers "voice not found", as Cartesia would for a voice the
    account lacks. The voice changes nothing the benchmark measures (the synthetic voice's pitch only).
    """
    from desktop_agent.simulator.voices import VOICES, find_voice

    return spec.default_voice_id if find_voice(spec.default_voice_id) else VOICES[0].voice_id


def session_loop(session: object) -> asyncio.AbstractEventLoop | None:
    """The event loop a running ``VoiceSession`` runs on, for the loop-lateness probe.

    ``VoiceSession`` has no public accessor for it yet (requested from the engine); until it has, the session's
    ``_loop`` attribute is read.
    """
    return getattr(session, "loop", None) or getattr(session, "_loop", None)


class AppAgent:
    """The app's :class:`VoiceSession` on the benchmark device, started as the window starts it; keeps the events
    the benchmark reads."""

    name = "app"

    def __init__(self, config: EngineConfig, backend: AudioBackend):
        from desktop_agent.engine.session import VoiceSession

        self.stage_events: list[StageLatency] = []
        self.turns_ended = 0
        self._turn_ended = threading.Condition()
        self.session = VoiceSession(config, self._on_event, audio=backend)

    def _on_event(self, event: Event) -> None:  # engine thread: hand over, never block
        if isinstance(event, StageLatency):
            self.stage_events.append(event)
        elif isinstance(event, AssistantTurnEnded):
            with self._turn_ended:
                self.turns_ended += 1
                self._turn_ended.notify_all()

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return session_loop(self.session)

    def start(self, timeout: float = 30.0) -> None:
        self.session.start()
        deadline = time.monotonic() + timeout
        while not self.session.ready:
            if time.monotonic() > deadline:
                raise TimeoutError("the app's voice session did not become ready in time")
            time.sleep(0.005)

    def stop(self) -> None:
        self.session.stop(timeout=10.0)

    def press(self) -> None:
        self.session.press_talk()

    def release(self) -> None:
        self.session.release_talk()

    def wait_turn_ended(self, count: int, timeout: float) -> bool:
        """Block until ``count`` assistant turns have ended (True) or ``timeout`` passes (False)."""
        with self._turn_ended:
            return self._turn_ended.wait_for(lambda: self.turns_ended >= count, timeout)
