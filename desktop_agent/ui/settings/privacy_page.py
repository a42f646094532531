"""Settings > Privacy: keep history or not, how long, and deleting every stored conversation."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QMessageBox, QPushButton, QSpinBox, QVBoxLayout, QWidget

from desktop_agent.config.settings import AppSettings
from desktop_agent.ui.untrusted_text import plain_label


class PrivacyPage(QWidget):
    """Emits ``history_settings_changed(keep_history, retention_days)`` and, after the user confirms,
    ``delete_history_requested()`` (the history store does the deleting)."""

    history_settings_changed = Signal(bool, int)
    delete_history_requested = Signal()

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.confirm_box: QMessageBox | None = None
        privacy = settings.privacy
        self.keep_history = QCheckBox("Keep a history of my conversations on this computer")
        self.keep_history.setChecked(privacy.keep_history)
        self.retention = QSpinBox()
        self.retention.setRange(0, 36500)
        self.retention.setSpecialValueText("Forever")
        self.retention.setSuffix(" days")
        self.retention.setValue(privacy.retention_days)
        self.retention.setEnabled(privacy.keep_history)
        self.delete_button = QPushButton("Delete all conversations…")
        self.status_label = plain_label(QLabel())
        self.status_label.setWordWrap(True)
        note = QLabel(
            "Conversations are stored only on this computer. API keys are never stored with them, nor in the "
            "settings file or the log."
        )
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.keep_history)
        form.addRow("Keep conversations for", self.retention)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.delete_button)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        self.keep_history.toggled.connect(self._edited)
        self.retention.editingFinished.connect(self._edited)
        self.delete_button.clicked.connect(self.ask_delete_all)

    def _edited(self) -> None:
        privacy = self._settings.privacy
        self.retention.setEnabled(self.keep_history.isChecked())
        values = (self.keep_history.isChecked(), self.retention.value())
        if values == (privacy.keep_history, privacy.retention_days):
            return
        privacy.keep_history, privacy.retention_days = values
        self.history_settings_changed.emit(*values)

    def ask_delete_all(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete all conversations",
            "Delete every stored conversation? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(self._delete_answered)
        self.confirm_box = box
        box.open()  # window-modal and non-blocking

    def _delete_answered(self, result: int) -> None:
        self.confirm_box = None
        if result == QMessageBox.StandardButton.Yes:
            self.status_label.setText("Deleting all conversations…")
            self.delete_history_requested.emit()

    def show_deleted(self, message: str) -> None:
        """The lead calls this with the outcome of the deletion (e.g. "All conversations were deleted.")."""
        self.status_label.setText(message)
