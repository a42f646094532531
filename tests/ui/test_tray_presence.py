"""The app with its tray: the menu reaches the window and the session, close-to-tray keeps the session, errors while
the window is hidden become desktop notifications, and sound cues play only when switched on.

Offscreen Qt has no tray host, so ``QSystemTrayIcon.isSystemTrayAvailable()`` is False here: the app is told a tray
exists (``tray_available=True``), which fakes the tray host; the tray icon, its menu, the window, the settings
dialog and the settings are the real ones. The session is a recording fake (as in test_app_wiring.py). The
notifications go over the test run's real D-Bus session bus to a small org.freedesktop.Notifications service
below, which records what it was sent. Sound cues play on the in-memory sound device (``--no-audio``), which
records each write as a sound card would play it.
"""

from __future__ import annotations

import argparse
import os
import threading

import pytest

from desktop_agent.state import events as ev
from desktop_agent.ui import exception_guard
from desktop_agent.ui.session_phase import SessionPhase
from desktop_agent.ui.settings.desktop_page import NO_TRAY_REASON
from tests.conftest import run_async

NOTIFICATIONS = "org.freedesktop.Notifications"


class RecordingSession:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, *args))


class NotificationService:
    """org.freedesktop.Notifications on the session bus, answering GetCapabilities and recording each Notify."""

    def __init__(self, capabilities: tuple[str, ...] = ("body",)) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.capabilities = list(capabilities)
        self.received: list[dict] = []
        self._stop = threading.Event()
        self._connection = open_dbus_connection(bus="SESSION")
        owner = self._connection.send_and_get_reply(message_bus.RequestName(NOTIFICATIONS, 4), timeout=5)
        assert owner.body == (1,), "another notification service owns the name on this bus"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return

        while not self._stop.is_set():
            try:
                message = self._connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            if message.header.message_type is not MessageType.method_call:
                continue
            member = message.header.fields.get(HeaderFields.member)
            if member == "GetCapabilities":
                reply = new_method_return(message, "as", (self.capabilities,))
            elif member == "Notify":
                app, _replaces, icon, title, body, _actions, hints, _timeout = message.body
                self.received.append({"app": app, "icon": icon, "title": title, "body": body, "hints": hints})
                reply = new_method_return(message, "u", (len(self.received),))
            else:
                reply = new_error(message, "org.freedesktop.DBus.Error.UnknownMethod")
            self._connection.send(reply)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._connection.close()


@pytest.fixture
def notifications():
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip("no D-Bus session bus; run the tests through tests/run.sh")
    service = NotificationService()
    yield service
    service.close()


def make_desktop(qtbot, tmp_path, monkeypatch, tray_available: bool):
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    from desktop_agent.app import DesktopApp

    args = argparse.Namespace(simulate=False, profile="prd", screenshot=None, log_level="WARNING", no_audio=True)
    app = DesktopApp(args, autostart=False, record_history=False, tray_available=tray_available)
    run_async(qtbot, app.start(), timeout_ms=60_000)
    return app


@pytest.fixture
def desktop(qtbot, qloop, tmp_path, monkeypatch):
    app = make_desktop(qtbot, tmp_path, monkeypatch, tray_available=True)
    yield app
    app.controller._session = None
    run_async(qtbot, app.shutdown(), timeout_ms=20_000)
    app.window.quit()
    exception_guard.uninstall()


def running_session(desktop) -> RecordingSession:
    session = RecordingSession()
    desktop.controller._session = session
    desktop.controller._set_phase(SessionPhase.RUNNING)
    return session


def deliver(qtbot, desktop, *events: ev.Event) -> None:
    for event in events:
        desktop.bridge.deliver(event)
    desktop.bridge.flush()


