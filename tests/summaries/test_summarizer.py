"""The summarizer against the simulator's language model over loopback HTTP, addressed as the app addresses it
(Runtime.summary_target: the language model role's endpoint, key and model from the settings): a summary and the
user's fields saved; a refusal is one plain sentence and the conversation stays as it was, still due; closing waits
a bounded time for a model that does not answer, and what is left is made at the next start."""

from __future__ import annotations

import asyncio
import time

import pytest

from desktop_agent.runtime import Runtime
from desktop_agent.simulator import SimulatorThread
from desktop_agent.simulator.faults import Fault
from desktop_agent.storage.history import HistoryStore
from desktop_agent.summaries.summarizer import Summarizer, SummaryResult
from tests.storage.sample import record_weather_conversation

CUSTOM_FIELDS = '{"properties": {"city": {"type": "string"}, "questions": {"type": "integer"}}}'


@pytest.fixture
def simulator():
    sim = SimulatorThread(profile="instant").start()
    yield sim
    sim.stop()


@pytest.fixture
def runtime(simulator, isolated_user_dirs):
    runtime = Runtime(simulate=True, simulator=simulator, record_history=False)
    asyncio.run(runtime.load_settings())
    return runtime


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite3")
    yield store
    store.close()


def _summarizer(store, runtime, results, **kwargs):
    return Summarizer(store, runtime.summary_target, runtime._summary_fields, on_result=results.append, **kwargs)


def test_an_ended_conversation_gets_its_summary_and_the_users_fields(simulator, runtime, store):
    runtime.settings.privacy.summary_fields = CUSTOM_FIELDS
    conversation_id = record_weather_conversation(store)
    store.mark_summary_due(conversation_id)
    results: list[SummaryResult] = []
    summarizer = _summarizer(store, runtime, results)
    try:
        summarizer.request(conversation_id)
        assert summarizer.flush(timeout=30)
    finally:
        summarizer.close()

    title = "What's the weather in Paris, café-side"  # the simulated model's: the user's first six words
    assert results == [SummaryResult(conversation_id, True, "The conversation's summary is in History.", title)]
    stored = store.get_conversation(conversation_id)
    assert stored.title == title
    assert stored.summary.startswith("The user asked: What's the weather in Paris, café-side.")
    assert stored.fields == {"city": "What's the weather in Paris, café-side?", "questions": 2}
    assert store.summaries_due() == []
    (request,) = simulator.llm_requests()
    assert request["response_format"]["json_schema"]["name"] == "conversation_summary"
    assert request["response_format"]["json_schema"]["schema"]["properties"]["fields"]["properties"].keys() == {
        "city", "questions"}
    assert "User: What's the weather in Paris, café-side?" in request["messages"][1]["content"]
    assert not request.get("stream"), "one JSON answer, not a stream"


def test_a_refused_request_is_one_sentence_and_loses_nothing(simulator, runtime, store):
    conversation_id = record_weather_conversation(store)
    store.mark_summary_due(conversation_id)
    before = store.get_conversation(conversation_id)
    simulator.fault("cerebras", Fault.http(503))
    results: list[SummaryResult] = []
    summarizer = _summarizer(store, runtime, results)
    try:
        summarizer.request(conversation_id)
        assert summarizer.flush(timeout=30)
    finally:
        summarizer.close()
    (result,) = results
    assert not result.saved
    assert result.sentence == (
        "The conversation was saved without a summary: the language model answered with error 503. It is tried again "
        "at the next start."
    )
    assert store.get_conversation(conversation_id) == before
    assert store.summaries_due() == [conversation_id]


def test_closing_does_not_wait_for_a_model_that_never_answers_and_the_next_start_makes_it(simulator, runtime, store):
    conversation_id = record_weather_conversation(store)
    store.mark_summary_due(conversation_id)
    simulator.fault("cerebras", Fault.hang(times=1))
    results: list[SummaryResult] = []
    summarizer = _summarizer(store, runtime, results, timeout=120)
    summarizer.request(conversation_id)
    simulator.wait_for(lambda: simulator.llm_requests(), timeout=30)
    began = time.monotonic()
    summarizer.close(wait=0.5)
    assert time.monotonic() - began < 60, "closing waited for the model's answer"  # its timeout is 120 s
    assert results == [] and store.summaries_due() == [conversation_id]

    next_start = _summarizer(store, runtime, results)
    try:
        next_start.request_due()
        assert next_start.flush(timeout=30)
        assert next_start.flush(timeout=30)  # the due ones are queued by the first item
    finally:
        next_start.close()
    assert [r.saved for r in results] == [True]
    assert store.get_conversation(conversation_id).summary


def test_what_is_queued_when_closing_is_still_made_within_the_wait(simulator, runtime, store):
    first = record_weather_conversation(store)
    second = record_weather_conversation(store, started_at=store.get_conversation(first).started_at + 60)
    results: list[SummaryResult] = []
    summarizer = _summarizer(store, runtime, results)
    summarizer.request(first)
    summarizer.request(second)
    summarizer.close(wait=60)  # the app closing right after two conversations ended
    assert sorted(r.conversation_id for r in results if r.saved) == [first, second]
