"""The desktop app: QApplication + qasync loop, the main window, and the voice session started from it.

Start-up order matters for how fast the window appears: Qt and the window first; once the window has painted,
the simulator (``--simulate``), the settings, the keyring and the engine (Pipecat, ~1 s of imports, on a worker
thread) load in the background, and then a session starts. The engine runs on its own thread and loop; qasync
serves only the window's own async work. Closing the window stops the pipeline first, then the bridge, then the
history and the simulator, then Qt (architecture.md pitfall 3).

What the console does too (settings, keys, simulator, history, engine configuration, first voice, teardown) is
:class:`~desktop_agent.runtime.Runtime`'s; this module adds the window. Qt, the engine and most of the app are
imported inside the functions that need them, for start-up time; their types come in under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from desktop_agent.runtime import Runtime, SettingsNotSaved, reconfigure_logging

if TYPE_CHECKING:  # the window imports Qt, the engine and the rest lazily: see the module docstring
    import socket
    from types import FrameType

    from PySide6.QtCore import QSocketNotifier

    from desktop_agent.config.loading import LoadedSettings
    from desktop_agent.config.prompts import PromptLibrary
    from desktop_agent.config.secrets import Secrets
    from desktop_agent.config.settings import AppSettings, SettingsStore
    from desktop_agent.engine.audio_backend import AudioBackend
    from desktop_agent.runtime import Simulator
    from desktop_agent.state.cost import PriceTable
    from desktop_agent.state.events import ChoiceUnavailable, ErrorKind, Provider
    from desktop_agent.storage.history import HistoryStore
    from desktop_agent.storage.recorder import HistoryRecorder
    from desktop_agent.summaries.summarizer import SummaryResult
    from desktop_agent.ui.history.history_view import HistoryView
    from desktop_agent.ui.main_window import MainWindow
    from desktop_agent.ui.settings import SettingsDialog, SettingsPage
    from desktop_agent.ui.sound_cues import SoundCues

log = logging.getLogger(__name__)

SCREENSHOT_SETTLE_S = 0.4
_PROCESS_STARTED = time.perf_counter()  # this module is imported first thing by main(): near enough to launch


def _choose_platform(args: argparse.Namespace) -> None:
    """``--screenshot`` needs no display: render offscreen when none is available (Qt would abort otherwise)."""
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    no_display = sys.platform.startswith("linux") and not has_display
    if getattr(args, "screenshot", None) and not os.environ.get("QT_QPA_PLATFORM") and no_display:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


class DesktopApp:
    """The composition root: builds the window, bridge and session controller on the shared
    :class:`~desktop_agent.runtime.Runtime` (settings, keys, simulator, history and their teardown).

    ``simulator``, ``audio_backend`` and ``record_history`` let tests inject their own parts; by default they
    follow the command line (``--simulate``, ``--no-audio``/``--screenshot``). ``tray_available`` says whether the
    desktop shows tray icons (None: ask Qt, which knows only once a tray host answers on the session bus).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        simulator: Simulator | None = None,
        audio_backend: AudioBackend | None = None,
        record_history: bool | None = None,
        autostart: bool = True,
        tray_available: bool | None = None,
    ) -> None:
        from desktop_agent.state.conversation import Conversation
        from desktop_agent.ui import exception_guard
        from desktop_agent.ui.bridge import EngineBridge
        from desktop_agent.ui.desktop_presence import DesktopPresence
        from desktop_agent.ui.main_window import MainWindow
        from desktop_agent.ui.session_controller import SessionController
        from desktop_agent.ui.spending_guard import SpendingGuard

        self.args = args
        screenshot = bool(getattr(args, "screenshot", None))
        self.runtime = Runtime(
            simulate=bool(getattr(args, "simulate", False)),
            profile=getattr(args, "profile", "prd"),
            simulator=simulator,
            record_history=not screenshot if record_history is None else record_history,
        )
        self.audio_backend = audio_backend
        self._wants_memory_audio = audio_backend is None and bool(getattr(args, "no_audio", False) or screenshot)
        self.autostart = autostart
        self.history_window: HistoryView | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._closing = False
        self._close_allowed = False
        self._shutdown: asyncio.Future[None] | None = None
        self._background: set[asyncio.Future[Any]] = set()
        self._loop = asyncio.get_event_loop()
        self.finished: asyncio.Future[int] = self._loop.create_future()
        #: What Python had imported, and how long after launch, when the window first painted (start-up checks).
        self.first_paint_modules: set[str] = set()
        self.first_paint_s = 0.0
        #: Kept alive as long as the loop runs (``_close_on_signals``).
        self.signal_hooks: object = None

        reporter = exception_guard.install()
        self.window = MainWindow()
        reporter.problem.connect(self.window.show_problem)
        self.bridge = EngineBridge(Conversation(), parent=self.window)
        self.window.attach(self.bridge)
        self.controller = SessionController(
            self.bridge, self.runtime.build_engine_config, audio_backend=audio_backend, parent=self.window
        )
        self.spending = SpendingGuard(
            self.window.show_problem, lambda: self._in_background(self.controller.stop()), self._in_background
        )
        self.bridge.add_observer(self.spending.on_change)
        self.controller.start_gate = self.spending.allows_start
        self.controller.phase_changed.connect(self.window.set_phase)
        self.controller.problem.connect(self._on_controller_problem)
        self.window.set_close_handler(self._on_close_requested)
        # Hold-to-talk works from the first paint: words said while the engine loads are kept (early_microphone.py).
        self.window.talk_while_starting = autostart and not self._wants_memory_audio
        self.window.talk_pressed.connect(self.controller.press_talk)
        self.window.talk_released.connect(self.controller.release_talk)
        self.window.mode_requested.connect(self.controller.set_mode)
        self.window.mute_requested.connect(self.controller.set_muted)
        self.window.stop_speaking_requested.connect(self.controller.stop_speaking)
        self.window.new_conversation_requested.connect(self.controller.new_conversation)
        self.window.retry_requested.connect(self.controller.retry_last_turn)
        self.window.set_typed_turn_sender(self.controller.send_typed_turn)
        self.window.session_start_requested.connect(self.controller.start)
        self.window.session_end_requested.connect(lambda: self._in_background(self.controller.stop()))
        self.window.settings_requested.connect(self.open_settings)
        self.window.fix_settings_requested.connect(self.open_settings_for)
        self.window.switch_requested.connect(self.switch_choice)
        self.window.history_requested.connect(self.open_history)
        self.window.status.language_chooser.language_chosen.connect(self.switch_language)

        # The tray, notifications while the window is hidden, sound cues and push-to-talk from any app.
        self.presence = DesktopPresence(
            self.window,
            self.bridge,
            self.controller,
            tray_available=tray_available,
            show_status=self._show_global_talk_status,
        )
        self.tray = self.presence.tray
        self.notifier = self.presence.notifier
        self.global_talk = self.presence.global_talk

    @property
    def cues(self) -> SoundCues | None:
        return self.presence.cues

    def _apply_desktop_settings(self) -> None:
        if self.settings is not None:
            self.presence.apply(self.settings)

    def _show_global_talk_status(self, sentence: str) -> None:
        """Registered, or why not, in one sentence: in the status bar and on Settings > Desktop."""
        if sentence:
            self.window.status.flash(sentence)
        if self.settings_dialog is not None:
            self.settings_dialog.desktop_page.global_talk.show_status(sentence)

    def _in_background(self, coroutine: Coroutine[Any, Any, object]) -> None:
        """Run ``coroutine`` on the loop, holding its task until it ends (the loop keeps only a weak reference)."""
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ what the runtime holds
    @property
    def settings(self) -> AppSettings | None:
        return self.runtime.settings

    @property
    def settings_store(self) -> SettingsStore | None:
        return self.runtime.loaded.store if self.runtime.loaded is not None else None

    @property
    def secrets(self) -> Secrets | None:
        return self.runtime.loaded.secrets if self.runtime.loaded is not None else None

    @property
    def prompts(self) -> PromptLibrary | None:
        return self.runtime.loaded.prompts if self.runtime.loaded is not None else None

    @property
    def simulator(self) -> Simulator | None:
        return self.runtime.simulator

    @property
    def history_store(self) -> HistoryStore | None:
        return self.runtime.history_store

    @property
    def recorder(self) -> HistoryRecorder | None:
        return self.runtime.recorder

    # ------------------------------------------------------------------ start-up
    async def start(self) -> None:
        """Show the window, wait for its first paint, then load everything else in the background."""
        self.window.show()
        await self._first_paint()
        await self._load_settings()
        problem = await self.runtime.start_simulator()  # only with --simulate and no simulator handed in
        if problem:
            self.window.show_problem(problem)
        self._add_fault_menu()
        if self._wants_memory_audio:
            memory_audio = await asyncio.to_thread(__import__, "desktop_agent.engine.memory_audio", fromlist=["x"])
            self.audio_backend = memory_audio.MemoryAudioBackend()
        self.controller.audio_backend = self.audio_backend
        if not await self.controller.load_engine():
            self.controller.discard_early_turn()
            return
        self._reconfigure_logging()
        self._start_history()
        await self._choose_first_voice()
        if not (self.autostart and not self._closing and self.controller.start()):
            self.controller.discard_early_turn()

    async def _first_paint(self, timeout_s: float = 2.0) -> None:
        """Return once the window has painted (or after ``timeout_s`` if it is never exposed, e.g. minimised)."""
        from PySide6.QtCore import QEvent, QObject

        painted: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def note_paint() -> None:
            if not painted.done():
                painted.set_result(True)

        class _PaintWatch(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and not painted.done():
                    asyncio.get_running_loop().call_soon(note_paint)
                return False

        watch = _PaintWatch(self.window)
        self.window.installEventFilter(watch)
        self.window.update()
        try:
            await asyncio.wait_for(painted, timeout_s)
        except TimeoutError:
            log.info("The window was not painted within %.1f s; loading the engine anyway", timeout_s)
        finally:
            self.window.removeEventFilter(watch)
            watch.deleteLater()
        self.first_paint_modules = set(sys.modules)
        self.first_paint_s = time.perf_counter() - _PROCESS_STARTED

    async def _load_settings(self) -> None:
        try:
            loaded = await self.runtime.load_settings()  # on a worker thread; a failure is logged there
        except Exception as exc:  # noqa: BLE001 - the app still runs on defaults; the sentence says what happened
            self.window.show_problem(f"Your settings could not be loaded ({type(exc).__name__}); using the defaults.")
            return
        for problem in loaded.problems:
            self.window.show_problem(problem)
        self.apply_settings()

    def apply_settings(self) -> None:
        """Show the settings that concern the window (budgets, push-to-talk key, prices, turn mode)."""
        from desktop_agent.state.events import Provider
        from desktop_agent.ui.push_to_talk_key import key_from_text

        settings = self.settings
        if settings is None:
            return
        self.controller.input_device = settings.audio.input_device
        self.window.set_budgets(settings.budgets)
        self.window.key_filter.set_key(key_from_text(settings.audio.push_to_talk_key))
        self.window.set_talk_key_name(self.window.key_filter.key_name())
        self.bridge.conversation.cost.prices = settings.prices
        self.spending.set_limits(settings.spending.limits())
        self.window.set_provider_names({role: settings.providers.spec(role).display_name for role in Provider})
        self.window.status.language_chooser.offer(settings.providers.spec(Provider.STT), settings.models.stt_language)
        if self.controller.session is None and settings.conversation.mode is not self.controller.mode:
            self.controller.set_mode(settings.conversation.mode)
        self.presence.apply(settings)

    def _add_fault_menu(self) -> None:
        """With ``--simulate``, a Faults menu switches the simulator's faults, to watch the app heal."""
        if not self.runtime.simulating:
            return
        from desktop_agent.simulator.fault_presets import FaultControls
        from desktop_agent.ui.fault_menu import FaultMenu

        controls = FaultControls(self.runtime.simulator, emulators=self.runtime.emulators_playing)
        self.window.add_fault_menu(FaultMenu(controls, self.window))

    def _reconfigure_logging(self) -> None:
        """Pipecat's import may have reset loguru; route it to the app's log again (and say so if it cannot be
        written, e.g. in a read-only home folder: everything else still logs to stderr)."""
        problem = reconfigure_logging(getattr(self.args, "log_level", "INFO"))
        if problem:
            self.window.show_problem(problem)

    def _start_history(self) -> None:
        """Open the history (when it is kept) and record the live conversation into it."""
        if self.runtime.recorder is not None:
            return
        for problem in self.runtime.open_history(
            on_error=self._history_error_from_thread, on_summary=self._summary_from_thread
        ):
            self.window.show_problem(problem)
        recorder = self.runtime.recorder
        if recorder is not None:
            self.bridge.add_observer(recorder.on_change)
        self.spending.use_history(self.runtime.history_store)
        if self.history_window is not None:  # opened before the history was: it showed it as unavailable
            self.history_window.set_store(self.runtime.history_store)
            self.history_window.set_continue_available(self.runtime.history_store is not None)

    def _summary_from_thread(self, result: SummaryResult) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: the app is gone, nothing to show
            self._loop.call_soon_threadsafe(self._show_summary, result)

    def _show_summary(self, result: SummaryResult) -> None:
        """A conversation's summary was saved (the history window shows it) or not (one sentence says why)."""
        if self._closing:
            return
        self.window.status.flash(result.sentence)
        if self.history_window is not None and self.history_window.isVisible():
            self.history_window.refresh()
            shown = self.history_window.reader.conversation
            if shown is not None and shown.id == result.conversation_id:
                self.history_window.open_conversation(result.conversation_id)

    def _history_error_from_thread(self, message: str) -> None:
        from desktop_agent.ui import exception_guard

        reporter = exception_guard.reporter
        if reporter is not None:
            reporter.problem.emit(message)  # a queued hop onto the Qt thread

    # ------------------------------------------------------------------ session configuration
    def _on_controller_problem(self, message: str, action: str) -> None:
        from desktop_agent.state.events import ErrorKind
        from desktop_agent.ui.error_banner import BannerAction

        banner_action = BannerAction(action)
        kind = ErrorKind.CONFIG if banner_action is BannerAction.OPEN_SETTINGS else None
        self.window.show_problem(message, banner_action, kind)

    # ------------------------------------------------------------------ settings and history windows
    def open_settings_for(self, kind: ErrorKind | None = None) -> None:
        """The banner's "Open Settings": keys for rejected or missing keys, audio for device problems, prices (with
        the spending limits) for a budget used up."""
        from desktop_agent.state.events import ErrorKind
        from desktop_agent.ui.settings import SettingsPage

        pages = {
            ErrorKind.AUTH: SettingsPage.KEYS,
            ErrorKind.CONFIG: SettingsPage.KEYS,
            ErrorKind.AUDIO_DEVICE: SettingsPage.AUDIO,
            ErrorKind.BUDGET: SettingsPage.PRICES,
        }
        self.open_settings(pages.get(kind) if kind is not None else None)

    def open_settings(self, page: SettingsPage | None = None) -> None:
        """Show the (non-modal) settings dialog, creating and wiring it on first use."""
        loaded = self.runtime.loaded
        if loaded is None:
            self.window.status.flash("Settings are still loading; try again in a moment.")
            return
        if self.settings_dialog is None:
            self.settings_dialog = self._build_settings_dialog(loaded)
        if page is not None:
            self.settings_dialog.show_page(page)
        else:
            self.settings_dialog.show()
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()

    def _build_settings_dialog(self, loaded: LoadedSettings) -> SettingsDialog:
        from desktop_agent.ui.settings import SettingsDialog

        dialog = SettingsDialog(
            loaded.store,
            loaded.settings,
            loaded.secrets,
            loaded.prompts,
            simulator=self.runtime.simulator,
            audio_backend=self.audio_backend,
            problems=loaded.problems,
            tray_available=self.tray is not None,
            tools=loaded.tools,
            tool_secrets=loaded.tool_secrets,
            parent=self.window,
        )
        dialog.desktop_page.global_talk.show_status(self.global_talk.status)
        controller = self.controller  # changes that apply to the running session at once
        dialog.voice_changed.connect(controller.set_voice)
        dialog.prompt_changed.connect(controller.set_system_prompt)
        dialog.llm_changed.connect(controller.update_llm)
        dialog.models_page.language_changed.connect(self.switch_language)
        dialog.devices_changed.connect(controller.set_devices)
        dialog.echo_changed.connect(controller.set_echo_cancellation)
        dialog.mode_changed.connect(controller.set_mode)
        dialog.vad_changed.connect(
            lambda *_: self._note_next_session("Voice detection changes apply from the next session.")
        )
        dialog.push_to_talk_key_changed.connect(lambda _key: self.apply_settings())
        dialog.budgets_changed.connect(self.window.set_budgets)
        dialog.prices_changed.connect(self._apply_prices)
        dialog.spending_changed.connect(self.spending.set_limits)
        dialog.history_settings_changed.connect(self._apply_privacy)
        dialog.summaries_changed.connect(self.runtime.set_summaries)
        dialog.desktop_changed.connect(lambda *_: self._apply_desktop_settings())
        dialog.delete_history_requested.connect(lambda: self._in_background(self._delete_history()))
        dialog.keys_changed.connect(lambda: self._note_next_session("New keys apply from the next session."))
        dialog.restart_needed.connect(self._note_next_session)
        dialog.provider_changed.connect(self._provider_changed)
        return dialog

    # ------------------------------------------------------------------ voices and models the providers retire
    async def _choose_first_voice(self) -> None:
        """No voice saved yet (a first run): choose one of the account's own and save it (not on the simulator)."""
        chosen = await self.runtime.choose_first_voice()
        if chosen is not None and chosen.not_saved is not None:
            self.window.show_problem(str(chosen.not_saved))

    def switch_choice(self, choice: ChoiceUnavailable) -> None:
        """The banner's "Switch to …": use the model or voice offered instead of one no longer offered, in the
        running session at once and in every later one."""
        from desktop_agent.state.events import Provider

        settings = self.settings
        if settings is None or not choice.replacement:
            return
        name = choice.replacement_name or choice.replacement
        if choice.provider is Provider.LLM:
            settings.models.llm_model = choice.replacement
            self.controller.update_llm(choice.replacement)
        else:
            settings.voice.voice_id, settings.voice.voice_name = choice.replacement, name
            self.controller.set_voice(choice.replacement, name)
        if self.settings_dialog is not None:  # its pages show what they were opened with
            self.settings_dialog.models_page.show_llm_model(settings.models.llm_model)
            self.settings_dialog.voice_page.show_current()
        if self._save_settings():
            self.window.status.flash(f"Switched to {name}.")

    def switch_language(self, code: str) -> None:
        """The conversation's language, chosen in the status bar or Settings: the running session switches from the
        next turn (speech to text, the reply's language, the voice), and the settings keep it for the next one. When
        the voice cannot speak the language, one that can is chosen first (the voice list is asked)."""
        from desktop_agent.config.prompts import preset_for_language

        settings, prompts = self.settings, self.prompts
        preset = None
        if settings is not None and prompts is not None:
            preset = preset_for_language(prompts, settings.prompt.active, code)
        if preset is not None:  # the shipped voice assistant follows the language (its version written in it)
            assert settings is not None
            settings.prompt.active = preset.name
            self.controller.set_system_prompt(preset.text, preset.name)
            self.window.status.flash(f"The prompt is now {preset.name}.")
        if settings is not None and (settings.models.stt_language != code or preset is not None):
            settings.models.stt_language = code
            self._save_settings()
        self.window.status.language_chooser.show_language(code)
        self._in_background(self._switch_language_and_voice(code))

    async def _switch_language_and_voice(self, code: str) -> None:
        from desktop_agent.config.language_voice import voice_sentence

        chosen = await self.runtime.voice_for_language(code)
        settings = self.settings
        if settings is not None and settings.models.stt_language != code:
            return  # another language was chosen while the voice list answered: that switch applies
        if chosen is None:
            self.controller.set_language(code)
            return
        self.controller.set_language(code, chosen.voice.voice_id, chosen.voice.name)
        if self.settings_dialog is not None:  # its voice page shows what it was opened with
            self.settings_dialog.voice_page.show_current()
        if chosen.not_saved is not None:
            self.window.show_problem(str(chosen.not_saved))
        self.window.status.flash(voice_sentence(chosen.voice, code))

    def _save_settings(self) -> bool:
        """Write the settings; a failure is a sentence in the window (the change still applies to this session)."""
        try:
            return self.runtime.save_settings()
        except SettingsNotSaved as exc:
            self.window.show_problem(str(exc))
            return False

    def _provider_changed(self, role: Provider) -> None:
        """Another provider plays ``role`` from the next turn: a language model switches in the running session (it
        has no connection to make); for a speech provider the session is restarted with the conversation carried on
        (its connection is opened afresh)."""
        from desktop_agent.state.events import Provider

        self.apply_settings()
        settings = self.settings
        if settings is None or self.controller.session is None:
            return
        spec = settings.providers.spec(role)
        if role is Provider.LLM and self.controller.choose_language_model(spec.id):
            self.window.status.flash(f"{spec.display_name} answers from the next turn.")
            return
        self.window.status.flash(
            f"Connecting to {spec.display_name} for the {role.role_name}; the conversation goes on."
        )
        self._in_background(self.controller.restart())

    def _note_next_session(self, sentence: str) -> None:
        if self.controller.session is not None:
            self.window.status.flash(f"{sentence} End and start the session to use them now.")

    def _apply_prices(self, prices: PriceTable) -> None:
        self.bridge.conversation.cost.prices = prices
        self.window.status.refresh_usage(self.bridge.conversation)

    def _apply_privacy(self, keep_history: bool, retention_days: int) -> None:
        recorder = self.runtime.recorder
        if recorder is not None:
            recorder.set_privacy(keep_history, retention_days)
        elif keep_history:
            self._start_history()  # the runtime opens it only where history is recorded at all

    async def _delete_history(self) -> None:
        store = self.runtime.history_store
        if store is None:
            return
        from desktop_agent.storage.history import ConversationHistoryUnavailable

        try:
            count = await asyncio.to_thread(store.delete_all)
        except ConversationHistoryUnavailable as exc:
            self.window.show_problem(str(exc))
            return
        self.window.status.flash(f"Deleted {count} stored conversation{'s' if count != 1 else ''}.")
        if self.history_window is not None:
            self.history_window.refresh()

    def open_history(self) -> None:
        from PySide6.QtCore import Qt

        from desktop_agent.ui.history.history_view import HistoryView

        if self.history_window is None:
            store = self.runtime.history_store
            reason = "" if store is not None else "History is off or could not be opened (see Settings > Privacy)."
            self.history_window = HistoryView(store, unavailable_reason=reason)
            self.history_window.setWindowFlag(Qt.WindowType.Window, True)
            self.history_window.resize(900, 600)
            self.history_window.set_continue_available(store is not None)
            self.history_window.continue_requested.connect(
                lambda conversation_id: self._in_background(self.continue_conversation(conversation_id))
            )
        self.history_window.show()
        self.history_window.raise_()
        self.history_window.activateWindow()

    async def continue_conversation(self, conversation_id: int) -> bool:
        """Continue a past conversation (History > Continue): the running session ends (its conversation is saved
        and summarized as any that ends), and a new one starts whose language model remembers the past one's turns
        (the transcript shows them, then "Continued from <date>"); what is said next is saved to that same
        conversation. False, after saying why, when it could not start."""
        from desktop_agent.state import events as ev
        from desktop_agent.storage.history import ConversationHistoryUnavailable
        from desktop_agent.ui.untrusted_text import shown_name

        try:
            continuation = await self.runtime.continuation(conversation_id)
        except ConversationHistoryUnavailable as exc:
            self.window.show_problem(str(exc))
            return False
        if continuation is None or self._closing:
            if continuation is None:
                self.window.status.flash("That conversation is no longer in the history.")
            return False
        await self.controller.stop()
        # The window's transcript starts afresh with what the assistant remembers of the conversation, then a divider.
        self.bridge.deliver(ev.ConversationReset())
        self.bridge.deliver(ev.ConversationContinued(continuation.started_at, continuation.turns))
        self.bridge.flush()
        self.runtime.continue_recording(continuation)
        if not self.controller.continue_with(continuation.messages):
            return False
        title = shown_name(continuation.title, 60) or "the conversation"
        self.window.status.flash(f"Continuing “{title}”: the assistant remembers what was said.")
        self.window.raise_()
        self.window.activateWindow()
        return True

    # ------------------------------------------------------------------ shutdown
    def _on_close_requested(self) -> bool:
        if self._close_allowed or self.controller.idle:
            self._close_allowed = True
            self._in_background(self.shutdown())
            return True
        if not self._closing:
            self._closing = True
            self._in_background(self._stop_then_close())
        return False

    async def _stop_then_close(self) -> None:
        await self.controller.stop()
        self._close_allowed = True
        self.window.close()

    async def shutdown(self, exit_code: int = 0) -> None:
        """Stop the session (pipeline first), the bridge and the other windows, then the runtime (history written and
        closed, simulator stopped); then resolve :attr:`finished`. The window may close from then on.

        Idempotent: the first call does the work (its ``exit_code`` counts), later ones wait for it."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._shut_down(exit_code))
        await asyncio.shield(self._shutdown)

    async def _shut_down(self, exit_code: int) -> None:
        self._closing = True
        try:
            self.presence.stop_global_talk()
            await self.controller.stop()
            self.bridge.flush()
            self.bridge.close()
            if self.history_window is not None:
                self.history_window.close()
            if self.settings_dialog is not None:
                self.settings_dialog.close()
            await self.presence.close()
        finally:
            await self.runtime.aclose()
            self._close_allowed = True
            if not self.finished.done():
                self.finished.set_result(exit_code)

    # ------------------------------------------------------------------ --screenshot
    async def run_screenshot(self, path: Path) -> int:
        from desktop_agent.ui.scripted_exchange import ScriptedExchange

        try:
            exchange = ScriptedExchange(self.window, self.controller, self.audio_backend, self.runtime.simulator)
            await exchange.run()
            await asyncio.sleep(SCREENSHOT_SETTLE_S)
            if not self.window.grab().save(str(path), "PNG"):
                raise OSError(f"could not write {path}")
        except Exception as exc:  # a failed screenshot is reported as one line and a non-zero exit
            log.debug("The screenshot run failed", exc_info=True)  # details with --log-level DEBUG
            print(f"desktop-agent: the screenshot could not be made: {exc}", file=sys.stderr)
            return 1
        print(f"Saved a screenshot of the window to {path}")
        return 0


def _screenshot_folder_problem(path: Path) -> str | None:
    """Checked before anything starts, so a bad path fails in a second, not after a whole exchange."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"the folder {path.parent} cannot be created ({exc.strerror or exc})"
    return None


def _close_on_signals(window: MainWindow) -> tuple[socket.socket, socket.socket, QSocketNotifier]:
    """Ctrl+C or SIGTERM quits (closes the window even with close-to-tray on), so the session shuts down cleanly
    instead of being killed mid-write.

    Python runs signal handlers only between bytecodes, and Qt's loop may sit in C++ for long; the wakeup fd
    written by the C-level handler makes Qt wake up and run Python at once (no polling timer).
    """
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier, QTimer

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, window)

    def drain() -> None:
        with contextlib.suppress(BlockingIOError):
            reader.recv(64)

    notifier.activated.connect(drain)

    def on_signal(number: int, _frame: FrameType | None) -> None:
        log.info("Signal %d received: closing the window", number)
        QTimer.singleShot(0, window.quit)

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, on_signal)
    return reader, writer, notifier  # kept alive by the caller


