"""What the window and the console share, assembled the same way for both: settings, keys and prompt presets, the
built-in simulator (``--simulate``), the conversation history, the engine configuration of a new session, the
first run's voice, saving the settings, and the teardown of all that.

Each front end keeps its own words and order: the methods here return or raise what happened (sentences, a
:class:`SettingsNotSaved`), and the window shows it on its banner while the console prints it.

No Qt (tests/engine/test_import_boundaries.py checks) and nothing heavy at import time: the window imports this
module before its first paint, so the settings, keyring, simulator and history modules are imported by the methods
that use them.

Teardown: :meth:`Runtime.aclose` closes the history recorder and store and stops a simulator this runtime started,
once, however often and from however many exit paths it is called. Call it after the session has stopped, so the
recorder writes the last turns before the store closes. After it, nothing is opened or started again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_agent.config.engine_config import SimulatorAddresses
    from desktop_agent.config.loading import LoadedSettings
    from desktop_agent.config.settings import AppSettings
    from desktop_agent.config.voices import Voice
    from desktop_agent.engine.config import EngineConfig
    from desktop_agent.simulator.thread import SimulatorThread
    from desktop_agent.state.events import EarlierTurn
    from desktop_agent.storage.history import HistoryStore
    from desktop_agent.storage.recorder import HistoryRecorder
    from desktop_agent.summaries.summarizer import LanguageModelTarget, Summarizer, SummaryResult

    #: A simulator handed in (tests, the benchmark): anything that gives each emulator's address.
    Simulator = SimulatorAddresses | SimulatorThread

log = logging.getLogger(__name__)

SETTINGS_STILL_LOADING = "The settings are still loading; try again in a moment."
SIMULATOR_MISSING = (
    "The simulator did not start, so no conversation starts: --simulate never uses your keys or the real "
    "providers. Restart the app with --simulate to try again, or without it to use your keys."
)


class SettingsNotSaved(Exception):
    """The settings file could not be written; the change still applies to this run.

    ``str(exc)`` is the window's sentence; ``reason`` says why in plain words, for a front end that words it itself.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"Settings could not be saved to {path} ({reason}); the change applies to this session only.")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Continuation:
    """A past conversation to continue: its id and title, the language model's messages it carries on (and the
    turns they come from, which the window shows), and its last stored turn number and start (the new turns are
    stored after it, in the same conversation)."""

    conversation_id: int
    title: str
    messages: list[dict]
    last_seq: int
    started_at: float
    turns: tuple[EarlierTurn, ...] = ()


@dataclass(frozen=True, slots=True)
class FirstVoice:
    """A voice the app chose (a first run's, or one that speaks a newly chosen language), already in the settings.
    ``not_saved`` is set when it could not be saved."""

    voice: Voice
    not_saved: SettingsNotSaved | None = None


def reconfigure_logging(log_level: str, *, to_stderr: bool = True) -> str:
    """Route the app's logging to its log file (again: Pipecat's import resets loguru); "" or the sentence saying
    the file cannot be written (a read-only home: everything else still logs, to stderr if ``to_stderr``)."""
    from desktop_agent.config.logging_setup import configure_logging, log_file_sentence

    try:
        configure_logging(log_level, to_stderr=to_stderr)
    except OSError as exc:
        return log_file_sentence(exc)
    return ""


