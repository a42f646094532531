"""The conversation state folds engine events into turns, latencies, usage and status."""

from __future__ import annotations

import itertools

import pytest

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area, Conversation, Role
from desktop_agent.state.cost import PriceTable
from desktop_agent.state.latency import LatencyHistory, percentile


@pytest.fixture
def conversation() -> Conversation:
    ticks = itertools.count(1000.0, 0.5)
    return Conversation(clock=lambda: next(ticks))


def speak_user(c: Conversation, *interims: str, final: str) -> Area:
    for text in interims:
        c.apply(ev.UserTranscript(text, final=False))
    c.apply(ev.UserTranscript(final, final=True))
    return c.apply(ev.UserTurnEnded(final))


def test_interim_words_show_live_and_are_replaced_by_the_final(conversation):
    assert conversation.apply(ev.UserTranscript("what is", final=False)) == Area.TRANSCRIPT
    turn = conversation.current_user_turn
    assert turn.display_text == "what is" and turn.text == ""
    conversation.apply(ev.UserTranscript("what is the wea", final=False))
    assert turn.display_text == "what is the wea"
    conversation.apply(ev.UserTranscript("What is the weather?", final=True))
    assert turn.display_text == "What is the weather?" and turn.interim == ""
    changed = conversation.apply(ev.UserTurnEnded("What is the weather?"))
    assert Area.TURN_FINISHED in changed
    assert turn.finished and conversation.last_finished == [turn]
    assert len(conversation.turns) == 1


def test_final_segments_accumulate_within_one_turn(conversation):
    conversation.apply(ev.UserTranscript("First part.", final=True))
    conversation.apply(ev.UserTranscript("second", final=False))
    assert conversation.current_user_turn.display_text == "First part. second"
    conversation.apply(ev.UserTranscript("Second part.", final=True))
    assert conversation.current_user_turn.text == "First part. Second part."


def test_assistant_words_appear_as_spoken_and_interruption_keeps_only_the_spoken_part(conversation):
    speak_user(conversation, final="Tell me a story.")
    conversation.apply(ev.AssistantTurnStarted())
    conversation.apply(ev.AssistantText("Once upon a time there was a fox."))  # generated, not yet spoken
    assistant = conversation.current_assistant_turn
    assert assistant.text == ""
    for word in ["Once", "upon", "a"]:
        assert conversation.apply(ev.AssistantWordSpoken(word)) == Area.TRANSCRIPT
    assert assistant.text == "Once upon a"
    conversation.apply(ev.Interrupted())
    changed = conversation.apply(ev.AssistantTurnEnded("Once upon a", interrupted=True))
    assert Area.TURN_FINISHED in changed
    assert assistant.interrupted and assistant.text == "Once upon a"
    assert [t.role for t in conversation.turns] == [Role.USER, Role.ASSISTANT]
    assert conversation.finished_exchanges() == 1


def test_latencies_attach_to_the_assistant_turn_and_summarise(conversation):
    for seconds in (0.6, 0.7, 0.8):
        speak_user(conversation, final="Hi.")
        assert conversation.apply(ev.StageLatency(ev.Stage.VOICE_TO_VOICE, seconds)) == Area.LATENCY
        conversation.apply(ev.AssistantWordSpoken("Hello."))
        conversation.apply(ev.AssistantTurnEnded("Hello.", interrupted=False))
        assert conversation.turns[-1].latencies == {ev.Stage.VOICE_TO_VOICE: seconds}
    summary = conversation.latency.summary(ev.Stage.VOICE_TO_VOICE)
    assert summary.last == 0.8 and summary.count == 3
    assert summary.p50 == pytest.approx(0.7)
    assert conversation.latency.summary(ev.Stage.STT_FINAL).count == 0


