"""The history view with a real store: list, search, open, copy, export and delete, on the qasync loop."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from desktop_agent.state.conversation import Role
from desktop_agent.storage.export import to_json, to_markdown
from desktop_agent.storage.history import HistoryStore
from desktop_agent.ui.history import HistoryView
from tests.conftest import run_async
from tests.storage.conftest import T0, make_turn
from tests.storage.sample import record_weather_conversation

GOLDEN = Path(__file__).resolve().parents[2] / "golden"


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite3")
    yield store
    store.close()


@pytest.fixture
def ids(store):
    """Three conversations: weather (oldest), recipes, travel (newest)."""
    weather = record_weather_conversation(store)
    recipes = store.begin_conversation(started_at=T0 + 3600)
    store.record_turn(recipes, make_turn(1, Role.USER, "How do I make crêpes?", T0 + 3600))
    store.record_turn(recipes, make_turn(2, Role.ASSISTANT, "Flour, eggs, milk and a hot pan.", T0 + 3602))
    travel = store.begin_conversation(started_at=T0 + 7200)
    store.record_turn(travel, make_turn(1, Role.USER, "Is it going to rain in Lisbon?", T0 + 7200))
    return {"weather": weather, "recipes": recipes, "travel": travel}


@pytest.fixture
def view(qtbot, qloop, store, ids):
    view = HistoryView(store)
    qtbot.addWidget(view)
    view.show()  # showing the view loads the list
    qtbot.waitUntil(lambda: view.conversation_list.count() == 3, timeout=5000)
    return view


def _titles(view: HistoryView) -> list[str]:
    lst = view.conversation_list
    return [lst.item(row).text().splitlines()[0] for row in range(lst.count())]


def _open(qtbot, view: HistoryView, conversation_id: int) -> None:
    run_async(qtbot, view.open_conversation(conversation_id))
    assert view.reader.conversation is not None and view.reader.conversation.id == conversation_id


def test_the_list_shows_every_conversation_newest_first(view, ids):
    assert view.conversation_list.conversation_ids() == [ids["travel"], ids["recipes"], ids["weather"]]
    assert _titles(view) == [
        "Is it going to rain in Lisbon?",
        "How do I make crêpes?",
        "What's the weather in Paris, café-side?",
    ]
    assert "4 turns" in view.conversation_list.item(2).text()
    assert view.status.text() == "3 conversations."
    assert not view.export_button.isEnabled() and not view.delete_button.isEnabled(), "nothing is open yet"


def test_typing_in_the_search_box_filters_the_list(qtbot, view, ids):
    qtbot.keyClicks(view.search_box, "RAIN")
    qtbot.waitUntil(lambda: view.conversation_list.count() == 2, timeout=5000)
    assert view.conversation_list.conversation_ids() == [ids["travel"], ids["weather"]]
    assert "“Tomorrow brings rain in the”" in view.conversation_list.item(1).text(), "the matching words are shown"
    assert view.status.text() == "2 conversations match “RAIN”."

    view.search_box.setText("crêpes eggs")
    qtbot.waitUntil(lambda: view.conversation_list.conversation_ids() == [ids["recipes"]], timeout=5000)
    view.search_box.setText("nothing like this")
    qtbot.waitUntil(lambda: view.conversation_list.count() == 0, timeout=5000)
    assert view.status.text() == "Nothing matches “nothing like this”."
    view.search_box.clear()
    qtbot.waitUntil(lambda: view.conversation_list.count() == 3, timeout=5000)


def test_a_search_overtaken_by_a_newer_one_is_not_shown(qtbot, view, store, ids, monkeypatch):
    """The older search is made to finish last (its real query waits until the newer search is on screen):
    the list must still show the newer search's result."""
    newer_shown = threading.Event()
    original = store.list_conversations

    def older_waits(search="", limit=None):
        if search == "Lisbon":
            assert newer_shown.wait(10)
        return original(search, limit)

    monkeypatch.setattr(store, "list_conversations", older_waits)
    view.search_box.setText("Lisbon")
    older = view.refresh()
    view.search_box.setText("crêpes")
    newer = view.refresh()
    newer.add_done_callback(lambda _task: newer_shown.set())
    qtbot.waitUntil(lambda: older.done() and newer.done(), timeout=5000)
    assert view.conversation_list.conversation_ids() == [ids["recipes"]]
    assert view.status.text() == "1 conversation matches “crêpes”."


