"""Settings > Privacy: keep history or not, how long, summaries of ended conversations (on or off, and the fields
extracted with them), and deleting every stored conversation."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.config.settings import AppSettings
from desktop_agent.summaries.fields_schema import DEFAULT_FIELDS_SCHEMA, fields_problem
from desktop_agent.ui.untrusted_text import plain_label


class PrivacyPage(QWidget):
    """Emits ``history_settings_changed(keep_history, retention_days)``, ``summaries_changed(on)`` and
    ``summary_fields_changed()`` (the new fields are in the settings), and, after the user confirms,
    ``delete_history_requested()`` (the history store does the deleting)."""

    history_settings_changed = Signal(bool, int)
    summaries_changed = Signal(bool)
    summary_fields_changed = Signal()
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
        self.summaries = QCheckBox("Summarize each conversation when it ends")
        self.summaries.setChecked(privacy.summaries)
        self.summaries.setToolTip(
            "The language model writes a title, a summary and the fields below into history: one more request, "
            "with its cost."
        )
        self.summary_fields = QPlainTextEdit(privacy.summary_fields)
        self.summary_fields.setAccessibleName("Summary fields (JSON schema)")
        self.summary_fields.setTabChangesFocus(True)
        self.summary_fields.setMaximumHeight(160)
        self.apply_fields_button = QPushButton("Apply fields")
        self.default_fields_button = QPushButton("Default fields")
        self.fields_status = plain_label(QLabel())
        self.fields_status.setWordWrap(True)
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
        form.addRow(self.summaries)
        form.addRow("Fields (JSON schema)", self.summary_fields)
        field_buttons = QHBoxLayout()
        field_buttons.addWidget(self.apply_fields_button)
        field_buttons.addWidget(self.default_fields_button)
        field_buttons.addStretch(1)
        form.addRow("", field_buttons)
        form.addRow("", self.fields_status)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.delete_button)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        self.keep_history.toggled.connect(self._edited)
        self.retention.editingFinished.connect(self._edited)
        self.delete_button.clicked.connect(self.ask_delete_all)
        self.summaries.toggled.connect(self._summaries_toggled)
        self.apply_fields_button.clicked.connect(self.apply_fields)
        self.summary_fields.textChanged.connect(self._fields_edited)
        self.default_fields_button.clicked.connect(self._default_fields)

    def _summaries_toggled(self, on: bool) -> None:
        if on != self._settings.privacy.summaries:
            self._settings.privacy.summaries = on
            self.summaries_changed.emit(on)

    def apply_fields(self) -> bool:
        """Keep the fields schema typed in, or say in one sentence why it cannot be used (the text stays)."""
        text = self.summary_fields.toPlainText().strip()
        problem = fields_problem(text)
        if problem is not None:
            self.fields_status.setText(f"The fields schema {problem}; the fields in use stay as they were.")
            return False
        if text != self._settings.privacy.summary_fields:
            self._settings.privacy.summary_fields = text
            self.summary_fields_changed.emit()
        self.fields_status.setText("The next summaries extract these fields.")
        return True

    def _fields_edited(self) -> None:
        # Every other setting applies as it changes; these wait for Apply fields, so say so while they wait.
        if self.summary_fields.toPlainText().strip() != self._settings.privacy.summary_fields:
            self.fields_status.setText("These fields are not in use yet: Apply fields checks and keeps them.")
        else:
            self.fields_status.clear()

    def _default_fields(self) -> None:
        self.summary_fields.setPlainText(DEFAULT_FIELDS_SCHEMA)
        self.apply_fields()

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
