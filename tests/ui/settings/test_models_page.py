"""Settings > Models & language: LLM settings and the language apply at once; voice model and memory next session."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from desktop_agent.config import llm_models
from desktop_agent.ui.settings import SettingsPage
from tests.ui.settings.conftest import saved_settings


def finish(field) -> None:
    """Commit a spin box or line edit the way leaving the field does."""
    field.editingFinished.emit()


def test_shows_the_current_settings(make_dialog):
    page = make_dialog(environ={"DESKTOP_AGENT_MODELS__MAX_TOKENS": "120"}).models_page
    assert page.llm_model.currentText() == "gpt-oss-120b"
    assert page.temperature.value() == 0.7
    assert page.max_tokens.value() == 120
    assert page.stt_language.currentData() == "en"
    assert page.tts_model.currentText() == "eleven_flash_v2_5"
    assert page.history.value() == 20


def test_llm_changes_apply_at_once_and_are_saved(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.models_page
    page.temperature.setValue(0.35)
    with qtbot.waitSignal(dialog.llm_changed) as changed:
        finish(page.temperature)
    assert changed.args == ["gpt-oss-120b", 0.35, 150]
    page.max_tokens.setValue(300)
    with qtbot.waitSignal(dialog.llm_changed) as changed:
        finish(page.max_tokens)
    assert changed.args == ["gpt-oss-120b", 0.35, 300]
    page.llm_model.setCurrentText("qwen-3.8-27b")
    with qtbot.waitSignal(dialog.llm_changed) as changed:
        finish(page.llm_model.lineEdit())
    assert changed.args == ["qwen-3.8-27b", 0.35, 300]
    saved = saved_settings(config_dir)["models"]
    assert (saved["llm_model"], saved["temperature"], saved["max_tokens"]) == ("qwen-3.8-27b", 0.35, 300)
    with qtbot.assertNotEmitted(dialog.llm_changed):
        finish(page.temperature)  # nothing changed: no signal


def test_an_empty_model_name_is_refused(make_dialog, qtbot):
    dialog = make_dialog()
    page = dialog.models_page
    page.llm_model.setCurrentText("  ")
    with qtbot.assertNotEmitted(dialog.llm_changed):
        finish(page.llm_model.lineEdit())
    assert page.status_label.text() == "Choose a Cerebras model."
    assert page.llm_model.currentText() == "gpt-oss-120b"


def test_next_session_settings_say_so(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.models_page
    page.tts_model.setCurrentText("eleven_turbo_v2_5")
    with qtbot.waitSignal(dialog.restart_needed) as restart:
        finish(page.tts_model.lineEdit())
    assert restart.args == ["The voice model applies from the next session."]
    assert dialog.status_label.text() == "The voice model applies from the next session."
    page.history.setValue(0)
    with qtbot.waitSignal(dialog.restart_needed):
        finish(page.history)
    saved = saved_settings(config_dir)
    assert saved["models"]["tts_model"] == "eleven_turbo_v2_5"
    assert saved["conversation"]["max_history_exchanges"] == 0


def test_too_short_a_memory_is_refused(make_dialog, qtbot):
    dialog = make_dialog()
    page = dialog.models_page
    page.history.setValue(5)
    with qtbot.assertNotEmitted(dialog.restart_needed):
        finish(page.history)
    assert page.status_label.text() == (
        "Conversation memory (past exchanges) must be 0 (keep everything) or at least 10 (it is 5).")
    assert page.history.value() == 20


# --------------------------------------------------------------------------- the models Cerebras serves (simulator)
@pytest.fixture(autouse=True)
def empty_model_cache(monkeypatch):
    monkeypatch.setattr(llm_models, "_cache", {})


def open_models_page(make_dialog, qtbot, **kwargs):
    dialog = make_dialog(**kwargs)
    dialog.show_page(SettingsPage.MODELS)
    page = dialog.models_page
    qtbot.waitUntil(lambda: not dialog.runner.busy("models"), timeout=10_000)
    return dialog, page


def test_the_model_list_is_what_cerebras_serves(make_dialog, qtbot, sim):
    _, page = open_models_page(make_dialog, qtbot)
    assert page.models_label.text() == "Cerebras serves 2 models to this key."
    assert page.offered_models() == ["gpt-oss-120b", "qwen-3.8-27b"]
    assert page.llm_model.currentText() == "gpt-oss-120b" and not page.retired_notice.isVisible()
    assert len(sim.select("cerebras", "models_request")) == 1
    page.refresh_models()  # asked again within ten minutes: the cached answer
    qtbot.waitUntil(lambda: page.models_label.text() == "Cerebras serves 2 models to this key.", timeout=5_000)
    assert len(sim.select("cerebras", "models_request")) == 1


def test_a_retired_model_is_said_in_one_sentence_with_a_switch_that_works(make_dialog, qtbot, sim, config_dir):
    (config_dir / "settings.json").write_text(json.dumps({"models": {"llm_model": "llama-3.3-70b"}}))
    dialog, page = open_models_page(make_dialog, qtbot)
    notice = page.retired_notice
    assert notice.isVisible() and page.llm_model.currentText() == "llama-3.3-70b"
    assert notice.label.text() == ("The language model llama-3.3-70b is no longer offered by Cerebras. Switch to "
                                   "gpt-oss-120b.")
    assert notice.button.text() == "Switch to gpt-oss-120b"
    with qtbot.waitSignal(dialog.llm_changed) as changed:
        qtbot.mouseClick(notice.button, Qt.MouseButton.LeftButton)
    assert changed.args == ["gpt-oss-120b", 0.7, 150]
    assert page.llm_model.currentText() == "gpt-oss-120b" and not notice.isVisible()
    assert saved_settings(config_dir)["models"]["llm_model"] == "gpt-oss-120b"


def test_without_a_list_the_known_models_are_offered_and_the_reason_said(make_dialog, qtbot):
    _, page = open_models_page(make_dialog, qtbot, simulate=False)  # no key in this temporary home
    assert page.models_label.text() == "The Cerebras API key is missing. Open Settings > Keys and paste it."
    assert page.offered_models() == ["gpt-oss-120b", "qwen-3.8-27b"] and not page.retired_notice.isVisible()
