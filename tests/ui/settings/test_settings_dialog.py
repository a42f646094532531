"""The settings dialog as a whole: non-modal, pages, notices about overrides and problems, saving and closing."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from desktop_agent.ui.settings import SettingsPage
from tests.ui.settings.conftest import saved_settings


def test_is_non_modal_and_opens_on_any_page(make_dialog, qtbot):
    dialog = make_dialog()
    assert not dialog.isModal()
    assert [dialog.page_list.item(i).text() for i in range(dialog.page_list.count())] == [p.value for p in SettingsPage]
    for page in SettingsPage:
        dialog.show_page(page)
        assert dialog.isVisible() and dialog.current_page() is page
    qtbot.mouseClick(dialog.page_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=dialog.page_list.visualItemRect(dialog.page_list.item(2)).center())
    assert dialog.current_page() is SettingsPage.PROMPTS
    assert dialog.stack.currentIndex() == 2


def test_overrides_and_load_problems_are_shown(make_dialog, config_dir):
    (config_dir / "settings.json").write_text(json.dumps({"models": {"temperature": "hot"}}))
    dialog = make_dialog(environ={"DESKTOP_AGENT_AUDIO__VAD_STOP_SECS": "0.5"})
    text = dialog.notice_label.text()
    assert "“models.temperature” in the settings file is 'hot', which is not a number; using the default 0.7." in text
    assert "audio.vad_stop_secs by DESKTOP_AGENT_AUDIO__VAD_STOP_SECS (from the environment)" in text


def test_without_problems_no_notice_is_shown(make_dialog):
    dialog = make_dialog()
    dialog.show()
    assert not dialog.notice_label.isVisible()


def test_a_corrupt_settings_file_still_opens_the_panel_with_defaults(make_dialog, qtbot, config_dir):
    (config_dir / "settings.json").write_text("{not json")
    dialog = make_dialog()
    assert "moved to" in dialog.notice_label.text() and "settings.json.corrupt-" in dialog.notice_label.text()
    assert dialog.models_page.max_tokens.value() == 150
    dialog.models_page.max_tokens.setValue(160)
    with qtbot.waitSignal(dialog.llm_changed):
        dialog.models_page.max_tokens.editingFinished.emit()
    assert saved_settings(config_dir)["models"]["max_tokens"] == 160


def test_a_failed_save_is_explained_and_the_change_still_applies(make_dialog, qtbot, config_dir):
    """A directory in the place of the settings file makes the atomic rename fail (for root too)."""
    dialog = make_dialog()
    (config_dir / "settings.json").mkdir()
    dialog.models_page.temperature.setValue(0.1)
    with qtbot.waitSignal(dialog.llm_changed) as changed:
        dialog.models_page.temperature.editingFinished.emit()
    assert changed.args[1] == 0.1
    assert dialog.status_label.text().startswith(f"Settings could not be saved to {config_dir / 'settings.json'}")
    assert dialog.status_label.text().endswith("your change applies to this session only.")


def test_every_save_reports_the_settings(make_dialog, qtbot):
    dialog = make_dialog()
    dialog.budgets_page.fields[next(iter(dialog.budgets_page.fields))].setValue(400)
    with qtbot.waitSignal(dialog.settings_saved) as saved:
        dialog.budgets_page.fields[next(iter(dialog.budgets_page.fields))].editingFinished.emit()
    assert saved.args[0] is dialog.settings


def test_closing_stops_previews_and_fetches(make_dialog, qtbot, sim):
    sim.profile = sim.profile.copy(http_delay=3.0)  # a voice list that takes a while
    dialog = make_dialog()
    dialog.show_page(SettingsPage.VOICE)
    qtbot.waitUntil(lambda: dialog.runner.busy("voices"), timeout=5_000)
    task = dialog.runner.task("voices")
    dialog.close()
    qtbot.waitUntil(task.done, timeout=5_000)
    assert task.cancelled()
