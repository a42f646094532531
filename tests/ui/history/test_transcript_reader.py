"""The history reader shows a stored conversation's turns with their marks, and stored text only as text."""

from __future__ import annotations

import pytest

from desktop_agent.state.conversation import Role
from desktop_agent.storage.history import HistoryStore
from desktop_agent.ui.history.transcript_reader import TranscriptReader
from tests.storage.conftest import T0, make_turn


@pytest.fixture
def store(tmp_path):
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        yield store


@pytest.fixture
def reader(qtbot):
    reader = TranscriptReader()
    qtbot.addWidget(reader)
    return reader


def _paragraphs(reader: TranscriptReader) -> list[str]:
    return [line for line in reader.toPlainText().splitlines() if line.strip()]


def test_each_turn_shows_its_marks_after_its_time(reader, store):
    conv = store.begin_conversation(started_at=T0)
    store.record_turn(conv, make_turn(1, Role.USER, "Tell me a story", T0))
    store.record_turn(conv, make_turn(2, Role.ASSISTANT, "Once upon a time.", T0 + 2, spoken=False))
    store.record_turn(conv, make_turn(3, Role.ASSISTANT, "There was a", T0 + 5, interrupted=True, complete=False))
    reader.show_conversation(store.get_conversation(conv))

    headers = [line for line in _paragraphs(reader) if line.startswith(("You ", "Assistant "))]
    assert [header.split(" ", 2)[2:] for header in headers] == [[], ["(not spoken)"], ["(interrupted, incomplete)"]]
    text = reader.toPlainText()
    assert "Once upon a time." in text, "a reply nobody heard is shown whole"


def test_stored_text_that_looks_like_html_is_shown_as_written_and_nothing_becomes_a_link(reader, store):
    said = '<b>bold?</b> <a href="https://evil.example/">click</a> <img src="x"> &amp; done'
    conv = store.begin_conversation(title="<i>title</i>", voice="<u>Rachel</u>", started_at=T0)
    store.record_turn(conv, make_turn(1, Role.USER, said, T0))
    store.record_turn(conv, make_turn(2, Role.ASSISTANT, "line one\nline <two>", T0 + 2))
    reader.show_conversation(store.get_conversation(conv))

    text = reader.toPlainText()
    assert said in text and "<i>title</i>" in text and "voice <u>Rachel</u>" in text
    assert "line one\nline <two>" in text, "a line break stays a line break, the rest is text"
    anchors, images = [], []
    block = reader.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            fmt = fragment.charFormat()
            if fmt.isAnchor():
                anchors.append(fragment.text())
            if fmt.isImageFormat():
                images.append(fragment.text())
            iterator += 1
        block = block.next()
    assert (anchors, images) == ([], [])


def test_no_conversation_shows_a_hint_and_an_empty_one_says_so(reader, store):
    assert reader.toPlainText() == TranscriptReader.EMPTY_HINT
    reader.show_conversation(store.get_conversation(store.begin_conversation(started_at=T0)))
    assert "No turns were recorded." in reader.toPlainText()


def test_arabic_reads_right_to_left_and_each_script_has_a_font_that_draws_it(reader, store, qtbot, tmp_path):
    """What was said is its own paragraph: right to left for Arabic, left to right for Hindi and Tamil; no glyph
    Qt drew is a font's missing-glyph box (glyph 0). A screenshot is left in the test's temporary folder."""
    from PySide6.QtCore import Qt

    hindi, tamil, arabic = "आज मौसम कैसा है?", "இன்று வானிலை எப்படி?", "كيف الطقس اليوم؟"
    conv = store.begin_conversation(started_at=T0)
    for seq, (role, text) in enumerate(((Role.USER, hindi), (Role.ASSISTANT, tamil), (Role.USER, arabic)), 1):
        store.record_turn(conv, make_turn(seq, role, text, T0 + seq))
    reader.resize(600, 400)
    reader.show()
    qtbot.waitExposed(reader)
    reader.show_conversation(store.get_conversation(conv))
    blocks = {}
    block = reader.document().begin()
    while block.isValid():
        blocks[block.text()] = block
        block = block.next()
    assert blocks[arabic].textDirection() == Qt.LayoutDirection.RightToLeft
    assert blocks[hindi].textDirection() == blocks[tamil].textDirection() == Qt.LayoutDirection.LeftToRight
    families = set()
    for text in (hindi, tamil, arabic):
        qtbot.waitUntil(lambda text=text: blocks[text].layout().lineCount() > 0, timeout=5_000)  # laid out
        layout = blocks[text].layout()
        for run in layout.glyphRuns(0, len(text)):
            assert 0 not in run.glyphIndexes(), (text, run.rawFont().familyName())
            families.add(run.rawFont().familyName())
    assert {"Noto Sans Devanagari UI", "Noto Sans Tamil UI", "Noto Sans Arabic UI"} <= families
    assert reader.grab().save(str(tmp_path / "history-scripts.png"))


def test_a_summary_and_its_fields_are_shown_as_plain_text(reader, store):
    conv = store.begin_conversation(started_at=T0)
    store.record_turn(conv, make_turn(1, Role.USER, "Book a table", T0))
    # What a model wrote is remote text: markup stays characters, escape sequences and bidi overrides go.
    store.save_summary(
        conv,
        "<b>Dinner</b> plans",
        "Booked <a href='http://x'>a table</a>\x1b[31m for two.\u202e",
        {"action_items": ["Call <i>Luigi</i>", "Bring cake"], "follow_up_date": ""},
    )
    reader.show_conversation(store.get_conversation(conv))
    lines = _paragraphs(reader)
    assert lines[0] == "<b>Dinner</b> plans"
    summary = lines.index("Summary")
    assert lines[summary + 1 : summary + 4] == [
        "Booked <a href='http://x'>a table</a> for two.",
        "action items: Call <i>Luigi</i>; Bring cake",
        "follow up date: —",
    ]
    assert lines.index("Summary") < next(i for i, line in enumerate(lines) if line.startswith("You "))
    assert "<a" not in reader.toHtml().replace("&lt;a", "")  # no link was made of it
