"""Push-to-talk from any app: the global shortcut's listener (``desktop_agent/global_shortcut/``) brought onto the Qt
thread, folded into one hold per key hold (:class:`~desktop_agent.ui.key_hold.KeyHold`, as the in-window key is),
and turned into talk presses and releases in the chosen style.

Hold style: the turn lasts while the shortcut is held. Toggle style: one press starts the turn, the next ends it. The
window tells this object when a turn starts or ends by any means (``note_talk_started``/``note_talk_ended``), so a
toggle always does what the window shows: a press ends a turn in progress, whichever key began it.

The listener reports from its own thread; those reports reach the Qt thread through queued signals. Each listener
gets a generation number, so a report from one already replaced (a changed shortcut) is ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop_agent.global_shortcut.chooser import listener_for
from desktop_agent.global_shortcut.shortcut import (
    BadShortcut,
    Shortcut,
    ShortcutEvents,
    ShortcutListener,
    TalkKeyStyle,
    parse_shortcut,
)
from desktop_agent.ui.key_hold import KeyHold

log = logging.getLogger(__name__)

#: Makes the listener for a shortcut (the chooser's pick for this desktop, or a test's choice).
ListenerFactory = Callable[[Shortcut, ShortcutEvents], ShortcutListener]


class _Reports(QObject):
    """The listener's reports as signals, emitted on its thread and delivered queued on the Qt thread."""

    key_down = Signal(int)
    key_up = Signal(int)
    registered = Signal(int, str)
    unavailable = Signal(int, str)


class _ThreadEvents:
    """What a listener is handed: its reports, stamped with its generation."""

    def __init__(self, reports: _Reports, generation: int) -> None:
        self._reports = reports
        self._generation = generation

    def key_down(self) -> None:
        self._reports.key_down.emit(self._generation)

    def key_up(self) -> None:
        self._reports.key_up.emit(self._generation)

    def registered(self, description: str) -> None:
        self._reports.registered.emit(self._generation, description)

    def unavailable(self, reason: str) -> None:
        self._reports.unavailable.emit(self._generation, reason)


class GlobalTalkKey(QObject):
    """``pressed``/``released``: start or end the talk turn. ``status_changed(sentence, registered)``: the shortcut
    was registered (what works where) or could not be (why, in one sentence)."""

    pressed = Signal()
    released = Signal()
    status_changed = Signal(str, bool)

    def __init__(self, listener_factory: ListenerFactory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_listener: ListenerFactory = listener_factory or (lambda s, e: listener_for(s, e))
        self._listener: ShortcutListener | None = None
        self._generation = 0
        self._config: tuple[bool, str, TalkKeyStyle] = (False, "", TalkKeyStyle.HOLD)
        self.style = TalkKeyStyle.HOLD
        self._talking = False
        #: The last sentence about the shortcut ("" while off), and whether it is registered.
        self.status = ""
        self.registered = False
        self._hold = KeyHold(parent=self)
        self._hold.pressed.connect(self._on_hold_pressed)
        self._hold.released.connect(self._on_hold_released)
        self._reports = _Reports(self)
        self._reports.key_down.connect(self._on_key_down)
        self._reports.key_up.connect(self._on_key_up)
        self._reports.registered.connect(self._on_registered)
        self._reports.unavailable.connect(self._on_unavailable)

    @property
    def listener(self) -> ShortcutListener | None:
        return self._listener

    @property
    def key_held(self) -> bool:
        """The shortcut's key is down now (in toggle style the turn may go on after it is up)."""
        return self._hold.held

    def configure(self, enabled: bool, shortcut_text: str, style: TalkKeyStyle) -> None:
        """Register ``shortcut_text`` (or unregister, with ``enabled`` False). The style applies at once; the
        listener is replaced only when the shortcut or ``enabled`` changed."""
        style = TalkKeyStyle(style)
        previous, self._config = self._config, (enabled, shortcut_text, style)
        if style is not self.style:
            self._hold.cancel()
            self.style = style
        if previous[:2] == (enabled, shortcut_text) and (self._listener is not None or not enabled):
            return
        self.stop()
        if not enabled:
            self._set_status("", registered=False)
            return
        try:
            shortcut = parse_shortcut(shortcut_text)
        except BadShortcut as exc:
            self._set_status(str(exc), registered=False)
            return
        self._generation += 1
        self._listener = self._make_listener(shortcut, _ThreadEvents(self._reports, self._generation))
        self._listener.start()

    def stop(self) -> None:
        """Unregister the shortcut (joins the listener's thread); a hold in progress ends."""
        listener, self._listener = self._listener, None
        self._generation += 1  # what the old listener still reports is ignored
        if listener is not None:
            listener.stop()
        self._hold.cancel()
        if self.style is TalkKeyStyle.TOGGLE and self._talking:
            self.released.emit()  # a toggled turn does not outlive its shortcut
        self.registered = False

    def note_talk_started(self) -> None:
        self._talking = True

    def note_talk_ended(self) -> None:
        self._talking = False

    # ------------------------------------------------------------------ reports from the listener's thread
    def _on_key_down(self, generation: int) -> None:
        if generation == self._generation:
            self._hold.down()

    def _on_key_up(self, generation: int) -> None:
        if generation == self._generation:
            self._hold.up()

    def _on_registered(self, generation: int, description: str) -> None:
        if generation == self._generation:
            self._set_status(description, registered=True)

    def _on_unavailable(self, generation: int, reason: str) -> None:
        if generation == self._generation:
            log.info("Global shortcut unavailable: %s", reason)
            self._set_status(reason, registered=False)

    def _set_status(self, sentence: str, *, registered: bool) -> None:
        self.status, self.registered = sentence, registered
        self.status_changed.emit(sentence, registered)

    # ------------------------------------------------------------------ one hold -> the talk turn
    def _on_hold_pressed(self) -> None:
        if self.style is TalkKeyStyle.TOGGLE and self._talking:
            self.released.emit()
        else:
            self.pressed.emit()

    def _on_hold_released(self) -> None:
        if self.style is TalkKeyStyle.HOLD:
            self.released.emit()