def test_queries_run_off_the_qt_thread(qtbot, view, store, monkeypatch):
    threads = []
    original = store.list_conversations

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "list_conversations", spy)
    run_async(qtbot, view.refresh())
    assert threads and threading.main_thread() not in threads


def test_clicking_a_conversation_opens_its_transcript(qtbot, view, ids):
    lst = view.conversation_list
    rect = lst.visualItemRect(lst.item(2))
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: view.reader.conversation is not None, timeout=5000)
    assert view.reader.conversation.id == ids["weather"]
    text = view.reader.toPlainText()
    for words in ("What's the weather in Paris, café-side?", "Sunny, about 20 °C.", "(interrupted)", "voice to voice 712 ms"):
        assert words in text
    assert view.copy_button.isEnabled() and view.export_button.isEnabled() and view.delete_button.isEnabled()


def test_copy_puts_the_markdown_on_the_clipboard(qtbot, view, store, ids):
    _open(qtbot, view, ids["weather"])
    assert view.copy_transcript() is True
    assert QGuiApplication.clipboard().text() == to_markdown(store.get_conversation(ids["weather"]))


def test_export_writes_files_that_match_the_golden_ones(qtbot, view, ids, tmp_path):
    _open(qtbot, view, ids["weather"])
    markdown = run_async(qtbot, view.export_to(tmp_path / "weather.md"))
    as_json = run_async(qtbot, view.export_to(tmp_path / "weather.json"))
    assert markdown.read_text(encoding="utf-8") == (GOLDEN / "conversation.md").read_text(encoding="utf-8")
    assert as_json.read_text(encoding="utf-8") == (GOLDEN / "conversation.json").read_text(encoding="utf-8")
    assert view.status.text() == f"Exported to {as_json}."


def test_export_all_includes_every_conversation(qtbot, view, tmp_path):
    path = run_async(qtbot, view.export_to(tmp_path / "all.json", everything=True))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert [c["title"] for c in document["conversations"]] == [
        "What's the weather in Paris, café-side?",
        "How do I make crêpes?",
        "Is it going to rain in Lisbon?",
    ]


def test_the_save_dialog_exports_in_the_chosen_format(qtbot, view, store, ids, tmp_path):
    _open(qtbot, view, ids["recipes"])
    view.export_button.click()
    dialog = view.pending_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.selectedFiles()[0].endswith(".md"), "Markdown is suggested"
    dialog.selectNameFilter("JSON (*.json)")
    dialog.filterSelected.emit("JSON (*.json)")
    target = tmp_path / "crepes"
    dialog.selectFile(str(target))
    dialog.accept()
    saved = tmp_path / "crepes.json"
    qtbot.waitUntil(saved.exists, timeout=5000)
    assert saved.read_text(encoding="utf-8") == to_json(store.get_conversation(ids["recipes"]))
    qtbot.waitUntil(lambda: view.pending_dialog is None, timeout=5000)


def test_an_export_that_cannot_be_written_says_why(qtbot, view, ids, tmp_path):
    _open(qtbot, view, ids["travel"])
    target = tmp_path / "missing-folder" / "travel.md"
    assert run_async(qtbot, view.export_to(target)) is None
    assert view.status.text().startswith(f"Could not export to {target}: ")
    assert not target.parent.exists()


