"""Switching the conversation's language from the window: the status bar's language combo (the languages the
speech-to-text provider hears), Settings > Models & language, both reaching the running session at once and kept in
the settings. Real window, dialog and controller; the session is a recorder (the engine's side is
tests/engine/test_languages.py)."""

from __future__ import annotations

from desktop_agent import providers
from desktop_agent.ui.language_chooser import LanguageChooser
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
    assert session.calls == [("set_language", "hi", "", "")]
    assert desktop.settings.models.stt_language == "hi" and chooser.currentData() == "hi"

    desktop.window.settings_action.trigger()
    page = desktop.settings_dialog.models_page
    assert page.stt_language.currentData() == "hi"
    with qtbot.assertNotEmitted(desktop.settings_dialog.restart_needed):
        page.stt_language.setCurrentIndex(page.stt_language.findData("en-IN"))
    assert session.calls[-1] == ("set_language", "en-IN", "", "")
    assert chooser.currentData() == "en-IN" and desktop.settings.models.stt_language == "en-IN"
    desktop.controller._session = None
