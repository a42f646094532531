"""The Faults menu, present only with ``--simulate``: break a service on purpose and watch the app heal.

One submenu per role (Speech-to-text, Language model, Text-to-speech); a role with a single scenario (all
services: network outage) sits in the menu itself. Lasting scenarios are checkable entries showing whether they are
on; they are re-read whenever a menu opens, since time-limited ones switch themselves off. One-shot scenarios (drop
the connection now) are plain actions. "Clear All Faults" ends every scenario.

The menu knows the simulator only through the controls app.py hands it (see :class:`FaultControlsLike`), so the UI
layer never imports the simulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from desktop_agent.ui.exception_guard import guarded


class FaultControlsLike(Protocol):
    """What the menu needs: the scenarios (each with ``role.value``, ``title``, ``label``, ``description`` and
    ``lasting``) and a way to switch them."""

    @property
    def presets(self) -> Sequence[Any]: ...

    def apply(self, preset: Any) -> None: ...

    def switch_off(self, preset: Any) -> None: ...

    def is_on(self, preset: Any) -> bool: ...

    def clear_all(self) -> None: ...


class FaultMenu(QMenu):
    message = Signal(str)  # one sentence about what was just switched, for the status bar

    def __init__(self, controls: FaultControlsLike, parent: QWidget | None = None) -> None:
        super().__init__("F&aults", parent)
        self.setObjectName("faultMenu")
        self.setToolTipsVisible(True)
        self._controls = controls
        self.preset_actions: dict[str, QAction] = {}  # by preset key
        self._lasting: list[tuple[QAction, Any]] = []
        groups: dict[str, list[Any]] = {}
        for preset in controls.presets:
            groups.setdefault(preset.role.value, []).append(preset)
        for role, presets in groups.items():
            if len(presets) == 1:
                self._add(self, presets[0], presets[0].label)
                continue
            submenu = self.addMenu(role)
            submenu.setToolTipsVisible(True)
            submenu.aboutToShow.connect(self.refresh)
            for preset in presets:
                self._add(submenu, preset, preset.title)
        self.addSeparator()
        self.clear_action = self.addAction("&Clear All Faults")
        self.clear_action.setStatusTip("Switch every simulated fault off")
        self.clear_action.triggered.connect(self._on_clear_all)
        self.aboutToShow.connect(self.refresh)

    def _add(self, menu: QMenu, preset: Any, text: str) -> None:
        action = menu.addAction(text)
        action.setToolTip(preset.description)
        action.setStatusTip(preset.description)
        action.setCheckable(preset.lasting)
        if preset.lasting:
            self._lasting.append((action, preset))
        action.triggered.connect(lambda checked, preset=preset: self._on_triggered(preset, checked))
        self.preset_actions[preset.key] = action

    @guarded
    def refresh(self) -> None:
        """Tick exactly the scenarios that are on now."""
        for action, preset in self._lasting:
            action.setChecked(self._controls.is_on(preset))

    @guarded
    def _on_triggered(self, preset: Any, checked: bool) -> None:
        if preset.lasting and not checked:
            self._controls.switch_off(preset)
            self.message.emit(f"{preset.label}: off.")
        else:
            self._controls.apply(preset)
            self.message.emit(f"{preset.label}: {'on' if preset.lasting else 'done'}. {preset.description}")
        self.refresh()

    @guarded
    def _on_clear_all(self) -> None:
        self._controls.clear_all()
        self.message.emit("All simulated faults are off.")
        self.refresh()
