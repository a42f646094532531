"""Metrics exports: each reply's stage latencies, usage and cost as CSV or JSON, with p50/p95 per stage.

One row per assistant turn (an exchange: the user's turn and the reply it got), since that is where the stages of a
turn and the usage of the exchange are stored. Latencies are in milliseconds, to the tenth (the engine measures them
to the tenth of a millisecond). The percentiles are the latency panel's own (:func:`state.latency.percentile`).

Metrics carry numbers only: no words said and no titles (which are words said), so a file opened in a spreadsheet
holds nothing it could take for a formula. Conversations are named by their history id, the one
``desktop-agent --export-metrics --conversation ID`` takes, and their start time.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass

from desktop_agent.state.conversation import Role, UsageTotals
from desktop_agent.state.events import Stage
from desktop_agent.state.latency import percentile
from desktop_agent.storage.export import iso_utc
from desktop_agent.storage.records import StoredConversation, StoredTurn

METRICS_FORMAT = "desktop-agent.metrics"
FORMAT_VERSION = 1
FORMATS = ("csv", "json")
#: The stages, in pipeline order, under the names the CSV's columns and the JSON's keys use.
STAGE_COLUMNS: dict[Stage, str] = {stage: f"{stage.value}_ms" for stage in Stage}
USAGE_COLUMNS = ("llm_prompt_tokens", "llm_completion_tokens", "tts_characters", "stt_audio_seconds", "cost_usd")
CSV_COLUMNS = (
    "row",
    "conversation_id",
    "conversation_started_at",
    "turn",
    "started_at",
    "ended_at",
    *STAGE_COLUMNS.values(),
    *USAGE_COLUMNS,
)


@dataclass(frozen=True, slots=True)
class TurnMetrics:
    """One reply's figures."""

    conversation_id: int
    conversation_started_at: float
    turn: StoredTurn

    def latency_ms(self, stage: Stage) -> float | None:
        seconds = self.turn.latencies.get(stage)
        return None if seconds is None else round(seconds * 1000, 1)


def turn_metrics(conversations: Iterable[StoredConversation]) -> list[TurnMetrics]:
    """Every reply of ``conversations``, in their order."""
    return [
        TurnMetrics(conversation.id, conversation.started_at, turn)
        for conversation in conversations
        for turn in conversation.turns
        if turn.role is Role.ASSISTANT
    ]


def stage_percentiles(rows: list[TurnMetrics], q: float) -> dict[Stage, float | None]:
    """The ``q`` percentile of each stage over the replies that measured it, in ms (None: none did)."""
    result: dict[Stage, float | None] = {}
    for stage in Stage:
        value = percentile([ms for row in rows if (ms := row.latency_ms(stage)) is not None], q)
        result[stage] = None if value is None else round(value, 1)
    return result


def _totals(rows: list[TurnMetrics]) -> tuple[UsageTotals, float]:
    usage = UsageTotals()
    cost = 0.0
    for row in rows:
        used = row.turn.usage
        usage.llm_prompt_tokens += used.llm_prompt_tokens
        usage.llm_completion_tokens += used.llm_completion_tokens
        usage.tts_characters += used.tts_characters
        usage.stt_audio_seconds += used.stt_audio_seconds
        cost += row.turn.cost_usd
    return usage, cost


def _usage_values(usage: UsageTotals, cost: float) -> dict[str, object]:
    return {
        "llm_prompt_tokens": usage.llm_prompt_tokens,
        "llm_completion_tokens": usage.llm_completion_tokens,
        "tts_characters": usage.tts_characters,
        "stt_audio_seconds": round(usage.stt_audio_seconds, 3),
        "cost_usd": round(cost, 6),
    }


# ---------------------------------------------------------------------------------------------------- CSV
def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"
    return str(value)


def to_csv(conversations: Iterable[StoredConversation]) -> str:
    """One ``turn`` row per reply, then ``p50`` and ``p95`` rows (stage columns only) and a ``total`` row (usage
    and cost summed)."""
    rows = turn_metrics(conversations)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        turn = row.turn
        writer.writerow(
            _cell(value)
            for value in (
                "turn",
                row.conversation_id,
                iso_utc(row.conversation_started_at),
                turn.seq,
                iso_utc(turn.started_at),
                iso_utc(turn.ended_at),
                *(row.latency_ms(stage) for stage in STAGE_COLUMNS),
                *_usage_values(turn.usage, turn.cost_usd).values(),
            )
        )
    blank_identity = ("",) * 5
    for name, q in (("p50", 50), ("p95", 95)):
        values = stage_percentiles(rows, q)
        writer.writerow(
            [name, *blank_identity, *(_cell(values[stage]) for stage in STAGE_COLUMNS), *("",) * len(USAGE_COLUMNS)]
        )
    usage, cost = _totals(rows)
    writer.writerow(
        ["total", *blank_identity, *("",) * len(STAGE_COLUMNS), *map(_cell, _usage_values(usage, cost).values())]
    )
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------- JSON
def to_json(conversations: Iterable[StoredConversation], scope: dict[str, object] | None = None) -> str:
    """The same figures as one JSON document: ``turns``, ``p50_ms``/``p95_ms``/``count`` per stage, ``total``.
    ``scope`` says what was asked for (a conversation, or a date range)."""
    rows = turn_metrics(conversations)
    usage, cost = _totals(rows)
    p50, p95 = stage_percentiles(rows, 50), stage_percentiles(rows, 95)
    document = {
        "format": METRICS_FORMAT,
        "format_version": FORMAT_VERSION,
        "scope": scope or {},
        "turns": [
            {
                "conversation_id": row.conversation_id,
                "conversation_started_at": iso_utc(row.conversation_started_at),
                "turn": row.turn.seq,
                "started_at": iso_utc(row.turn.started_at),
                "ended_at": iso_utc(row.turn.ended_at),
                "latency_ms": {stage.value: row.latency_ms(stage) for stage in Stage if stage in row.turn.latencies},
                **_usage_values(row.turn.usage, row.turn.cost_usd),
            }
            for row in rows
        ],
        "stages": {
            stage.value: {
                "p50_ms": p50[stage],
                "p95_ms": p95[stage],
                "count": sum(1 for row in rows if stage in row.turn.latencies),
            }
            for stage in Stage
        },
        "total": {"turns": len(rows), **_usage_values(usage, cost)},
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render(conversations: Iterable[StoredConversation], fmt: str, scope: dict[str, object] | None = None) -> str:
    """``fmt`` is "csv" or "json"."""
    return to_json(conversations, scope) if fmt == "json" else to_csv(conversations)


def format_for(path_suffix: str, requested: str | None = None) -> str:
    """The format asked for, else the one the file's extension names (``.json``), else CSV."""
    if requested in FORMATS:
        return requested
    return "json" if path_suffix.lower() == ".json" else "csv"
