"""A stored conversation as the language model's context, to continue it in a new session.

Only what was said goes in (the system prompt is the new session's own), and only as many past exchanges as the
app keeps in a live conversation (Settings: conversation memory), so a long conversation continued costs what a long
live one does. An exchange starts at a user turn; the cut is made there, as the live context is trimmed.
"""

from __future__ import annotations

from desktop_agent.state.conversation import Role
from desktop_agent.storage.records import StoredConversation


def context_messages(conversation: StoredConversation, max_exchanges: int) -> list[dict]:
    """``{"role", "content"}`` messages of the stored turns, the last ``max_exchanges`` exchanges (0: all)."""
    messages = [
        {"role": str(turn.role), "content": turn.text}
        for turn in conversation.turns
        if turn.text.strip() and turn.role in (Role.USER, Role.ASSISTANT)
    ]
    if max_exchanges > 0:
        starts = [i for i, message in enumerate(messages) if message["role"] == "user"]
        if len(starts) > max_exchanges:
            messages = messages[starts[-max_exchanges] :]
    return messages
