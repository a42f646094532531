"""Settings > Privacy > Summaries: the off switch and the fields schema (a JSON schema the user edits), saved to the
settings file; a schema that cannot be used is one sentence and changes nothing."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from desktop_agent.summaries.fields_schema import DEFAULT_FIELDS_SCHEMA
from tests.ui.settings.conftest import saved_settings

CUSTOM = '{"properties": {"customer": {"type": "string"}}}'


def test_summaries_are_switched_off_and_on_and_saved(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.privacy_page
    assert page.summaries.isChecked()
    with qtbot.waitSignal(dialog.summaries_changed) as changed:
        page.summaries.setChecked(False)
    assert changed.args == [False]
    assert saved_settings(config_dir)["privacy"]["summaries"] is False
    with qtbot.waitSignal(dialog.summaries_changed) as changed:
        page.summaries.setChecked(True)
    assert changed.args == [True]


def test_the_fields_schema_is_checked_before_it_is_kept(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.privacy_page
    assert json.loads(page.summary_fields.toPlainText()) == json.loads(DEFAULT_FIELDS_SCHEMA)
    page.summary_fields.setPlainText('{"properties": {"customer": ')
    with qtbot.assertNotEmitted(dialog.summary_fields_changed):
        qtbot.mouseClick(page.apply_fields_button, Qt.MouseButton.LeftButton)
    assert page.fields_status.text().startswith("The fields schema is not valid JSON (line 1, column")
    assert page.fields_status.text().endswith("; the fields in use stay as they were.")
    assert dialog.settings.privacy.summary_fields == DEFAULT_FIELDS_SCHEMA
    assert page.summary_fields.toPlainText() == '{"properties": {"customer": '  # what was typed is not lost

    page.summary_fields.setPlainText(CUSTOM)
    with qtbot.waitSignal(dialog.summary_fields_changed):
        qtbot.mouseClick(page.apply_fields_button, Qt.MouseButton.LeftButton)
    assert page.fields_status.text() == "The next summaries extract these fields."
    assert saved_settings(config_dir)["privacy"]["summary_fields"] == CUSTOM

    with qtbot.waitSignal(dialog.summary_fields_changed):
        qtbot.mouseClick(page.default_fields_button, Qt.MouseButton.LeftButton)
    assert dialog.settings.privacy.summary_fields == DEFAULT_FIELDS_SCHEMA


def test_edited_fields_say_they_wait_for_apply(make_dialog, qtbot, config_dir):
    """Every other setting applies as it changes: edited fields said nothing, and closing the panel left them unused."""
    page = make_dialog().privacy_page
    assert page.fields_status.text() == ""
    page.summary_fields.setPlainText(CUSTOM)
    assert page.fields_status.text() == "These fields are not in use yet: Apply fields checks and keeps them."
    qtbot.mouseClick(page.apply_fields_button, Qt.MouseButton.LeftButton)
    assert page.fields_status.text() == "The next summaries extract these fields."
    page.summary_fields.setPlainText(CUSTOM + " ")
    page.summary_fields.setPlainText(CUSTOM)  # back to what is in use
    assert page.fields_status.text() == ""
