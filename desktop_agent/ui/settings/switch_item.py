"""A row of a list with an on/off switch (its check box), carrying the name of what it switches: the webhook actions,
MCP servers and MCP tools of Settings > Tools."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem

from desktop_agent.state.plain_text import plain_text

NAME_ROLE = Qt.ItemDataRole.UserRole


def switch_item(text: str, name: str, on: bool) -> QListWidgetItem:
    item = QListWidgetItem(plain_text(text, single_line=True))
    item.setData(NAME_ROLE, name)
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
    return item


def is_on(item: QListWidgetItem) -> bool:
    return item.checkState() == Qt.CheckState.Checked