class Runtime:
    """The shared assembly; see the module docstring.

    ``simulate`` and ``profile`` follow ``--simulate`` and ``--profile``; ``simulator`` is one handed in (tests,
    the benchmark), which this runtime uses but never stops. ``record_history`` False keeps history closed whatever
    the settings say (tests, ``--screenshot``); ``config_dir`` replaces the user's settings folder (tests).
    """

    def __init__(
        self,
        *,
        simulate: bool = False,
        profile: str = "prd",
        simulator: Simulator | None = None,
        record_history: bool = True,
        config_dir: Path | None = None,
    ) -> None:
        self.simulate = simulate
        self.profile = profile
        self.simulator: Simulator | None = simulator
        self.record_history = record_history
        self._config_dir = config_dir
        #: The settings, keys and prompt presets, once :meth:`load_settings` has read them.
        self.loaded: LoadedSettings | None = None
        self.history_store: HistoryStore | None = None
        self.recorder: HistoryRecorder | None = None
        #: Summarizes conversations when they end (Settings > Privacy > Summaries); open with the history.
        self.summarizer: Summarizer | None = None
        self._owned_simulator: SimulatorThread | None = None
        self._closing: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ settings
    @property
    def settings(self) -> AppSettings | None:
        return self.loaded.settings if self.loaded is not None else None

    async def load_settings(self) -> LoadedSettings:
        """Read the settings, keys and prompt presets on a worker thread (files and the keyring block).

        ``problems`` of the result are sentences about values replaced by defaults. A failure is logged here and
        raised for the front end to word (the window goes on with defaults, the console cannot start)."""
        from desktop_agent.config.loading import load_settings

        try:
            loaded = await asyncio.to_thread(load_settings, self._config_dir)
        except Exception:
            log.exception("Loading the settings failed")
            raise
        self.loaded = loaded
        return loaded

    def save_settings(self) -> bool:
        """Write the settings file; False when there is nothing to write (not loaded). Raises
        :class:`SettingsNotSaved` when the file cannot be written."""
        loaded = self.loaded
        if loaded is None:
            return False
        from desktop_agent.config.local_files import error_words

        try:
            loaded.store.save(loaded.settings)
        except OSError as exc:
            raise SettingsNotSaved(loaded.store.path, error_words(exc)) from exc
        return True

    async def choose_first_voice(self) -> FirstVoice | None:
        """No voice saved yet (a first run): choose one of the account's own and save it (not on the simulator, whose
        account is not the user's). None when a voice is saved already, none could be chosen, or nothing is loaded."""
        loaded = self.loaded
        if loaded is None:
            return None
        from desktop_agent.config.first_voice import choose_first_voice

        voice = await choose_first_voice(loaded.settings, loaded.secrets, self.simulator)
        if voice is None or self.simulator is not None:
            return None if voice is None else FirstVoice(voice)
        try:
            self.save_settings()
        except SettingsNotSaved as exc:
            return FirstVoice(voice, exc)
        return FirstVoice(voice)

    async def voice_for_language(self, language: str) -> FirstVoice | None:
        """The voice follows the language: when the saved voice cannot speak ``language``, one that can is chosen and
        saved (not on the simulator, as for a first run). None when the voice stays, or ``language`` is no longer
        the conversation's by the time the voice list answered (the user chose another meanwhile)."""
        loaded = self.loaded
        if loaded is None:
            return None
        from desktop_agent.config.language_voice import voice_for_language

        settings = loaded.settings
        voice = await voice_for_language(settings, loaded.secrets, language, settings.voice.voice_id, self.simulator)
        if voice is None or settings.models.stt_language != language:
            return None
        settings.voice.voice_id, settings.voice.voice_name = voice.voice_id, voice.name
        if self.simulator is not None:
            return FirstVoice(voice)
        try:
            self.save_settings()
        except SettingsNotSaved as exc:
            return FirstVoice(voice, exc)
        return FirstVoice(voice)

    def build_engine_config(self) -> EngineConfig:
        """The engine configuration for a new session, on the simulator's addresses and keys when there is one.

        Raises ``ValueError`` before the settings are loaded and
        :class:`~desktop_agent.config.engine_config.ConfigurationError` (a ``ValueError`` with ``problems``) when
        they cannot start a session."""
        loaded = self.loaded
        if loaded is None:
            raise ValueError(SETTINGS_STILL_LOADING)
        if self.simulate and self.simulator is None:
            # --simulate promises no network and no keys: never fall back to the real providers.
            raise ValueError(SIMULATOR_MISSING)
        from desktop_agent.config.engine_config import build_engine_config

        return build_engine_config(
            loaded.settings,
            loaded.secrets,
            loaded.prompts,
            simulator=self.simulator,
            tools=loaded.tools,
            tool_secrets=loaded.tool_secrets,
        )

    # ------------------------------------------------------------------ simulator
    @property
    def simulating(self) -> bool:
        """``--simulate`` with a simulator to talk to: its faults can be switched (the Faults menu, ``f``)."""
        return self.simulate and self.simulator is not None

    def emulators_playing(self) -> dict[Any, str]:
        """The simulator's emulator playing each role under the current settings (the fault presets act on these)."""
        from desktop_agent.config.settings import AppSettings
        from desktop_agent.state.events import Provider

        settings = self.settings if self.settings is not None else AppSettings()
        return {role: settings.providers.spec(role).emulator for role in Provider}

    async def start_simulator(self) -> str:
        """With ``--simulate`` and no simulator handed in, start the built-in one on its own thread (it is stopped by
        :meth:`aclose`). Returns "" or the sentence saying it could not start."""
        if not self.simulate or self.simulator is not None or self._closing is not None:
            return ""
        from desktop_agent.simulator import start_simulator_thread

        simulator, problem = await start_simulator_thread(self.profile)
        if simulator is None:
            return problem
        if self._closing is not None:  # torn down while it was starting: the teardown did not see it
            await asyncio.to_thread(simulator.stop)
            return ""
        self.simulator = self._owned_simulator = simulator
        return ""

    # ------------------------------------------------------------------ history
    def open_history(
        self,
        on_error: Callable[[str], None] | None = None,
        on_summary: Callable[[SummaryResult], None] | None = None,
    ) -> list[str]:
        """Open the history store, its recorder and the summarizer, if history is kept and recorded; the sentences to
        show (why it could not be opened, or what was repaired while opening). Does nothing once open or after the
        teardown. With summaries on, those an earlier run left due are made now.

        ``on_error`` gets the recorder's sentences when writing fails, on the recorder's writer thread;
        ``on_summary`` each summary's outcome, on the summarizer's thread."""
        settings = self.settings
        if (
            self.history_store is not None
            or self._closing is not None
            or not self.record_history
            or settings is None
            or not settings.privacy.keep_history
        ):
            return []
        from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore
        from desktop_agent.storage.recorder import HistoryRecorder

        try:
            store = HistoryStore()
        except ConversationHistoryUnavailable as exc:
            return [str(exc)]
        from desktop_agent.summaries.summarizer import Summarizer

        self.history_store = store
        self.summarizer = Summarizer(store, self.summary_target, self._summary_fields, on_result=on_summary)
        self.recorder = HistoryRecorder(
            store,
            keep_history=settings.privacy.keep_history,
            retention_days=settings.privacy.retention_days,
            on_error=on_error,
            summaries=settings.privacy.summaries,
            on_finished=self.summarizer.request,
        )
        if settings.privacy.summaries:
            self.summarizer.request_due()
        return store.problems

    def set_summaries(self, enabled: bool) -> None:
        """Settings > Privacy > Summaries switched: conversations that end from now on are summarized, or not."""
        if self.recorder is not None:
            self.recorder.summaries = enabled
        if enabled and self.summarizer is not None:
            self.summarizer.request_due()

    def summary_target(self) -> LanguageModelTarget:
        """The language model the settings choose, where the summaries' requests go (the simulator's with
        ``--simulate``). Raises ``ValueError`` with the sentence saying why there is none."""
        from desktop_agent import providers
        from desktop_agent.summaries.summarizer import LanguageModelTarget

        config = self.build_engine_config()
        spec = providers.get(config.llm_provider)
        model = spec.model_or_default(config.llm_model)
        return LanguageModelTarget(
            config.llm.base_url or spec.default_url, config.llm.api_key, model, spec.reasoning_effort(model)
        )

    def _summary_fields(self) -> dict:
        from desktop_agent.config.settings import PrivacySettings
        from desktop_agent.summaries.fields_schema import parse_fields_schema

        settings = self.settings
        return parse_fields_schema((settings.privacy if settings is not None else PrivacySettings()).summary_fields)

    async def continuation(self, conversation_id: int) -> Continuation | None:
        """What a session needs to continue the stored conversation ``conversation_id``: its turns as the language
        model's messages (as many past exchanges as the settings keep) and where its new turns go. None when it is
        no longer in the history. Raises ``ConversationHistoryUnavailable`` when the history cannot be read."""
        store = self.history_store
        if store is None:
            return None
        conversation = await asyncio.to_thread(store.get_conversation, conversation_id)
        if conversation is None:
            return None
        from desktop_agent.storage.continuation import as_messages, remembered_turns

        settings = self.settings
        keep = settings.conversation.max_history_exchanges if settings is not None else 20
        turns = remembered_turns(conversation, keep)
        return Continuation(
            conversation.id,
            conversation.title,
            as_messages(turns),
            conversation.last_seq,
            conversation.started_at,
            turns,
        )

    async def last_continuation(self) -> Continuation | None:
        """:meth:`continuation` of the most recent conversation in the history; None when there is none."""
        store = self.history_store
        if store is None:
            return None
        latest = await asyncio.to_thread(store.list_conversations, "", 1)
        return await self.continuation(latest[0].id) if latest else None

    def continue_recording(self, continuation: Continuation) -> None:
        """The live conversation's next turns go to the continued one (call once the live transcript is cleared)."""
        if self.recorder is not None:
            self.recorder.continue_conversation(
                continuation.conversation_id, continuation.last_seq, continuation.started_at
            )

    # ------------------------------------------------------------------ teardown
    @property
    def closed(self) -> bool:
        """The teardown has begun (it may still be under way)."""
        return self._closing is not None

    async def aclose(self) -> None:
        """Write what the recorder holds, close the history store, stop the simulator this runtime started.

        Idempotent: the first call does the work, later ones (and concurrent ones) wait for it. The blocking steps run
        on worker threads; a step that fails is logged and the others still run."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        recorder, store, simulator = self.recorder, self.history_store, self._owned_simulator
        summarizer = self.summarizer
        if recorder is not None:
            await _step("closing the history recorder", recorder.close)
        if summarizer is not None:  # a few seconds at most; what is left is summarized at the next start
            await _step("finishing the summaries", summarizer.close)
        if store is not None:
            await _step("closing the history store", store.close)
        if simulator is not None:
            await _step("stopping the simulator", simulator.stop)


async def _step(what: str, blocking: Callable[[], object]) -> None:
    try:
        await asyncio.to_thread(blocking)
    except Exception:  # a teardown step must not keep the others from running
        log.exception("Teardown: %s failed", what)
