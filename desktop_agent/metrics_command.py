"""``desktop-agent --export-metrics PATH [--since DATE] [--until DATE] [--conversation ID] [--format csv|json]``.

Writes the metrics of the stored history (:mod:`desktop_agent.storage.metrics`) without starting Qt or the engine.
Dates are local calendar days, both included (``--since 2026-12-01 --until 2026-12-07`` is that whole week); a time
may be given too (``2026-12-07T14:30``). Every refusal is one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from desktop_agent.config.atomic import write_text_atomic
from desktop_agent.config.local_files import error_words
from desktop_agent.state.local_days import local_day_start

EXAMPLE_DATE = "2026-12-07"


class MetricsRequestError(Exception):
    """What was asked cannot be done; ``str(exc)`` is the sentence for the user."""


@dataclass(frozen=True, slots=True)
class MetricsRequest:
    path: Path
    fmt: str
    since: float | None = None  # wall-clock seconds, included
    until: float | None = None  # wall-clock seconds, excluded
    conversation_id: int | None = None

    def scope(self) -> dict[str, object]:
        from desktop_agent.storage.export import iso_utc

        if self.conversation_id is not None:
            return {"conversation_id": self.conversation_id}
        return {"since": iso_utc(self.since), "until": iso_utc(self.until)}


def parse_moment(text: str, option: str, *, end_of_day: bool) -> float:
    """``YYYY-MM-DD`` (the day's start, or with ``end_of_day`` the next day's) or an ISO date and time, local."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return local_day_start(day + timedelta(days=1) if end_of_day else day)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MetricsRequestError(
            f"{option} {text!r} is not a date: write it as YYYY-MM-DD, e.g. {option} {EXAMPLE_DATE}."
        ) from None
    return moment.astimezone().timestamp() if moment.tzinfo is None else moment.timestamp()


def request_from(args: argparse.Namespace) -> MetricsRequest:
    """The export the command line asks for; raises :class:`MetricsRequestError` with the reason."""
    from desktop_agent.storage.metrics import FORMATS, format_for

    path = Path(args.export_metrics).expanduser()
    fmt = args.metrics_format
    if fmt is not None and fmt not in FORMATS:
        raise MetricsRequestError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}.")
    if args.metrics_conversation is not None and (args.since or args.until):
        raise MetricsRequestError("Give either --conversation or a date range (--since, --until), not both.")
    since = parse_moment(args.since, "--since", end_of_day=False) if args.since else None
    until = parse_moment(args.until, "--until", end_of_day=True) if args.until else None
    if since is not None and until is not None and until <= since:
        raise MetricsRequestError("--until is before --since: nothing lies between them.")
    return MetricsRequest(path, format_for(path.suffix, fmt), since, until, args.metrics_conversation)


def write_metrics(request: MetricsRequest, history_path: Path | None = None) -> str:
    """Export what ``request`` asks for from the history; returns the sentence that says what was written."""
    from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore, default_history_path
    from desktop_agent.storage.metrics import render, turn_metrics

    history_path = history_path or default_history_path()
    if not history_path.exists():
        raise MetricsRequestError(f"There is no conversation history yet (looked for {history_path}).")
    try:
        with HistoryStore(history_path) as store:
            if request.conversation_id is not None:
                found = store.get_conversation(request.conversation_id)
                if found is None:
                    raise MetricsRequestError(f"There is no conversation {request.conversation_id} in the history.")
                conversations = [found]
            else:
                conversations = store.get_conversations_between(request.since, request.until)
    except ConversationHistoryUnavailable as exc:
        raise MetricsRequestError(str(exc)) from None
    text = render(conversations, request.fmt, request.scope())
    try:
        write_text_atomic(request.path, text)
    except OSError as exc:
        raise MetricsRequestError(f"Could not write the metrics to {request.path}: {error_words(exc)}.") from None
    replies = len(turn_metrics(conversations))
    return (
        f"Wrote the metrics of {replies} repl{'y' if replies == 1 else 'ies'} in {len(conversations)} "
        f"conversation{'' if len(conversations) == 1 else 's'} to {request.path}."
    )


def run(args: argparse.Namespace) -> int:
    """The command: 0 when written, 2 for a bad request, 1 when history or the file could not be used."""
    try:
        request = request_from(args)
    except MetricsRequestError as exc:
        print(f"desktop-agent: {exc}", file=sys.stderr)
        return 2
    try:
        print(write_metrics(request))
    except MetricsRequestError as exc:
        print(f"desktop-agent: {exc}", file=sys.stderr)
        return 1
    return 0
