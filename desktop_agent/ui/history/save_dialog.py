"""The history's save dialog: a file name to export to, its type chosen among name filters."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget


def save_dialog(parent: QWidget, title: str, suffixes: dict[str, str], stem: str) -> QFileDialog:
    """A save dialog (not yet open) offering ``suffixes`` (name filter -> extension, the first one proposed) for a
    file named ``stem``; picking another filter changes the extension added to a name typed without one."""
    dialog = QFileDialog(parent, title)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilters(list(suffixes))
    first = next(iter(suffixes.values()))
    dialog.setDefaultSuffix(first)
    dialog.selectFile(f"{stem}.{first}")
    dialog.filterSelected.connect(lambda name_filter: dialog.setDefaultSuffix(suffixes.get(name_filter, first)))
    return dialog
