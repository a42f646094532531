"""Markdown and JSON exports match the golden files in tests/golden/ byte for byte.

To regenerate after an intended format change: ``UPDATE_GOLDEN=1 pytest tests/storage/test_history_export.py``,
then review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from desktop_agent.state.conversation import Role
from desktop_agent.storage.export import all_to_json, all_to_markdown, escape_markdown, iso_utc, to_json, to_markdown
from desktop_agent.storage.history import HistoryStore
from tests.storage.conftest import T0, make_turn
from tests.storage.sample import record_weather_conversation

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing golden file {name}; run with UPDATE_GOLDEN=1 once and review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture
def store(tmp_path):
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        yield store


def test_markdown_export_matches_the_golden_file(store):
    conversation = store.get_conversation(record_weather_conversation(store))
    _check_golden("conversation.md", to_markdown(conversation))


def test_json_export_matches_the_golden_file(store):
    conversation = store.get_conversation(record_weather_conversation(store))
    text = to_json(conversation)
    _check_golden("conversation.json", text)
    document = json.loads(text)
    assert document["format"] == "desktop-agent.conversation"
    assert [t["text"] for t in document["turns"]][0] == "What's the weather in Paris, café-side?"
    assert "id" not in document, "local database ids stay local"


def test_export_of_all_conversations_matches_the_golden_files(store):
    record_weather_conversation(store)
    store.begin_conversation(started_at=T0 + 3600)  # untitled, nothing said
    conversations = store.get_all_conversations()
    assert [c.started_at for c in conversations] == [T0, T0 + 3600], "oldest first"
    _check_golden("history.md", all_to_markdown(conversations))
    _check_golden("history.json", all_to_json(conversations))


def test_exports_do_not_depend_on_the_local_time_zone(store, monkeypatch):
    conversation = store.get_conversation(record_weather_conversation(store))
    before = (to_markdown(conversation), to_json(conversation))
    monkeypatch.setenv("TZ", "Asia/Kathmandu")
    import time

    time.tzset()
    try:
        assert (to_markdown(conversation), to_json(conversation)) == before
        assert iso_utc(T0) == "2024-05-01T10:00:00.000Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_markdown_formatting_in_speech_is_escaped():
    assert escape_markdown("use *this* or _that_ [link](x) <b> # not a heading") == (
        r"use \*this\* or \_that\_ \[link\](x) \<b\> \# not a heading"
    )


def test_a_reply_not_spoken_and_one_cut_off_are_marked_in_both_exports(store):
    conv = store.begin_conversation(started_at=T0)
    store.record_turn(conv, make_turn(1, Role.USER, "Tell me a story", T0))
    store.record_turn(conv, make_turn(2, Role.ASSISTANT, "Once upon a time.", T0 + 2, spoken=False))
    store.record_turn(conv, make_turn(3, Role.ASSISTANT, "There was a", T0 + 5, interrupted=True, complete=False))
    conversation = store.get_conversation(conv)

    markdown = to_markdown(conversation)
    assert "**You** · 2024-05-01T10:00:00.000Z\n" in markdown
    assert "**Assistant** · 2024-05-01T10:00:02.000Z · not spoken\n" in markdown
    assert "**Assistant** · 2024-05-01T10:00:05.000Z · interrupted · incomplete\n" in markdown
    assert "Once upon a time." in markdown, "a reply nobody heard is exported whole"

    turns = json.loads(to_json(conversation))["turns"]
    assert [(t["spoken"], t["complete"], t["interrupted"]) for t in turns] == [
        (True, True, False),
        (False, True, False),
        (True, False, True),
    ]
