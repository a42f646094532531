"""Markdown and JSON exports match the golden files in tests/golden/ byte for byte.

To regenerate after an intended format change: ``UPDATE_GOLDEN=1 pytest tests/storage/test_history_export.py``,
then review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from desktop_agent.state.conversation import Role, UsageTotals
from desktop_agent.state.events import Stage
from desktop_agent.storage.export import all_to_json, all_to_markdown, escape_markdown, iso_utc, to_json, to_markdown
from desktop_agent.storage.history import HistoryStore
from tests.storage.conftest import T0, make_turn

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


def _weather(store: HistoryStore) -> int:
    conv = store.begin_conversation(voice="Rachel", prompt_name="General assistant", started_at=T0)
    store.record_turn(conv, make_turn(1, Role.USER, "What's the weather in Paris, café-side?", T0 + 0.25, T0 + 2.5))
    store.record_turn(
        conv,
        make_turn(
            2,
            Role.ASSISTANT,
            "Sunny, about 20 °C. Use *sunscreen* & check #forecast_today.",
            T0 + 3.125,
            T0 + 7.0,
            latencies={
                Stage.VOICE_TO_VOICE: 0.7123,
                Stage.ENDPOINTING: 0.118,
                Stage.STT_FINAL: 0.2049,
                Stage.LLM_FIRST_TOKEN: 0.23,
                Stage.TTS_FIRST_AUDIO: 0.1604,
            },
        ),
    )
    store.record_turn(conv, make_turn(3, Role.USER, "And tomorrow?", T0 + 8.0, T0 + 9.0))
    store.record_turn(
        conv,
        make_turn(4, Role.ASSISTANT, "Tomorrow brings rain in the", T0 + 9.5, T0 + 11.0, interrupted=True,
                  latencies={Stage.VOICE_TO_VOICE: 0.655}),
    )
    store.record_usage(conv, UsageTotals(llm_prompt_tokens=1234, llm_completion_tokens=56, tts_characters=89,
                                         stt_audio_seconds=4.75), 0.0012345678)
    return conv


def test_markdown_export_matches_the_golden_file(store):
    conversation = store.get_conversation(_weather(store))
    _check_golden("conversation.md", to_markdown(conversation))


def test_json_export_matches_the_golden_file(store):
    conversation = store.get_conversation(_weather(store))
    text = to_json(conversation)
    _check_golden("conversation.json", text)
    document = json.loads(text)
    assert document["format"] == "desktop-agent.conversation"
    assert [t["text"] for t in document["turns"]][0] == "What's the weather in Paris, café-side?"
    assert "id" not in document, "local database ids stay local"


def test_export_of_all_conversations_matches_the_golden_files(store):
    _weather(store)
    store.begin_conversation(started_at=T0 + 3600)  # untitled, nothing said
    conversations = store.get_all_conversations()
    assert [c.started_at for c in conversations] == [T0, T0 + 3600], "oldest first"
    _check_golden("history.md", all_to_markdown(conversations))
    _check_golden("history.json", all_to_json(conversations))


def test_exports_do_not_depend_on_the_local_time_zone(store, monkeypatch):
    conversation = store.get_conversation(_weather(store))
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
