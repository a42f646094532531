"""The Value column of the webhook editor's headers table: a secret header's value is drawn as dots and typed in a
password field, as the keys page does for API keys (it would otherwise be on screen, e.g. while sharing it). The
placeholder saying the keyring keeps a value is drawn as it is."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import QLineEdit, QStyledItemDelegate, QStyleOptionViewItem, QWidget

MASK = "•"


class SecretValueDelegate(QStyledItemDelegate):
    def __init__(self, is_secret: Callable[[int], bool], placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._is_secret = is_secret
        self._placeholder = placeholder

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        if option.text and option.text != self._placeholder and self._is_secret(index.row()):
            option.text = MASK * 8  # not its length either

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit) and self._is_secret(index.row()):
            editor.setEchoMode(QLineEdit.EchoMode.Password)
        return editor
