"""Reading the model's answer to the summary request: robust to fences and words around the JSON, only the fields
asked for kept, remote text made plain; the fields schema checked with a sentence for each mistake."""

from __future__ import annotations

import json

import pytest

from desktop_agent.summaries.extraction import UnusableAnswer, read_answer, request_messages, transcript_text
from desktop_agent.summaries.fields_schema import DEFAULT_FIELDS_SCHEMA, fields_problem, parse_fields_schema

SCHEMA = parse_fields_schema(DEFAULT_FIELDS_SCHEMA)


def test_an_answer_in_a_code_fence_with_words_around_it_is_read():
    answer = (
        "Sure! Here it is:\n```json\n"
        + json.dumps(
            {
                "title": "Trip\x1b[31m to Lyon",
                "summary": "Planned a trip.\u202e",
                "fields": {"action_items": ["Book\x07 the train"], "follow_up_date": "", "invented": "x"},
            }
        )
        + "\n```"
    )
    extraction = read_answer(answer, SCHEMA)
    assert extraction.title == "Trip to Lyon"
    assert extraction.summary == "Planned a trip."
    assert extraction.fields == {"action_items": ["Book the train"], "follow_up_date": ""}


@pytest.mark.parametrize("answer", ["", "no json here", "[1, 2]", '{"title": "x"}', '{"summary": "  "}', "{broken"])
def test_an_answer_without_a_summary_is_unusable(answer):
    with pytest.raises(UnusableAnswer):
        read_answer(answer, SCHEMA)


def test_the_request_carries_the_transcript_and_the_users_fields():
    messages = request_messages([("user", "Book  a\ntable"), ("assistant", "Done."), ("user", " ")], SCHEMA)
    assert "action_items" in messages[0]["content"] and "JSON" in messages[0]["content"]
    assert messages[1]["content"].endswith("User: Book a table\nAssistant: Done.")
    long = transcript_text([("user", "word " * 20_000), ("assistant", "The end.")])
    assert len(long) <= 24_000 and long.endswith("Assistant: The end.")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", "is not valid JSON"),
        ("[]", "is not a JSON object"),
        ('{"type": "array"}', "does not describe an object"),
        ('{"properties": []}', 'has no "properties" object'),
        ('{"properties": {"due": {"type": "date"}}}', 'gives "due" a type other than'),
        ('{"properties": {"due": "string"}}', 'does not describe "due"'),
    ],
)
def test_an_unusable_fields_schema_is_said_in_words(text, words):
    assert words in fields_problem(text)
    assert parse_fields_schema(text) == SCHEMA  # the default fields are used meanwhile


def test_the_default_and_a_custom_fields_schema_are_usable():
    assert fields_problem(DEFAULT_FIELDS_SCHEMA) is None
    custom = '{"properties": {"customer": {"type": "string"}, "callback": {"type": "boolean"}}}'
    assert fields_problem(custom) is None
    assert set(parse_fields_schema(custom)["properties"]) == {"customer", "callback"}
