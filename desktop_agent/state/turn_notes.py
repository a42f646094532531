"""The marks a finished turn carries besides its words ("interrupted", "not spoken", "incomplete"), worded once.

The live transcript, the history reader, the exports and the console all show them, so they all take the words from
here. A stored turn (:class:`~desktop_agent.storage.records.StoredTurn`) and a live one
(:class:`~desktop_agent.state.conversation.Turn`) both qualify.
"""

from __future__ import annotations

from typing import Protocol

INTERRUPTED = "interrupted"  # the user cut the reply off: only what was said is kept
NOT_SPOKEN = "not spoken"  # text-to-speech could not say the reply, or it was asked for in text: kept as written
INCOMPLETE = "incomplete"  # the language model stopped writing midway: what it wrote is kept


class MarkedTurn(Protocol):
    @property
    def interrupted(self) -> bool: ...

    @property
    def spoken(self) -> bool: ...

    @property
    def complete(self) -> bool: ...


def turn_notes(turn: MarkedTurn) -> tuple[str, ...]:
    """The turn's marks in a fixed order; empty for a turn that was said in full."""
    notes = []
    if turn.interrupted:
        notes.append(INTERRUPTED)
    if not turn.spoken:
        notes.append(NOT_SPOKEN)
    if not turn.complete:
        notes.append(INCOMPLETE)
    return tuple(notes)