def test_delete_asks_first_and_cancel_keeps_the_conversation(qtbot, view, store, ids):
    _open(qtbot, view, ids["recipes"])
    view.delete_button.click()
    box = view.pending_confirmation
    assert box is not None and box.isVisible() and "How do I make crêpes?" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: view.pending_confirmation is None, timeout=5000)
    qtbot.wait(50)
    assert store.get_conversation(ids["recipes"]) is not None
    assert view.conversation_list.count() == 3


def test_confirmed_delete_removes_the_conversation(qtbot, view, store, ids):
    _open(qtbot, view, ids["recipes"])
    box = view.request_delete()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: view.conversation_list.count() == 2, timeout=5000)
    assert store.get_conversation(ids["recipes"]) is None
    assert ids["recipes"] not in view.conversation_list.conversation_ids()
    assert view.reader.conversation is None and not view.delete_button.isEnabled()
    assert view.status.text() == "The conversation was deleted."


def test_delete_all_after_confirmation_empties_the_history(qtbot, view, store, ids):
    view.search_box.setText("rain")
    qtbot.waitUntil(lambda: view.conversation_list.count() == 2, timeout=5000)
    _open(qtbot, view, ids["weather"])
    view.delete_all_button.click()
    view.pending_confirmation.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: view.conversation_list.count() == 0, timeout=5000)
    assert store.list_conversations() == [], "all conversations go, not only the ones the search shows"
    assert view.reader.conversation is None
    assert view.status.text() == "Deleted 3 conversations."


def test_showing_the_view_again_lists_new_conversations(qtbot, view, store):
    view.hide()
    new = store.begin_conversation(started_at=T0 + 9999)
    store.record_turn(new, make_turn(1, Role.USER, "A brand new question", T0 + 9999))
    view.show()
    qtbot.waitUntil(lambda: view.conversation_list.count() == 4, timeout=5000)
    assert _titles(view)[0] == "A brand new question"


def test_a_failing_store_gives_a_sentence_not_a_traceback(qtbot, view, store):
    store.close()
    run_async(qtbot, view.refresh())
    assert view.status.text() == "The conversation history is closed."


def test_without_a_store_the_view_says_why_and_offers_nothing(qtbot, qloop, store, ids):
    view = HistoryView(None, unavailable_reason="Conversation history is off: the disk is read-only.")
    qtbot.addWidget(view)
    view.show()
    assert view.notice.isVisible() and view.notice.text() == "Conversation history is off: the disk is read-only."
    for widget in (view.search_box, view.export_all_button, view.delete_all_button, view.export_button):
        assert not widget.isEnabled()
    assert view.request_delete_all() is None

    view.set_store(store)  # history became available (e.g. after the user fixed the folder)
    qtbot.waitUntil(lambda: view.conversation_list.count() == 3, timeout=5000)
    assert not view.notice.isVisible() and view.search_box.isEnabled() and view.delete_all_button.isEnabled()


def test_a_damaged_file_that_was_set_aside_is_mentioned(qtbot, qloop, tmp_path):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"not a database" * 100)
    with HistoryStore(path) as store:
        view = HistoryView(store)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: view.status.text() == "No conversations yet.", timeout=5000)
        assert view.notice.isVisible() and "damaged" in view.notice.text()


def test_continue_asks_the_window_to_go_on_with_the_open_conversation(view, qtbot, ids):
    assert not view.continue_button.isEnabled()  # nothing open, and no window that can continue yet
    _open(qtbot, view, ids["recipes"])
    assert not view.continue_button.isEnabled(), "only the window can continue: it says when it can"
    view.set_continue_available(True)
    assert view.continue_button.isEnabled()
    with qtbot.waitSignal(view.continue_requested) as asked:
        qtbot.mouseClick(view.continue_button, Qt.MouseButton.LeftButton)
    assert asked.args == [ids["recipes"]]
    assert view.status.text() == "Continuing “How do I make crêpes?” in the main window."
    view.conversation_list.clearSelection()
    view.conversation_list.setCurrentItem(None)
    qtbot.waitUntil(lambda: view.reader.conversation is None, timeout=5000)
    assert not view.continue_button.isEnabled()
