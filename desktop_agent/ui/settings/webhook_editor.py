"""The form of one webhook action in Settings > Tools: name, description, JSON-schema parameters, URL, method, headers
(a secret one's value goes to the keyring), timeout, and whether it asks before running.

:meth:`WebhookEditor.tool` reads the form into a :class:`~desktop_agent.config.tools.WebhookTool` and the secret
values to keep, or raises :class:`~desktop_agent.config.tools.ToolsError` with the sentence to show.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.config.tools import (
    MAX_TIMEOUT_SECS,
    METHODS,
    MIN_TIMEOUT_SECS,
    ToolsError,
    WebhookHeader,
    WebhookTool,
    parse_parameters,
)
from desktop_agent.ui.settings.secret_value_delegate import SecretValueDelegate

_PARAMETERS_EXAMPLE = '{"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}'
#: What a secret header's value field shows while the keyring keeps a value (typing replaces it).
KEPT_SECRET = "(kept in the keyring)"


class WebhookEditor(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setPlaceholderText("create_ticket")
        self.description = QLineEdit()
        self.description.setPlaceholderText("Open a support ticket with a title and a priority.")
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.app.n8n.cloud/webhook/…")
        self.method = QComboBox()
        self.method.addItems(METHODS)
        self.parameters = QPlainTextEdit()
        self.parameters.setPlaceholderText(_PARAMETERS_EXAMPLE)
        self.parameters.setTabChangesFocus(True)
        self.parameters.setFixedHeight(90)
        self.headers = QTableWidget(0, 3)
        self.headers.setHorizontalHeaderLabels(["Header", "Value", "Secret"])
        self.headers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.headers.verticalHeader().setVisible(False)
        self.headers.setFixedHeight(100)
        self.headers.setItemDelegateForColumn(1, SecretValueDelegate(self._is_secret_row, KEPT_SECRET, self.headers))
        self.headers.itemChanged.connect(self._header_changed)
        self.add_header = QPushButton("Add header")
        self.remove_header = QPushButton("Remove header")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(MIN_TIMEOUT_SECS, MAX_TIMEOUT_SECS)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(10.0)
        self.ask_first = QCheckBox("Ask me before running it (the assistant asks; say yes or no, or click)")
        header_buttons = QHBoxLayout()
        header_buttons.addWidget(self.add_header)
        header_buttons.addWidget(self.remove_header)
        header_buttons.addStretch(1)
        headers = QVBoxLayout()
        headers.setContentsMargins(0, 0, 0, 0)
        headers.addWidget(self.headers)
        headers.addLayout(header_buttons)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name)
        form.addRow("What it does", self.description)
        form.addRow("URL", self.url)
        form.addRow("Method", self.method)
        form.addRow("Parameters (JSON schema)", self.parameters)
        form.addRow("Headers", headers)
        form.addRow("Timeout", self.timeout)
        form.addRow(self.ask_first)
        self.add_header.clicked.connect(lambda: self.add_header_row())
        self.remove_header.clicked.connect(self._remove_header_row)
        self._shown: tuple[object, ...] = ()

    def show_tool(self, tool: WebhookTool | None) -> None:
        """Fill the form with ``tool`` (secret values are not read back: the field says the keyring keeps one), or
        empty it for a new action."""
        tool = tool or WebhookTool(name="", description="", url="")
        self.name.setText(tool.name)
        self.description.setText(tool.description)
        self.url.setText(tool.url)
        self.method.setCurrentText(tool.method)
        self.parameters.setPlainText(json.dumps(tool.parameters, indent=2) if tool.name else "")
        self.headers.setRowCount(0)
        for header in tool.headers:
            self.add_header_row(header.name, KEPT_SECRET if header.secret else header.value, header.secret)
        self.timeout.setValue(tool.timeout_secs)
        self.ask_first.setChecked(tool.ask_first)
        self._shown = self._form()

    def has_unsaved_changes(self) -> bool:
        """Whether the form differs from what :meth:`show_tool` last put in it."""
        return self._form() != self._shown

    def _form(self) -> tuple[object, ...]:
        headers = tuple(
            (_cell(self.headers, row, 0), _cell(self.headers, row, 1), self._is_secret_row(row))
            for row in range(self.headers.rowCount())
        )
        texts = (self.name.text(), self.description.text(), self.url.text(), self.method.currentText())
        return (*texts, self.parameters.toPlainText(), headers, self.timeout.value(), self.ask_first.isChecked())

    def add_header_row(self, name: str = "", value: str = "", secret: bool = False) -> None:
        row = self.headers.rowCount()
        self.headers.insertRow(row)
        self.headers.setItem(row, 0, QTableWidgetItem(name))
        self.headers.setItem(row, 1, QTableWidgetItem(value))
        box = QTableWidgetItem()
        box.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        box.setCheckState(Qt.CheckState.Checked if secret else Qt.CheckState.Unchecked)
        self.headers.setItem(row, 2, box)

    def _header_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == 2:  # Secret ticked or not: the value is drawn masked or not
            self.headers.viewport().update()

    def _is_secret_row(self, row: int) -> bool:
        box = self.headers.item(row, 2)
        return box is not None and box.checkState() == Qt.CheckState.Checked

    def _remove_header_row(self) -> None:
        row = self.headers.currentRow()
        if row >= 0:
            self.headers.removeRow(row)

    def tool(self, enabled: bool = True) -> tuple[WebhookTool, dict[str, str]]:
        """The action the form describes and the secret header values typed in (by header name; a secret left as
        :data:`KEPT_SECRET` keeps the keyring's value). Raises :class:`ToolsError`."""
        headers: list[WebhookHeader] = []
        secrets: dict[str, str] = {}
        for row in range(self.headers.rowCount()):
            name = _cell(self.headers, row, 0).strip()
            value = _cell(self.headers, row, 1).strip()
            secret = self._is_secret_row(row)
            if not name and not value:
                continue
            if secret:
                if value and value != KEPT_SECRET:
                    secrets[name] = value
                headers.append(WebhookHeader(name, "", True))
            elif value == KEPT_SECRET:  # unmarked as secret: the keyring's value is not shown, so it cannot move
                raise ToolsError(
                    f"Type the value of header {name} again, or mark it secret to keep the keyring's value."
                )
            else:
                headers.append(WebhookHeader(name, value))
        tool = WebhookTool(
            name=self.name.text().strip(),
            description=self.description.text().strip(),
            url=self.url.text().strip(),
            method=self.method.currentText(),
            parameters=parse_parameters(self.parameters.toPlainText()),
            headers=headers,
            timeout_secs=self.timeout.value(),
            enabled=enabled,
            ask_first=self.ask_first.isChecked(),
        )
        if len({h.name.lower() for h in headers}) != len(headers):
            raise ToolsError("Each header can be given once.")
        return tool, secrets


def _cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""
