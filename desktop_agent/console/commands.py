"""What the user types in the console, as commands.

A terminal reports lines, not key presses and releases, so push-to-talk becomes Enter to start talking and Enter
again to end the turn. Every other command is one letter (or its word) followed by Enter; ``f`` (the simulator's
faults, with ``--simulate`` only) may be followed by a number, and ``t`` / ``tt`` by the words of a typed turn.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Command(enum.Enum):
    TALK = "talk"  # Enter: start or end a push-to-talk turn
    PUSH_TO_TALK = "push_to_talk"
    HANDS_FREE = "hands_free"
    MUTE = "mute"  # toggles
    STOP_SPEAKING = "stop_speaking"
    NEW_CONVERSATION = "new_conversation"
    RETRY = "retry"  # give the last turn that got no reply again
    HELP = "help"
    QUIT = "quit"
    FAULTS = "faults"  # f: list the simulator's faults; f N: switch fault N on; f 0: clear them
    TYPE = "type"  # t WORDS: a turn typed instead of spoken; the reply is spoken
    TYPE_TEXT_REPLY = "type_text_reply"  # tt WORDS: the same, the reply shown only (a meeting, a shared office)
    LANGUAGE = "language"  # l CODE: the conversation's language from the next turn (l alone lists them)
    YES = "yes"  # y: run the tool call waiting for the user's answer ("ask before running")
    NO = "no"  # no: do not run it


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
    "r": Command.RETRY,
    "retry": Command.RETRY,
    "?": Command.HELP,
    "help": Command.HELP,
    "q": Command.QUIT,
    "quit": Command.QUIT,
    "exit": Command.QUIT,
    "f": Command.FAULTS,
    "faults": Command.FAULTS,
    "t": Command.TYPE,
    "type": Command.TYPE,
    "tt": Command.TYPE_TEXT_REPLY,
    "l": Command.LANGUAGE,
    "lang": Command.LANGUAGE,
    "language": Command.LANGUAGE,
    "y": Command.YES,
    "yes": Command.YES,
    "no": Command.NO,
}
_TAKES_ARGUMENT = frozenset({Command.FAULTS, Command.TYPE, Command.TYPE_TEXT_REPLY, Command.LANGUAGE})

HELP = """\
Enter   start talking / end your turn (push-to-talk)
h       hands-free: a pause ends your turn        p   back to push-to-talk
s       stop the assistant speaking               m   mute or unmute the microphone
r       retry the last turn that got no reply     n   new conversation
t WORDS type your turn instead of speaking        tt WORDS  the same, the reply in text only
l CODE  speak another language (l hi, l ta, l auto; l alone lists them)
y / no  run, or not, a tool call waiting for your answer (saying yes or no does the same)
?       this help                                 q   quit (also Ctrl+D or Ctrl+C)"""

FAULTS_HELP = "f       list the simulated faults; f N switches fault N on, f 0 clears them all"


def help_text(simulating: bool) -> str:
    """The help; the faults line only when the simulator runs (``--simulate``)."""
    return f"{HELP}\n{FAULTS_HELP}" if simulating else HELP


def parse(line: str) -> Command | None:
    """The command a typed line means, or None when it means nothing (the caller says so and shows the help)."""
    text = line.strip().lower()
    command = _WORDS.get(text)
    if command is None:
        head, _, _ = text.partition(" ")
        command = _WORDS.get(head)
        return command if command in _TAKES_ARGUMENT else None
    return command


def argument(line: str) -> str:
    """What follows the command word, as typed: ``"3"`` in ``"f 3"``, ``"Is it raining?"`` in ``"t Is it raining?"``."""
    return line.strip().partition(" ")[2].strip()


@dataclass(frozen=True)
class FaultRequest:
    """What ``f ...`` asks for: ``number`` None lists the faults, 0 clears them all, N switches fault N on."""

    number: int | None


def fault_request(text: str, count: int) -> FaultRequest | str:
    """``f``'s argument as a request, or a sentence saying what to type instead."""
    text = text.strip().lower()
    if not text:
        return FaultRequest(None)
    if text == "clear":
        return FaultRequest(0)
    if text.isascii() and text.isdigit() and int(text) <= count:
        return FaultRequest(int(text))
    return f"There is no fault {text!r}: type f to list them, f 1 to f {count} to switch one on, or f 0 to clear them."
