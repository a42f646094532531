"""A stored conversation as the language model's context, to continue it in a new session.

Only what was said goes in (the system prompt is the new session's own), and only as many past exchanges as the
app keeps in a live conversation (Settings: conversation memory), so a long conversation continued costs what a long
live one does. An exchange starts at a user turn; the cut is made there, as the live context is trimmed. The window
shows the same turns before the new ones, so the user sees what the assistant remembers.
"""

from __future__ import annotations

from desktop_agent.state.conversation import Role
from desktop_agent.state.events import EarlierTurn
from desktop_agent.storage.records import StoredConversation


def remembered_turns(conversation: StoredConversation, max_exchanges: int) -> tuple[EarlierTurn, ...]:
    """The stored turns of the last ``max_exchanges`` exchanges (0: all) that have words, oldest first."""
    said = [turn for turn in conversation.turns if turn.text.strip() and turn.role in (Role.USER, Role.ASSISTANT)]
    if max_exchanges > 0:
        starts = [i for i, turn in enumerate(said) if turn.role is Role.USER]
        if len(starts) > max_exchanges:
            said = said[starts[-max_exchanges] :]
    return tuple(
        EarlierTurn(str(turn.role), turn.text, turn.started_at, turn.interrupted, turn.spoken, turn.complete)
        for turn in said
    )


def as_messages(turns: tuple[EarlierTurn, ...]) -> list[dict]:
    """The turns as the language model's ``{"role", "content"}`` messages."""
    return [{"role": turn.role, "content": turn.text} for turn in turns]


def context_messages(conversation: StoredConversation, max_exchanges: int) -> list[dict]:
    """The messages of :func:`remembered_turns`."""
    return as_messages(remembered_turns(conversation, max_exchanges))
