"""The desktop app: QApplication + qasync loop, the main window, and the voice session started from it.

Start-up order matters for how fast the window appears: Qt and the window first; once the window has painted,
the simulator (``--simulate``), the settings, the keyring and the engine (Pipecat, ~1 s of imports, on a worker
thread) load in the background, and then a session starts. The engine runs on its own thread and loop; qasync
serves only the window's own async work. Closing the window stops the pipeline first, then the bridge, then Qt
(architecture.md pitfall 3).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SCREENSHOT_SETTLE_S = 0.4
_PROCESS_STARTED = time.perf_counter()  # this module is imported first thing by main(): near enough to launch


def _choose_platform(args: argparse.Namespace) -> None:
    """``--screenshot`` needs no display: render offscreen when none is available (Qt would abort otherwise)."""
    if getattr(args, "screenshot", None) and not os.environ.get("QT_QPA_PLATFORM"):
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"


class DesktopApp:
    """The composition root: builds the window, bridge, session controller, settings, history and simulator.

    ``simulator``, ``audio_backend`` and ``record_history`` let tests inject their own parts; by default they
    follow the command line (``--simulate``, ``--no-audio``/``--screenshot``).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        simulator: Any = None,
        audio_backend: Any = None,
        record_history: bool | None = None,
        autostart: bool = True,
    ) -> None:
        from desktop_agent.state.conversation import Conversation
        from desktop_agent.ui import exception_guard
        from desktop_agent.ui.bridge import EngineBridge
        from desktop_agent.ui.main_window import MainWindow
        from desktop_agent.ui.session_controller import SessionController

        self.args = args
        self.simulator = simulator
        self._owns_simulator = simulator is None and bool(getattr(args, "simulate", False))
        self.audio_backend = audio_backend
        self._wants_memory_audio = audio_backend is None and bool(getattr(args, "no_audio", False) or getattr(args, "screenshot", None))
        self.record_history = (not getattr(args, "screenshot", None)) if record_history is None else record_history
        self.autostart = autostart
        self.settings: Any = None
        self.settings_store: Any = None
        self.secrets: Any = None
        self.prompts: Any = None
        self.history_store: Any = None
        self.recorder: Any = None
        self.history_window: Any = None
        self.settings_dialog: Any = None
        self._settings_problems: list[str] = []
        self._closing = False
        self._close_allowed = False
        self.finished: asyncio.Future[int] = asyncio.get_event_loop().create_future()

        reporter = exception_guard.install()
        self.window = MainWindow()
        reporter.problem.connect(self.window.show_problem)
        self.bridge = EngineBridge(Conversation(), parent=self.window)
        self.window.attach(self.bridge)
        self.controller = SessionController(
            self.bridge, self._build_engine_config, audio_backend=audio_backend, parent=self.window
        )
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
        self.window.session_start_requested.connect(self.controller.start)
        self.window.session_end_requested.connect(lambda: asyncio.ensure_future(self.controller.stop()))
        self.window.settings_requested.connect(self.open_settings)
        self.window.fix_settings_requested.connect(self.open_settings_for)
        self.window.switch_requested.connect(self.switch_choice)
        self.window.history_requested.connect(self.open_history)

    # ------------------------------------------------------------------ start-up
    async def start(self) -> None:
        """Show the window, wait for its first paint, then load everything else in the background."""
        self.window.show()
        await self._first_paint()
        await self._load_settings()
        if self._owns_simulator:
            await self._start_simulator()
        self._add_fault_menu()
        if self._wants_memory_audio:
            memory_audio = await asyncio.to_thread(__import__, "desktop_agent.engine.memory_audio", fromlist=["x"])
            self.audio_backend = memory_audio.MemoryAudioBackend()
        self.controller._audio_backend = self.audio_backend
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

        painted = asyncio.get_running_loop().create_future()

        class _PaintWatch(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and not painted.done():
                    asyncio.get_running_loop().call_soon(lambda: painted.done() or painted.set_result(True))
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
        from desktop_agent.config.loading import load_settings

        try:
            loaded = await asyncio.to_thread(load_settings)
        except Exception as exc:  # noqa: BLE001 - the app still runs on defaults; the sentence says what happened
            log.exception("Loading the settings failed")
            self.window.show_problem(f"Your settings could not be loaded ({type(exc).__name__}); using the defaults.")
            return
        self.settings_store, self.settings, self.secrets, self.prompts = loaded.store, loaded.settings, loaded.secrets, loaded.prompts
        problems = loaded.problems
        self._settings_problems = problems
        for problem in problems:
            self.window.show_problem(problem)
        self.apply_settings(self.settings)

    def apply_settings(self, settings: Any) -> None:
        """Show settings that concern the window (budgets, push-to-talk key, prices, turn mode)."""
        from desktop_agent.state.events import Provider
        from desktop_agent.ui.push_to_talk_key import key_from_text

        self.settings = settings
        self.controller.input_device = settings.audio.input_device
        self.window.set_budgets(settings.budgets)
        self.window.key_filter.set_key(key_from_text(settings.audio.push_to_talk_key))
        self.window.set_talk_key_name(self.window.key_filter.key_name())
        self.bridge.conversation.cost.prices = settings.prices
        self.window.set_provider_names({role: settings.providers.spec(role).display_name for role in Provider})
        if self.controller.session is None and settings.conversation.mode is not self.controller.mode:
            self.controller.set_mode(settings.conversation.mode)

    async def _start_simulator(self) -> None:
        from desktop_agent.simulator import start_simulator_thread

        self.simulator, problem = await start_simulator_thread(getattr(self.args, "profile", "prd"))
        if problem:
            self.window.show_problem(problem)

    def _add_fault_menu(self) -> None:
        """With ``--simulate``, a Faults menu switches the simulator's faults, to watch the app heal."""
        if not getattr(self.args, "simulate", False) or self.simulator is None:
            return
        from desktop_agent.simulator.fault_presets import FaultControls
        from desktop_agent.ui.fault_menu import FaultMenu

        self.window.add_fault_menu(FaultMenu(FaultControls(self.simulator), self.window))

    def _reconfigure_logging(self) -> None:
        """Pipecat's import may have reset loguru; route it to the app's log again (and say so if it cannot be
        written, e.g. in a read-only home folder: everything else still logs to stderr)."""
        from desktop_agent.config.logging_setup import configure_logging, log_file_sentence

        try:
            configure_logging(getattr(self.args, "log_level", "INFO"))
        except OSError as exc:
            self.window.show_problem(log_file_sentence(exc))

    def _start_history(self) -> None:
        if not self.record_history or self.settings is None or not self.settings.privacy.keep_history:
            return
        from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore
        from desktop_agent.storage.recorder import HistoryRecorder

        try:
            self.history_store = HistoryStore()
        except ConversationHistoryUnavailable as exc:
            self.window.show_problem(str(exc))
            return
        for problem in self.history_store.problems:
            self.window.show_problem(problem)
        self.recorder = HistoryRecorder(
            self.history_store,
            keep_history=self.settings.privacy.keep_history,
            retention_days=self.settings.privacy.retention_days,
            on_error=self._history_error_from_thread,
        )
        self.bridge.add_observer(self.recorder.on_change)

    def _history_error_from_thread(self, message: str) -> None:
        from desktop_agent.ui import exception_guard

        reporter = exception_guard.reporter
        if reporter is not None:
            reporter.problem.emit(message)  # a queued hop onto the Qt thread

    # ------------------------------------------------------------------ session configuration
    def _build_engine_config(self) -> Any:
        from desktop_agent.config.engine_config import build_engine_config
        from desktop_agent.config.settings import AppSettings

        if self.secrets is None or self.prompts is None:
            raise ValueError("The settings are still loading; try again in a moment.")
        settings = self.settings or AppSettings()
        return build_engine_config(settings, self.secrets, self.prompts, simulator=self.simulator)

    def _on_controller_problem(self, message: str, action: str) -> None:
        from desktop_agent.state.events import ErrorKind
        from desktop_agent.ui.error_banner import BannerAction

        banner_action = BannerAction(action)
        kind = ErrorKind.CONFIG if banner_action is BannerAction.OPEN_SETTINGS else None
        self.window.show_problem(message, banner_action, kind)

    # ------------------------------------------------------------------ settings and history windows
    def open_settings_for(self, kind: Any = None) -> None:
        """The banner's "Open Settings": keys for rejected or missing keys, audio for device problems."""
        from desktop_agent.state.events import ErrorKind
        from desktop_agent.ui.settings import SettingsPage

        pages = {ErrorKind.AUTH: SettingsPage.KEYS, ErrorKind.CONFIG: SettingsPage.KEYS, ErrorKind.AUDIO_DEVICE: SettingsPage.AUDIO}
        self.open_settings(pages.get(kind))

    def open_settings(self, page: Any = None) -> None:
        """Show the (non-modal) settings dialog, creating and wiring it on first use."""
        if self.settings is None or self.secrets is None or self.prompts is None:
            self.window.status.flash("Settings are still loading; try again in a moment.")
            return
        if self.settings_dialog is None:
            self.settings_dialog = self._build_settings_dialog()
        if page is not None:
            self.settings_dialog.show_page(page)
        else:
            self.settings_dialog.show()
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()

    def _build_settings_dialog(self) -> Any:
        from desktop_agent.ui.settings import SettingsDialog

        dialog = SettingsDialog(
            self.settings_store, self.settings, self.secrets, self.prompts,
            simulator=self.simulator, audio_backend=self.audio_backend, problems=self._settings_problems,
            parent=self.window,
        )
        to_session = self._to_session
        dialog.voice_changed.connect(lambda voice_id, name: to_session("set_voice", voice_id, name))
        dialog.prompt_changed.connect(lambda text, name: to_session("set_system_prompt", text, name))
        dialog.llm_changed.connect(lambda model, temperature, tokens: to_session("update_llm", model, temperature, tokens))
        dialog.devices_changed.connect(self._apply_devices)
        dialog.echo_changed.connect(lambda echo, noise: to_session("set_echo_cancellation", echo, noise))
        dialog.mode_changed.connect(self.controller.set_mode)
        dialog.vad_changed.connect(lambda *_: self._note_next_session("Voice detection changes apply from the next session."))
        dialog.push_to_talk_key_changed.connect(lambda _key: self.apply_settings(self.settings))
        dialog.budgets_changed.connect(self.window.set_budgets)
        dialog.prices_changed.connect(self._apply_prices)
        dialog.history_settings_changed.connect(self._apply_privacy)
        dialog.delete_history_requested.connect(lambda: asyncio.ensure_future(self._delete_history()))
        dialog.keys_changed.connect(lambda: self._note_next_session("New keys apply from the next session."))
        dialog.restart_needed.connect(self._note_next_session)
        dialog.provider_changed.connect(self._provider_changed)
        return dialog

    # ------------------------------------------------------------------ voices and models the providers retire
    async def _choose_first_voice(self) -> None:
        """No voice saved yet (a first run): choose one of the account's own and save it (not on the simulator)."""
        if self.settings is None or self.secrets is None:
            return
        from desktop_agent.config.first_voice import choose_first_voice

        if await choose_first_voice(self.settings, self.secrets, self.simulator) is not None and self.simulator is None:
            self._save_settings()

    def switch_choice(self, choice: Any) -> None:
        """The banner's "Switch to …": use the model or voice offered instead of one no longer offered, in the
        running session at once and in every later one."""
        from desktop_agent.state.events import Provider

        if self.settings is None or not choice.replacement:
            return
        name = choice.replacement_name or choice.replacement
        if choice.provider is Provider.LLM:
            self.settings.models.llm_model = choice.replacement
            self._to_session("update_llm", choice.replacement)
        else:
            self.settings.voice.voice_id, self.settings.voice.voice_name = choice.replacement, name
            self._to_session("set_voice", choice.replacement, name)
        if self.settings_dialog is not None:  # its pages show what they were opened with
            self.settings_dialog.models_page.show_llm_model(self.settings.models.llm_model)
            self.settings_dialog.voice_page.show_current()
        if self._save_settings():
            self.window.status.flash(f"Switched to {name}.")

    def _save_settings(self) -> bool:
        """Write the settings; a failure is a sentence in the window (the change still applies to this session)."""
        from desktop_agent.config.local_files import error_words

        if self.settings_store is None:
            return False
        try:
            self.settings_store.save(self.settings)
        except OSError as exc:
            self.window.show_problem(
                f"Settings could not be saved to {self.settings_store.path} ({error_words(exc)}); the change applies "
                "to this session only."
            )
            return False
        return True

    def _to_session(self, method: str, *args: Any) -> None:
        """Apply a settings change to the running session at once (the next session reads the settings anyway)."""
        session = self.controller.session
        if session is not None:
            getattr(session, method)(*args)

    def _provider_changed(self, role: Any) -> None:
        """Another provider plays ``role`` from the next turn: a language model switches in the running session (it
        has no connection to make); for a speech provider the session is restarted with the conversation carried on
        (its connection is opened afresh)."""
        from desktop_agent.state.events import Provider

        self.apply_settings(self.settings)
        spec = self.settings.providers.spec(role)
        session = self.controller.session
        if session is None:
            return
        if role is Provider.LLM and session.choose_language_model(spec.id):
            self.window.status.flash(f"{spec.display_name} answers from the next turn.")
            return
        self.window.status.flash(f"Connecting to {spec.display_name} for the {role.role_name}; the conversation "
                                 "goes on.")
        asyncio.ensure_future(self.controller.restart())

    def _note_next_session(self, sentence: str) -> None:
        if self.controller.session is not None:
            self.window.status.flash(f"{sentence} End and start the session to use them now.")

    def _apply_devices(self, input_device: Any, output_device: Any) -> None:
        self._to_session("set_input_device", input_device)
        self._to_session("set_output_device", output_device)

    def _apply_prices(self, prices: Any) -> None:
        self.bridge.conversation.cost.prices = prices
        self.window.status.refresh_usage(self.bridge.conversation)

    def _apply_privacy(self, keep_history: bool, retention_days: int) -> None:
        if self.recorder is not None:
            self.recorder.set_privacy(keep_history, retention_days)
        elif keep_history and self.record_history:
            self._start_history()

    async def _delete_history(self) -> None:
        if self.history_store is None:
            return
        from desktop_agent.storage.history import ConversationHistoryUnavailable

        try:
            count = await asyncio.to_thread(self.history_store.delete_all)
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
            reason = "" if self.history_store is not None else "History is off or could not be opened (see Settings > Privacy)."
            self.history_window = HistoryView(self.history_store, unavailable_reason=reason)
            self.history_window.setWindowFlag(Qt.WindowType.Window, True)
            self.history_window.resize(900, 600)
        self.history_window.show()
        self.history_window.raise_()
        self.history_window.activateWindow()

    # ------------------------------------------------------------------ shutdown
    def _on_close_requested(self) -> bool:
        if self._close_allowed or self.controller.idle:
            self._close_allowed = True
            asyncio.ensure_future(self.shutdown())
            return True
        if not self._closing:
            self._closing = True
            asyncio.ensure_future(self._stop_then_close())
        return False

    async def _stop_then_close(self) -> None:
        await self.controller.stop()
        self._close_allowed = True
        self.window.close()

    async def shutdown(self, exit_code: int = 0) -> None:
        """Stop the session (pipeline first), the bridge, history and simulator; then resolve :attr:`finished`."""
        self._closing = True
        await self.controller.stop()
        self.bridge.flush()
        self.bridge.close()
        if self.recorder is not None:
            await asyncio.to_thread(self.recorder.close)
        if self.history_window is not None:
            self.history_window.close()
        if self.settings_dialog is not None:
            self.settings_dialog.close()
        if self.simulator is not None and self._owns_simulator:
            await asyncio.to_thread(self.simulator.stop)
        if not self.finished.done():
            self.finished.set_result(exit_code)

    # ------------------------------------------------------------------ --screenshot
    async def run_screenshot(self, path: Path) -> int:
        from desktop_agent.ui.scripted_exchange import ScriptedExchange

        try:
            exchange = ScriptedExchange(self.window, self.controller, self.audio_backend, self.simulator)
            await exchange.run()
            await asyncio.sleep(SCREENSHOT_SETTLE_S)
            if not self.window.grab().save(str(path), "PNG"):
                raise OSError(f"could not write {path}")
        except Exception as exc:  # noqa: BLE001 - a failed screenshot is reported as one line and a non-zero exit
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


def _close_on_signals(window: Any) -> Any:
    """Ctrl+C or SIGTERM closes the window, so the session shuts down cleanly instead of being killed mid-write.

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
        try:
            reader.recv(64)
        except BlockingIOError:
            pass

    notifier.activated.connect(drain)

    def on_signal(number: int, _frame: Any) -> None:
        log.info("Signal %d received: closing the window", number)
        QTimer.singleShot(0, window.close)

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
    await desktop.start()
    if app_args.screenshot:
        code = await desktop.run_screenshot(Path(app_args.screenshot))
        desktop._close_allowed = True
        await desktop.shutdown(code)
        desktop.window.close()
        return code
    return await desktop.finished


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
    from PySide6.QtWidgets import QApplication

    import qasync

    from desktop_agent.config.logging_setup import configure_logging
    from desktop_agent.ui.icons import app_icon

    try:
        configure_logging(getattr(args, "log_level", "INFO"))
    except OSError:
        pass  # logging goes to stderr; the window says so once it is up (DesktopApp._reconfigure_logging)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("desktop-agent")
    app.setApplicationDisplayName("Desktop Agent")
    app.setDesktopFileName("desktop-agent")
    app.setWindowIcon(app_icon())
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
