"""The transcript draws Devanagari, Tamil and Arabic with fonts that have every character (no empty boxes), and lays
an Arabic paragraph out right to left. Real widgets, real fonts (README's set-up installs fonts-noto-ui-core); the
screenshot is saved in the test's temporary folder to look at."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGlyphRun, QTextLayout

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation
from desktop_agent.state.writing_direction import is_right_to_left
from desktop_agent.ui.script_fonts import SCRIPT_FAMILIES, fallback_families
from desktop_agent.ui.transcript_model import TranscriptModel
from desktop_agent.ui.transcript_view import TranscriptView
from tests.ui.conftest import feed

HINDI = "नमस्ते, आज मौसम कैसा है? क़िला और ज़िंदगी"
TAMIL = "வணக்கம், இன்று வானிலை எப்படி இருக்கிறது? கொண்டு"
ARABIC = "مرحبا، كيف حالك اليوم؟ الطقس جميل 25 درجة"


@pytest.fixture
def view(qtbot):
    widget = TranscriptView()
    widget.resize(640, 480)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def glyph_runs(layout: QTextLayout) -> list[QGlyphRun]:
    flags = (
        QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphIndexes
        | QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphPositions
        | QTextLayout.GlyphRunRetrievalFlag.RetrieveString
        | QTextLayout.GlyphRunRetrievalFlag.RetrieveStringIndexes
    )
    return layout.glyphRuns(-1, -1, flags)


def assert_no_tofu(layout: QTextLayout) -> set[str]:
    """No glyph Qt chose is a font's "missing" box (glyph 0, drawn when the font has no glyph for a character), and
    every character is one that a font chosen for a run has. Returns the families used.

    (A run's string indexes are not used to pair characters with runs: for right-to-left runs Qt 6.11 gives them
    relative to the run.)"""
    fonts = []
    for run in glyph_runs(layout):
        assert run.glyphIndexes() and 0 not in run.glyphIndexes(), run.rawFont().familyName()
        fonts.append(run.rawFont())
    for char in layout.text():
        if not char.isspace():
            # supportsCharacter(str) goes through PySide's QChar conversion, which answers False: pass the code point.
            assert any(font.supportsCharacter(ord(char)) for font in fonts), (char, hex(ord(char)))
    return {font.familyName() for font in fonts}


def test_indian_scripts_and_arabic_render_with_fonts_that_have_them_and_arabic_reads_right_to_left(view, tmp_path):
    conversation = Conversation()
    feed(conversation, ev.UserTranscript(HINDI, final=True), ev.UserTurnEnded(HINDI))
    feed(conversation, ev.AssistantTurnStarted(), ev.AssistantText(TAMIL))
    for word in TAMIL.split():
        feed(conversation, ev.AssistantWordSpoken(word))
    feed(conversation, ev.AssistantTurnEnded(TAMIL, interrupted=False))
    feed(conversation, ev.UserTranscript(ARABIC, final=True), ev.UserTurnEnded(ARABIC))
    view.refresh(conversation)
    model = view.transcript_model()
    turns = [model.data(model.index(row), TranscriptModel.TurnRole) for row in range(model.rowCount())]
    assert [turn.text for turn in turns] == [HINDI, TAMIL, ARABIC]

    delegate = view.itemDelegate()
    width = view.viewport().width()
    used = [assert_no_tofu(delegate.body_layout(turn, width)) for turn in turns]
    assert used[0] & {"Noto Sans Devanagari UI"} and used[1] & {"Noto Sans Tamil UI"}, used
    assert used[2] & {"Noto Sans Arabic UI"}, used

    arabic = delegate.body_layout(turns[2], width)
    line = arabic.lineAt(0)
    assert line.cursorToX(0)[0] > line.cursorToX(len(ARABIC) - 1)[0]  # the first letter is at the right
    hindi = delegate.body_layout(turns[0], width)  # kept: a QTextLine lives only as long as its layout
    assert hindi.lineAt(0).cursorToX(0)[0] < hindi.lineAt(0).cursorToX(len(HINDI) - 1)[0]

    screenshot = tmp_path / "transcript-scripts.png"
    assert view.grab().save(str(screenshot))
    assert screenshot.stat().st_size > 0


def test_the_text_font_goes_on_to_a_family_for_each_script():
    installed = fallback_families()
    assert {"Noto Sans Devanagari UI", "Noto Sans Tamil UI", "Noto Sans Arabic UI"} <= set(installed)
    assert len(installed) == len(SCRIPT_FAMILIES)  # all nine Indian scripts and Arabic have a font here


@pytest.mark.parametrize(
    ("text", "right_to_left"),
    [(ARABIC, True), ("25 درجة", True), ("«שלום»", True), (HINDI, False), (TAMIL, False), ("", False), ("42", False)],
)
def test_the_direction_is_that_of_the_first_strong_character(text, right_to_left):
    assert is_right_to_left(text) is right_to_left
