"""The console writes remote text as plain text: a reply or transcript holding terminal escape sequences (clear the
screen, set the window title, plant an OSC 8 link) or a bidi override reaches the terminal without them. And device
advice names what the console reads (it has no Settings dialog)."""

from __future__ import annotations

import io

from desktop_agent.console.printer import TranscriptPrinter
from desktop_agent.engine.audio_backend import AudioDeviceError, SoundDeviceBackend
from desktop_agent.state import events as ev

CLEAR_SCREEN = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;you have been pwned\x07"
LINK = "\x1b]8;;https://evil.example/\x1b\\"
LINK_END = "\x1b]8;;\x1b\\"
RLO = "\u202e"
CLEAR_LINE = "\r\x1b[2K"  # the printer's own redraw of the live line: the only control code it may write


def hostile_session() -> list[ev.Event]:
    question = f"{CLEAR_SCREEN}What{TITLE} is {RLO}new?"
    return [
        ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK, voice=f"{TITLE}Rachel", prompt_name=f"{RLO}Helper"),
        ev.UserSpeechStarted(),
        ev.UserTranscript(text=f"{CLEAR_SCREEN}What", final=False),
        ev.UserTranscript(text=question, final=True),
        ev.UserTurnEnded(text=question),
        ev.AssistantTurnStarted(),
        ev.AssistantSpeechStarted(),
        ev.AssistantWordSpoken(word=f"{LINK}Click"),
        ev.AssistantWordSpoken(word=f"here{LINK_END}"),
        ev.AssistantWordSpoken(word=f"{RLO}now\r\n"),
        ev.AssistantTurnEnded(text=f"{LINK}Click here{LINK_END} {RLO}now", interrupted=False),
        ev.ErrorOccurred(kind=ev.ErrorKind.PROVIDER, message=f"Cerebras said: {CLEAR_SCREEN}{TITLE}overloaded."),
        ev.SettingsApplied(voice=f"Bella{LINK}", prompt_name=f"Tutor{LINK_END}"),
    ]


def printed(live: bool) -> str:
    out = io.StringIO()
    printer = TranscriptPrinter(out, live=live)
    for event in hostile_session():
        printer.show(event)
    return out.getvalue()


def test_a_pipe_gets_the_words_without_any_escape_sequence_or_bidi_override():
    assert printed(live=False).splitlines() == [
        "Connected (voice Rachel, prompt Helper).",
        "Push-to-talk: press Enter, speak, press Enter again. (h: hands-free, ?: help)",
        "You: What is new?",
        "Assistant: Click here now",
        "! Cerebras said: overloaded.",
        "Voice: Bella",
        "Prompt: Tutor",
    ]


def test_a_terminal_gets_only_the_printers_own_line_redraw():
    out = printed(live=True)
    assert out.count(CLEAR_LINE) == 3  # the live user line drawn twice, then cleared before the finished line
    rest = out.replace(CLEAR_LINE, "")
    for forbidden in ("\x1b", "\x07", "\x9b", "\x9d", "\r", RLO):
        assert forbidden not in rest, repr(forbidden)
    assert "You: What ...You: What is new? ...You: What is new?\n" in rest


def test_the_microphone_sentence_reads_right_in_the_window_and_names_the_console_settings():
    """The real PortAudio backend refuses 1 Hz on any machine, with or without a sound card: the message the window
    shows comes from that failure, then the console rewords its advice."""
    backend = SoundDeviceBackend()
    try:
        backend.open_input(None, 1, 160, lambda _pcm: None, lambda _why: None)
    except AudioDeviceError as exc:
        window_message = f"{exc} The assistant keeps trying to reach a microphone."  # as the audio input adds it
    else:
        raise AssertionError("a 1 Hz microphone stream must not open")
    assert window_message == (
        "The default microphone could not be opened at 1 Hz. Choose another in Settings > Audio. "
        "The assistant keeps trying to reach a microphone."
    )
    out = io.StringIO()
    TranscriptPrinter(out, live=False).show(ev.ErrorOccurred(kind=ev.ErrorKind.AUDIO_DEVICE, message=window_message))
    assert out.getvalue() == (
        "! The default microphone could not be opened at 1 Hz. To use another microphone, set "
        "DESKTOP_AGENT_AUDIO__INPUT_DEVICE (or “audio.input_device” in settings.json) to a device name or number "
        "that desktop-agent --self-check lists. The assistant keeps trying to reach a microphone.\n"
    )


def test_speaker_advice_names_the_output_device_and_a_named_device_keeps_its_name():
    out = io.StringIO()
    printer = TranscriptPrinter(out, live=False)
    printer.show(ev.ErrorOccurred(
        kind=ev.ErrorKind.AUDIO_DEVICE,
        message="The speaker “USB Audio 2.0” is not connected. Choose another in Settings > Audio. "
                "Using the default speaker instead.",
    ))
    assert out.getvalue() == (
        "! The speaker “USB Audio 2.0” is not connected. To use another speaker, set "
        "DESKTOP_AGENT_AUDIO__OUTPUT_DEVICE (or “audio.output_device” in settings.json) to a device name or number "
        "that desktop-agent --self-check lists. Using the default speaker instead.\n"
    )
