"""The connection healer's watch loop wakes rarely while every link is up and often while one is down.

An idle app must not wake ten times a second for nothing: while all links are up, the connect/disconnect events
nudge the healer, and its poll only catches a socket that died without one. The links here are the real healer's
probe links (as the language model's); the probe is a coroutine the test controls. Counts, not timing, are
asserted: a busy machine can only make the loop wake less often, and the conditions are polled with long deadlines.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from desktop_agent.engine.healing import Backoff, ConnectionHealer
from desktop_agent.state.events import Provider


async def until(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_idle_links_are_looked_at_rarely_a_nudge_at_once_and_a_link_down_often():
    answers: list[bool] = []

    async def probe() -> bool:
        answers.append(False)
        return False

    healer = ConnectionHealer(
        {},
        lambda event: None,
        probes={Provider.LLM: probe},
        backoff=Backoff(first=0.0, cap=0.0, jitter=0.0),
        poll_secs=0.05,
        idle_poll_secs=30.0,
    )
    looks: list[float] = []
    check = healer._check

    async def counted(link):
        looks.append(time.monotonic())
        await check(link)

    healer._check = counted
    healer.start()
    try:
        await until(lambda: len(looks) == 1, "the first look")
        await asyncio.sleep(0.5)  # ten polls' worth at the fast rate
        assert len(looks) == 1, "all links up: the healer woke without a reason"

        healer.nudge()
        await until(lambda: len(looks) == 2, "a nudge to be acted on")

        healer.note_failure(Provider.LLM, "the request failed")  # down: probed on the fast schedule
        await until(lambda: len(answers) >= 3, "the link that is down to be probed again and again")
    finally:
        await healer.stop()
