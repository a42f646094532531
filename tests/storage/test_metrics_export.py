"""The metrics export from a real history file: one row per reply with its stored stage latencies, usage and cost,
then p50/p95 per stage and the totals, as CSV and JSON; a date range takes the conversations started in it."""

from __future__ import annotations

import csv
import io
import json

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import Stage
from desktop_agent.state.latency import percentile
from desktop_agent.storage import metrics
from desktop_agent.storage.history import HistoryStore
from tests.storage.conftest import T0, make_turn

DAY = 86400.0
LATENCIES = [
    {Stage.ENDPOINTING: 0.0121, Stage.STT_FINAL: 0.1503, Stage.LLM_FIRST_TOKEN: 0.2417, Stage.TTS_FIRST_AUDIO: 0.151,
     Stage.VOICE_TO_VOICE: 0.6124},
    {Stage.ENDPOINTING: 0.0301, Stage.STT_FINAL: 0.2, Stage.LLM_FIRST_TOKEN: 0.3, Stage.TTS_FIRST_AUDIO: 0.1499,
     Stage.VOICE_TO_VOICE: 0.7333},
    {Stage.LLM_FIRST_TOKEN: 0.5, Stage.TTS_FIRST_AUDIO: 0.2},  # a typed turn: no speech stages
]


def _store(tmp_path) -> HistoryStore:
    store = HistoryStore(tmp_path / "history.sqlite3")
    for index, latencies in enumerate(LATENCIES):
        started = T0 + index * DAY  # one conversation a day
        conversation = store.begin_conversation(started_at=started)
        store.record_turn(conversation, make_turn(1, Role.USER, "Question", started))
        reply = make_turn(2, Role.ASSISTANT, "Answer", started + 2, latencies=latencies)
        reply.usage.llm_prompt_tokens, reply.usage.llm_completion_tokens = 100 + index, 20 + index
        reply.usage.tts_characters, reply.usage.stt_audio_seconds = 30 + index, 1.5
        reply.cost_usd = 0.001 * (index + 1)
        store.record_turn(conversation, reply)
    return store


def _ms(seconds: float) -> str:
    return metrics._cell(round(seconds * 1000, 1))


def test_csv_has_a_row_per_reply_with_its_stored_figures_then_p50_p95_and_totals(tmp_path):
    with _store(tmp_path) as store:
        conversations = store.get_all_conversations()
    rows = list(csv.DictReader(io.StringIO(metrics.to_csv(conversations))))
    assert [row["row"] for row in rows] == ["turn", "turn", "turn", "p50", "p95", "total"]
    for row, conversation in zip(rows[:3], conversations, strict=True):
        reply = conversation.turns[1]
        assert row["conversation_id"] == str(conversation.id)
        assert row["turn"] == "2"
        for stage in Stage:
            expected = _ms(reply.latencies[stage]) if stage in reply.latencies else ""
            assert row[f"{stage.value}_ms"] == expected, stage
        assert int(row["llm_prompt_tokens"]) == reply.usage.llm_prompt_tokens
        assert int(row["tts_characters"]) == reply.usage.tts_characters
        assert float(row["cost_usd"]) == reply.cost_usd
    assert rows[0]["voice_to_voice_ms"] == "612.4" and rows[2]["endpointing_ms"] == ""
    for row, q in ((rows[3], 50), (rows[4], 95)):
        for stage in Stage:
            measured = [round(lat[stage] * 1000, 1) for lat in LATENCIES if stage in lat]
            expected = percentile(measured, q)
            assert row[f"{stage.value}_ms"] == ("" if expected is None else metrics._cell(round(expected, 1))), stage
        assert row["cost_usd"] == ""
    assert rows[3]["endpointing_ms"] == "21.1"  # the two spoken turns only
    assert float(rows[5]["cost_usd"]) == 0.006 and int(rows[5]["tts_characters"]) == 30 + 31 + 32
    assert "Question" not in metrics.to_csv(conversations), "metrics carry numbers, not what was said"


def test_json_carries_the_same_figures_and_a_date_range_takes_its_days(tmp_path):
    with _store(tmp_path) as store:
        everything = store.get_all_conversations()
        middle = store.get_conversations_between(T0 + DAY, T0 + 2 * DAY)
        from_second = store.get_conversations_between(T0 + DAY, None)
    assert [c.started_at for c in middle] == [T0 + DAY]
    assert len(from_second) == 2
    document = json.loads(metrics.to_json(everything, {"since": None, "until": None}))
    assert document["format"] == "desktop-agent.metrics"
    assert [turn["latency_ms"] for turn in document["turns"]] == [
        {stage.value: round(seconds * 1000, 1) for stage, seconds in latencies.items()} for latencies in LATENCIES
    ]
    csv_rows = list(csv.DictReader(io.StringIO(metrics.to_csv(everything))))
    for stage in Stage:
        for key, row in (("p50_ms", csv_rows[3]), ("p95_ms", csv_rows[4])):
            cell = row[f"{stage.value}_ms"]
            assert document["stages"][stage.value][key] == (float(cell) if cell else None), (stage, key)
    assert document["stages"]["endpointing"]["count"] == 2
    assert document["total"] == {
        "turns": 3, "llm_prompt_tokens": 303, "llm_completion_tokens": 63, "tts_characters": 93,
        "stt_audio_seconds": 4.5, "cost_usd": 0.006,
    }


def test_an_empty_range_gives_headers_and_empty_summary_rows(tmp_path):
    with _store(tmp_path) as store:
        nothing = store.get_conversations_between(T0 + 10 * DAY, None)
    assert nothing == []
    rows = list(csv.DictReader(io.StringIO(metrics.to_csv(nothing))))
    assert [row["row"] for row in rows] == ["p50", "p95", "total"]
    assert json.loads(metrics.to_json(nothing))["stages"]["voice_to_voice"] == {"p50_ms": None, "p95_ms": None,
                                                                                 "count": 0}