async def _run(app_args: argparse.Namespace) -> int:
    if app_args.screenshot:
        problem = _screenshot_folder_problem(Path(app_args.screenshot))
        if problem:
            print(f"desktop-agent: the screenshot could not be made: {problem}", file=sys.stderr)
            return 1
    desktop = DesktopApp(app_args)
    desktop.signal_hooks = _close_on_signals(desktop.window)  # the socket pair must live as long as the loop
    try:
        await desktop.start()
        if app_args.screenshot:
            code = await desktop.run_screenshot(Path(app_args.screenshot))
            await desktop.shutdown(code)
            desktop.window.quit()
            return code
        return await desktop.finished
    finally:
        await desktop.shutdown(1)  # every way out, a failed start too; after a clean shutdown it has nothing to do


def main(args: argparse.Namespace) -> int:
    """Run the window until it is closed; returns the process exit code.

    Raises :class:`~desktop_agent.system_libraries.MissingSystemLibrary` before anything starts when a system
    library that Qt or (with real audio) PortAudio needs is not installed.
    """
    _choose_platform(args)
    from desktop_agent.system_libraries import require_sound_library, require_window_libraries

    require_window_libraries()
    if not (getattr(args, "no_audio", False) or getattr(args, "screenshot", None)):
        require_sound_library()
    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop_agent.config.logging_setup import configure_logging
    from desktop_agent.ui.icons import app_icon
    from desktop_agent.ui.script_fonts import with_script_fallbacks

    with contextlib.suppress(OSError):  # logging goes to stderr; the window says so once it is up
        configure_logging(getattr(args, "log_level", "INFO"))
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))  # the app creates no other kind
    app.setApplicationName("desktop-agent")
    app.setApplicationDisplayName("Desktop Agent")
    app.setDesktopFileName("desktop-agent")
    app.setWindowIcon(app_icon())
    app.setFont(with_script_fallbacks(app.font()))  # every widget finds a font for the Indian scripts and Arabic
    app.setQuitOnLastWindowClosed(False)  # quitting waits for the clean shutdown in DesktopApp
    from desktop_agent.ui.qt_thread_collector import QtThreadCollector

    collector = QtThreadCollector(app)
    collector.start()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(_run(args))
    except KeyboardInterrupt:
        return 130
    finally:
        collector.stop()
