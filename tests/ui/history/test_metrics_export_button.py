"""History's "Export metrics" with a real store and real dialogs: the open conversation or a date range, as CSV or
JSON, through the save dialog; a range that ends before it starts and a file that cannot be written are one
sentence each."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import Stage
from desktop_agent.storage import metrics
from desktop_agent.storage.history import HistoryStore
from desktop_agent.ui.history import HistoryView
from desktop_agent.ui.history.metrics_range_dialog import MetricsRangeDialog
from tests.conftest import run_async
from tests.storage.conftest import T0, make_turn

DAY = 86400.0


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite3")
    for index in range(3):  # one conversation a day, each with one measured reply
        started = T0 + index * DAY
        conversation = store.begin_conversation(started_at=started)
        store.record_turn(conversation, make_turn(1, Role.USER, f"Question {index}", started))
        reply = make_turn(2, Role.ASSISTANT, "Answer", started + 2,
                          latencies={Stage.LLM_FIRST_TOKEN: 0.2 + index / 10, Stage.VOICE_TO_VOICE: 0.6 + index / 10})
        reply.usage.tts_characters, reply.cost_usd = 6, 0.0003
        store.record_turn(conversation, reply)
    yield store
    store.close()


@pytest.fixture
def view(qtbot, qloop, store):
    view = HistoryView(store)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.conversation_list.count() == 3, timeout=5000)
    return view


def _local_day(seconds: float) -> date:
    return datetime.fromtimestamp(seconds).astimezone().date()


def test_the_open_conversations_metrics_are_saved_as_json(qtbot, view, store, tmp_path):
    button = view.metrics_button
    assert button.isEnabled() and not button.conversation_action.isEnabled(), "no conversation is open yet"
    first = store.list_conversations()[-1].id
    run_async(qtbot, view.open_conversation(first))
    assert button.conversation_action.isEnabled()
    button.conversation_action.trigger()
    dialog = button.pending_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.selectedFiles()[0].endswith(".csv"), "CSV is suggested"
    dialog.selectNameFilter("JSON (*.json)")
    dialog.filterSelected.emit("JSON (*.json)")
    dialog.selectFile(str(tmp_path / "one"))
    dialog.accept()
    saved = tmp_path / "one.json"
    qtbot.waitUntil(saved.exists, timeout=5000)
    expected = metrics.to_json([store.get_conversation(first)], {"conversation_id": first})
    assert saved.read_text(encoding="utf-8") == expected
    qtbot.waitUntil(lambda: view.status.text() == f"Exported the metrics of 1 reply to {saved}.", timeout=5000)


def test_a_date_range_is_picked_then_saved_as_csv(qtbot, view, store, tmp_path):
    button = view.metrics_button
    button.range_action.trigger()
    picker = button.pending_dialog
    assert isinstance(picker, MetricsRangeDialog) and picker.isVisible()
    second_day, third_day = _local_day(T0 + DAY), _local_day(T0 + 2 * DAY)
    picker.first_day.setDate(QDate(third_day.year, third_day.month, third_day.day))
    picker.last_day.setDate(QDate(second_day.year, second_day.month, second_day.day))
    picker.buttons.accepted.emit()
    assert picker.isVisible() and picker.problem.text() == (
        "The last day comes before the first; choose a last day on or after it."
    )
    picker.first_day.setDate(QDate(second_day.year, second_day.month, second_day.day))
    picker.last_day.setDate(QDate(third_day.year, third_day.month, third_day.day))
    picker.buttons.accepted.emit()
    qtbot.waitUntil(lambda: button.pending_dialog is not None and button.pending_dialog is not picker, timeout=5000)
    dialog = button.pending_dialog
    assert dialog.selectedFiles()[0].endswith(f"metrics-{second_day:%Y-%m-%d}-to-{third_day:%Y-%m-%d}.csv")
    target = tmp_path / "range.csv"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(target.exists, timeout=5000)
    in_range = [c for c in store.get_all_conversations() if _local_day(c.started_at) in (second_day, third_day)]
    assert len(in_range) == 2
    assert target.read_text(encoding="utf-8") == metrics.to_csv(in_range)
    assert [line.split(",")[0] for line in target.read_text().splitlines()[1:]] == ["turn", "turn", "p50", "p95",
                                                                                     "total"]
    assert _local_day(T0) + timedelta(days=1) == second_day


def test_a_file_that_cannot_be_written_is_one_sentence(qtbot, view, store, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "metrics.csv"
    first = store.list_conversations()[0].id
    assert run_async(qtbot, view.metrics_button.export_conversation(first, target)) is None
    assert view.status.text().startswith(f"Could not export the metrics to {target}: ")
    assert "Traceback" not in view.status.text()
