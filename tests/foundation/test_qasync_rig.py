"""The qasync loop fixture: a button click starts an asyncio task that updates a widget."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


def _window():
    window = QWidget()
    label, button = QLabel("idle"), QPushButton("Go")
    layout = QVBoxLayout(window)
    layout.addWidget(label)
    layout.addWidget(button)
    return window, label, button


def test_button_click_runs_asyncio_task_that_updates_widget(qtbot, qloop):
    window, label, button = _window()
    qtbot.addWidget(window)

    loops = []

    async def work():
        loops.append(asyncio.get_running_loop())
        label.setText("working")
        await asyncio.sleep(0.05)
        result = await asyncio.to_thread(sum, range(10))
        label.setText(f"done {result}")

    button.clicked.connect(lambda: asyncio.ensure_future(work()))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: label.text() == "done 45", timeout=3000)
    assert loops == [qloop], "the task must run on the qasync loop that serves the window"


def test_loop_still_serves_a_second_test(qtbot, qloop):
    """The first test's teardown must not leave Qt's quit flag set (qtbot.wait* would return at once)."""
    window, label, button = _window()
    qtbot.addWidget(window)
    qloop.call_later(0.05, label.setText, "later")
    qtbot.waitUntil(lambda: label.text() == "later", timeout=3000)
