"""Settings > Prompts: the preset library through the panel, and applying a preset to the session."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.ui.settings.conftest import saved_settings


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def labels(page) -> list[str]:
    return [page.preset_list.item(row).text() for row in range(page.preset_list.count())]


def select(page, name: str) -> None:
    for row in range(page.preset_list.count()):
        if page.preset_list.item(row).data(Qt.ItemDataRole.UserRole) == name:
            page.preset_list.setCurrentRow(row)
            return
    raise AssertionError(f"{name} is not listed")


def library(config_dir) -> dict[str, str]:
    data = json.loads((config_dir / "prompts.json").read_text())
    return {p["name"]: p["text"] for p in data["presets"]}


def test_the_shipped_presets_are_listed_with_the_active_one_marked(make_dialog):
    page = make_dialog().prompts_page
    assert labels(page)[:4] == [
        "Voice assistant  (in use)", "Concise tutor", "Language practice partner", "Brainstorm partner"]
    assert labels(page)[4:6] == ["Voice assistant (हिन्दी)", "Voice assistant (বাংলা)"] and len(labels(page)) == 14
    assert page.selected_name() == "Voice assistant"
    assert "no markdown" in page.text_field.toPlainText()
    assert page.preset_list.item(0).font().bold()


def test_applying_a_preset_emits_its_text_and_saves_the_choice(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.prompts_page
    select(page, "Concise tutor")
    with qtbot.waitSignal(dialog.prompt_changed) as changed:
        click(qtbot, page.apply_button)
    assert changed.args[1] == "Concise tutor" and changed.args[0] == library(config_dir)["Concise tutor"]
    assert saved_settings(config_dir)["prompt"]["active"] == "Concise tutor"
    assert "Concise tutor  (in use)" in labels(page)


def test_create_edit_rename_and_duplicate(make_dialog, qtbot, config_dir):
    page = make_dialog().prompts_page
    click(qtbot, page.new_button)
    assert page.selected_name() == "New preset" and page.name_field.text() == "New preset"
    page.name_field.setText("Pirate")
    page.description_field.setText("Arr")
    page.text_field.setPlainText("Talk like a pirate, in one short sentence.")
    click(qtbot, page.save_button)
    assert page.status_label.text() == "Saved “Pirate”."
    assert library(config_dir)["Pirate"] == "Talk like a pirate, in one short sentence."
    assert "New preset" not in library(config_dir)

    click(qtbot, page.duplicate_button)
    assert page.selected_name() == "Pirate (copy)"
    assert library(config_dir)["Pirate (copy)"] == library(config_dir)["Pirate"]

    page.name_field.setText("pirate")  # clashes with "Pirate" (names ignore case)
    click(qtbot, page.save_button)
    assert page.status_label.text() == "A preset called “Pirate” already exists; choose another name."
    assert "Pirate (copy)" in library(config_dir)


def test_editing_the_active_preset_reapplies_it(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.prompts_page
    page.name_field.setText("My assistant")
    page.text_field.setPlainText("Be brief.")
    with qtbot.waitSignal(dialog.prompt_changed) as changed:
        click(qtbot, page.save_button)
    assert changed.args == ["Be brief.", "My assistant"]
    assert saved_settings(config_dir)["prompt"]["active"] == "My assistant"
    assert labels(page)[0] == "My assistant  (in use)"


def test_delete_asks_first_and_falls_back_when_the_active_one_goes(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.prompts_page
    select(page, "Brainstorm partner")
    click(qtbot, page.delete_button)
    assert page.confirm_box is not None and page.confirm_box.isVisible()
    page.confirm_box.button(QMessageBox.StandardButton.No).click()
    assert "Brainstorm partner" in library(config_dir)

    click(qtbot, page.delete_button)
    page.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert "Brainstorm partner" not in library(config_dir)
    assert "Brainstorm partner" not in labels(page)

    select(page, "Voice assistant")  # the active one
    click(qtbot, page.delete_button)
    with qtbot.waitSignal(dialog.prompt_changed) as changed:
        page.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert changed.args[1] == "Concise tutor"
    assert saved_settings(config_dir)["prompt"]["active"] == "Concise tutor"

    click(qtbot, page.restore_button)
    assert page.status_label.text() == "The shipped presets are back."
    assert {"Voice assistant", "Brainstorm partner"} <= set(library(config_dir))


def test_an_empty_prompt_is_refused(make_dialog, qtbot, config_dir):
    page = make_dialog().prompts_page
    before = library(config_dir)["Voice assistant"]
    page.text_field.setPlainText("   ")
    click(qtbot, page.save_button)
    assert page.status_label.text() == "The prompt is empty; write what the assistant should do."
    assert library(config_dir)["Voice assistant"] == before
