"""Child process for the full-disk test, run inside a private mount namespace on a tiny tmpfs (see
test_history_disk_full.py): records a conversation while the disk is full, frees the space, records more, then
reopens the history on a full disk. Prints one JSON object with what the user was told and what was stored (the
first two words of each turn).

``python -m tests.storage.disk_full_child <folder on the tiny tmpfs>``
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from desktop_agent.state.conversation import Conversation
from desktop_agent.storage.history import ConversationHistoryUnavailable, HistoryStore
from desktop_agent.storage.recorder import HistoryRecorder
from tests.storage.scripted import Script, latencies_for

EXCHANGES_WHILE_FULL = 8


def fill(folder: Path) -> Path:
    """Take every free byte of the file system (unbuffered writes, smaller and smaller, until none fits)."""
    filler = folder / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    os.write(handle, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(handle)
    return filler


def main(folder: Path) -> None:
    path = folder / "history.sqlite3"
    other = folder / "other.sqlite3"
    HistoryStore(other).close()  # for the last step
    told: list[str] = []
    store = HistoryStore(path)
    recorder = HistoryRecorder(store, on_error=told.append)
    script = Script(Conversation(), recorder)
    script.start()
    script.user_says("Before the disk filled up")
    script.assistant_says("Saved as usual.", latencies_for(0))
    recorder.flush()

    filler = fill(folder)
    for index in range(1, EXCHANGES_WHILE_FULL + 1):
        script.user_says(f"Question {index} while the disk is full {'padding ' * 200}")
        script.assistant_says(f"Answer {index} {'spoken words ' * 200}", latencies_for(index))
    recorder.flush()
    told_while_full = list(told)

    filler.unlink()
    script.user_says("After freeing space")
    script.assistant_says("Everything is saved again.", latencies_for(99))
    recorder.flush()
    recorder.close()
    stored = [" ".join(turn.text.split()[:2]) for turn in store.get_all_conversations()[0].turns]
    store.close()

    # Starting on a full disk: a history closed cleanly (no write-ahead log left), opened with no byte free.
    fill(folder)
    try:
        HistoryStore(other)
        reopened = "opened"
    except ConversationHistoryUnavailable as exc:
        reopened = str(exc)
    print(json.dumps({"told_while_full": told_while_full, "told": told, "stored": stored, "reopened": reopened}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
