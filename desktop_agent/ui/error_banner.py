"""A non-modal banner above the transcript: one actionable sentence, an optional action button, a dismiss button.

Repeated identical messages are counted rather than stacked. The banner never blocks input and never shows a
traceback: messages are the engine's sentences (``ErrorOccurred.message``) or the exception guard's. A turn that got
no reply offers "Retry"; a sentence about a provider's connection going away clears itself once it is back.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QWidget

from desktop_agent.state import events as ev
from desktop_agent.state.outage import about_lost_connection
from desktop_agent.ui import theme
from desktop_agent.ui.icons import themed_icon
from desktop_agent.ui.untrusted_text import plain_label, shown_text


class BannerAction(enum.StrEnum):
    NONE = ""
    OPEN_SETTINGS = "open_settings"
    RESTART_SESSION = "restart_session"
    RETRY = "retry"  # give the last turn that got no reply again (ErrorOccurred.retry)
    SWITCH = "switch"  # use the model or voice a ChoiceUnavailable offers; the label names it


_ACTION_LABELS = {
    BannerAction.OPEN_SETTINGS: "Open Settings",
    BannerAction.RESTART_SESSION: "Restart Session",
    BannerAction.RETRY: "Retry",
}


def action_for(error: ev.ErrorOccurred) -> BannerAction:
    """What the user can do about an error: switch to the model or voice offered instead of one no longer offered,
    fix settings (keys, devices) or restart a session that stopped."""
    if isinstance(error, ev.ChoiceUnavailable) and error.replacement:
        return BannerAction.SWITCH
    if error.kind in (ev.ErrorKind.AUTH, ev.ErrorKind.CONFIG, ev.ErrorKind.AUDIO_DEVICE, ev.ErrorKind.BUDGET):
        return BannerAction.OPEN_SETTINGS
    if error.retry:
        return BannerAction.RETRY
    if not error.recoverable:
        return BannerAction.RESTART_SESSION
    return BannerAction.NONE


class ErrorBanner(QFrame):
    action_triggered = Signal(str)  # a BannerAction value
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setAccessibleName("Problem")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._message = ""
        self._repeats = 0
        self._action = BannerAction.NONE
        self._kind: ev.ErrorKind | None = None
        self._lost_connection: ev.Provider | None = None  # whose lost connection the message is about
        self._switch: ev.ChoiceUnavailable | None = None

        self._icon = QLabel(self)
        self._icon.setAccessibleName("Warning")
        self._render_icon()
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        plain_label(self._label)  # messages can quote provider replies and the user's files
        self._label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._action_button = QPushButton(self)
        self._action_button.setAutoDefault(False)
        self._action_button.clicked.connect(self._on_action)
        self._dismiss = QToolButton(self)
        self._dismiss.setIcon(themed_icon("close"))
        self._dismiss.setAutoRaise(True)
        self._dismiss.setToolTip("Dismiss")
        self._dismiss.setAccessibleName("Dismiss problem")
        self._dismiss.clicked.connect(self.dismiss)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._action_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    # ------------------------------------------------------------------ content
    @property
    def message(self) -> str:
        return self._message

    @property
    def action(self) -> BannerAction:
        return self._action

    @property
    def kind(self) -> ev.ErrorKind | None:
        """The kind of the error shown (None for other messages): tells Settings which page to open."""
        return self._kind

    @property
    def text(self) -> str:
        return self._label.text()

    @property
    def switch_choice(self) -> ev.ChoiceUnavailable | None:
        """What the "Switch to …" button of the message shown last offers (None when it offers no switch)."""
        return self._switch

    def show_error(self, error: ev.ErrorOccurred) -> None:
        action = action_for(error)
        self.show_message(error.message, action, error.kind)
        self._lost_connection = error.provider if about_lost_connection(error) else None
        if action is BannerAction.SWITCH and isinstance(error, ev.ChoiceUnavailable):  # SWITCH implies it
            self._switch = error
            label = shown_text(f"Switch to {error.replacement_name or error.replacement}")
            self._action_button.setText(label)
            self._action_button.setAccessibleName(label)

    def connection_restored(self, provider: ev.Provider) -> None:
        """``provider`` is connected again: a message about its connection going away is over."""
        if self.isVisible() and self._lost_connection is provider:
            self.dismiss()

    def show_message(
        self, message: str, action: BannerAction = BannerAction.NONE, kind: ev.ErrorKind | None = None
    ) -> None:
        message = shown_text(message)
        if message == self._message and self.isVisible():
            self._repeats += 1
        else:
            self._message, self._repeats = message, 1
        self._action = action
        self._kind = kind
        self._lost_connection = None
        self._switch = None
        self._label.setText(message if self._repeats == 1 else f"{message} (×{self._repeats})")
        self._action_button.setVisible(action is not BannerAction.NONE)
        if action in _ACTION_LABELS:
            label = _ACTION_LABELS[action]
            self._action_button.setText(label)
            self._action_button.setAccessibleName(label)
        self.setAccessibleDescription(message)
        self.show()
        QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))

    def dismiss(self) -> None:
        if self.isVisible():
            self.hide()
            self._message, self._repeats = "", 0
            self._lost_connection = None
            self.dismissed.emit()

    def _on_action(self) -> None:
        action = self._action
        self.dismiss()
        self.action_triggered.emit(action.value)

    def _render_icon(self) -> None:
        self._icon.setPixmap(themed_icon("warning").pixmap(QSize(20, 20), self.devicePixelRatioF()))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.DevicePixelRatioChange):
            self._render_icon()  # a pixmap keeps the colours it was drawn with

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        bad = theme.tone_color(theme.Tone.BAD, palette)
        painter.setPen(bad)
        painter.setBrush(theme.blend(palette.color(QPalette.ColorRole.Window), bad, 0.14))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        painter.end()
