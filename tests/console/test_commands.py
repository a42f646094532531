"""What typed lines mean in the console."""

from __future__ import annotations

import pytest

from desktop_agent.console.commands import HELP, Command, FaultRequest, argument, fault_request, help_text, parse


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
        ("r", Command.RETRY),
        ("R\n", Command.RETRY),
        (" retry ", Command.RETRY),
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
    for letter in ("Enter", "h ", "p ", "s ", "m ", "n ", "r ", "q "):
        assert letter in HELP
    assert "r       retry the last turn that got no reply" in HELP


def test_retry_takes_no_argument():
    assert parse("r 2") is None


# ------------------------------------------------------------------------------------------------ t, tt: typed turns
@pytest.mark.parametrize(
    ("line", "command"),
    [("t Is it raining?", Command.TYPE), ("type hello", Command.TYPE), ("T hello\n", Command.TYPE), ("t", Command.TYPE),
     ("tt Is it raining?", Command.TYPE_TEXT_REPLY), ("TT", Command.TYPE_TEXT_REPLY)],
)
def test_t_and_tt_are_typed_turns(line, command):
    assert parse(line) is command


def test_a_typed_turn_keeps_its_words_as_typed():
    assert argument("t  Is it raining in Paris? \n") == "Is it raining in Paris?"
    assert argument("tt What's NEXT") == "What's NEXT"
    assert argument("t") == ""


def test_the_help_names_the_typed_turns():
    assert "t WORDS type your turn instead of speaking" in HELP
    assert "tt WORDS  the same, the reply in text only" in HELP


# ------------------------------------------------------------------------------------------------ f: simulated faults
@pytest.mark.parametrize("line", ["f", "F\n", "faults", "f 3", "f   12 \n", "f clear", "faults 0", "f nonsense"])
def test_f_with_or_without_an_argument_is_the_faults_command(line):
    assert parse(line) is Command.FAULTS


def test_only_f_takes_an_argument():
    assert parse("h 3") is None
    assert parse("fx") is None
    assert parse("q now") is None


def test_the_argument_is_what_follows_the_command_word():
    assert argument("f  3 \n") == "3"
    assert argument("faults clear") == "clear"
    assert argument("f") == ""


@pytest.mark.parametrize(
    ("text", "number"),
    [("", None), ("0", 0), ("clear", 0), ("CLEAR", 0), ("1", 1), ("22", 22), (" 7 ", 7)],
)
def test_fault_requests(text, number):
    assert fault_request(text, 22) == FaultRequest(number)


@pytest.mark.parametrize("text", ["23", "-1", "x", "1.5", "²", "3 4"])
def test_a_fault_that_does_not_exist_is_a_sentence_saying_what_to_type(text):
    reply = fault_request(text, 22)
    assert isinstance(reply, str)
    assert reply.startswith("There is no fault") and "f 1 to f 22" in reply and "f 0" in reply


def test_the_faults_line_is_in_the_help_only_when_simulating():
    assert "f N" in help_text(simulating=True) and HELP in help_text(simulating=True)
    assert help_text(simulating=False) == HELP and "f N" not in HELP


def test_l_names_a_language_and_is_read_against_what_speech_to_text_hears():
    from desktop_agent import providers
    from desktop_agent.config.language_choice import read_language

    assert parse("l hi") is Command.LANGUAGE and argument("lang Tamil") == "Tamil"
    assert "l CODE" in HELP
    sarvam, cartesia = providers.get("sarvam"), providers.get("cartesia")
    assert read_language("hi", sarvam).code == "hi"
    assert read_language("Tamil", sarvam).code == "ta"
    assert read_language("od", sarvam).code == "or"  # Odia, however it is spelled
    assert read_language("auto", sarvam).code == "auto"
    assert read_language("en-IN", cartesia).code == "en-IN"
    refused = read_language("ta", cartesia)
    assert refused.code is None and refused.sentence.startswith("Cartesia speech to text cannot hear Tamil; choose one of")
    assert read_language("klingon", sarvam).sentence.startswith("There is no language called 'klingon'")
    assert "hi (Hindi)" in read_language("", sarvam).sentence
