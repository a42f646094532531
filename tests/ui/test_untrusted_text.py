"""Remote and user-file text in the window is plain text: "<b>x</b>" shows as those eight characters, a link is not
a link, and a bidi override cannot reorder what is shown. Real widgets, real Qt text layout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Conversation, ProviderState, Role
from desktop_agent.storage.history import HistoryStore
from desktop_agent.ui.error_banner import ErrorBanner
from desktop_agent.ui.history.history_view import HistoryView
from desktop_agent.ui.main_window import MainWindow
from desktop_agent.ui.provider_indicator import ProviderIndicator
from desktop_agent.ui.session_status_bar import SessionStatusBar
from desktop_agent.ui.transcript_view import TranscriptView
from tests.storage.conftest import T0, make_turn
from tests.ui.conftest import feed

HTML = "<b>x</b>"
LINK = '<a href="https://evil.example/">click</a>'
RLO = "\u202e"


def shows_literally(label: QLabel, text: str) -> bool:
    """The label is plain text holding ``text``, and (on one line) lays out every character of it: rendered as
    HTML, "<b>x</b>" would be one bold x, far narrower than the eight characters."""
    laid_out = label.wordWrap() or label.sizeHint().width() >= label.fontMetrics().horizontalAdvance(text)
    return label.textFormat() == Qt.TextFormat.PlainText and text in label.text() and laid_out


def plain_labels_showing(root: QWidget, text: str) -> list[QLabel]:
    return [label for label in root.findChildren(QLabel) if text in label.text()]


def test_status_bar_shows_provider_voice_and_prompt_names_as_plain_text(qtbot):
    bar = SessionStatusBar()
    qtbot.addWidget(bar)
    bar.show_voice_and_prompt(f"{HTML} Rachel", f"{LINK}{RLO}Tutor")
    assert shows_literally(bar.voice_label, f"Voice: {HTML} Rachel")
    assert shows_literally(bar.prompt_label, f"Prompt: {LINK[:39]}…")  # cut short on the bar, whole on hover
    assert RLO not in bar.prompt_label.text()
    assert "&lt;b&gt;x&lt;/b&gt;" in bar.voice_label.toolTip()  # the tooltip escapes what Qt would render
    bar.show_voice_and_prompt("v" * 500, "Tutor")
    assert len(bar.voice_label.text()) <= len("Voice: ") + 40


def test_the_banner_shows_a_providers_error_text_literally(qtbot):
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_message(f"Cerebras said: {LINK} {HTML}{RLO}")
    assert banner.text == f"Cerebras said: {LINK} {HTML}"
    assert banner._label.textFormat() == Qt.TextFormat.PlainText


def test_a_providers_reason_in_a_tooltip_is_escaped(qtbot):
    indicator = ProviderIndicator(ev.Provider.LLM)
    qtbot.addWidget(indicator)
    indicator.show_state(ProviderState(ev.ConnectionStatus.FAILED, f'<img src="x"> {HTML}{RLO}'))
    assert '&lt;img src="x"&gt; &lt;b&gt;x&lt;/b&gt;' in indicator.toolTip()
    assert RLO not in indicator.toolTip()


def test_the_transcript_draws_replies_and_transcripts_without_escapes_or_overrides(qtbot):
    view = TranscriptView()
    view.resize(640, 480)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    conversation = Conversation()
    question = f"\x1b[2J{HTML} invoice_{RLO}fdp.exe"
    feed(conversation, ev.UserTranscript(question, final=True), ev.UserTurnEnded(question),
         ev.AssistantTurnStarted(), ev.AssistantWordSpoken(f"\x1b]0;title\x07{LINK}"),
         ev.AssistantTurnEnded(LINK, interrupted=False))
    view.refresh(conversation)
    model = view.transcript_model()
    assert [model.data(model.index(row)) for row in range(model.rowCount())] == [
        f"{HTML} invoice_fdp.exe", LINK,
    ]
    delegate = view.itemDelegate()  # what the bubbles are laid out and painted from
    assert [delegate._body(turn)[0] for turn in conversation.turns] == [f"{HTML} invoice_fdp.exe", LINK]


def test_the_main_window_shows_names_from_the_session_as_plain_text(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    conversation = Conversation()
    feed(conversation, ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK, voice=HTML, prompt_name=LINK))
    window.status.refresh_session(conversation)
    window.show_problem(f"The provider says {HTML}")
    labels = plain_labels_showing(window, HTML) + plain_labels_showing(window, "click")
    assert len(labels) >= 3  # voice, prompt, banner
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)


def test_the_history_view_shows_titles_and_turns_literally(qtbot, qloop, tmp_path):
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        conversation_id = store.begin_conversation(voice=HTML, prompt_name=LINK, started_at=T0)
        store.record_turn(conversation_id, make_turn(1, Role.USER, f"{HTML} said {RLO}here", T0))
        view = HistoryView(store)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: view.conversation_list.count() == 1, timeout=10_000)
        item = view.conversation_list.item(0)
        assert item.text().startswith(f"{HTML} said here")
        assert "&lt;b&gt;" in item.toolTip()
        view.conversation_list.setCurrentRow(0)
        qtbot.waitUntil(lambda: view.reader.conversation is not None, timeout=10_000)
        shown = view.reader.toPlainText()
        assert f"{HTML} said here" in shown and f"voice {HTML}" in shown and "prompt " + LINK in shown
        box = view.request_delete()
        assert box.textFormat() == Qt.TextFormat.PlainText and HTML in box.text()
        box.reject()
        view.close()

    unavailable = HistoryView(None, unavailable_reason=f"History is off: {HTML}")
    qtbot.addWidget(unavailable)
    assert shows_literally(unavailable.notice, f"History is off: {HTML}")
