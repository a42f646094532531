"""SessionController: start/stop, phases, forwarding gestures, and a clean stop that never blocks the Qt thread.

The voice session here is a recording fake (:class:`FakeSession`) so the controller's own rules can be checked
quickly and exactly; the real engine runs behind the same controller in tests/e2e/test_window_e2e.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import ClassVar

import pytest

from desktop_agent.state import events as ev
from desktop_agent.ui.bridge import EngineBridge
from desktop_agent.ui.error_banner import BannerAction
from desktop_agent.ui.session_controller import SessionController
from desktop_agent.ui.session_phase import SessionPhase
from tests.conftest import run_async


class FakeSession:
    """Stands in for VoiceSession: emits SessionStarted from its own thread, takes 0.3 s to stop."""

    instances: ClassVar[list[FakeSession]] = []

    def __init__(self, config, on_event, **kwargs):
        self.config, self.on_event, self.kwargs = config, on_event, kwargs
        self.calls: list[tuple] = []
        self.stop_thread: int | None = None
        FakeSession.instances.append(self)

    def start(self):
        self.calls.append(("start",))
        threading.Thread(target=lambda: self.on_event(ev.SessionStarted(mode=self.config.mode))).start()

    def stop(self, timeout=5.0):
        self.stop_thread = threading.get_ident()
        time.sleep(0.3)
        self.on_event(ev.SessionEnded(reason="stopped"))

    def __getattr__(self, name):
        return lambda *args: self.calls.append((name, *args))


class Config:
    mode = ev.TurnMode.PUSH_TO_TALK


@pytest.fixture
def rig(qtbot, qloop):
    FakeSession.instances.clear()
    bridge = EngineBridge()
    controller = SessionController(bridge, Config, session_factory=FakeSession)
    phases: list[SessionPhase] = []
    problems: list[tuple[str, str]] = []
    controller.phase_changed.connect(phases.append)
    controller.problem.connect(lambda message, action: problems.append((message, action)))
    run_async(qtbot, controller.load_engine())
    return bridge, controller, phases, problems


def test_a_session_starts_runs_and_stops_without_blocking_the_qt_thread(rig, qtbot):
    bridge, controller, phases, _problems = rig
    assert controller.start()
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.RUNNING, timeout=2000)
    session = FakeSession.instances[0]
    assert session.kwargs == {} and session.calls == [("set_muted", False), ("start",)]

    ticks: list[float] = []  # the Qt loop keeps turning while stop() joins the engine on a worker thread
    task = asyncio.ensure_future(controller.stop())
    while not task.done():
        ticks.append(time.monotonic())
        qtbot.wait(10)
    assert session.stop_thread != threading.get_ident()
    assert len(ticks) >= 10  # ~0.3 s of stopping, with the loop alive throughout
    assert phases == [
        SessionPhase.STOPPED, SessionPhase.STARTING, SessionPhase.RUNNING, SessionPhase.STOPPING, SessionPhase.STOPPED
    ]
    assert bridge.conversation.ended_reason == "stopped"  # drained before the phase says stopped
    assert controller.idle and controller.session is None


def test_gestures_reach_the_session_and_the_mode_is_kept_for_the_next_one(rig, qtbot):
    _bridge, controller, _phases, _problems = rig
    controller.set_mode(ev.TurnMode.HANDS_FREE)
    controller.start()
    session = FakeSession.instances[0]
    assert session.config.mode is ev.TurnMode.HANDS_FREE
    controller.press_talk()
    controller.release_talk()
    controller.set_muted(True)
    controller.stop_speaking()
    controller.new_conversation()
    assert [c[0] for c in session.calls] == ["set_muted", "start", "press_talk", "release_talk", "set_muted",
                                             "stop_speaking", "new_conversation"]


def test_without_a_session_mode_and_reset_apply_to_the_display_directly(rig, qtbot):
    bridge, controller, _phases, _problems = rig
    bridge.deliver(ev.UserTranscript("old words", final=True))
    bridge.flush()
    controller.set_mode(ev.TurnMode.HANDS_FREE)
    controller.new_conversation()
    bridge.flush()
    assert bridge.conversation.mode is ev.TurnMode.HANDS_FREE
    assert bridge.conversation.turns == []


def test_settings_that_cannot_start_a_session_become_a_banner_with_open_settings(qtbot, qloop):
    class ConfigurationError(ValueError):
        problems: ClassVar[list[str]] = [
            "The Cartesia API key is missing. Open Settings > Keys and paste your Cartesia key."
        ]

    def refuse():
        raise ConfigurationError("missing key")

    controller = SessionController(EngineBridge(), refuse, session_factory=FakeSession)
    problems: list[tuple[str, str]] = []
    controller.problem.connect(lambda message, action: problems.append((message, action)))
    run_async(qtbot, controller.load_engine())
    assert not controller.start()
    assert problems == [(ConfigurationError.problems[0], BannerAction.OPEN_SETTINGS.value)]
    assert controller.phase is SessionPhase.STOPPED


def test_a_session_that_ends_by_itself_is_cleaned_up(rig, qtbot):
    bridge, controller, _phases, _problems = rig
    controller.start()
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.RUNNING, timeout=2000)
    bridge.deliver(ev.SessionEnded(reason="end_conversation"))  # e.g. the assistant said goodbye
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.STOPPED, timeout=3000)
    assert controller.idle
    assert controller.start()  # and a new one can start


def test_an_engine_that_cannot_be_imported_is_a_sentence(qtbot, qloop, monkeypatch):
    import desktop_agent.ui.session_controller as module

    monkeypatch.setattr(module, "ENGINE_MODULE", "desktop_agent.no_such_engine")
    controller = SessionController(EngineBridge(), Config)
    problems: list[tuple[str, str]] = []
    controller.problem.connect(lambda message, action: problems.append((message, action)))
    assert run_async(qtbot, controller.load_engine()) is False
    assert problems and problems[0][0].startswith("The voice engine could not be loaded (ModuleNotFoundError)")
    assert controller.phase is SessionPhase.LOADING and not controller.start()


def test_a_restart_carries_the_conversation_on_into_the_new_session(rig, qtbot):
    _bridge, controller, phases, _problems = rig
    assert not run_async(qtbot, controller.restart()), "nothing to restart without a session"
    assert controller.start()
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.RUNNING, timeout=2000)
    first = FakeSession.instances[0]
    said = [{"role": "user", "content": "Hello."}, {"role": "assistant", "content": "Hi! How can I help?"}]
    first.context_messages = lambda: said
    assert run_async(qtbot, controller.restart())
    qtbot.waitUntil(lambda: controller.phase is SessionPhase.RUNNING, timeout=2000)
    second = FakeSession.instances[1]
    assert second is controller.session and second.kwargs == {"history": said}
    assert phases[-3:] == [SessionPhase.STOPPED, SessionPhase.STARTING, SessionPhase.RUNNING]
    run_async(qtbot, controller.stop())
    assert controller.start()
    assert FakeSession.instances[2].kwargs == {}, "an ordinary start begins afresh"
    run_async(qtbot, controller.stop())


def test_settings_changes_reach_the_running_session_and_wait_for_the_next_one_otherwise(rig, qtbot):
    _bridge, controller, _phases, _problems = rig
    controller.set_voice("voice-2", "Adam")  # no session: the next one reads the settings
    controller.update_llm("llama-3.3-70b")
    controller.set_devices("USB mic", None)
    assert controller.input_device == "USB mic", "an early turn opens the chosen microphone too"
    assert controller.choose_language_model("groq") is False, "no session to switch: a new one is needed"
    controller.start()
    session = FakeSession.instances[0]
    session.choose_language_model = lambda provider_id: provider_id == "groq"
    controller.set_voice("voice-3", "Bella")
    controller.set_system_prompt("Be brief.", "Brief")
    controller.update_llm(temperature=0.3)
    controller.set_devices(2, "Speakers")
    controller.set_echo_cancellation(False, True)
    assert controller.choose_language_model("groq") and not controller.choose_language_model("openai")
    assert session.calls[2:] == [
        ("set_voice", "voice-3", "Bella"), ("set_system_prompt", "Be brief.", "Brief"), ("update_llm", None, 0.3, None),
        ("set_input_device", 2), ("set_output_device", "Speakers"), ("set_echo_cancellation", False, True),
    ]
    run_async(qtbot, controller.stop())


def test_the_voice_session_offers_everything_the_window_may_call():
    """The window reaches the engine through SessionPort only: every method it names exists on VoiceSession with the
    same parameters (mypy checks the types; this catches a rename in a plain test run)."""
    import inspect

    from desktop_agent.engine.session import VoiceSession
    from desktop_agent.ui.session_port import SessionPort

    names = [name for name in vars(SessionPort) if not name.startswith("_")]
    assert {"press_talk", "update_llm", "set_input_device", "choose_language_model", "ready"} <= set(names)
    for name in names:
        port, real = inspect.getattr_static(SessionPort, name), inspect.getattr_static(VoiceSession, name, None)
        assert real is not None, f"VoiceSession has no {name}"
        if isinstance(port, property):
            assert isinstance(real, property), name
            continue
        expected = [(p.name, p.kind) for p in inspect.signature(port).parameters.values()]
        actual = [(p.name, p.kind) for p in inspect.signature(real).parameters.values()]
        assert actual == expected, name
