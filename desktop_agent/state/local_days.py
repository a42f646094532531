"""Calendar days on this computer's clock as wall-clock seconds: what "today" and a date range mean to the user."""

from __future__ import annotations

from datetime import date, datetime, time


def local_day_start(day: date) -> float:
    """The first moment of ``day`` on this computer's clock, as wall-clock seconds (``time.time()``)."""
    return datetime.combine(day, time()).astimezone().timestamp()