def test_usage_accumulates_into_cost():
    prices = PriceTable(stt_per_audio_hour=3.6, llm_per_million_tokens=1.0, tts_per_thousand_characters=0.1)
    c = Conversation(prices=prices)
    assert c.apply(ev.UsageReported(ev.Provider.LLM, prompt_tokens=600_000, completion_tokens=400_000)) == Area.USAGE
    c.apply(ev.UsageReported(ev.Provider.TTS, characters=2000))
    c.apply(ev.UsageReported(ev.Provider.STT, audio_seconds=100))
    assert c.usage.llm_prompt_tokens == 600_000 and c.usage.tts_characters == 2000
    breakdown = c.cost.breakdown(c.usage)
    assert breakdown.llm == pytest.approx(1.0)
    assert breakdown.tts == pytest.approx(0.2)
    assert breakdown.stt == pytest.approx(0.1)
    assert c.cost_usd == pytest.approx(1.3)


def test_unchanged_status_reports_no_change(conversation):
    """The window repaints only what changed: repeating a state must not report a change."""
    assert conversation.apply(ev.AgentStateChanged(ev.AgentState.LISTENING)) == Area.AGENT_STATE
    assert conversation.apply(ev.AgentStateChanged(ev.AgentState.LISTENING)) == Area.NONE
    status = ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.CONNECTED)
    assert conversation.apply(status) == Area.PROVIDERS
    assert conversation.apply(status) == Area.NONE
    assert conversation.apply(ev.ProviderStatusChanged(ev.Provider.TTS, ev.ConnectionStatus.FAILED, "key")) == Area.PROVIDERS
    assert conversation.providers[ev.Provider.TTS].reason == "key"


def test_session_end_closes_open_turns_and_drops_empty_ones(conversation):
    conversation.apply(ev.UserTranscript("", final=False))
    conversation.apply(ev.SessionEnded("closed"))
    assert conversation.turns == []
    speak_user(conversation, final="Hello.")
    conversation.apply(ev.AssistantWordSpoken("Hi"))
    changed = conversation.apply(ev.SessionEnded("closed"))
    assert Area.TURN_FINISHED in changed
    assert all(t.finished for t in conversation.turns)
    assert conversation.agent_state is ev.AgentState.STOPPED


def test_reset_clears_the_conversation(conversation):
    speak_user(conversation, final="Hello.")
    conversation.apply(ev.UsageReported(ev.Provider.TTS, characters=10))
    conversation.apply(ev.ConversationReset())
    assert conversation.turns == [] and conversation.usage.tts_characters == 0


def test_errors_are_kept_bounded(conversation):
    for index in range(60):
        conversation.apply(ev.ErrorOccurred(ev.ErrorKind.PROVIDER, f"problem {index}"))
    assert len(conversation.errors) == 50 and conversation.errors[-1].message == "problem 59"


def test_percentile_and_history_bounds():
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    history = LatencyHistory(keep=3)
    for value in (1, 2, 3, 4):
        history.add(ev.Stage.STT_FINAL, value)
    assert history.samples(ev.Stage.STT_FINAL) == [2, 3, 4]


def test_a_continued_conversation_starts_with_its_earlier_turns_which_are_not_finished_again(conversation):
    earlier = (
        ev.EarlierTurn("user", "Remind me tomorrow", 100.0),
        ev.EarlierTurn("assistant", "I will.", 101.0, spoken=False),
        ev.EarlierTurn("assistant", "   ", 102.0),  # nothing said: not shown
    )
    changed = conversation.apply(ev.ConversationContinued(90.0, earlier))
    assert changed == Area.TRANSCRIPT and conversation.last_finished == []  # the history has them already
    assert [(t.role, t.text, t.earlier, t.finished, t.spoken) for t in conversation.turns] == [
        (Role.USER, "Remind me tomorrow", True, True, True),
        (Role.ASSISTANT, "I will.", True, True, False),
    ]
    assert conversation.continued_from == 90.0
    speak_user(conversation, final="And on Friday?")
    new = conversation.turns[-1]
    assert not new.earlier and new.id > conversation.turns[1].id and conversation.last_finished == [new]
    conversation.apply(ev.ConversationReset())
    assert conversation.turns == [] and conversation.continued_from is None


