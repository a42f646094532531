"""``desktop-agent --console``: the same voice engine in a terminal.

Enter starts and ends a push-to-talk turn (a terminal reports lines, not key presses and releases), and so does the
global shortcut when Settings > Desktop turns it on (held, or pressed twice in toggle style); ``h`` switches to
hands-free; ``t WORDS`` types a turn instead (``tt WORDS``: the reply in text only). Transcripts and
per-turn latencies are printed as they happen, and finished turns go to the same history the window shows (summarized
when the conversation ends; ``--continue`` goes on with the last one). No Qt is imported.

Threads: the engine runs on its own thread and loop as in the window; its events and the typed lines (read by a
daemon thread, since a blocking ``readline`` cannot be awaited portably) are both handed to this asyncio loop, which
is the only one that writes to the terminal.

What the window does too (settings, keys, simulator, history, engine configuration, first voice, teardown) is
:class:`~desktop_agent.runtime.Runtime`'s; this module adds the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TextIO

from desktop_agent.console.commands import Command, argument, help_text, parse
from desktop_agent.console.fault_command import run_fault_command
from desktop_agent.console.printer import TranscriptPrinter
from desktop_agent.console.terminal_encoding import shows_every_script
from desktop_agent.runtime import Runtime, reconfigure_logging
from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area
from desktop_agent.state.plain_text import plain_text, shorten

if TYPE_CHECKING:  # the engine is imported on a worker thread once the settings are read
    from desktop_agent.config.settings import AppSettings
    from desktop_agent.engine.audio_backend import AudioBackend
    from desktop_agent.engine.config import EngineConfig
    from desktop_agent.engine.session import VoiceSession
    from desktop_agent.global_shortcut.shortcut import ShortcutListener, TalkKeyStyle
    from desktop_agent.runtime import Continuation, Simulator
    from desktop_agent.simulator.fault_presets import FaultControls
    from desktop_agent.state.spending import SpendingWatch
    from desktop_agent.summaries.summarizer import SummaryResult

_P = ParamSpec("_P")

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 8.0


class ConsoleApp:
    """Loads the settings, starts a session and runs it until the user quits or the session ends.

    ``simulator`` and ``audio_backend`` let tests inject their own parts; by default they follow the command line
    (``--simulate``, ``--no-audio``).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        simulator: Simulator | None = None,
        audio_backend: AudioBackend | None = None,
        record_history: bool = True,
    ) -> None:
        self.args = args
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or shows_every_script(sys.stdout)
        self.runtime = Runtime(
            simulate=bool(getattr(args, "simulate", False)),
            profile=getattr(args, "profile", "prd"),
            simulator=simulator,
            record_history=record_history,
        )
        self.audio_backend = audio_backend
        self.printer = TranscriptPrinter(self._stdout, live=_is_terminal(self._stdout))
        self.session: VoiceSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Future[None] | None = None
        self._session_class: type[VoiceSession] | None = None
        self._talking = False
        self._ready_seen = False
        self._signals: list[int] = []
        self._fault_controls: FaultControls | None = None
        self.global_talk: ShortcutListener | None = None
        self._global_style: TalkKeyStyle | None = None
        self._global_name = ""
        self._language_wanted = ""  # the last language l asked for: a slower voice look-up for an earlier one yields
        self._background: set[asyncio.Future[None]] = set()
        self._continuation: Continuation | None = None  # --continue: the past conversation the session goes on with
        self.spending: SpendingWatch | None = None  # the spending limits, once the settings are read

    @property
    def simulator(self) -> Simulator | None:
        return self.runtime.simulator

    # ------------------------------------------------------------------ run
    async def run(self) -> int:
        """Returns the process exit code: 0 after a conversation, 1 when no session could start."""
        self._loop = asyncio.get_running_loop()
        self._done = self._loop.create_future()
        try:
            config = await self._prepare()
            if config is None:
                return 1
            await self._converse(config)
        finally:
            await self._shut_down()
        return 0 if self._ready_seen else 1

    async def _prepare(self) -> EngineConfig | None:
        """Settings, simulator, engine and session configuration; None (after saying why) if a session cannot start."""
        try:
            loaded = await self.runtime.load_settings()  # on a worker thread; a failure is logged there
        except Exception as exc:  # noqa: BLE001 - a sentence, never a traceback
            self.printer.say(f"! Your settings could not be loaded ({type(exc).__name__}); details are in the log.")
            return None
        for problem in loaded.problems:
            self.printer.say(f"! {problem}")
        settings = loaded.settings
        self.printer = TranscriptPrinter(
            self._stdout, live=_is_terminal(self._stdout), budgets=settings.budgets, prices=settings.prices
        )
        problem = await self.runtime.start_simulator()  # only with --simulate and no simulator handed in
        if problem:
            self.printer.say(f"! {problem}")
            return None
        if self.audio_backend is None and getattr(self.args, "no_audio", False):
            from desktop_agent.engine.memory_audio import MemoryAudioBackend

            self.audio_backend = MemoryAudioBackend()
        await self._choose_first_voice()
        self.printer.say("Starting the voice engine ...")
        try:
            session_module = await asyncio.to_thread(__import__, "desktop_agent.engine.session", fromlist=["x"])
        except Exception as exc:
            log.exception("Could not load the voice engine")
            self.printer.say(f"! The voice engine could not be loaded ({type(exc).__name__}). Reinstall the app.")
            return None
        log_problem = _reconfigure_logging(self.args)
        if log_problem:
            self.printer.say(f"! {log_problem}")
        from desktop_agent.config.engine_config import ConfigurationError

        try:
            config = self.runtime.build_engine_config()
        except ConfigurationError as exc:
            for problem in exc.problems:
                self.printer.say(f"! {problem}")
            if exc.missing_keys:
                self.printer.say(
                    "  Keys are stored from the window (desktop-agent, Settings > Keys) or set in the environment;"
                    " to try the console without keys: desktop-agent --console --simulate"
                )
            return None
        except Exception as exc:  # a sentence, never a traceback
            log.exception("Building the session configuration failed")
            self.printer.say(f"! The settings cannot start a session ({type(exc).__name__}); details are in the log.")
            return None
        for problem in self.runtime.open_history(
            on_error=self._from_thread(self._say_problem), on_summary=self._from_thread(self._say_summary)
        ):
            self._say_problem(problem)
        if getattr(self.args, "continue_last", False):
            await self._find_continuation()
        if not await self._within_budget(settings):
            return None
        self._session_class = session_module.VoiceSession
        return config

    async def _within_budget(self, settings: AppSettings) -> bool:
        """Follow the spending limits from today's spending in history; False (said why) when one that stops is
        used up already."""
        from datetime import date

        from desktop_agent.state.local_days import local_day_start
        from desktop_agent.state.spending import CONSOLE_WORDING, SpendingWatch

        spent = 0.0
        store = self.runtime.history_store
        if store is not None:
            from desktop_agent.storage.history import ConversationHistoryUnavailable

            try:
                spent = await asyncio.to_thread(store.cost_since, local_day_start(date.today()))
            except ConversationHistoryUnavailable as exc:
                self._say_problem(f"Today's spending could not be read from history, so it counts from now: {exc}")
        self.spending = SpendingWatch(settings.spending.limits(), day_spent_before=spent, wording=CONSOLE_WORDING)
        refusal = self.spending.refusal(0.0)
        if refusal is not None:
            self._say_problem(refusal)
            return False
        return True

    def _say_problem(self, sentence: str) -> None:
        self.printer.say(f"! {sentence}")

    def _say_summary(self, result: SummaryResult) -> None:
        self.printer.say(f"{'' if result.saved else '! '}{result.sentence}")

    async def _find_continuation(self) -> None:
        """``--continue``: the last conversation in the history, which the session goes on with."""
        from desktop_agent.storage.history import ConversationHistoryUnavailable

        try:
            self._continuation = await self.runtime.last_continuation()
        except ConversationHistoryUnavailable as exc:
            self._say_problem(f"{exc} A new conversation starts.")
            return
        if self._continuation is None:
            self.printer.say("There is no past conversation to continue (is history on?); a new one starts.")
            return
        self._say_continuation(self._continuation)

    def _say_continuation(self, continuation: Continuation) -> None:
        """Which conversation goes on, how much of it the assistant remembers, and its last two turns, briefly."""
        exchanges = sum(1 for turn in continuation.turns if turn.role == "user")
        title = shorten(plain_text(continuation.title, single_line=True), 80) or "the last conversation"
        remembered = f"its last {exchanges} exchange{'s' if exchanges != 1 else ''}"
        last_said = " Last said:" if continuation.turns else ""
        self.printer.say(f"Continuing “{title}”: the assistant remembers {remembered}.{last_said}")
        for turn in continuation.turns[-2:]:
            who = "You" if turn.role == "user" else "Assistant"
            self.printer.say(f"  {who}: {shorten(plain_text(turn.text, single_line=True), 100)}")

    async def _choose_first_voice(self) -> None:
        """No voice saved yet (a first run): choose one of the account's own and save it (not on the simulator)."""
        chosen = await self.runtime.choose_first_voice()
        if chosen is not None and chosen.not_saved is not None:
            self.printer.say(
                f"! The voice {chosen.voice.name} was chosen but could not be saved "
                f"({chosen.not_saved.reason}); it is used this time."
            )

    async def _converse(self, config: EngineConfig) -> None:
        assert self._done is not None and self._session_class is not None
        continuation = self._continuation
        history = continuation.messages if continuation is not None else []
        try:
            session = self._session_class(
                config, self._from_thread(self._on_event), audio=self.audio_backend, history=history
            )
            self.session = session
            if continuation is not None:
                self.runtime.continue_recording(continuation)  # what is said now is saved to that conversation
            session.start()
        except Exception as exc:  # a sentence, never a traceback
            log.exception("Starting the session failed")
            self.printer.say(f"! The conversation could not start ({type(exc).__name__}); details are in the log.")
            return
        self._listen_to_signals()
        self._start_global_talk()
        threading.Thread(target=self._read_lines, name="console-input", daemon=True).start()
        await self._done

    # ------------------------------------------------------------------ from other threads
    def _from_thread(self, handler: Callable[_P, object]) -> Callable[_P, None]:
        """``handler`` wrapped to run on this loop, callable from any thread (and harmless once the loop is gone)."""
        loop = self._loop
        assert loop is not None

        def hand_over(*args: _P.args, **_kwargs: _P.kwargs) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the console is gone, nothing to show
                loop.call_soon_threadsafe(handler, *args)

        return hand_over

    def _read_lines(self) -> None:
        on_line = self._from_thread(self._on_line)
        try:
            for line in self._stdin:
                on_line(line)
        except (OSError, ValueError):  # the terminal went away or stdin was closed under us
            log.debug("Reading the console input stopped", exc_info=True)
        on_line(None)  # end of input quits, like "q"

    def _listen_to_signals(self) -> None:
        """Ctrl+C and SIGTERM end the session cleanly (where the loop can take signal handlers: not on Windows)."""
        if threading.current_thread() is not threading.main_thread():
            return
        assert self._loop is not None
        for number in (signal.SIGINT, signal.SIGTERM):
            try:
                self._loop.add_signal_handler(number, self._finish)
            except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C arrives as KeyboardInterrupt (see main)
                return
            self._signals.append(number)

    # ------------------------------------------------------------------ events and commands
    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.AudioLevel):
            return  # twenty a second, and nothing to print
        areas = self.printer.show(event)
        if self.runtime.recorder is not None:
            self.runtime.recorder.on_change(self.printer.conversation, areas)
        if self.spending is not None:
            self._follow_spending(areas)
        if isinstance(event, ev.SessionStarted):
            self._ready_seen = True
        elif isinstance(event, ev.ModeChanged):
            self._talking = False
        elif isinstance(event, ev.SessionEnded):
            self._finish()

    def _follow_spending(self, areas: Area) -> None:
        """The spending limits' sentences as they are crossed; at a stop, the console ends after the reply."""
        assert self.spending is not None
        if self.spending.day_changed():  # past midnight: this conversation is the only one of the new day
            self.spending.new_day(0.0)
        notices, stop_now = self.spending.follow(self.printer.conversation, areas)
        for notice in notices:
            self._say_problem(notice.sentence)
        if stop_now:
            self._finish()

    def _on_line(self, line: str | None) -> None:
        if line is None:
            self._finish()
            return
        command = parse(line)
        session = self.session
        if command is None:
            self.printer.say(f"Unknown command {line.strip()!r}.\n{help_text(self._simulating)}")
        elif command is Command.HELP:
            self.printer.say(help_text(self._simulating))
        elif command is Command.QUIT:
            self._finish()
        elif command is Command.FAULTS:
            self._faults(argument(line))
        elif command is Command.TALK and session is not None:
            self._talk(session)  # also while still connecting: the session keeps the words until it can hear them
        elif session is None or not self._ready_seen:
            self.printer.say("Still connecting; one moment.")
        elif command is Command.TALK:
            self._talk(session)
        elif command is Command.PUSH_TO_TALK or command is Command.HANDS_FREE:
            mode = ev.TurnMode.PUSH_TO_TALK if command is Command.PUSH_TO_TALK else ev.TurnMode.HANDS_FREE
            if session.mode is mode:
                self.printer.say(f"Already {'push-to-talk' if mode is ev.TurnMode.PUSH_TO_TALK else 'hands-free'}.")
            session.set_mode(mode)
        elif command is Command.MUTE:
            session.set_muted(not session.muted)
        elif command is Command.STOP_SPEAKING:
            session.stop_speaking()
        elif command is Command.NEW_CONVERSATION:
            session.new_conversation()
        elif command is Command.RETRY:
            self._retry(session)
        elif command is Command.TYPE or command is Command.TYPE_TEXT_REPLY:
            self._type(session, argument(line), reply_in_text=command is Command.TYPE_TEXT_REPLY)
        elif command is Command.LANGUAGE:
            self._language(session, argument(line))
        elif command is Command.YES or command is Command.NO:
            self._answer(session, command is Command.YES)

    def _answer(self, session: VoiceSession, yes: bool) -> None:
        """``y`` / ``no``: the answer to a tool call that asks first, sent as the word would be said."""
        if self.printer.conversation.awaiting_confirmation is None:
            self.printer.say("No tool call is waiting for an answer.")
        elif not session.answer_confirmation(yes):
            self.printer.say("The assistant cannot take your answer right now; try again in a moment.")

    def _talk(self, session: VoiceSession, done_hint: str = "press Enter when you are done") -> None:
        if session.mode is ev.TurnMode.HANDS_FREE:
            self.printer.say("Hands-free is on: just speak. (p: push-to-talk)")
        elif not self._talking:
            self._talking = True
            session.press_talk()
            if self._ready_seen:
                self.printer.say(f"Listening ... {done_hint}.")
            else:
                self.printer.say(f"Listening (still connecting: your words are kept) ... {done_hint}.")
        else:
            self._talking = False
            session.release_talk()

    # ------------------------------------------------------------------ the global shortcut
    def _start_global_talk(self) -> None:
        """With Settings > Desktop's push-to-talk from any app on, its shortcut talks as Enter does."""
        settings = self.runtime.settings
        if settings is None or not settings.desktop.global_talk:
            return
        from desktop_agent.console.global_talk import start_global_talk

        desktop = settings.desktop
        self._global_style, self._global_name = desktop.global_talk_style, desktop.global_talk_shortcut
        self.global_talk = start_global_talk(
            desktop.global_talk_shortcut, self._from_thread(self._on_global_key), self._from_thread(self._on_status)
        )

    def _on_status(self, sentence: str, registered: bool) -> None:
        self.printer.say(sentence if registered else f"! {sentence}")

    def _on_global_key(self, down: bool) -> None:
        from desktop_agent.global_shortcut.shortcut import TalkKeyStyle

        session = self.session
        if session is None:
            return
        if self._global_style is TalkKeyStyle.TOGGLE:
            if down:
                self._talk(session, f"press {self._global_name} again when you are done")
        elif down != self._talking:
            self._talk(session, f"release {self._global_name} when you are done")

    def _retry(self, session: VoiceSession) -> None:
        """``r``: give the last turn that got no reply again (the engine said so with its error)."""
        if not self.printer.conversation.retry_offered:
            self.printer.say("There is nothing to retry: no turn is waiting for a reply.")
            return
        session.retry_last_turn()
        self.printer.say("Retrying the last turn ...")

    def _type(self, session: VoiceSession, text: str, *, reply_in_text: bool) -> None:
        """``t WORDS``: a turn typed instead of spoken, answered aloud; ``tt WORDS``: answered in text only."""
        if not text:
            self.printer.say("Type your words after t (tt for a reply in text only), e.g. t What time is it?")
        elif not session.send_typed_turn(text, reply_in_text=reply_in_text):
            self.printer.say("The assistant cannot take a typed turn right now; try again in a moment.")

    def _language(self, session: VoiceSession, text: str) -> None:
        """``l CODE``: the conversation's language from the next turn, for every role (this session only)."""
        from desktop_agent.config.language_choice import read_language

        choice = read_language(text, session.config.spec(ev.Provider.STT))
        self.printer.say(choice.sentence)
        if choice.code is not None:
            self._language_wanted = choice.code
            task = asyncio.ensure_future(self._switch_language_and_voice(session, choice.code))
            self._background.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._background.discard)

    async def _switch_language_and_voice(self, session: VoiceSession, code: str) -> None:
        """The session speaks ``code`` from the next turn; when its voice cannot, with one that can (for this
        session, as the language: the settings are left as they are)."""
        from desktop_agent.config.language_voice import voice_for_language, voice_sentence

        loaded = self.runtime.loaded
        voice = None
        if loaded is not None:
            voice = await voice_for_language(
                loaded.settings, loaded.secrets, code, session.config.voice_id, self.runtime.simulator
            )
        if self._language_wanted != code or self.session is not session:
            return  # another language was asked for meanwhile, or the session ended
        self._follow_prompt(session, code)
        if voice is None:
            session.set_language(code)
            return
        session.set_language(code, voice.voice_id, voice.name)
        self.printer.say(voice_sentence(voice, code))

    def _follow_prompt(self, session: VoiceSession, code: str) -> None:
        """The shipped voice assistant follows the language (its version written in it), for this session."""
        from desktop_agent.config.prompts import preset_for_language

        loaded = self.runtime.loaded
        preset = None if loaded is None else preset_for_language(loaded.prompts, session.config.prompt_name, code)
        if preset is not None:
            session.set_system_prompt(preset.text, preset.name)
            self.printer.say(f"The prompt is now {preset.name}.")

    @property
    def _simulating(self) -> bool:
        return self.runtime.simulating

    def _faults(self, text: str) -> None:
        """``f``: list the simulator's fault presets, switch one on, or clear them all (``--simulate`` only)."""
        if not self._simulating:
            self.printer.say("Faults are only available with --simulate (desktop-agent --console --simulate).")
            return
        if self._fault_controls is None:
            from desktop_agent.simulator.fault_presets import FaultControls

            self._fault_controls = FaultControls(self.runtime.simulator, emulators=self.runtime.emulators_playing)
        self.printer.say(run_fault_command(self._fault_controls, text))

    def _finish(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    # ------------------------------------------------------------------ shutdown
    async def _shut_down(self) -> None:
        """Stop the session (joining the engine thread off this loop), show what is left, then the runtime's teardown
        (history written and closed, simulator stopped)."""
        try:
            if self._loop is not None:
                for number in self._signals:
                    self._loop.remove_signal_handler(number)
            self._signals.clear()
            if self.global_talk is not None:
                await asyncio.to_thread(self.global_talk.stop)
            if self.session is not None:
                try:
                    await asyncio.to_thread(self.session.stop, STOP_TIMEOUT_S)
                except Exception:  # shutting down must not end in a traceback
                    log.exception("Ending the session failed")
                if self._ready_seen:
                    self.printer.say(self.printer.summary())
        finally:
            await self.runtime.aclose()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _reconfigure_logging(args: argparse.Namespace) -> str | None:
    """Log to the file only: the terminal shows the conversation. Pipecat's import resets loguru, hence again.

    Returns the sentence to show when the log file cannot be written (a read-only home folder): the app then runs
    without a log rather than printing log lines and tracebacks into the conversation.
    """
    return reconfigure_logging(getattr(args, "log_level", "INFO"), to_stderr=False) or None


def main(args: argparse.Namespace) -> int:
    """Run the console until the user quits; returns the process exit code."""
    _reconfigure_logging(args)
    try:
        return asyncio.run(ConsoleApp(args).run())
    except KeyboardInterrupt:  # where signal handlers cannot be installed (Windows)
        return 130
    except Exception as exc:  # the last line of defence: a sentence and the log, not a traceback
        log.exception("The console failed")
        print(
            f"desktop-agent: the console stopped unexpectedly ({type(exc).__name__}); details are in the log.",
            file=sys.stderr,
        )
        return 1
