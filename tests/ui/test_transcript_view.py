"""The transcript: live interim words, spoken assistant words, interruptions, timestamps, copy, auto-scroll, and
incremental updates that stay cheap at thousands of turns."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation
from desktop_agent.ui.transcript_delegate import TranscriptDelegate
from desktop_agent.ui.transcript_model import TranscriptModel, clock_time, continued_line, notes_line
from desktop_agent.ui.transcript_view import TranscriptView
from tests.ui.conftest import exchange, feed


@pytest.fixture
def view(qtbot):
    widget = TranscriptView()
    widget.resize(640, 480)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown(view: TranscriptView) -> list[str]:
    model = view.transcript_model()
    return [model.data(model.index(row)) for row in range(model.rowCount())]


def test_interim_words_show_live_and_are_replaced_by_the_final_text(view):
    conversation = Conversation()
    feed(conversation, ev.UserTranscript("what is", final=False))
    view.refresh(conversation)
    assert shown(view) == ["what is"]
    feed(conversation, ev.UserTranscript("what is the weather", final=False))
    view.refresh(conversation)
    assert shown(view) == ["what is the weather"]
    feed(conversation, ev.UserTranscript("What is the weather like?", final=True), ev.UserTurnEnded("What is the weather like?"))
    view.refresh(conversation)
    assert shown(view) == ["What is the weather like?"]


def test_assistant_words_appear_as_spoken_and_the_unspoken_rest_of_an_interrupted_reply_never_shows(view):
    conversation = Conversation()
    feed(conversation, ev.AssistantTurnStarted(), ev.AssistantText("It is sunny and warm in Paris today."))
    view.refresh(conversation)
    assert shown(view) == [""]  # the LLM's text is not shown before it is spoken
    for word, expected in (("It", "It"), ("is", "It is"), ("sunny", "It is sunny")):
        feed(conversation, ev.AssistantWordSpoken(word))
        view.refresh(conversation)
        assert shown(view) == [expected]
    feed(conversation, ev.Interrupted(), ev.AssistantTurnEnded("It is sunny", interrupted=True))
    view.refresh(conversation)
    model = view.transcript_model()
    turn = model.data(model.index(0), TranscriptModel.TurnRole)
    assert shown(view) == ["It is sunny"] and turn.interrupted
    assert "interrupted" in model.data(model.index(0), Qt.ItemDataRole.AccessibleTextRole)


def test_rows_say_who_spoke_and_when(view):
    conversation = Conversation(clock=lambda: 1_700_000_000.0)
    feed(conversation, *exchange("hello", ["hi", "there"]))
    view.refresh(conversation)
    model = view.transcript_model()
    accessible = [model.data(model.index(row), Qt.ItemDataRole.AccessibleTextRole) for row in range(2)]
    stamp = clock_time(1_700_000_000.0)
    assert accessible == [f"You at {stamp}: hello", f"Assistant at {stamp}: hi there"]


def test_the_interrupted_mark_adds_a_line_to_the_bubble(qtbot):
    delegate = TranscriptDelegate()
    conversation = Conversation()
    feed(conversation, ev.AssistantTurnStarted(), ev.AssistantWordSpoken("Sure"))
    turn = conversation.turns[0]
    plain = delegate.row_height(turn, 600)
    feed(conversation, ev.Interrupted())
    assert delegate.row_height(turn, 600) > plain
    assert notes_line(turn) == "Interrupted"


def test_a_reply_the_voice_could_not_say_is_shown_whole_and_marked_not_spoken(view):
    conversation = Conversation(clock=lambda: 1_700_000_000.0)
    feed(conversation, ev.UserTranscript("Weather?", final=True), ev.UserTurnEnded("Weather?"),
         ev.AssistantTurnStarted(), ev.AssistantText("Sunny all day in Paris."))
    view.refresh(conversation)
    unmarked_height = view.rowHeight(1)
    feed(conversation, ev.AssistantTurnEnded("Sunny all day in Paris.", interrupted=False, spoken=False))
    view.refresh(conversation)

    model = view.transcript_model()
    turn = model.data(model.index(1), TranscriptModel.TurnRole)
    assert shown(view) == ["Weather?", "Sunny all day in Paris."], "the whole reply as written"
    assert notes_line(turn) == "Not spoken"
    stamp = clock_time(1_700_000_000.0)
    accessible = model.data(model.index(1), Qt.ItemDataRole.AccessibleTextRole)
    assert accessible == f"Assistant at {stamp}, not spoken: Sunny all day in Paris."
    assert view.rowHeight(1) > unmarked_height, "the mark is a line of its own"
    view.copy_all()
    assert QGuiApplication.clipboard().text().splitlines()[-1] == f"[{stamp}] Assistant: Sunny all day in Paris. [not spoken]"


def test_a_reply_cut_off_midway_and_interrupted_carries_both_marks(view):
    conversation = Conversation(clock=lambda: 1_700_000_000.0)
    feed(conversation, ev.AssistantTurnStarted(), ev.AssistantWordSpoken("Once"), ev.AssistantWordSpoken("upon"),
         ev.Interrupted(), ev.AssistantTurnEnded("Once upon", interrupted=True, complete=False))
    view.refresh(conversation)
    model = view.transcript_model()
    turn = model.data(model.index(0), TranscriptModel.TurnRole)
    assert notes_line(turn) == "Interrupted · incomplete"
    assert model.data(model.index(0), Qt.ItemDataRole.AccessibleTextRole).endswith(", interrupted, incomplete: Once upon")


def test_copy_one_message_and_the_whole_conversation(view, qtbot):
    conversation = Conversation(clock=lambda: 1_700_000_000.0)
    feed(conversation, *exchange("hello", ["hi", "there"]), *exchange("bye", ["see", "you"]))
    view.refresh(conversation)
    stamp = clock_time(1_700_000_000.0)
    view.setCurrentIndex(view.transcript_model().index(1))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == f"[{stamp}] Assistant: hi there"
    view.copy_all()
    assert QGuiApplication.clipboard().text().splitlines() == [
        f"[{stamp}] You: hello", f"[{stamp}] Assistant: hi there", f"[{stamp}] You: bye", f"[{stamp}] Assistant: see you",
    ]


def test_auto_scroll_follows_new_messages_and_pauses_while_the_user_reads_back(view, qtbot):
    conversation = Conversation()
    for i in range(40):
        feed(conversation, *exchange(f"question {i}", ["answer", str(i)]))
    view.refresh(conversation)
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=3000)

    bar.setValue(bar.maximum() // 2)  # the user scrolls back
    assert not view.following and view.jump_button().isVisible()
    held = bar.value()
    feed(conversation, *exchange("another", ["reply"]))
    view.refresh(conversation)
    qtbot.wait(50)
    assert bar.value() == held  # new messages do not yank the view

    view.jump_button().click()
    assert view.following and bar.value() == bar.maximum()
    feed(conversation, ev.AssistantTurnStarted(), *[ev.AssistantWordSpoken("long") for _ in range(60)])
    view.refresh(conversation)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=3000)
    assert not view.jump_button().isVisible()


def test_silent_user_turns_and_resets_remove_rows(view):
    conversation = Conversation()
    feed(conversation, *exchange("hello", ["hi"]), ev.UserTranscript("uh", final=False))
    view.refresh(conversation)
    assert shown(view) == ["hello", "hi", "uh"]
    feed(conversation, ev.UserTurnEnded(""))  # nothing final was said: the bubble goes
    view.refresh(conversation)
    assert shown(view) == ["hello", "hi"]
    feed(conversation, ev.ConversationReset(), *exchange("fresh", ["start"]))
    view.refresh(conversation)
    assert shown(view) == ["fresh", "start"]


def test_updates_at_thousands_of_turns_touch_only_the_changed_row(view, qtbot, monkeypatch):
    """The view never asks Qt to re-measure every row: only new or changed turns are laid out."""
    conversation = Conversation()
    for i in range(1500):
        feed(conversation, *exchange(f"question number {i}", ["answer", "number", str(i)]))
    view.refresh(conversation)
    # The scroll bar appears and narrows the rows: that one full relayout happens first.
    qtbot.waitUntil(lambda: view.verticalScrollBar().isVisible() and not view.layout_pending, timeout=5000)
    measured: list[int] = []
    original = TranscriptDelegate.row_height
    monkeypatch.setattr(TranscriptDelegate, "row_height", lambda self, turn, width, divider="": measured.append(turn.id) or original(self, turn, width, divider))
    hints: list[int] = []
    monkeypatch.setattr(TranscriptDelegate, "sizeHint", lambda self, option, index: hints.append(index.row()) or original(self, index.data(TranscriptModel.TurnRole), 600))

    feed(conversation, ev.AssistantTurnStarted())
    view.refresh(conversation)
    live_id = conversation.turns[-1].id
    for word in "the live reply grows one word at a time".split():
        feed(conversation, ev.AssistantWordSpoken(word))
        view.refresh(conversation)
        qtbot.wait(1)
    assert set(measured) == {live_id}
    assert len(measured) == 10
    assert hints == []
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    assert view.transcript_model().rowCount() == 3001


def test_resizing_relayouts_rows_for_the_new_width(view, qtbot):
    conversation = Conversation()
    feed(conversation, *exchange("a question", ["a"] + ["long"] * 60))
    view.refresh(conversation)
    header = view.verticalHeader()
    wide = header.sectionSize(1)
    view.resize(320, 480)
    qtbot.waitUntil(lambda: header.sectionSize(1) > wide, timeout=3000)


def test_a_width_change_at_thousands_of_turns_is_measured_in_slices_between_events(view, qtbot, monkeypatch):
    conversation = Conversation()
    for i in range(1500):
        feed(conversation, *exchange(f"question number {i}", ["answer"] * (i % 40 + 1)))
    view.refresh(conversation)
    qtbot.waitUntil(lambda: view.verticalScrollBar().isVisible() and not view.layout_pending, timeout=10_000)

    batches: list[int] = []
    original = TranscriptView._measure
    monkeypatch.setattr(TranscriptView, "_measure", lambda self, rows, width: (batches.append(len(rows)), original(self, rows, width)))
    view.resize(360, 480)
    qtbot.waitUntil(lambda: bool(batches) and not view.layout_pending, timeout=10_000)
    assert sum(batches) == 3000  # every row once
    assert max(batches) <= 300 and len(batches) >= 10  # never all at once
    width = view.viewport().width()
    header = view.verticalHeader()
    delegate = view.itemDelegate()
    for row in (0, 1, 1499, 2998, 2999):
        assert header.sectionSize(row) == delegate.row_height(view.transcript_model().turn(row), width)
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()  # still following the newest message


def test_words_are_never_split_but_an_overlong_word_still_fits_its_bubble(qtbot):
    delegate = TranscriptDelegate()
    conversation = Conversation()
    feed(conversation, *exchange("x" * 400, ["It", "is", "sunny", "and", "twenty", "degrees"] * 12))
    user, assistant = conversation.turns
    bubble = delegate._bubble(assistant, 600)
    assert bubble.layout is None  # ordinary text: measured and drawn at word boundaries
    long_word = delegate._bubble(user, 600)
    assert long_word.layout is not None  # a 400-character "word" is broken inside instead of overflowing
    assert long_word.bubble_width <= 600
    lines = [long_word.layout.lineAt(i) for i in range(long_word.layout.lineCount())]
    assert len(lines) > 1 and all(line.naturalTextWidth() <= long_word.bubble_width for line in lines)


def test_a_continued_conversation_shows_its_earlier_turns_then_the_divider_then_the_new_turns(view, qtbot):
    conversation = Conversation(clock=lambda: 1_700_000_500.0)
    earlier = (
        ev.EarlierTurn("user", "Book the train to Lyon", 1_700_000_000.0),
        ev.EarlierTurn("assistant", "Booked for\x1b[2J Friday", 1_700_000_010.0, interrupted=True),
    )
    feed(conversation, ev.ConversationReset(), ev.ConversationContinued(1_699_999_000.0, earlier))
    view.refresh(conversation)
    model = view.transcript_model()
    divider = continued_line(1_699_999_000.0)
    assert shown(view) == ["Book the train to Lyon", "Booked for Friday"]  # remote text, shown plain
    assert [model.divider(row) for row in range(2)] == ["", divider]
    assert notes_line(model.turn(1)) == "Interrupted"

    feed(conversation, *exchange("And the return?", ["Sunday"]))
    view.refresh(conversation)
    assert shown(view) == ["Book the train to Lyon", "Booked for Friday", "And the return?", "Sunday"]
    assert [model.divider(row) for row in range(4)] == ["", divider, "", ""]
    lines = view.all_text().splitlines()
    assert lines[1].endswith("Assistant: Booked for Friday [interrupted]") and lines[2] == f"— {divider} —"

    # The divider's row is taller by the divider, and the divider is painted below the bubble.
    width = view.viewport().width()
    delegate = view.itemDelegate()
    with_divider = delegate.row_height(model.turn(1), width, divider)
    assert view.verticalHeader().sectionSize(1) == with_divider > delegate.row_height(model.turn(1), width)
    view.scrollToTop()
    qtbot.waitUntil(lambda: view.rowViewportPosition(1) >= 0, timeout=5_000)
    image = view.viewport().grab().toImage()
    bottom = view.rowViewportPosition(1) + with_divider
    strip = [
        image.pixelColor(x, y)
        for y in range(bottom - (with_divider - delegate.row_height(model.turn(1), width)), bottom)
        for x in range(0, width, 2)
    ]
    background = image.pixelColor(width - 2, bottom - 1)
    assert sum(1 for color in strip if color != background) > 50  # the rules and the words

    feed(conversation, ev.ConversationReset())  # New conversation: everything goes, the divider too
    view.refresh(conversation)
    assert shown(view) == [] and view.all_text() == ""