# The engine numbers the user's turns and says which one each figure measured and each reply answers: a figure
# that arrives after its reply ended (the order seen when the engine's observer runs behind the reply's end) still
# lands on that reply, never on the next one.
SPEECH_STAGES = (ev.Stage.ENDPOINTING, ev.Stage.STT_FINAL, ev.Stage.LLM_FIRST_TOKEN, ev.Stage.TTS_FIRST_AUDIO)


def spoken_exchange(c: Conversation, number: int, reply: str, *, late: dict[ev.Stage, float]) -> None:
    """User turn ``number`` and its reply; the ``late`` figures arrive after the reply ended."""
    speak_user(c, final=f"Question {number}?")
    for stage in SPEECH_STAGES:
        if stage not in late:
            c.apply(ev.StageLatency(stage, number / 10, user_turn=number))
    c.apply(ev.AssistantTurnStarted(user_turn=number))
    c.apply(ev.AssistantWordSpoken(reply))
    c.apply(ev.AssistantTurnEnded(reply, interrupted=False, user_turn=number))


def test_a_figure_that_arrives_after_its_reply_ended_lands_on_that_reply_not_the_next(conversation):
    spoken_exchange(conversation, 1, "Paris.", late={ev.Stage.VOICE_TO_VOICE: 0.71})
    first = conversation.turns[-1]
    assert ev.Stage.VOICE_TO_VOICE not in first.latencies
    changed = conversation.apply(ev.StageLatency(ev.Stage.VOICE_TO_VOICE, 0.71, user_turn=1))
    assert changed == Area.LATENCY | Area.TURN_UPDATED
    assert conversation.last_updated == [first] and conversation.last_finished == []
    assert first.latencies == {**{s: 0.1 for s in SPEECH_STAGES}, ev.Stage.VOICE_TO_VOICE: 0.71}

    # The next reply measures its own (here before it ends): it gets that one, the first keeps its own.
    speak_user(conversation, final="Question 2?")
    for stage in SPEECH_STAGES:
        conversation.apply(ev.StageLatency(stage, 0.2, user_turn=2))
    conversation.apply(ev.AssistantTurnStarted(user_turn=2))
    assert conversation.apply(ev.StageLatency(ev.Stage.VOICE_TO_VOICE, 0.82, user_turn=2)) == Area.LATENCY
    conversation.apply(ev.AssistantWordSpoken("Rome."))
    conversation.apply(ev.AssistantTurnEnded("Rome.", interrupted=False, user_turn=2))
    second = conversation.turns[-1]
    assert second.latencies[ev.Stage.VOICE_TO_VOICE] == 0.82
    assert first.latencies[ev.Stage.VOICE_TO_VOICE] == 0.71
    assert conversation.latency.summary(ev.Stage.VOICE_TO_VOICE).count == 2


def test_a_late_figure_is_not_carried_to_a_typed_turn_that_measures_no_speech(conversation):
    spoken_exchange(conversation, 1, "Paris.", late={ev.Stage.TTS_FIRST_AUDIO: 0.15})
    conversation.apply(ev.UserTurnEnded("Typed question"))
    conversation.apply(ev.StageLatency(ev.Stage.LLM_FIRST_TOKEN, 0.3, user_turn=2))
    conversation.apply(ev.AssistantTurnStarted(user_turn=2))
    conversation.apply(ev.StageLatency(ev.Stage.TTS_FIRST_AUDIO, 0.15, user_turn=1))  # the first reply's, late
    conversation.apply(ev.AssistantWordSpoken("Rome."))
    conversation.apply(ev.AssistantTurnEnded("Rome.", interrupted=False, user_turn=2))
    first, typed = (t for t in conversation.turns if t.role is Role.ASSISTANT)
    assert first.latencies[ev.Stage.TTS_FIRST_AUDIO] == 0.15
    assert typed.latencies == {ev.Stage.LLM_FIRST_TOKEN: 0.3}


