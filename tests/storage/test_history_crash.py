"""History survives ``kill -9`` in the middle of a conversation: every finished turn is there, with its latencies."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_agent.state.conversation import Role
from desktop_agent.storage.history import HistoryStore
from tests.storage.crash_child import answer, question
from tests.storage.scripted import latencies_for

REPO = Path(__file__).resolve().parents[2]
EXCHANGES = 5
FINISHED_TURNS = 2 * EXCHANGES + 1  # five question/answer pairs and the last question


def _committed_turns(path: Path) -> int:
    """Count turns through a separate read-only connection, as another process would see them."""
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT count(*) FROM turns").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # schema not created yet
    finally:
        conn.close()


@pytest.mark.parametrize("run", range(3))
def test_every_finished_turn_survives_kill_9_mid_turn(tmp_path, run):
    path = tmp_path / "history.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.storage.crash_child", str(path), str(EXCHANGES)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "STREAMING", child.stderr.read()
        deadline = time.monotonic() + 30
        while _committed_turns(path) < FINISHED_TURNS and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _committed_turns(path) == FINISHED_TURNS
        time.sleep(random.uniform(0.01, 0.3))  # land somewhere in the stream of word and usage writes
        assert child.poll() is None, "the child must still be mid-turn when it is killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    with HistoryStore(path) as store:
        assert store.recovered_from is None, "a killed writer must not leave a damaged file"
        (summary,) = store.list_conversations()
        stored = store.get_conversation(summary.id)
    expected = []
    for index in range(1, EXCHANGES + 1):
        expected += [(Role.USER, question(index), {}), (Role.ASSISTANT, answer(index), latencies_for(index))]
    expected.append((Role.USER, question(EXCHANGES + 1), {}))
    assert [(t.role, t.text, t.latencies) for t in stored.turns] == expected
    assert all(t.ended_at is not None and not t.interrupted for t in stored.turns)
    assert stored.usage.llm_prompt_tokens == 100 * EXCHANGES
    assert stored.cost_usd > 0
