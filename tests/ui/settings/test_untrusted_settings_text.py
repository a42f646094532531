"""The settings panel shows what the user's files hold (values, preset names and descriptions, the voice name from
the provider's list) as plain text, and its prompt editor enforces the same limits as loading the library."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop_agent.config.prompts import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH
from desktop_agent.ui.settings import SettingsPage

HTML = "<b>x</b>"


def test_every_label_quoting_the_files_is_plain_text(make_dialog, config_dir, qtbot):
    (config_dir / "settings.json").write_text(json.dumps({
        "voice": {"voice_id": "v1", "voice_name": f"{HTML} Rachel"},
        "models": {"temperature": f"{HTML} hot"},
    }))
    (config_dir / "prompts.json").write_text(json.dumps({"schema_version": 1, "seeded": [], "presets": [
        {"name": f"{HTML} preset", "text": "Be brief.", "description": f"<i>{HTML}</i>\u202e"},
    ]}))
    dialog = make_dialog()
    dialog.show_page(SettingsPage.PROMPTS)

    quoting = [label for label in dialog.findChildren(QLabel) if HTML in label.text()]
    assert dialog.notice_label in quoting and dialog.voice_page.current_label in quoting
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in quoting), [
        label.text() for label in quoting if label.textFormat() != Qt.TextFormat.PlainText
    ]
    assert "“models.temperature” in the settings file is '<b>x</b> hot'" in dialog.notice_label.text()
    assert dialog.voice_page.current_label.text() == f"Current voice: {HTML} Rachel"

    page = dialog.prompts_page
    item = next(page.preset_list.item(row) for row in range(page.preset_list.count())
                if page.preset_list.item(row).data(Qt.ItemDataRole.UserRole) == f"{HTML} preset")
    assert item.text() == f"{HTML} preset"
    assert item.toolTip() == "<p>&lt;i&gt;&lt;b&gt;x&lt;/b&gt;&lt;/i&gt;</p>"  # escaped, override removed
    page.preset_list.setCurrentItem(item)
    page.ask_delete()
    box = page.confirm_box
    assert box.textFormat() == Qt.TextFormat.PlainText and box.text() == f"Delete the preset “{HTML} preset”?"
    box.reject()


def test_the_editor_fields_stop_at_the_library_limits(make_dialog):
    page = make_dialog().prompts_page
    assert page.name_field.maxLength() == MAX_NAME_LENGTH
    assert page.description_field.maxLength() == MAX_DESCRIPTION_LENGTH
    page.description_field.setText("d" * (MAX_DESCRIPTION_LENGTH + 50))
    assert len(page.description_field.text()) == MAX_DESCRIPTION_LENGTH
