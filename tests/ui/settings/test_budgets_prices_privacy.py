"""Settings > Latency budgets, Prices and Privacy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop_agent.state.cost import PriceTable
from desktop_agent.state.events import Stage
from desktop_agent.state.latency import DEFAULT_BUDGETS
from tests.ui.settings.conftest import saved_settings


def test_budgets_are_edited_in_milliseconds(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.budgets_page
    assert page.fields[Stage.VOICE_TO_VOICE].value() == 800
    page.fields[Stage.VOICE_TO_VOICE].setValue(950)
    with qtbot.waitSignal(dialog.budgets_changed) as changed:
        page.fields[Stage.VOICE_TO_VOICE].editingFinished.emit()
    assert changed.args[0] == {**DEFAULT_BUDGETS, Stage.VOICE_TO_VOICE: 0.95}
    assert saved_settings(config_dir)["budgets"]["voice_to_voice"] == 0.95
    with qtbot.waitSignal(dialog.budgets_changed) as changed:
        qtbot.mouseClick(page.defaults_button, Qt.MouseButton.LeftButton)
    assert changed.args[0] == DEFAULT_BUDGETS
    assert saved_settings(config_dir)["budgets"]["voice_to_voice"] == 0.8


def test_prices_feed_the_cost_meter(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.prices_page
    assert page.fields["llm_per_million_tokens"].value() == 0.6
    page.fields["llm_per_million_tokens"].setValue(0.85)
    with qtbot.waitSignal(dialog.prices_changed) as changed:
        page.fields["llm_per_million_tokens"].editingFinished.emit()
    assert changed.args[0] == PriceTable(llm_per_million_tokens=0.85)
    assert saved_settings(config_dir)["prices"]["llm_per_million_tokens"] == 0.85
    with qtbot.waitSignal(dialog.prices_changed) as changed:
        qtbot.mouseClick(page.defaults_button, Qt.MouseButton.LeftButton)
    assert changed.args[0] == PriceTable()


def test_history_settings_are_emitted_and_saved(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.privacy_page
    assert page.keep_history.isChecked() and page.retention.text() == "Forever"
    page.retention.setValue(30)
    with qtbot.waitSignal(dialog.history_settings_changed) as changed:
        page.retention.editingFinished.emit()
    assert changed.args == [True, 30]
    with qtbot.waitSignal(dialog.history_settings_changed) as changed:
        page.keep_history.setChecked(False)
    assert changed.args == [False, 30]
    assert not page.retention.isEnabled()
    saved = saved_settings(config_dir)["privacy"]
    assert (saved["keep_history"], saved["retention_days"]) == (False, 30)


def test_delete_everything_asks_first(make_dialog, qtbot):
    dialog = make_dialog()
    page = dialog.privacy_page
    with qtbot.assertNotEmitted(dialog.delete_history_requested):
        qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
        page.confirm_box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert page.confirm_box.text() == "Delete every stored conversation? This cannot be undone."
    with qtbot.waitSignal(dialog.delete_history_requested):
        page.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert page.status_label.text() == "Deleting all conversations…"
    page.show_deleted("All conversations were deleted.")
    assert page.status_label.text() == "All conversations were deleted."
