"""Owns the voice session for the window: loads the engine after the first paint, starts and stops sessions, and
forwards the user's gestures and settings changes to the session's thread-safe methods.

The engine (Pipecat, ~1 s of imports) is imported on a worker thread so the window stays live meanwhile. Nothing
here blocks the Qt thread: ``VoiceSession.stop`` joins the engine thread, so it runs through ``asyncio.to_thread``.
Shutdown follows architecture.md pitfall 3: the pipeline stops first (the engine thread is joined), then the
bridge is drained and closed, and only then may Qt quit.

The window reaches the session only through the typed methods here (the session itself is a
:class:`~desktop_agent.ui.session_port.SessionPort`); a change made between sessions is read from the settings by
the next one.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_agent.state import events as ev
from desktop_agent.ui import exception_guard
from desktop_agent.ui.bridge import EngineBridge
from desktop_agent.ui.error_banner import BannerAction
from desktop_agent.ui.session_phase import SessionPhase
from desktop_agent.ui.session_port import Device, SessionFactory, SessionPort

if TYPE_CHECKING:
    from desktop_agent.engine.audio_backend import AudioBackend
    from desktop_agent.engine.config import EngineConfig
    from desktop_agent.engine.early_microphone import EarlyMicrophone

log = logging.getLogger(__name__)

ENGINE_MODULE = "desktop_agent.engine.session"
STOP_TIMEOUT_S = 8.0

#: Builds the engine configuration for a new session; raises to refuse (its ``problems`` or message is shown).
ConfigFactory = Callable[[], "EngineConfig"]


class SessionController(QObject):
    phase_changed = Signal(object)  # SessionPhase
    problem = Signal(str, str)  # sentence, BannerAction value

    def __init__(
        self,
        bridge: EngineBridge,
        config_factory: ConfigFactory,
        *,
        audio_backend: AudioBackend | None = None,
        session_factory: SessionFactory | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._config_factory = config_factory
        self._audio_backend = audio_backend
        self._session_factory = session_factory
        self._session: SessionPort | None = None
        self._phase = SessionPhase.LOADING
        self._mode = ev.TurnMode.PUSH_TO_TALK
        self._muted = False
        self._stopping: asyncio.Future[None] | None = None
        self._ending: set[asyncio.Future[None]] = set()  # stops begun because a session ended by itself
        #: A push-to-talk turn begun while the engine was still loading.
        self._early_microphone: EarlyMicrophone | None = None
        self._carried_over: list[dict] = []  # the conversation a restarted session carries on
        self._early_held = False
        #: The microphone the next session uses (the early microphone opens it too).
        self.input_device: Device = None
        #: Asked before a session starts: False keeps it from starting (the gate has said why), e.g. a spending
        #: limit used up (``ui/spending_guard.py``).
        self.start_gate: Callable[[], bool] | None = None
        bridge.session_started.connect(self._on_session_started)
        bridge.session_ended.connect(self._on_session_ended)

    # ------------------------------------------------------------------ state
    @property
    def phase(self) -> SessionPhase:
        return self._phase

    @property
    def session(self) -> SessionPort | None:
        """The running session (None between sessions). Changes reach it through this controller's methods."""
        return self._session

    @property
    def audio_backend(self) -> AudioBackend | None:
        """The sound device the sessions use (None: the sound card); the next session takes a new one."""
        return self._audio_backend

    @audio_backend.setter
    def audio_backend(self, backend: AudioBackend | None) -> None:
        self._audio_backend = backend

    @property
    def mode(self) -> ev.TurnMode:
        return self._mode

    def _set_phase(self, phase: SessionPhase) -> None:
        if phase is not self._phase:
            log.info("Session %s", phase.value)
            self._phase = phase
            self.phase_changed.emit(phase)

    # ------------------------------------------------------------------ engine loading
    async def load_engine(self) -> bool:
        """Import the engine on a worker thread; True when ready to start sessions."""
        if self._session_factory is None:
            try:
                module = await asyncio.to_thread(importlib.import_module, ENGINE_MODULE)
            except Exception as exc:  # a broken install must become a sentence, not a crash
                log.exception("Could not load the voice engine")
                self.problem.emit(
                    f"The voice engine could not be loaded ({type(exc).__name__}). Reinstall the app; details are in "
                    "the log.",
                    BannerAction.NONE.value,
                )
                return False
            self._session_factory = module.VoiceSession
        if self._phase is SessionPhase.LOADING:
            self._set_phase(SessionPhase.STOPPED)
        return True

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> bool:
        """Start a session (returns at once; progress arrives as events). False if it could not start."""
        if self._phase is not SessionPhase.STOPPED or self._session_factory is None:
            return False
        if self.start_gate is not None and not self.start_gate():
            return False
        try:
            config = self._config_factory()
        except Exception as exc:  # the factory's refusal is a sentence for the user
            problems = getattr(exc, "problems", None)
            message = " ".join(problems) if problems else str(exc) or "The settings cannot start a session."
            if not problems and not isinstance(exc, ValueError):
                log.exception("Building the session configuration failed")
            self.problem.emit(message, BannerAction.OPEN_SETTINGS.value)
            return False
        config.mode = self._mode
        kwargs: dict[str, Any] = {"audio": self._audio_backend} if self._audio_backend is not None else {}
        early, self._early_microphone = self._early_microphone, None
        if early is not None:
            kwargs["early_microphone"] = early
        carried, self._carried_over = self._carried_over, []
        if carried:
            kwargs["history"] = carried
        try:
            session = self._session_factory(config, self._bridge.deliver, **kwargs)
            session.set_muted(self._muted)
            if early is not None and self._early_held:
                session.press_talk()  # still held: the session's own microphone carries the turn on
            session.start()
        except Exception as exc:  # noqa: BLE001
            exception_guard.report(exc, "starting the session")
            return False
        self._session = session
        self._set_phase(SessionPhase.STARTING)
        return True

    async def restart(self) -> bool:
        """End the session and start one that carries the conversation on (what the language model was told), e.g.
        with another speech provider. False when no session runs or the new one could not start."""
        session = self._session
        if session is None:
            return False
        await self.stop()
        self._carried_over = list(session.context_messages())
        return self.start()

    def continue_with(self, messages: list[dict]) -> bool:
        """Start a session whose language model remembers ``messages`` (a past conversation continued from History).
        False when a session runs or none can start (the reason is shown as for :meth:`start`)."""
        if self._session is not None:
            return False
        self._carried_over = [dict(message) for message in messages]
        if self.start():
            return True
        self._carried_over = []
        return False

    async def stop(self) -> None:
        """End the session: stop the pipeline and join the engine thread off the Qt thread. Idempotent."""
        if self._stopping is not None:
            await asyncio.shield(self._stopping)
            return
        session = self._session
        if session is None:
            return
        self._stopping = asyncio.ensure_future(self._stop(session))
        try:
            await asyncio.shield(self._stopping)
        finally:
            self._stopping = None

    async def _stop(self, session: SessionPort) -> None:
        self._set_phase(SessionPhase.STOPPING)
        try:
            await asyncio.to_thread(session.stop, STOP_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001
            exception_guard.report(exc, "ending the session")
        # Every event the engine emitted is now queued: apply them (SessionEnded included) before anything else.
        self._bridge.flush()
        if self._session is session:
            self._session = None
        self._set_phase(SessionPhase.STOPPED)

    @property
    def idle(self) -> bool:
        """No session and no shutdown under way: the window may close at once."""
        return self._session is None and self._stopping is None

    def _on_session_started(self) -> None:
        if self._phase is SessionPhase.STARTING:
            self._set_phase(SessionPhase.RUNNING)

    def _on_session_ended(self, reason: str) -> None:
        if self._phase in (SessionPhase.STARTING, SessionPhase.RUNNING) and self._session is not None:
            log.info("The session ended by itself (%s)", reason or "no reason given")
            ending = asyncio.ensure_future(self.stop())
            self._ending.add(ending)  # held until done: the loop keeps only a weak reference to a task
            ending.add_done_callback(self._ending.discard)

    # ------------------------------------------------------------------ gestures
    def press_talk(self) -> None:
        if self._session is not None:
            self._session.press_talk()
        elif self._phase is SessionPhase.LOADING:
            self._start_early_microphone()

    def release_talk(self) -> None:
        if self._session is not None:
            self._session.release_talk()
        elif self._early_microphone is not None:
            self._early_held = False
            self._early_microphone.stop()

    def _start_early_microphone(self) -> None:
        """The user talks while the engine is still loading: listen now; the session takes the words when it starts.

        The microphone is opened here, at the press, because the engine (and its own microphone) is a second away;
        :mod:`desktop_agent.engine.early_microphone` imports neither Pipecat nor Qt, so it loads at once."""
        if self._early_microphone is not None:
            self._early_held = True
            return
        from desktop_agent.engine.early_microphone import EarlyMicrophone

        backend = self._audio_backend
        if backend is None:
            from desktop_agent.engine.audio_backend import SoundDeviceBackend

            backend = SoundDeviceBackend()
        early = EarlyMicrophone(backend, self.input_device)
        if early.start():
            self._early_microphone, self._early_held = early, True
            log.info("Listening before the session is ready")
        else:
            self.problem.emit(
                "The microphone could not be opened yet; wait until the assistant is ready and try again.",
                BannerAction.NONE.value,
            )

    def discard_early_turn(self) -> None:
        """No session is going to start (the engine failed to load, or the settings refused): let the microphone go."""
        early, self._early_microphone = self._early_microphone, None
        if early is not None:
            early.stop()

    def set_mode(self, mode: ev.TurnMode) -> None:
        self._mode = ev.TurnMode(mode)
        if self._session is not None:
            self._session.set_mode(self._mode)
        else:  # no engine to confirm it: show the choice at once
            self._bridge.deliver(ev.ModeChanged(mode=self._mode))

    def set_muted(self, muted: bool) -> None:
        self._muted = bool(muted)
        if self._session is not None:
            self._session.set_muted(self._muted)

    def stop_speaking(self) -> None:
        if self._session is not None:
            self._session.stop_speaking()

    def retry_last_turn(self) -> None:
        """Give the last turn that got no reply again (the engine offered it with ``ErrorOccurred.retry``)."""
        if self._session is not None:
            self._session.retry_last_turn()

    def send_typed_turn(self, text: str, reply_in_text: bool = False) -> bool:
        """A turn typed instead of spoken; its reply is spoken, or only shown with ``reply_in_text``. True when the
        running session took it (else the window keeps the text)."""
        session = self._session
        return (
            session is not None
            and self._phase is SessionPhase.RUNNING
            and session.send_typed_turn(text, reply_in_text=reply_in_text)
        )

    def new_conversation(self) -> None:
        if self._session is not None:
            self._session.new_conversation()
        else:
            self._bridge.deliver(ev.ConversationReset())

    # ------------------------------------------------------------------ settings changes for the running session
    # Each applies at once to the session that runs (the next session reads the settings anyway).
    def set_voice(self, voice_id: str, name: str = "") -> None:
        if self._session is not None:
            self._session.set_voice(voice_id, name)

    def set_language(self, language: str, voice_id: str = "", voice_name: str = "") -> None:
        """The conversation's language from the next turn (speech to text, the reply's language, the voice)."""
        if self._session is not None:
            self._session.set_language(language, voice_id, voice_name)

    def set_system_prompt(self, text: str, name: str = "") -> None:
        if self._session is not None:
            self._session.set_system_prompt(text, name)

    def update_llm(
        self, model: str | None = None, temperature: float | None = None, max_tokens: int | None = None
    ) -> None:
        """What is None stays as it is."""
        if self._session is not None:
            self._session.update_llm(model, temperature, max_tokens)

    def set_devices(self, input_device: Device, output_device: Device) -> None:
        """The microphone and speaker: the running session switches to them, and an early turn opens this input."""
        self.input_device = input_device
        if self._session is not None:
            self._session.set_input_device(input_device)
            self._session.set_output_device(output_device)

    def set_echo_cancellation(self, enabled: bool, noise_suppression: bool | None = None) -> None:
        if self._session is not None:
            self._session.set_echo_cancellation(enabled, noise_suppression)

    def choose_language_model(self, provider_id: str) -> bool:
        """Answer with another language model provider from the next turn, without a new session. False when no
        session runs or it has no way to reach that provider (then a restart is needed: :meth:`restart`)."""
        return self._session is not None and self._session.choose_language_model(provider_id)
