"""Helpers for the history tests: turns built by hand, a controllable clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from desktop_agent.state.conversation import Role, Turn
from desktop_agent.state.events import Stage

#: 2024-05-01T10:00:00Z: fixed so times in exports are reproducible.
T0 = 1714557600.0


class ManualClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make_turn(
    seq: int,
    role: Role,
    text: str,
    started: float,
    ended: float | None = None,
    interrupted: bool = False,
    latencies: dict[Stage, float] | None = None,
    *,
    spoken: bool = True,
    complete: bool = True,
) -> Turn:
    return Turn(
        id=seq,
        role=role,
        started_at=started,
        text=text,
        ended_at=started + 1.0 if ended is None else ended,
        interrupted=interrupted,
        spoken=spoken,
        complete=complete,
        latencies=dict(latencies or {}),
    )


@pytest.fixture
def turn() -> Callable[..., Turn]:
    return make_turn