def test_the_tray_follows_the_session_and_its_menu_reaches_the_window_and_the_session(desktop, qtbot):
    tray = desktop.tray
    assert tray is not None and tray.isVisible()
    assert tray.toolTip() == f"Desktop Agent: {desktop.window.state_indicator.text}"
    session = running_session(desktop)
    started = ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK)
    deliver(qtbot, desktop, started, ev.AgentStateChanged(ev.AgentState.LISTENING))
    assert tray.toolTip() == "Desktop Agent: Listening — hold Space to talk" and tray.mute_action.isEnabled()
    deliver(qtbot, desktop, ev.AgentStateChanged(ev.AgentState.THINKING))
    assert tray.state.value == "thinking" and tray.toolTip() == "Desktop Agent: Thinking…"

    tray.hands_free_action.trigger()
    assert ("set_mode", ev.TurnMode.HANDS_FREE) in session.calls
    assert desktop.window.controls.mode_switch.mode is ev.TurnMode.HANDS_FREE  # the window shows the choice too
    deliver(qtbot, desktop, ev.ModeChanged(mode=ev.TurnMode.HANDS_FREE))  # what the engine answers
    assert tray.hands_free_action.isChecked() and desktop.window.hands_free_action.isChecked()
    tray.push_to_talk_action.trigger()
    assert session.calls[-1] == ("set_mode", ev.TurnMode.PUSH_TO_TALK)

    tray.mute_action.trigger()
    assert session.calls[-1] == ("set_muted", True)
    deliver(qtbot, desktop, ev.MuteChanged(muted=True))
    assert tray.mute_action.isChecked() and desktop.window.mute_action.isChecked()

    tray.new_conversation_action.trigger()
    assert session.calls[-1] == ("new_conversation",)

    desktop.window.hide()
    tray.show_window_action.trigger()
    assert desktop.window.isVisible() and not desktop.window.isMinimized()


def test_quit_from_the_tray_ends_the_session_and_the_app(desktop, qtbot):
    session = running_session(desktop)
    desktop.settings.desktop.close_to_tray = True
    desktop.apply_settings()
    desktop.window.close()  # to the tray first: Quit must still end the app with the window hidden
    assert not desktop.window.isVisible() and not desktop.finished.done()
    desktop.tray.quit_action.trigger()
    qtbot.waitUntil(desktop.finished.done, timeout=20_000)
    assert ("stop", 8.0) in session.calls  # the clean shutdown path: the pipeline stopped first
    assert desktop.finished.result() == 0 and desktop.controller.session is None
    qtbot.waitUntil(lambda: not desktop.window.isVisible(), timeout=5_000)


def test_closing_with_close_to_tray_hides_the_window_and_keeps_the_session(desktop, qtbot):
    desktop.window.settings_action.trigger()
    page = desktop.settings_dialog.desktop_page
    assert page.close_to_tray.isEnabled() and not page.close_to_tray.isChecked() and page.tray_reason.isHidden()
    page.close_to_tray.setChecked(True)
    assert desktop.settings_store.load()[0].desktop.close_to_tray  # saved
    desktop.settings_dialog.close()
    session = running_session(desktop)

    desktop.window.close()
    assert not desktop.window.isVisible()
    assert desktop.controller.session is session and not desktop.finished.done()
    assert ("stop", 8.0) not in session.calls
    desktop.tray.activated.emit(desktop.tray.ActivationReason.Trigger)  # a click on the tray icon
    assert desktop.window.isVisible()

    page.close_to_tray.setChecked(False)
    desktop.window.close()  # now closing quits, through the same clean shutdown as before
    qtbot.waitUntil(desktop.finished.done, timeout=20_000)
    assert ("stop", 8.0) in session.calls


def test_without_a_tray_closing_quits_and_close_to_tray_says_why_it_is_off(qtbot, qloop, tmp_path, monkeypatch):
    desktop = make_desktop(qtbot, tmp_path, monkeypatch, tray_available=False)
    try:
        assert desktop.tray is None
        desktop.settings.desktop.close_to_tray = True  # e.g. chosen on another desktop that has a tray
        desktop.apply_settings()
        desktop.window.settings_action.trigger()
        page = desktop.settings_dialog.desktop_page
        assert not page.close_to_tray.isEnabled() and not page.close_to_tray.isChecked()
        assert page.tray_reason.isVisibleTo(page) and page.tray_reason.text() == NO_TRAY_REASON
        page.sound_cues.setChecked(True)
        assert desktop.settings.desktop.close_to_tray, "kept for a desktop with a tray"
        desktop.settings_dialog.close()
        desktop.window.close()
        qtbot.waitUntil(desktop.finished.done, timeout=20_000)
    finally:
        run_async(qtbot, desktop.shutdown(), timeout_ms=20_000)
        desktop.window.quit()
        exception_guard.uninstall()


