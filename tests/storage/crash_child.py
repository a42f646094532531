"""Child process for the crash test: records a scripted conversation, then talks forever until it is killed.

``python -m tests.storage.crash_child <database> <exchanges>`` records ``exchanges`` question/answer pairs and one
more finished question through HistoryRecorder (no flush: each turn must be committed when it finishes), prints
``STREAMING`` and then streams assistant words and usage without end, so the kill lands in the middle of a turn
while the writer thread is busy.
"""

from __future__ import annotations

import sys
import time

from desktop_agent.state.conversation import Conversation
from desktop_agent.storage.history import HistoryStore
from desktop_agent.storage.recorder import HistoryRecorder
from tests.storage.scripted import Script, latencies_for


def question(index: int) -> str:
    return f"Question number {index} about crash safety"


def answer(index: int) -> str:
    return f"Answer number {index}, spoken in full"


def main(database: str, exchanges: int) -> None:
    store = HistoryStore(database)
    recorder = HistoryRecorder(store)
    script = Script(Conversation(), recorder)
    script.start()
    for index in range(1, exchanges + 1):
        script.user_says(question(index))
        script.assistant_says(answer(index), latencies_for(index))
    script.user_says(question(exchanges + 1))
    script.assistant_starts(latencies_for(exchanges + 1))
    print("STREAMING", flush=True)
    count = 0
    while True:
        count += 1
        script.assistant_word(f"unfinished{count}")
        time.sleep(0.001)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
