"""Drive a real Conversation with engine events, the way the window's bridge does, and feed a HistoryRecorder."""

from __future__ import annotations

from desktop_agent.state import events as ev
from desktop_agent.state.conversation import Area, Conversation
from desktop_agent.storage.recorder import HistoryRecorder


class Script:
    def __init__(self, conversation: Conversation, recorder: HistoryRecorder) -> None:
        self.conversation = conversation
        self.recorder = recorder

    def feed(self, event: ev.Event) -> Area:
        areas = self.conversation.apply(event)
        self.recorder.on_change(self.conversation, areas)
        return areas

    def start(self, voice: str = "Rachel", prompt_name: str = "General assistant") -> None:
        self.feed(ev.SessionStarted(mode=ev.TurnMode.PUSH_TO_TALK, voice=voice, prompt_name=prompt_name))

    def user_says(self, text: str, audio_seconds: float = 1.5) -> None:
        words = text.split()
        self.feed(ev.UserTranscript(text=" ".join(words[: max(1, len(words) // 2)]), final=False))
        self.feed(ev.UserTranscript(text=text, final=True))
        self.feed(ev.UsageReported(provider=ev.Provider.STT, audio_seconds=audio_seconds))
        self.feed(ev.UserTurnEnded(text=text))

    def assistant_starts(self, latencies: dict[ev.Stage, float]) -> None:
        for stage, seconds in latencies.items():
            self.feed(ev.StageLatency(stage=stage, seconds=seconds))
        self.feed(ev.AssistantTurnStarted())

    def assistant_word(self, word: str) -> None:
        self.feed(ev.AssistantWordSpoken(word=word))
        self.feed(ev.UsageReported(provider=ev.Provider.TTS, characters=len(word) + 1))

    def assistant_says(
        self, text: str, latencies: dict[ev.Stage, float], interrupted: bool = False, tokens: tuple[int, int] = (100, 20)
    ) -> None:
        self.assistant_starts(latencies)
        self.feed(ev.UsageReported(provider=ev.Provider.LLM, prompt_tokens=tokens[0], completion_tokens=tokens[1]))
        for word in text.split():
            self.assistant_word(word)
        if interrupted:
            self.feed(ev.Interrupted())
        self.feed(ev.AssistantTurnEnded(text=text, interrupted=interrupted))


def latencies_for(index: int) -> dict[ev.Stage, float]:
    """Distinct, recognisable latencies for exchange ``index``."""
    return {
        ev.Stage.ENDPOINTING: round(0.1 + index / 1000, 3),
        ev.Stage.STT_FINAL: round(0.2 + index / 1000, 3),
        ev.Stage.VOICE_TO_VOICE: round(0.7 + index / 1000, 3),
    }
