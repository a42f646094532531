"""Fixtures for the simulator tests: a running simulator per test and a tiny Pipecat voice pipeline against it."""

from __future__ import annotations

import pytest_asyncio

from desktop_agent.simulator import Simulator


@pytest_asyncio.fixture
async def sim():
    """All three emulators on ephemeral 127.0.0.1 ports with the ``instant`` profile."""
    async with Simulator(profile="instant") as simulator:
        yield simulator
