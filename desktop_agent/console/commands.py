"""What the user types in the console, as commands.

A terminal reports lines, not key presses and releases, so push-to-talk becomes Enter to start talking and Enter
again to end the turn. Every other command is one letter (or its word) followed by Enter.
"""

from __future__ import annotations

import enum


class Command(enum.Enum):
    TALK = "talk"  # Enter: start or end a push-to-talk turn
    PUSH_TO_TALK = "push_to_talk"
    HANDS_FREE = "hands_free"
    MUTE = "mute"  # toggles
    STOP_SPEAKING = "stop_speaking"
    NEW_CONVERSATION = "new_conversation"
    HELP = "help"
    QUIT = "quit"


_WORDS: dict[str, Command] = {
    "": Command.TALK,
    "p": Command.PUSH_TO_TALK,
    "ptt": Command.PUSH_TO_TALK,
    "push-to-talk": Command.PUSH_TO_TALK,
    "h": Command.HANDS_FREE,
    "hands-free": Command.HANDS_FREE,
    "m": Command.MUTE,
    "mute": Command.MUTE,
    "s": Command.STOP_SPEAKING,
    "stop": Command.STOP_SPEAKING,
    "n": Command.NEW_CONVERSATION,
    "new": Command.NEW_CONVERSATION,
    "?": Command.HELP,
    "help": Command.HELP,
    "q": Command.QUIT,
    "quit": Command.QUIT,
    "exit": Command.QUIT,
}

HELP = """\
Enter   start talking / end your turn (push-to-talk)
h       hands-free: a pause ends your turn        p   back to push-to-talk
s       stop the assistant speaking               m   mute or unmute the microphone
n       new conversation                          q   quit (also Ctrl+D or Ctrl+C)"""


def parse(line: str) -> Command | None:
    """The command a typed line means, or None when it means nothing (the caller says so and shows the help)."""
    return _WORDS.get(line.strip().lower())
