"""plain_text: untrusted text loses terminal escapes, control characters and bidi overrides, and nothing else."""

from __future__ import annotations

import pytest

from desktop_agent.state.plain_text import BIDI_CONTROLS, plain_text, shorten

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        (f"{ESC}[2J{ESC}[HHello", "Hello"),  # clear screen, cursor home
        (f"{ESC}[1;31mred{ESC}[0m text", "red text"),  # colours
        (f"{ESC}]0;pwned title{BEL}Hi", "Hi"),  # window title, BEL-terminated
        (f"{ESC}]2;pwned title{ST}Hi", "Hi"),  # window title, ST-terminated
        (f"{ESC}]8;;https://evil.example{ST}click here{ESC}]8;;{ST}", "click here"),  # OSC 8 hyperlink
        (f"{ESC}P+q544e{ST}after", "after"),  # DCS (terminal query)
        ("\x9b2J8-bit CSI", "8-bit CSI"),
        ("\x9d0;title\x9cshown", "shown"),  # 8-bit OSC ... ST
        (f"{ESC}cReset", "Reset"),  # RIS: full terminal reset
        (f"{ESC}(0charset", "charset"),
        (f"{ESC}]0;never terminated", "0;never terminated"),  # the introducer goes; the rest is harmless text
        ("a\x00b\x08c\x7fd\x85e", "abc" + "d\ne"),  # NUL, backspace, DEL; NEL is a line break
        ("bell\x07 and\x0c form feed", "bell and form feed"),
        ("carriage\rreturn", "carriage\nreturn"),  # no overwriting a line already printed
        ("tab\tand\nnewline", "tab\tand\nnewline"),
    ],
)
def test_escape_sequences_and_control_characters_are_removed(hostile, expected):
    assert plain_text(hostile) == expected


def test_bidi_overrides_and_isolates_are_removed():
    spoofed = "invoice_\u202excod.exe"  # shows as "invoice_exe.docx" when the override is obeyed
    assert plain_text(spoofed) == "invoice_xcod.exe"
    every = "".join(sorted(BIDI_CONTROLS))
    assert {hex(ord(c)) for c in every} == {hex(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
    assert plain_text(f"a{every}b") == "ab"


@pytest.mark.parametrize(
    "legitimate",
    [
        "नमस्ते, आप कैसे हैं?",  # Devanagari: virama and vowel signs (combining marks)
        "क्‍ष",  # Devanagari with a zero-width joiner
        "வணக்கம், நலமா?",  # Tamil
        "مرحبا، كيف حالك؟",  # Arabic
        "שלום\u200f עולם",  # Hebrew with a right-to-left mark
        "\u061cأهلا",  # Arabic letter mark
        "می\u200cخواهم",  # Persian with a zero-width non-joiner
        "👩‍💻 🏳️‍🌈 👍🏽 🇫🇷 ❤️",  # ZWJ sequences, skin tone, flag, variation selector
        "Ünïcödé — “quotes” … ½ €",
        "plain ASCII, with punctuation: <b>x</b> & ok",
    ],
)
def test_legitimate_scripts_and_emoji_survive_unchanged(legitimate):
    assert plain_text(legitimate) == legitimate


def test_single_line_folds_line_breaks_and_tabs_into_spaces():
    assert plain_text("one\ntwo\r\nthree\u2028four\tfive", single_line=True) == "one two three four five"


def test_shorten_marks_what_was_cut():
    assert shorten("short", 10) == "short"
    assert shorten("x" * 1_000_000, 40) == "x" * 39 + "…"