def test_figures_of_a_turn_that_got_no_reply_go_on_no_other_reply(conversation):
    speak_user(conversation, final="Hello?")
    conversation.apply(ev.StageLatency(ev.Stage.ENDPOINTING, 0.05, user_turn=1))
    conversation.apply(ev.StageLatency(ev.Stage.STT_FINAL, 0.15, user_turn=1))  # the reply failed: none came
    conversation.apply(ev.UserTurnEnded("Typed instead"))
    conversation.apply(ev.StageLatency(ev.Stage.LLM_FIRST_TOKEN, 0.3, user_turn=2))
    conversation.apply(ev.AssistantTurnStarted(user_turn=2))
    conversation.apply(ev.AssistantTurnEnded("Hi.", interrupted=False, user_turn=2))
    assert conversation.turns[-1].latencies == {ev.Stage.LLM_FIRST_TOKEN: 0.3}
    spoken_exchange(conversation, 3, "Hello.", late={})
    assert conversation.turns[-1].latencies == {stage: 0.3 for stage in SPEECH_STAGES}


def test_figures_of_the_next_turn_arriving_while_a_reply_is_open_wait_for_their_own_reply(conversation):
    speak_user(conversation, final="Tell me a story.")
    conversation.apply(ev.StageLatency(ev.Stage.ENDPOINTING, 0.1, user_turn=1))
    conversation.apply(ev.AssistantTurnStarted(user_turn=1))
    conversation.apply(ev.AssistantWordSpoken("Once"))
    conversation.apply(ev.StageLatency(ev.Stage.ENDPOINTING, 0.2, user_turn=2))  # the user's next turn ended
    story = conversation.current_assistant_turn
    assert story.latencies == {}  # not the next turn's figure (its own is applied as it ends)
    conversation.apply(ev.AssistantTurnEnded("Once", interrupted=True, user_turn=1))
    conversation.apply(ev.AssistantTurnStarted(user_turn=2))
    conversation.apply(ev.AssistantTurnEnded("Yes?", interrupted=False, user_turn=2))
    answer = conversation.turns[-1]
    assert story.latencies == {ev.Stage.ENDPOINTING: 0.1} and answer.latencies == {ev.Stage.ENDPOINTING: 0.2}


def test_tool_time_without_a_turn_number_goes_to_the_reply_that_follows_the_tool(conversation):
    speak_user(conversation, final="What's the weather?")
    conversation.apply(ev.StageLatency(ev.Stage.LLM_FIRST_TOKEN, 0.3, user_turn=1))
    conversation.apply(ev.ToolCallStarted("call-1", "weather", "{}"))
    conversation.apply(ev.StageLatency(ev.Stage.TOOLS, 0.4))
    conversation.apply(ev.StageLatency(ev.Stage.TOOLS, 0.1))
    conversation.apply(ev.AssistantTurnStarted(user_turn=1))
    conversation.apply(ev.AssistantTurnEnded("Sunny.", interrupted=False, user_turn=1))
    assert conversation.turns[-1].latencies == {ev.Stage.LLM_FIRST_TOKEN: 0.3, ev.Stage.TOOLS: pytest.approx(0.5)}


def test_a_new_session_numbers_its_turns_afresh(conversation):
    spoken_exchange(conversation, 1, "Paris.", late={})
    conversation.apply(ev.SessionEnded("stopped"))
    conversation.apply(ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK))
    speak_user(conversation, final="Again?")
    conversation.apply(ev.AssistantTurnStarted(user_turn=1))
    conversation.apply(ev.AssistantTurnEnded("Yes.", interrupted=False, user_turn=1))
    assert conversation.apply(ev.StageLatency(ev.Stage.VOICE_TO_VOICE, 0.9, user_turn=1)) & Area.TURN_UPDATED
    first, again = (t for t in conversation.turns if t.role is Role.ASSISTANT)
    assert ev.Stage.VOICE_TO_VOICE not in first.latencies and again.latencies[ev.Stage.VOICE_TO_VOICE] == 0.9
