"""The .env reader: the forms it accepts and what it says about the lines it cannot read."""

from __future__ import annotations

from desktop_agent.config.environment import parse_dotenv


def test_accepted_forms():
    values, problems = parse_dotenv(
        "# comment\n"
        "\n"
        "PLAIN=value\n"
        "export EXPORTED=yes\n"
        "SPACED = padded  \n"
        "COMMENTED=kept # dropped\n"
        "DOUBLE=\"with # hash and \\\"quotes\\\"\\n\"\n"
        "SINGLE='raw \\n'\n"
        "EMPTY=\n"
    )
    assert problems == []
    assert values == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "padded",
        "COMMENTED": "kept",
        "DOUBLE": 'with # hash and "quotes"\n',
        "SINGLE": "raw \\n",
        "EMPTY": "",
    }


def test_bad_lines_are_skipped_with_their_line_number():
    values, problems = parse_dotenv("GOOD=1\n1BAD=2\nno equals sign\nQ=\"open\n", origin="my.env")
    assert values == {"GOOD": "1"}
    assert problems == [
        "Line 2 of my.env is not of the form NAME=value, so it is ignored.",
        "Line 3 of my.env is not of the form NAME=value, so it is ignored.",
        "Line 4 of my.env (Q) has an unclosed quote, so it is ignored.",
    ]


def test_unreadable_dotenv_is_reported_not_raised(make_env, config_dir):
    (config_dir / ".env").write_bytes(b"\xff\xfe\x00bad")
    env = make_env(OTHER="1")
    assert env.get("OTHER") == "1"
    assert env.problems == [f"{(config_dir / '.env').resolve()} could not be read (it is not UTF-8 text), so its "
                            "settings are ignored."]
