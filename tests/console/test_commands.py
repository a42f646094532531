"""What typed lines mean in the console."""

from __future__ import annotations

import pytest

from desktop_agent.console.commands import HELP, Command, parse


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("\n", Command.TALK),
        ("   \n", Command.TALK),
        ("h\n", Command.HANDS_FREE),
        ("Hands-Free", Command.HANDS_FREE),
        ("p", Command.PUSH_TO_TALK),
        ("m", Command.MUTE),
        ("s", Command.STOP_SPEAKING),
        ("n", Command.NEW_CONVERSATION),
        ("?", Command.HELP),
        ("Q\n", Command.QUIT),
        ("exit", Command.QUIT),
    ],
)
def test_lines_map_to_commands(line, command):
    assert parse(line) is command


def test_anything_else_means_nothing():
    assert parse("hello there") is None
    assert parse("x") is None


def test_the_help_names_every_letter():
    for letter in ("Enter", "h ", "p ", "s ", "m ", "n ", "q "):
        assert letter in HELP
