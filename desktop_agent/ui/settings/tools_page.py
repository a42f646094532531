"""Settings > Tools: the webhook actions the assistant may call, each with an on/off switch, and their editor; the MCP
servers whose tools it is offered (:mod:`mcp_servers_box`). Each box says what became of a click under its own buttons,
where the click was (the page is taller than the settings panel).

Changes are saved to the tools file at once (secret header values to the keyring) and apply from the next session:
``tools_changed`` says so. A definition that cannot be used is refused with one sentence and the form keeps what was
typed.
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.config.secrets import SecretsError
from desktop_agent.config.tool_secrets import ToolSecrets
from desktop_agent.config.tools import ToolLibrary, ToolsError, WebhookTool
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.mcp_servers_box import McpServersBox
from desktop_agent.ui.settings.switch_item import NAME_ROLE, is_on, switch_item
from desktop_agent.ui.settings.webhook_editor import WebhookEditor
from desktop_agent.ui.untrusted_text import plain_label, plain_message_box


class ToolsPage(QWidget):
    tools_changed = Signal()

    def __init__(
        self, library: ToolLibrary, secrets: ToolSecrets, runner: AsyncRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.secrets = secrets
        self._editing = ""  # the name of the action in the form ("" for a new one)
        self.discard_box: QMessageBox | None = None  # asking whether to discard the form's changes
        self.webhook_list = QListWidget()
        self.webhook_list.setAccessibleName("Webhook actions")
        self.new_button = QPushButton("New action")
        self.save_button = QPushButton("Save action")
        self.remove_button = QPushButton("Remove action")
        self.remove_button.setToolTip("Removes the action chosen in the list, with its secret header values.")
        self.editor = WebhookEditor()
        self.status_label = plain_label(QLabel())
        self.status_label.setWordWrap(True)
        note = QLabel(
            "Webhook actions let the assistant call your N8N, Zapier or Make workflows (or any URL): it sends the "
            "arguments described by the parameters' JSON schema. Secret header values are kept in the keyring. "
            "Changes apply from the next session."
        )
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.save_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        webhooks = QGroupBox("Webhook actions")
        box = QVBoxLayout(webhooks)
        box.addWidget(self.webhook_list)
        box.addLayout(buttons)
        box.addWidget(self.status_label)  # beside the buttons: the page is taller than the panel, the answer in view
        box.addWidget(self.editor)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(webhooks, 1)
        self.servers = McpServersBox(library, runner)
        layout.addWidget(self.servers, 1)
        self.servers.changed.connect(self.tools_changed)
        self.webhook_list.currentItemChanged.connect(self._selected)
        self.webhook_list.itemChanged.connect(self._switched)
        self.new_button.clicked.connect(self.new_action)
        self.save_button.clicked.connect(self.save_action)
        for field in (self.editor.name, self.editor.description, self.editor.url):
            field.returnPressed.connect(self.save_action)  # Enter in the form saves, as Save action does
        QWidget.setTabOrder(self.editor.ask_first, self.save_button)  # Save follows the form for the keyboard
        self.remove_button.clicked.connect(self.remove_action)
        self._fill_list()
        self.editor.show_tool(None)
        self._edit("")

    def _edit(self, name: str) -> None:
        """The form now holds the saved action ``name`` ("" for a new one): only a saved one can be removed."""
        self._editing = name
        self.remove_button.setEnabled(bool(name))

    def _fill_list(self, current: str = "") -> None:
        self.webhook_list.blockSignals(True)
        self.webhook_list.clear()
        for tool in self.library.webhooks:
            item = switch_item(f"{tool.name} — {tool.description}", tool.name, tool.enabled)
            item.setToolTip("Switch it off to keep it without offering it to the assistant.")
            self.webhook_list.addItem(item)
            if tool.name == current:
                self.webhook_list.setCurrentItem(item)
        self.webhook_list.blockSignals(False)

    def _selected(self, item: QListWidgetItem | None) -> None:
        self._show_action(item.data(NAME_ROLE) if item is not None else "")

    def _switched(self, item: QListWidgetItem) -> None:
        tool = self.library.webhook(item.data(NAME_ROLE))
        if tool is None:
            return
        tool.enabled = is_on(item)
        self._save_library(f"{tool.name} is {'on' if tool.enabled else 'off'} from the next session.")

    def new_action(self) -> None:
        self._show_action("")

    def _show_action(self, name: str, *, discard: bool = False) -> None:
        """Put the saved action ``name`` in the form ("" for a new one); changes not saved are kept unless the user
        agrees to discard them."""
        if not discard and self.editor.has_unsaved_changes():
            self._select_in_list(self._editing)
            self._ask_discard(name)
            return
        tool = self.library.webhook(name)
        self._select_in_list(tool.name if tool is not None else "")
        self._edit(tool.name if tool is not None else "")
        self.editor.show_tool(tool)
        self.status_label.clear()
        if tool is None:
            self.editor.name.setFocus()

    def _select_in_list(self, name: str) -> None:
        self.webhook_list.blockSignals(True)
        self.webhook_list.setCurrentRow(-1)
        for row in range(self.webhook_list.count()):
            if self.webhook_list.item(row).data(NAME_ROLE) == name:
                self.webhook_list.setCurrentRow(row)
        self.webhook_list.blockSignals(False)

    def _ask_discard(self, then_show: str) -> None:
        box = plain_message_box(
            QMessageBox(
                QMessageBox.Icon.Question,
                "Changes not saved",
                f"Your changes to {self._editing or 'the new action'} are not saved. Discard them?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                self,
            )
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._discard_answered(result, then_show))
        self.discard_box = box
        box.open()  # window-modal and non-blocking

    def _discard_answered(self, result: int, then_show: str) -> None:
        self.discard_box = None
        if result == QMessageBox.StandardButton.Discard:
            self._show_action(then_show, discard=True)

    def save_action(self) -> None:
        current = self.library.webhook(self._editing)
        try:
            tool, secret_values = self.editor.tool(enabled=current.enabled if current is not None else True)
            missing = [
                h.name
                for h in tool.headers
                if h.secret and h.name not in secret_values and not self.secrets.get(self._editing, h.name)
            ]
            if missing:
                raise ToolsError(f"Type the value of the secret header {missing[0]}.")
            for header in tool.headers:  # a secret kept under the old name follows a renamed action
                if header.secret and header.name not in secret_values:
                    secret_values[header.name] = self.secrets.get(self._editing, header.name)
            self.library.put_webhook(tool, replacing=self._editing)
            for name, value in secret_values.items():
                self.secrets.set(tool.name, name, value)
            self._forget_secrets(current, keep=tool.name, kept_headers={h.name for h in tool.headers if h.secret})
        except (ToolsError, SecretsError) as problem:
            self.status_label.setText(str(problem))
            return
        self._edit(tool.name)
        self._fill_list(current=tool.name)
        self.editor.show_tool(tool)
        self.status_label.setText(f"{tool.name} is saved; the assistant can use it from the next session.")
        self.tools_changed.emit()

    def remove_action(self) -> None:
        tool = self.library.webhook(self._editing)
        if tool is None:
            return
        self._forget_secrets(tool)
        self.library.webhooks.remove(tool)
        self._save_library(f"{tool.name} is removed.")
        self._fill_list()
        self._show_action("", discard=True)

    def _forget_secrets(self, tool: WebhookTool | None, keep: str = "", kept_headers: Collection[str] = ()) -> None:
        """Remove the keyring values of ``tool``'s secret headers that the saved action (``keep``) no longer has."""
        if tool is None:
            return
        for header in tool.headers:
            if header.secret and not (tool.name == keep and header.name in kept_headers):
                self.secrets.delete(tool.name, header.name)

    def _save_library(self, done: str) -> None:
        try:
            self.library.save()
        except ToolsError as problem:
            self.status_label.setText(str(problem))
            return
        self.status_label.setText(done)
        self.tools_changed.emit()
