"""The console's transcript, fed by engine events alone (no engine, no terminal)."""

from __future__ import annotations

import io

from desktop_agent.console.printer import TranscriptPrinter, format_latencies
from desktop_agent.state import events as ev
from desktop_agent.state.latency import DEFAULT_BUDGETS

FIGURES = {
    ev.Stage.ENDPOINTING: 0.012,
    ev.Stage.STT_FINAL: 0.151,
    ev.Stage.LLM_FIRST_TOKEN: 0.243,
    ev.Stage.TTS_FIRST_AUDIO: 0.152,
    ev.Stage.VOICE_TO_VOICE: 0.655,
}


def replay(printer: TranscriptPrinter, events: list[ev.Event]) -> str:
    for event in events:
        printer.show(event)
    return printer._out.getvalue()


def exchange(question: str, words: list[str], *, interrupted: bool = False) -> list[ev.Event]:
    events: list[ev.Event] = [
        ev.UserSpeechStarted(),
        ev.UserTranscript(text=question.split()[0], final=False),
        ev.UserTranscript(text=question, final=True),
        ev.UserTurnEnded(text=question),
        *(ev.StageLatency(stage=s, seconds=v) for s, v in FIGURES.items() if s is not ev.Stage.VOICE_TO_VOICE),
        ev.AssistantTurnStarted(),
        ev.AssistantSpeechStarted(),
        ev.StageLatency(stage=ev.Stage.VOICE_TO_VOICE, seconds=FIGURES[ev.Stage.VOICE_TO_VOICE]),
        *(ev.AssistantWordSpoken(word=w) for w in words),
    ]
    if interrupted:
        events.append(ev.Interrupted())
    events.append(ev.AssistantTurnEnded(text=" ".join(words), interrupted=interrupted))
    return events


def test_a_piped_exchange_is_finished_lines_with_the_latency_line():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    out = replay(printer, exchange("What time is it?", ["It", "is", "noon."]))
    assert out.splitlines() == [
        "You: What time is it?",
        "Assistant: It is noon.",
        "  latency: Endpointing 12 ms, STT final 151 ms, LLM first token 243 ms, TTS first audio 152 ms, "
        "Voice to voice 655 ms",
    ]
    assert "\r" not in out and "\x1b" not in out  # a pipe or log file gets no terminal control codes


def test_a_terminal_redraws_the_users_words_in_place_until_the_turn_ends():
    printer = TranscriptPrinter(io.StringIO(), live=True)
    out = replay(printer, [ev.UserSpeechStarted(), ev.UserTranscript(text="What", final=False),
                           ev.UserTranscript(text="What time", final=False)])
    assert out.endswith("\r\x1b[2KYou: What time ...") and "\n" not in out
    out = replay(printer, [ev.UserTranscript(text="What time is it?", final=True), ev.UserTurnEnded(text="What time is it?")])
    assert out.endswith("\r\x1b[2KYou: What time is it?\n")


def test_an_interrupted_reply_shows_only_what_was_spoken_and_is_marked():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    events = exchange("Tell me a story.", ["Once", "upon"], interrupted=True)
    events.insert(-2, ev.AssistantText(text="Once upon a time there was a dragon."))  # generated, never spoken
    out = replay(printer, events)
    assert "Assistant: Once upon [interrupted]\n" in out
    assert "dragon" not in out


def test_a_reply_cut_off_before_its_first_word_says_so():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    out = replay(printer, [ev.UserTurnEnded(text="Hello"), ev.AssistantTurnStarted(), ev.Interrupted(),
                           ev.AssistantTurnEnded(text="", interrupted=True)])
    assert "Assistant: [interrupted before speaking]" in out


def test_a_barge_in_never_writes_into_the_reply_line():
    printer = TranscriptPrinter(io.StringIO(), live=True)
    events = exchange("Tell me a story.", ["Once", "upon"], interrupted=True)
    events.insert(-2, ev.UserTranscript(text="stop", final=False))  # the user talks over the reply
    out = replay(printer, events)
    assert "Assistant: Once upon [interrupted]\n" in out
    assert "Once upon\r" not in out and "upon You:" not in out


def test_figures_over_budget_are_starred():
    line = format_latencies({ev.Stage.LLM_FIRST_TOKEN: 0.42, ev.Stage.VOICE_TO_VOICE: 0.61}, DEFAULT_BUDGETS)
    assert line == "LLM first token 420 ms*, Voice to voice 610 ms"


