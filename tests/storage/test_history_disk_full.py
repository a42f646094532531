"""A full disk under the history: one plain sentence (never an SQLite code) however many turns fail, the conversation
goes on, and the turns that could not be written are written once there is space again."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_agent.state.conversation import Conversation
from desktop_agent.storage.history import DISK_FULL_SENTENCE, HistoryStore
from desktop_agent.storage.recorder import HistoryRecorder
from tests.storage.scripted import Script, latencies_for

REPO = Path(__file__).resolve().parents[2]
SENTENCE = "History could not be saved: the disk is full. Free some space; the conversation continues."


def test_the_sentence_is_plain_words():
    assert DISK_FULL_SENTENCE == SENTENCE


def test_a_full_database_is_said_once_and_the_turns_are_written_when_space_returns(tmp_path):
    """SQLite's max_page_count makes the database "full" at its current size inside this process: the same
    SQLITE_FULL a full disk gives, without needing a small file system (the tmpfs test below has the real one)."""
    store = HistoryStore(tmp_path / "history.sqlite3")
    told: list[str] = []
    recorder = HistoryRecorder(store, on_error=told.append)
    script = Script(Conversation(), recorder)
    script.start()
    script.user_says("First question")
    script.assistant_says("First answer.", latencies_for(0))
    assert recorder.flush(30)

    store._conn.execute("PRAGMA max_page_count = 1")  # at least the current size: no page can be added
    for index in range(1, 9):
        script.user_says(f"Question {index} {'padding ' * 600}")
        script.assistant_says(f"Answer {index} {'words ' * 600}", latencies_for(index))
    assert recorder.flush(30)
    assert told == [SENTENCE]  # 16 failed turns, their usage and details: one sentence
    assert recorder.committed_turns == 2

    store._conn.execute("PRAGMA max_page_count = 1073741823")  # space again
    script.user_says("Space is back")
    assert recorder.flush(30)
    (conversation,) = store.get_all_conversations()
    assert [t.text.split()[0] for t in conversation.turns] == (
        ["First", "First"] + [word for i in range(1, 9) for word in ("Question", "Answer")] + ["Space"]
    )
    assert conversation.turns[3].latencies == latencies_for(1)
    assert conversation.usage == script.conversation.usage  # the totals caught up as well

    store._conn.execute("PRAGMA max_page_count = 1")  # full again after recovering: that is news again
    script.assistant_says(f"Another answer {'words ' * 600}", latencies_for(10))
    assert recorder.flush(30)
    assert told == [SENTENCE, SENTENCE]
    recorder.close()
    store.close()


def _can_mount_a_tmpfs() -> str | None:
    """Why a private tmpfs cannot be mounted here (None when it can)."""
    if shutil.which("unshare") is None:
        return "unshare is missing"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True, text=True)
    return None if probe.returncode == 0 else f"mounting in a private namespace is not allowed ({probe.stderr.strip()})"


def test_a_really_full_disk_in_a_long_conversation(tmp_path):
    """The disk is a 1 MB tmpfs mounted in a private mount namespace of a child process (nothing else sees it),
    filled to the last byte: SQLite gets ENOSPC from the kernel as on a real full disk, and reopening the history
    on it fails the way users saw (SQLITE_IOERR_SHMSIZE: its shared-memory file cannot be created)."""
    why_not = _can_mount_a_tmpfs()
    if why_not:
        pytest.skip(f"a real full disk needs a private tmpfs: {why_not}")
    folder = tmp_path / "tiny-disk"
    folder.mkdir()
    script = (f"mount -t tmpfs -o size=1m tmpfs {folder} && "
              f"exec {sys.executable} -m tests.storage.disk_full_child {folder}")
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["told_while_full"] == [SENTENCE]
    assert report["told"] == [SENTENCE]
    assert report["stored"] == (
        ["Before the", "Saved as"]
        + [text for i in range(1, 9) for text in (f"Question {i}", f"Answer {i}")]
        + ["After freeing", "Everything is"]
    )
    assert report["reopened"] == (
        "Conversation history is off: the disk is full, so conversations are not saved. Free some space and "
        "restart Desktop Agent to save conversations again; the conversation itself works as usual."
    )
    assert "SQLITE" not in result.stdout
