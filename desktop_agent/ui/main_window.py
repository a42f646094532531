"""The main window: transcript, latency panel, talk controls, status bar, menus.

The window knows nothing about the engine. It shows a :class:`Conversation` fed through an
:class:`~desktop_agent.ui.bridge.EngineBridge` and turns the user's gestures into signals (``talk_pressed``,
``mode_requested`` …) that the session controller forwards to the voice session.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QMessageBox, QSplitter, QToolButton, QVBoxLayout, QWidget

from desktop_agent import __version__
from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area, Conversation
from desktop_agent.ui.bridge import EngineBridge
from desktop_agent.ui.control_bar import ControlBar
from desktop_agent.ui.error_banner import BannerAction, ErrorBanner
from desktop_agent.ui.exception_guard import guarded
from desktop_agent.ui.fault_menu import FaultMenu
from desktop_agent.ui.icons import app_icon, themed_icon
from desktop_agent.ui.latency_panel import LatencyPanel
from desktop_agent.ui.push_to_talk_key import PushToTalkKeyFilter
from desktop_agent.ui.session_phase import SessionPhase
from desktop_agent.ui.session_status_bar import SessionStatusBar
from desktop_agent.ui.state_indicator import StateIndicator
from desktop_agent.ui.tool_confirmation_bar import ToolConfirmationBar
from desktop_agent.ui.transcript_view import TranscriptView
from desktop_agent.ui.typed_turn_box import TypedTurnBox, TypedTurnSender

APP_TITLE = "Desktop Agent"
MODE_SHORTCUT = "Ctrl+T"


class MainWindow(QMainWindow):
    settings_requested = Signal()
    fix_settings_requested = Signal(object)  # ErrorKind | None: the banner's "Open Settings" for that problem
    switch_requested = Signal(object)  # ChoiceUnavailable: the banner's "Switch to …" a model or voice
    history_requested = Signal()
    talk_pressed = Signal()
    talk_released = Signal()
    mode_requested = Signal(object)  # TurnMode
    mute_requested = Signal(bool)
    stop_speaking_requested = Signal()
    new_conversation_requested = Signal()
    retry_requested = Signal()  # the banner's Retry or Ctrl+R: give the last turn that got no reply again
    session_start_requested = Signal()
    session_end_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")
        self.resize(1120, 740)
        self._provider_names: dict[ev.Provider, str] = {}
        self.setMinimumSize(QSize(760, 500))
        self._conversation = Conversation()
        self._bridge: EngineBridge | None = None
        self._phase = SessionPhase.LOADING
        #: Push-to-talk is taken while the session is still loading or starting (the app starts it by itself).
        self.talk_while_starting = False
        self._close_handler: Callable[[], bool] | None = None
        #: Closing hides the window and the app stays in the tray (set by the app only when a tray is shown).
        self.close_to_tray = False
        self._quitting = False
        self._retry_unused = False  # an offered retry the user has not taken yet
        self.fault_menu: FaultMenu | None = None

        self._build_actions()
        self.banner = ErrorBanner(self)
        self.state_indicator = StateIndicator(self)
        self.session_button = QToolButton(self)
        self.session_button.setDefaultAction(self.session_action)
        self.session_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.session_button.setIconSize(QSize(18, 18))
        self.session_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.transcript = TranscriptView(self)
        self.latency_panel = LatencyPanel(parent=self)
        self.latency_panel.setMinimumWidth(360)
        self.typed_turn = TypedTurnBox(self)
        self.tool_confirmation = ToolConfirmationBar(self)
        self._typed_sender: TypedTurnSender | None = None
        self.controls = ControlBar(self.mute_action, self.stop_speaking_action, self.new_conversation_action, self)
        self.status = SessionStatusBar(self)
        self.setStatusBar(self.status)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.state_indicator, 1)
        top.addWidget(self.session_button)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.transcript)
        self.splitter.addWidget(self.latency_panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([740, 360])

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.tool_confirmation)
        layout.addWidget(self.typed_turn)
        layout.addWidget(self.controls)
        self.setCentralWidget(central)
        self._build_menus()

        self.key_filter = PushToTalkKeyFilter(self)
        self.key_filter.pressed.connect(self.press_talk_key)
        self.key_filter.released.connect(self.release_talk_key)
        self.controls.talk_button.talk_pressed.connect(self._on_talk_button_pressed)
        self.controls.talk_button.talk_released.connect(self._on_talk_button_released)
        self.controls.mode_switch.mode_selected.connect(self._on_mode_selected)
        self.controls.mode_switch.set_shortcut_hint(MODE_SHORTCUT)
        self.banner.action_triggered.connect(self._on_banner_action)
        self.transcript.copied.connect(self._on_copied)
        self.typed_turn.refused.connect(self._on_typed_turn_refused)
        self.tool_confirmation.answered.connect(self._answer_tool_confirmation)

        self.set_talk_key_name(self.key_filter.key_name())
        self.set_phase(SessionPhase.LOADING)
        self._refresh_all()

    # ------------------------------------------------------------------ actions and menus
    def _action(
        self,
        text: str,
        icon: str | None = None,
        shortcut: str | QKeySequence.StandardKey | None = None,
        tip: str = "",
        checkable: bool = False,
        on_icon: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(themed_icon(icon, on_icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setToolTip(
                f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})" if shortcut else tip
            )
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.session_action = self._action(
            "&Start Session", "session-start", "Ctrl+Return", "Connect to the providers and start listening"
        )
        self.session_action.triggered.connect(self._on_session_action)
        self.new_conversation_action = self._action(
            "&New Conversation", "new-conversation", "Ctrl+N", "Clear the transcript and the assistant's memory"
        )
        self.new_conversation_action.triggered.connect(self._on_new_conversation)
        self.quit_action = self._action(
            "&Quit", "quit", QKeySequence.StandardKey.Quit, "End the session and close the app"
        )
        self.quit_action.triggered.connect(self.quit)
        self.hands_free_action = self._action(
            "&Hands-free Mode",
            "hands-free",
            MODE_SHORTCUT,
            "Switch between push-to-talk and hands-free",
            checkable=True,
        )
        self.hands_free_action.triggered.connect(self._on_hands_free_toggled)
        self.mute_action = self._action(
            "&Mute",
            "microphone",
            "Ctrl+M",
            "Stop sending your microphone to the assistant",
            checkable=True,
            on_icon="microphone-off",
        )
        self.mute_action.triggered.connect(self._on_mute_toggled)
        self.stop_speaking_action = self._action(
            "S&top Speaking", "stop-speaking", "Esc", "Cut the assistant's reply short"
        )
        self.stop_speaking_action.triggered.connect(self._on_stop_speaking)
        self.retry_action = self._action(
            "&Retry Last Turn", "retry", "Ctrl+R", "Give the last turn that got no reply again"
        )
        self.retry_action.triggered.connect(self._on_retry)
        self.retry_action.setEnabled(False)
        self.copy_all_action = self._action(
            "Copy &Whole Conversation", "copy", "Ctrl+Shift+C", "Copy the transcript as text"
        )
        self.copy_all_action.triggered.connect(self.transcript_copy_all)
        self.settings_action = self._action(
            "&Settings…", "settings", "Ctrl+,", "Keys, voice, prompt, audio devices, budgets"
        )
        self.settings_action.triggered.connect(self.settings_requested)
        self.history_action = self._action(
            "&History…", "history", "Ctrl+H", "Past conversations: search, export, delete"
        )
        self.history_action.triggered.connect(self.history_requested)
        self.about_action = self._action("&About Desktop Agent", "about", tip="Version and credits")
        self.about_action.triggered.connect(self._show_about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        session = bar.addMenu("&Session")
        session.addActions([self.session_action, self.new_conversation_action])
        session.addSeparator()
        session.addAction(self.quit_action)
        talk = bar.addMenu("&Talk")
        talk.addActions([self.hands_free_action, self.mute_action, self.stop_speaking_action])
        talk.addSeparator()
        talk.addAction(self.retry_action)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.transcript.copy_action, self.copy_all_action])
        tools = bar.addMenu("T&ools")
        tools.addActions([self.settings_action, self.history_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)
        self._help_menu = help_menu

    def add_fault_menu(self, menu: FaultMenu) -> None:
        """The simulator's Faults menu (``--simulate`` only), before Help; its notes go to the status bar."""
        self.menuBar().insertMenu(self._help_menu.menuAction(), menu)
        menu.message.connect(self.status.flash)
        self.fault_menu = menu

    # ------------------------------------------------------------------ feeding from the engine
    @property
    def conversation(self) -> Conversation:
        return self._conversation

    @property
    def phase(self) -> SessionPhase:
        return self._phase

    def attach(self, bridge: EngineBridge) -> None:
        """Show ``bridge.conversation`` and follow the bridge's change signals."""
        self._bridge = bridge
        self._conversation = bridge.conversation
        bridge.transcript_changed.connect(self._on_transcript_changed)
        bridge.latency_changed.connect(self._on_latency_changed)
        # Stage figures measured before a reply attach to it when it finishes.
        bridge.turns_finished.connect(self._on_latency_changed)
        bridge.agent_state_changed.connect(self._on_state_changed)
        bridge.mode_changed.connect(self._on_state_changed)
        bridge.providers_changed.connect(self._on_providers_changed)
        bridge.usage_changed.connect(self._on_usage_changed)
        bridge.levels_changed.connect(self._on_levels_changed)
        bridge.session_changed.connect(self._on_session_changed)
        bridge.error_occurred.connect(self._on_error)
        bridge.changed.connect(self._on_changed)
        self._refresh_all()

    def _refresh_all(self) -> None:
        conversation = self._conversation
        self.transcript.refresh(conversation)
        self.latency_panel.refresh(conversation)
        self.status.refresh_providers(conversation)
        self.status.refresh_session(conversation)
        self.status.refresh_usage(conversation)
        self._on_state_changed()
        self._on_levels_changed()

    @guarded
    def _on_transcript_changed(self) -> None:
        self.transcript.refresh(self._conversation)
        self.tool_confirmation.show_call(self._conversation.awaiting_confirmation)

    @guarded
    def _answer_tool_confirmation(self, yes: bool) -> None:
        """A click answers as the word would: sent as a typed turn (engine/confirmation_gate.py)."""
        if self._typed_sender is not None:
            self._typed_sender("Yes." if yes else "No.", False)

    @guarded
    def _on_latency_changed(self) -> None:
        self.latency_panel.refresh(self._conversation)

    @guarded
    def _on_providers_changed(self) -> None:
        self.status.refresh_providers(self._conversation)
        for provider, state in self._conversation.providers.items():
            if state.status is ev.ConnectionStatus.CONNECTED:
                self.banner.connection_restored(provider)

    @guarded
    def _on_usage_changed(self) -> None:
        self.status.refresh_usage(self._conversation)

    @guarded
    def _on_session_changed(self) -> None:
        self.status.refresh_session(self._conversation)
        self.status.refresh_usage(self._conversation)
        self.latency_panel.refresh(self._conversation)

    @guarded
    def _on_levels_changed(self) -> None:
        conversation = self._conversation
        running = self._phase is SessionPhase.RUNNING
        self.controls.microphone_meter.set_active(running and not conversation.muted)
        self.controls.output_meter.set_active(running)
        self.controls.microphone_meter.set_level(conversation.microphone_level)
        self.controls.output_meter.set_level(conversation.output_level)

    @guarded
    def _on_error(self, error: ev.ErrorOccurred) -> None:
        if error.retry:
            self._retry_unused = True
        self.banner.show_error(error)

    @guarded
    def _on_changed(self, areas: Area) -> None:
        if Area.ERRORS in areas:
            self._show_retry_offer()

    def _show_retry_offer(self) -> None:
        """Retry is offered from the engine's error until it is taken or the turn is superseded (the user says
        something new, a reply is heard, the conversation or session ends)."""
        if not self._conversation.retry_offered:
            self._retry_unused = False
        offered = self._retry_unused and self._phase is SessionPhase.RUNNING
        self.retry_action.setEnabled(offered)
        if not offered and self.banner.action is BannerAction.RETRY:
            self.banner.dismiss()

    @guarded
    def _on_state_changed(self) -> None:
        conversation = self._conversation
        mode = conversation.mode
        hands_free = mode is ev.TurnMode.HANDS_FREE
        running = self._phase is SessionPhase.RUNNING
        self.state_indicator.show_state(
            conversation.agent_state, mode, conversation.muted, self.key_filter.key_name(), self._phase.description
        )
        self.controls.mode_switch.set_mode(mode)
        if self.hands_free_action.isChecked() != hands_free:
            self.hands_free_action.setChecked(hands_free)
        if self.mute_action.isChecked() != conversation.muted:
            self.mute_action.setChecked(conversation.muted)
        self.mute_action.setText("Un&mute" if conversation.muted else "&Mute")
        talk = self.controls.talk_button
        talk.set_hands_free(hands_free)
        talk.set_available(running)
        if hands_free or not running:
            self.key_filter.cancel()
        self.stop_speaking_action.setEnabled(
            running and conversation.agent_state in (ev.AgentState.THINKING, ev.AgentState.ASSISTANT_SPEAKING)
        )
        key = self.key_filter.key_name()
        if not running:
            placeholder = "Start a session to talk with the assistant."
        elif hands_free:
            placeholder = "Just start talking: the assistant answers when you pause."
        else:
            placeholder = f"Hold {key} (or the Hold to talk button) and speak; release to send."
        self.transcript.set_placeholder(placeholder)
        self._show_typed_turn_availability()
        self._on_levels_changed()

    def _show_typed_turn_availability(self) -> None:
        if self._phase is SessionPhase.RUNNING and self._conversation.agent_state is not ev.AgentState.CONNECTING:
            self.typed_turn.set_available(True)
        elif self._phase in (SessionPhase.STARTING, SessionPhase.RUNNING):
            self.typed_turn.set_available(False, "Connecting: you can type once the assistant is ready.")
        else:
            self.typed_turn.set_available(False, "Start a session to type to the assistant (Ctrl+Return).")

    # ------------------------------------------------------------------ session phase (from the controller)
    def set_phase(self, phase: SessionPhase) -> None:
        self._phase = phase
        running = phase is SessionPhase.RUNNING
        if phase in (SessionPhase.RUNNING, SessionPhase.STARTING):
            self.session_action.setText("&End Session")
            self.session_action.setIcon(themed_icon("session-end"))
            self.session_action.setStatusTip("Hang up: stop listening and disconnect from the providers")
        else:
            self.session_action.setText("&Start Session")
            self.session_action.setIcon(themed_icon("session-start"))
            self.session_action.setStatusTip("Connect to the providers and start listening")
        self.session_action.setEnabled(phase in (SessionPhase.STOPPED, SessionPhase.RUNNING, SessionPhase.STARTING))
        self.session_button.setAccessibleName(self.session_action.text().replace("&", ""))
        self.mute_action.setEnabled(running)
        self.new_conversation_action.setEnabled(phase is not SessionPhase.LOADING)
        self._show_retry_offer()
        self._on_state_changed()

    def set_typed_turn_sender(self, sender: TypedTurnSender) -> None:
        """Where a typed turn goes (the session controller); it says whether the turn was taken."""
        self._typed_sender = sender
        self.typed_turn.set_sender(sender)

    def set_talk_key_name(self, name: str) -> None:
        self.controls.talk_button.set_key_name(name)

    def set_budgets(self, budgets: dict[ev.Stage, float]) -> None:
        self.latency_panel.set_budgets(budgets)

    def show_problem(
        self, message: str, action: BannerAction = BannerAction.NONE, kind: ev.ErrorKind | None = None
    ) -> None:
        self.banner.show_message(message, action, kind)

    # ------------------------------------------------------------------ user gestures
    def _talk_allowed(self) -> bool:
        starting = self._phase in (SessionPhase.LOADING, SessionPhase.STARTING) and self.talk_while_starting
        return (self._phase is SessionPhase.RUNNING or starting) and self._conversation.mode is ev.TurnMode.PUSH_TO_TALK

    @guarded
    def press_talk_key(self) -> None:
        """The talk key went down: the in-window key, or the global shortcut (``ui/global_talk_key.py``)."""
        if self._talk_allowed():
            self.controls.talk_button.set_held(True)
            self.talk_pressed.emit()
            if self._phase is not SessionPhase.RUNNING:
                self.status.flash("Still connecting: keep talking, your words are kept until the assistant is ready.")
        elif self._phase is not SessionPhase.RUNNING:
            self.status.flash("Start a session first (Ctrl+Return).")

    @guarded
    def release_talk_key(self) -> None:
        if self.controls.talk_button.held:
            self.controls.talk_button.set_held(False)
            self.talk_released.emit()

    @guarded
    def _on_talk_button_pressed(self) -> None:
        if self._talk_allowed():
            self.talk_pressed.emit()
        else:
            self.controls.talk_button.set_held(False)

    @guarded
    def _on_talk_button_released(self) -> None:
        self.talk_released.emit()

    @guarded
    def _on_mode_selected(self, mode: ev.TurnMode) -> None:
        self.request_mode(mode)

    @guarded
    def _on_hands_free_toggled(self) -> None:
        checked = self.hands_free_action.isChecked()
        self.request_mode(ev.TurnMode.HANDS_FREE if checked else ev.TurnMode.PUSH_TO_TALK)

    def request_mode(self, mode: ev.TurnMode) -> None:
        """Switch to ``mode`` as the window's own controls do (a held turn is released first), e.g. from the tray."""
        if self.controls.talk_button.held:
            self.controls.talk_button.set_held(False)
            self.talk_released.emit()
        self.key_filter.cancel()
        self.controls.mode_switch.set_mode(mode)
        self.hands_free_action.setChecked(mode is ev.TurnMode.HANDS_FREE)
        self.mode_requested.emit(mode)

    @guarded
    def _on_mute_toggled(self) -> None:
        self.mute_requested.emit(self.mute_action.isChecked())

    @guarded
    def _on_stop_speaking(self) -> None:
        self.stop_speaking_requested.emit()

    @guarded
    def _on_new_conversation(self) -> None:
        self.new_conversation_requested.emit()

    @guarded
    def _on_session_action(self) -> None:
        if self._phase in (SessionPhase.RUNNING, SessionPhase.STARTING):
            self.session_end_requested.emit()
        elif self._phase is SessionPhase.STOPPED:
            self.session_start_requested.emit()

    @guarded
    def _on_banner_action(self, action: str) -> None:
        if action == BannerAction.OPEN_SETTINGS:
            self.fix_settings_requested.emit(self.banner.kind)
        elif action == BannerAction.SWITCH and self.banner.switch_choice is not None:
            self.switch_requested.emit(self.banner.switch_choice)
        elif action == BannerAction.RETRY:
            self._on_retry()
        elif action == BannerAction.RESTART_SESSION:
            if self._phase in (SessionPhase.RUNNING, SessionPhase.STARTING):
                self.session_end_requested.emit()
            self.session_start_requested.emit()

    @guarded
    def _on_retry(self) -> None:
        if not self.retry_action.isEnabled():
            return
        self._retry_unused = False  # taken: a second press would find nothing to retry
        self._show_retry_offer()
        self.retry_requested.emit()

    def transcript_copy_all(self) -> None:
        self.transcript.copy_all()

    @guarded
    def _on_typed_turn_refused(self) -> None:
        self.status.flash("Not sent: the assistant cannot take a typed turn right now. Your text is kept.")

    def _on_copied(self, text: str) -> None:
        lines = text.count("\n") + 1
        self.status.flash(f"Copied {lines} message{'s' if lines != 1 else ''} to the clipboard.")

    def set_provider_names(self, names: dict[ev.Provider, str]) -> None:
        """The providers playing each role (``{Provider: name}``), for the status bar and the About box."""
        self._provider_names = dict(names)
        self.status.set_provider_names(names)

    def _show_about(self) -> None:
        names = self._provider_names
        credits = "; ".join(f"{role.role_name} by {html.escape(name)}" for role, name in names.items())
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>A desktop voice assistant: hold Space and talk, or go hands-free."
            f"<br><br>{credits.capitalize() + '; p' if credits else 'P'}ipeline by Pipecat.",
        )

    # ------------------------------------------------------------------ closing
    def set_close_handler(self, handler: Callable[[], bool]) -> None:
        """``handler()`` -> True to close now, or False after starting a clean shutdown that closes the window later."""
        self._close_handler = handler

    def quit(self) -> None:
        """Close the window and end the app, even with close-to-tray on (Quit, Ctrl+Q, the tray's Quit, a signal)."""
        self._quitting = True
        self.close()

    def show_from_tray(self) -> None:
        """Bring the window back: shown, restored if minimised, raised and focused."""
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_to_tray and not self._quitting:
            event.ignore()  # the session goes on; the tray's Show Window brings the window back
            self.key_filter.cancel()
            self.release_talk_key()  # a turn held as the window went away ends, as when focus is lost
            self.hide()
            return
        if self._close_handler is not None and not self._close_handler():
            event.ignore()
            return
        self.key_filter.detach()
        super().closeEvent(event)