def test_errors_and_session_notices_are_sentences_on_their_own_lines():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    out = replay(printer, [
        ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK, voice="Rachel", prompt_name="General assistant"),
        ev.AssistantWordSpoken(word="Hello"),
        ev.ErrorOccurred(kind=ev.ErrorKind.AUTH, message="ElevenLabs rejected the API key.", provider=ev.Provider.TTS),
        ev.ModeChanged(mode=ev.TurnMode.HANDS_FREE),
        ev.MuteChanged(muted=True),
        ev.ConversationReset(),
        ev.SessionEnded(reason="The assistant ended the conversation."),
    ])
    lines = out.splitlines()
    assert lines[0] == "Connected (voice Rachel, prompt General assistant)."
    assert lines[1].startswith("Push-to-talk: press Enter")
    assert lines[2] == "Assistant: Hello"  # closed before the error line, not run into it
    assert lines[3] == "! ElevenLabs rejected the API key."
    assert lines[4].startswith("Hands-free: just speak")
    assert lines[5:] == [
        "Microphone muted (m to unmute).",
        "New conversation: the assistant has forgotten the earlier turns.",
        "The assistant ended the conversation.",
    ]


def test_a_stop_by_the_user_adds_no_line():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    assert replay(printer, [ev.SessionEnded(reason="stopped")]) == ""


def test_the_summary_counts_exchanges_median_voice_to_voice_and_cost():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    replay(printer, exchange("One?", ["Yes."]) + exchange("Two?", ["No."]))
    replay(printer, [ev.UsageReported(provider=ev.Provider.TTS, characters=1000)])
    summary = printer.summary()
    assert summary.startswith("2 exchanges, voice to voice 655 ms (median), cost $")
    assert float(summary.split("$")[1].rstrip(".")) > 0


def test_a_model_or_voice_no_longer_offered_is_said_with_the_setting_that_switches():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    model = ev.ChoiceUnavailable(kind=ev.ErrorKind.CONFIG, provider=ev.Provider.LLM, current="llama-3.3-70b",
                                 message="The language model llama-3.3-70b is no longer offered by Cerebras. Switch to "
                                         "gpt-oss-120b.", replacement="gpt-oss-120b", replacement_name="gpt-oss-120b")
    voice = ev.ChoiceUnavailable(kind=ev.ErrorKind.CONFIG, provider=ev.Provider.TTS, current="21m00Tcm4TlvDq8ikWAM",
                                 message="The voice Rachel is no longer in your ElevenLabs account. Switch to Eric.",
                                 replacement="cjVigY5qzO86Huf0OWal", replacement_name="Eric")
    assert replay(printer, [model, voice]).splitlines() == [
        "! The language model llama-3.3-70b is no longer offered by Cerebras. Switch to gpt-oss-120b.",
        "  To switch, set DESKTOP_AGENT_MODELS__LLM_MODEL=gpt-oss-120b (or “models.llm_model” in settings.json), then "
        "start again.",
        "! The voice Rachel is no longer in your ElevenLabs account. Switch to Eric.",
        "  To switch, set DESKTOP_AGENT_VOICE__VOICE_ID=cjVigY5qzO86Huf0OWal and DESKTOP_AGENT_VOICE__VOICE_NAME=Eric "
        "(or “voice” in settings.json), then start again.",
    ]
    assert printer.conversation.errors == [model, voice], "kept with the other errors"


def test_a_fallback_standing_in_and_the_chosen_provider_coming_back_are_said():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    out = replay(printer, [
        ev.ProviderSwitched(provider=ev.Provider.LLM, name="Groq", primary_name="Cerebras", standing_in=True),
        ev.ProviderSwitched(provider=ev.Provider.LLM, name="Cerebras", primary_name="Cerebras", standing_in=False),
    ])
    assert out.splitlines() == [
        "Cerebras is not answering; Groq answers until it is back.",
        "Cerebras is back and answers again.",
    ]


def test_a_speech_fallback_is_said_with_its_role():
    printer = TranscriptPrinter(io.StringIO(), live=False)
    out = replay(printer, [
        ev.ProviderSwitched(provider=ev.Provider.STT, name="Deepgram", primary_name="Cartesia", standing_in=True),
        ev.ProviderSwitched(provider=ev.Provider.TTS, name="Cartesia", primary_name="ElevenLabs", standing_in=True),
        ev.ProviderSwitched(provider=ev.Provider.STT, name="Cartesia", primary_name="Cartesia", standing_in=False),
    ])
    assert out.splitlines() == [
        "Speech-to-text: Cartesia is not answering; Deepgram listens until it is back.",
        "Text-to-speech: ElevenLabs is not answering; Cartesia speaks until it is back.",
        "Speech-to-text: Cartesia is back and listens again.",
    ]
