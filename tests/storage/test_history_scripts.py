"""Conversations in Hindi, Tamil and Arabic: searching finds their words (whichever Unicode spelling the search uses,
and case folding does not break them) and the exports keep them as UTF-8 text. Real SQLite file."""

from __future__ import annotations

import json
import unicodedata

from desktop_agent.state.conversation import Role
from desktop_agent.storage.export import to_json, to_markdown
from desktop_agent.storage.history import HistoryStore
from tests.storage.conftest import T0, make_turn

HINDI = "आज दिल्ली में मौसम कैसा है? क़िला खुला है।"
TAMIL = "இன்று சென்னையில் வானிலை எப்படி இருக்கிறது? கொண்டு வாருங்கள்."
ARABIC = "كيف الطقس في القاهرة اليوم؟"


def test_searching_finds_hindi_tamil_and_arabic_words_in_any_spelling(tmp_path):
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        hindi = store.begin_conversation(started_at=T0)
        store.record_turn(hindi, make_turn(1, Role.USER, HINDI, T0))
        tamil = store.begin_conversation(started_at=T0 + 100)
        store.record_turn(tamil, make_turn(1, Role.USER, TAMIL, T0 + 100))
        arabic = store.begin_conversation(started_at=T0 + 200)
        store.record_turn(arabic, make_turn(1, Role.ASSISTANT, ARABIC, T0 + 200))

        def found(query: str) -> list[int]:
            return [c.id for c in store.list_conversations(search=query)]

        assert found("मौसम") == [hindi] and found("दिल्ली मौसम") == [hindi]
        assert found("வானிலை") == [tamil] and found("சென்னையில்") == [tamil]
        assert found("القاهرة") == [arabic]
        assert found("मौसम வானிலை") == []  # every word must appear in the same conversation
        # The same letters in another spelling: Tamil கொ as its two parts, Devanagari क़ as one code point.
        assert found(unicodedata.normalize("NFD", "கொண்டு")) == [tamil]
        assert found("\u0958िला") == [hindi] and "\u0958" not in HINDI
        (hit,) = store.list_conversations(search="வானிலை")
        assert hit.snippet == TAMIL
        (conversation,) = [c for c in store.get_all_conversations() if c.id == tamil]
    assert TAMIL in to_markdown(conversation)
    exported = to_json(conversation)
    assert TAMIL in exported and json.loads(exported.encode("utf-8"))["turns"][0]["text"] == TAMIL  # no \\u escapes
