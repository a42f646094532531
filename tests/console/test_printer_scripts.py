"""The console in Hindi, Tamil and Arabic: lines written whole as UTF-8, and the user's live words, redrawn in place,
kept on one terminal row by their width in columns (marks take none, CJK takes two), never cut inside a letter."""

from __future__ import annotations

import io

import pytest

from desktop_agent.console.display_width import ELLIPSIS, display_width, tail_that_fits
from desktop_agent.console.printer import TranscriptPrinter
from desktop_agent.state import events as ev
from tests.console.test_printer import exchange, replay

HINDI = "आज दिल्ली में मौसम कैसा है?"
TAMIL = ["இன்று", "சென்னையில்", "வானிலை", "நன்றாக", "இருக்கிறது."]
ARABIC = "كيف الطقس في القاهرة اليوم؟"


def test_a_piped_exchange_in_indian_scripts_and_arabic_is_written_whole_as_utf8():
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n", write_through=True)
    printer = TranscriptPrinter(out, live=False)
    for event in exchange(HINDI, TAMIL) + exchange(ARABIC, ["شكرا"]):
        printer.show(event)
    lines = raw.getvalue().decode("utf-8").splitlines()
    assert f"You: {HINDI}" in lines and f"Assistant: {' '.join(TAMIL)}" in lines
    assert f"You: {ARABIC}" in lines and "Assistant: شكرا" in lines


@pytest.mark.parametrize(
    ("text", "columns"),
    [("नमस्ते", 4), ("வணக்கம்", 5), ("क़", 1), ("日本", 4), ("مرحبا", 5), ("a\u200db", 2)],
)
def test_display_width_counts_columns_not_characters(text, columns):
    assert display_width(text) == columns


def test_a_long_line_keeps_its_end_and_is_never_cut_between_a_letter_and_its_marks():
    line = "You: " + " ".join(TAMIL) + " ..."
    for columns in range(2, display_width(line) + 2):
        fitted = tail_that_fits(line, columns)
        assert display_width(fitted) <= columns and line.endswith(fitted.removeprefix(ELLIPSIS))
        body = fitted.removeprefix(ELLIPSIS)
        assert not body or display_width(body[0]) > 0, (columns, fitted)  # starts on a letter, not a mark
    assert tail_that_fits(line, display_width(line)) == line


def test_the_live_line_in_a_narrow_terminal_stays_on_one_row():
    printer = TranscriptPrinter(io.StringIO(), live=True, columns=lambda: 24)
    words = HINDI.split()
    for count in range(1, len(words) + 1):
        printer.show(ev.UserTranscript(text=" ".join(words[:count]), final=False))
        redrawn = printer._out.getvalue().rsplit("\r\x1b[2K", 1)[1]
        assert display_width(redrawn) <= 23, redrawn
    assert redrawn.endswith("कैसा है? ...") and redrawn.startswith(ELLIPSIS)
    out = replay(printer, [ev.UserTranscript(text=HINDI, final=True), ev.UserTurnEnded(text=HINDI)])
    assert out.splitlines()[-1].endswith(f"You: {HINDI}")  # the finished line is written whole


def test_a_terminal_that_cannot_spell_a_script_gets_question_marks_not_an_error():
    from desktop_agent.console.terminal_encoding import shows_every_script

    raw = io.BytesIO()
    latin1 = shows_every_script(io.TextIOWrapper(raw, encoding="latin-1", write_through=True))
    TranscriptPrinter(latin1, live=False).say(f"Café: {HINDI}")
    assert raw.getvalue().decode("latin-1").startswith("Café: ??")
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert shows_every_script(utf8).errors == "strict"  # UTF-8 writes every script as it is
