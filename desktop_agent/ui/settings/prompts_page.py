"""Settings > Prompts: the preset library (new, duplicate, rename, edit, delete, restore) and "use this prompt"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.config.prompts import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, PromptError, PromptLibrary
from desktop_agent.config.settings import AppSettings
from desktop_agent.ui.untrusted_text import plain_label, plain_message_box, plain_tooltip, shown_name, shown_text

NEW_PRESET_TEXT = (
    "You are a helpful voice assistant in a spoken conversation. Answer in one to three short spoken sentences, "
    "with no lists, markdown or emoji."
)
NAME_ROLE = Qt.ItemDataRole.UserRole


class PromptsPage(QWidget):
    """Emits ``prompt_applied(text, name)`` when a preset is chosen for the session, or the active one is edited."""

    prompt_applied = Signal(str, str)

    def __init__(self, settings: AppSettings, prompts: PromptLibrary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._prompts = prompts
        self.confirm_box: QMessageBox | None = None

        self.preset_list = QListWidget()
        self.preset_list.setAccessibleName("Prompt presets")
        self.new_button = QPushButton("New")
        self.duplicate_button = QPushButton("Duplicate")
        self.delete_button = QPushButton("Delete…")
        self.restore_button = QPushButton("Restore shipped presets")
        self.name_field = QLineEdit()
        self.name_field.setAccessibleName("Preset name")
        self.name_field.setMaxLength(MAX_NAME_LENGTH)
        self.description_field = QLineEdit()
        self.description_field.setAccessibleName("Preset description")
        self.description_field.setMaxLength(MAX_DESCRIPTION_LENGTH)
        self.text_field = QPlainTextEdit()
        self.text_field.setAccessibleName("System prompt")
        self.save_button = QPushButton("Save changes")
        self.apply_button = QPushButton("Use this prompt")
        self.status_label = plain_label(QLabel())  # quotes preset names and the library's problems
        self.status_label.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.preset_list, 1)
        list_buttons = QHBoxLayout()
        for button in (self.new_button, self.duplicate_button, self.delete_button):
            list_buttons.addWidget(button)
        left_layout.addLayout(list_buttons)
        left_layout.addWidget(self.restore_button)
        right = QWidget()
        form = QFormLayout(right)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name_field)
        form.addRow("Description", self.description_field)
        form.addRow("Prompt", self.text_field)
        editor_buttons = QHBoxLayout()
        editor_buttons.addStretch(1)
        editor_buttons.addWidget(self.save_button)
        editor_buttons.addWidget(self.apply_button)
        form.addRow(editor_buttons)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)

        self.preset_list.currentItemChanged.connect(self._show_selected)
        self.new_button.clicked.connect(self.create)
        self.duplicate_button.clicked.connect(self.duplicate)
        self.delete_button.clicked.connect(self.ask_delete)
        self.restore_button.clicked.connect(self.restore)
        self.save_button.clicked.connect(self.save)
        self.apply_button.clicked.connect(self.apply)
        self.reload(select=settings.prompt.active)
        if prompts.problems:
            self.status_label.setText(shown_text(" ".join(prompts.problems)))

    # ------------------------------------------------------------------------------------------------ view
    def selected_name(self) -> str | None:
        item = self.preset_list.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def reload(self, select: str | None = None) -> None:
        active = self._prompts.resolve(self._settings.prompt.active)
        self.preset_list.blockSignals(True)
        self.preset_list.clear()
        for preset in self._prompts.list():
            is_active = active is not None and preset.name == active.name
            name = shown_name(preset.name, MAX_NAME_LENGTH)
            item = QListWidgetItem(f"{name}  (in use)" if is_active else name)
            item.setData(NAME_ROLE, preset.name)
            item.setToolTip(plain_tooltip(preset.description))
            if is_active:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.preset_list.addItem(item)
            if select is not None and preset.name.casefold() == select.casefold():
                self.preset_list.setCurrentItem(item)
        if self.preset_list.currentItem() is None and self.preset_list.count():
            self.preset_list.setCurrentRow(0)
        self.preset_list.blockSignals(False)
        self._show_selected()

    def _show_selected(self) -> None:
        name = self.selected_name()
        preset = self._prompts.get(name) if name else None
        for widget in (
            self.name_field,
            self.description_field,
            self.text_field,
            self.save_button,
            self.apply_button,
            self.duplicate_button,
            self.delete_button,
        ):
            widget.setEnabled(preset is not None)
        if preset is None:
            return
        self.name_field.setText(preset.name)
        self.description_field.setText(preset.description)
        self.text_field.setPlainText(preset.text)

    def _attempt(self, action: Callable[[], Any]) -> tuple[bool, Any]:
        """Run a library change; a refusal is shown in the status line. Returns (succeeded, result)."""
        try:
            result = action()
        except PromptError as exc:
            self.status_label.setText(str(exc))
            return False, None
        self.status_label.setText("")
        return True, result

    # ------------------------------------------------------------------------------------------------ actions
    def create(self) -> None:  # type: ignore[override]  # a button's action, not QWidget.create (never called so)
        name, counter = "New preset", 2
        while self._prompts.get(name):
            name, counter = f"New preset {counter}", counter + 1
        ok, preset = self._attempt(lambda: self._prompts.create(name, NEW_PRESET_TEXT))
        if ok and preset is not None:
            self.reload(select=preset.name)
            self.name_field.setFocus()
            self.name_field.selectAll()

    def duplicate(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        ok, preset = self._attempt(lambda: self._prompts.duplicate(name))
        if ok and preset is not None:
            self.reload(select=preset.name)

    def save(self) -> None:
        """Save the editor: a changed name renames the preset; text and description are updated."""
        old = self.selected_name()
        if old is None:
            return
        new_name = self.name_field.text()
        was_active = self._is_active(old)
        ok, renamed = self._attempt(lambda: self._prompts.rename(old, new_name))
        if not ok or renamed is None:
            return
        if was_active:
            self._settings.prompt.active = renamed.name
        ok, updated = self._attempt(
            lambda: self._prompts.update(
                renamed.name, text=self.text_field.toPlainText(), description=self.description_field.text()
            )
        )
        if not ok or updated is None:
            message = self.status_label.text()
            self.reload(select=renamed.name)
            self.status_label.setText(message)
            return
        self.reload(select=updated.name)
        self.status_label.setText(f"Saved “{updated.name}”.")
        if was_active:
            self.prompt_applied.emit(updated.text, updated.name)

    def ask_delete(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete preset",
            f"Delete the preset “{shown_name(name)}”?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        plain_message_box(box)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda result: self._delete_answered(name, result))
        self.confirm_box = box
        box.open()  # window-modal and non-blocking: the session keeps running

    def _delete_answered(self, name: str, result: int) -> None:
        self.confirm_box = None
        if result != QMessageBox.StandardButton.Yes:
            return
        was_active = self._is_active(name)
        ok, _ = self._attempt(lambda: self._prompts.delete(name))
        if not ok:
            return
        self.reload()
        if was_active:
            fallback = self._prompts.resolve(self._settings.prompt.active)
            if fallback is not None:
                self._settings.prompt.active = fallback.name
                self.reload(select=fallback.name)
                self.prompt_applied.emit(fallback.text, fallback.name)

    def restore(self) -> None:
        ok, _ = self._attempt(self._prompts.restore_defaults)
        if not ok:
            return
        self.reload(select=self.selected_name())
        self.status_label.setText("The shipped presets are back.")

    def apply(self) -> None:
        name = self.selected_name()
        preset = self._prompts.get(name) if name else None
        if preset is None:
            return
        self._settings.prompt.active = preset.name
        self.reload(select=preset.name)
        self.status_label.setText(f"“{preset.name}” is now the assistant's prompt.")
        self.prompt_applied.emit(preset.text, preset.name)

    def _is_active(self, name: str) -> bool:
        active = self._prompts.resolve(self._settings.prompt.active)
        return active is not None and active.name.casefold() == name.casefold()