def test_errors_while_the_window_is_hidden_are_notified_once_per_kind(desktop, qtbot, notifications):
    from desktop_agent.config.logging_setup import add_redaction

    add_redaction(["sk-test-secret-1234567"])
    refused = ev.ErrorOccurred(ev.ErrorKind.AUTH, "The language model rejected the API key. Open Settings > Keys.")
    deliver(qtbot, desktop, refused)  # the window shows it: its banner says it all
    desktop.notifier.wait()
    assert notifications.received == []

    desktop.window.showMinimized()
    unreachable = ev.ErrorOccurred(ev.ErrorKind.UNREACHABLE, "The speech-to-text provider cannot be reached.")
    deliver(qtbot, desktop, unreachable)
    qtbot.waitUntil(lambda: len(notifications.received) == 1, timeout=10_000)
    desktop.window.show_from_tray()

    desktop.window.hide()
    deliver(qtbot, desktop, refused, refused, refused)
    leaked = ev.ErrorOccurred(ev.ErrorKind.PROVIDER, "Rejected <b>key</b> sk-test-secret-1234567\x1b[2J.")
    deliver(qtbot, desktop, leaked, leaked)
    qtbot.waitUntil(lambda: len(notifications.received) == 3, timeout=10_000)
    desktop.notifier.wait()
    assert len(notifications.received) == 3, "one per kind, not one per error"
    first, *later = notifications.received
    assert first == {
        "app": "Desktop Agent",
        "icon": "desktop-agent",
        "title": "A provider cannot be reached",
        "body": "The speech-to-text provider cannot be reached.",
        "hints": {"urgency": ("y", 1)},
    }
    bodies = {n["title"]: n["body"] for n in later}
    assert bodies == {
        "An API key was refused": "The language model rejected the API key. Open Settings > Keys.",
        # no markup service here: sent as written, without the secret and the escape sequence
        "A provider had a problem": "Rejected <b>key</b> [redacted].",
    }

    desktop.window.show_from_tray()  # seen again: a new error while hidden is news again
    desktop.window.hide()
    deliver(qtbot, desktop, refused)
    qtbot.waitUntil(lambda: len(notifications.received) == 4, timeout=10_000)


def test_a_service_that_renders_markup_gets_the_text_escaped(desktop, qtbot, notifications):
    notifications.capabilities = ["body", "body-markup"]
    desktop.window.hide()
    deliver(qtbot, desktop, ev.ErrorOccurred(ev.ErrorKind.PROVIDER, 'The reply was <a href="x">cut</a> & lost.'))
    qtbot.waitUntil(lambda: len(notifications.received) == 1, timeout=10_000)
    assert notifications.received[0]["body"] == 'The reply was &lt;a href="x"&gt;cut&lt;/a&gt; &amp; lost.'


def played_cues(backend, cue) -> int:
    from desktop_agent.ui.sound_cues import cue_pcm

    wanted = cue_pcm(cue)
    return sum(1 for chunk in backend.played if chunk.pcm == wanted)


def test_sound_cues_are_off_by_default_and_play_on_press_release_and_reply_when_on(desktop, qtbot):
    from desktop_agent.ui.sound_cues import Cue

    backend = desktop.controller.audio_backend  # the in-memory sound device of --no-audio
    assert not desktop.settings.desktop.sound_cues
    desktop.window.talk_pressed.emit()
    desktop.window.talk_released.emit()
    deliver(qtbot, desktop, ev.AgentStateChanged(ev.AgentState.ASSISTANT_SPEAKING))
    qtbot.wait(200)  # nothing may play: give a wrongly queued cue time to reach the device
    assert desktop.cues is None and backend.played == []

    desktop.window.settings_action.trigger()
    desktop.settings_dialog.desktop_page.sound_cues.setChecked(True)
    deliver(qtbot, desktop, ev.AgentStateChanged(ev.AgentState.LISTENING))
    desktop.window.talk_pressed.emit()
    qtbot.waitUntil(lambda: played_cues(backend, Cue.PRESS) == 1, timeout=10_000)
    desktop.window.talk_released.emit()
    qtbot.waitUntil(lambda: played_cues(backend, Cue.RELEASE) == 1, timeout=10_000)
    deliver(qtbot, desktop, ev.AgentStateChanged(ev.AgentState.THINKING))
    deliver(qtbot, desktop, ev.AgentStateChanged(ev.AgentState.ASSISTANT_SPEAKING))
    qtbot.waitUntil(lambda: played_cues(backend, Cue.REPLY) == 1, timeout=10_000)
    chunk = next(c for c in backend.played if c.pcm)
    assert chunk.device == "Memory Speaker" and (chunk.ends - chunk.starts) < 0.1  # short

    desktop.settings_dialog.desktop_page.sound_cues.setChecked(False)
    before = len(backend.played)
    desktop.window.talk_pressed.emit()
    qtbot.wait(200)
    assert len(backend.played) == before
