"""Switching the conversation's language from the window: the status bar's language combo (the languages the
speech-to-text provider hears), Settings > Models & language, both reaching the running session at once and kept in
the settings. Real window, dialog and controller; the session is a recorder (the engine's side is
tests/engine/test_languages.py)."""

from __future__ import annotations

import argparse

from desktop_agent import providers
from desktop_agent.ui import exception_guard
from desktop_agent.ui.language_chooser import LanguageChooser
from tests.conftest import run_async
from tests.ui.test_app_wiring import RecordingSession, desktop  # noqa: F401 - desktop is a fixture

INDIAN = ["hi", "bn", "ta", "te", "kn", "ml", "mr", "gu", "pa", "or", "en-IN"]


def codes(chooser: LanguageChooser) -> list[str]:
    return [chooser.itemData(i) for i in range(chooser.count())]


def test_the_chooser_offers_what_speech_to_text_hears_and_asks_only_when_the_user_chooses(qtbot):
    chooser = LanguageChooser()
    qtbot.addWidget(chooser)
    chooser.offer(providers.get("sarvam"), "ta")
    assert codes(chooser) == ["en", *INDIAN, "auto"] or sorted(codes(chooser)) == sorted(["en", *INDIAN, "auto"])
    assert chooser.currentData() == "ta" and chooser.currentText() == "Tamil"
    chooser.offer(providers.get("cartesia"), "en")
    assert "hi" in codes(chooser) and "en-IN" in codes(chooser)
    assert "ta" not in codes(chooser) and "auto" not in codes(chooser)
    with qtbot.assertNotEmitted(chooser.language_chosen):
        chooser.show_language("hi")
    assert chooser.currentText() == "Hindi"
    with qtbot.waitSignal(chooser.language_chosen) as chosen:
        chooser.activated.emit(chooser.findData("de"))
    assert chosen.args == ["de"]


def test_the_status_bar_and_settings_switch_the_running_session_and_keep_the_choice(desktop, qtbot):  # noqa: F811
    chooser = desktop.window.status.language_chooser
    assert chooser.currentData() == desktop.settings.models.stt_language == "en"
    session = RecordingSession()
    desktop.controller._session = session
    chooser.activated.emit(chooser.findData("hi"))
    qtbot.waitUntil(lambda: session.calls[-1:] == [("set_language", "hi", "", "")], timeout=10_000)  # voice list first
    assert desktop.settings.models.stt_language == "hi" and chooser.currentData() == "hi"
    # The shipped voice assistant follows the language: its version written in Hindi takes over.
    hindi = desktop.prompts.get("Voice assistant (हिन्दी)")
    assert session.calls[0] == ("set_system_prompt", hindi.text, hindi.name)
    assert desktop.settings.prompt.active == hindi.name

    desktop.window.settings_action.trigger()
    page = desktop.settings_dialog.models_page
    assert page.stt_language.currentData() == "hi"
    with qtbot.assertNotEmitted(desktop.settings_dialog.restart_needed):
        page.stt_language.setCurrentIndex(page.stt_language.findData("en-IN"))
    qtbot.waitUntil(lambda: session.calls[-1] == ("set_language", "en-IN", "", ""), timeout=10_000)
    assert chooser.currentData() == "en-IN" and desktop.settings.models.stt_language == "en-IN"
    assert desktop.settings.prompt.active == "Voice assistant", "no version of its own: the default comes back"
    desktop.controller._session = None


def test_a_language_the_voice_cannot_speak_brings_a_voice_that_can(qtbot, qloop, tmp_path, monkeypatch):
    """On the simulator (its text-to-speech voices speak English, Spanish, French or German): switching an English
    voice to Spanish hands the session a Spanish voice with the language, keeps it in the settings and says so."""
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    from desktop_agent.app import DesktopApp

    args = argparse.Namespace(simulate=True, profile="instant", screenshot=None, log_level="WARNING", no_audio=True)
    app = DesktopApp(args, autostart=False, record_history=False)
    run_async(qtbot, app.start(), timeout_ms=60_000)
    running = app.controller._session
    try:
        app.settings.voice.voice_id, app.settings.voice.voice_name = "emu-voice-1", "Emu Rachel"  # English
        session = RecordingSession()
        app.controller._session = session
        chooser = app.window.status.language_chooser
        chooser.activated.emit(chooser.findData("es"))
        qtbot.waitUntil(lambda: bool(session.calls), timeout=10_000)
        [(call, language, voice_id, voice_name)] = session.calls
        assert (call, language) == ("set_language", "es") and voice_id not in ("", "emu-voice-1")
        assert (app.settings.voice.voice_id, app.settings.voice.voice_name) == (voice_id, voice_name)
        assert app.window.status.currentMessage() == f"The voice is now {voice_name}, who speaks Spanish."

        chooser.activated.emit(chooser.findData("en"))  # the Spanish voice cannot speak English either
        qtbot.waitUntil(lambda: len(session.calls) == 2, timeout=10_000)
        assert session.calls[1][1] == "en" and session.calls[1][2] not in ("", voice_id)
    finally:
        app.controller._session = running
        app._close_allowed = True
        run_async(qtbot, app.shutdown(), timeout_ms=20_000)
        app.window.close()
        exception_guard.uninstall()
