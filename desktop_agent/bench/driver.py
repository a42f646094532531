"""Drives spoken turns through an agent (the app or the reference) over a :class:`BenchDevice`, and times each
turn at the audio boundary: from the last speech sample (hands-free) or the release (push-to-talk) to the first
audible sample of the reply."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np

from desktop_agent.bench.device import BenchDevice
from desktop_agent.bench.speech import RATE, utterance
from desktop_agent.state.events import TurnMode


class Agent(Protocol):
    """What the driver needs from the system under test; ``press``/``release`` only matter in push-to-talk."""

    name: str

    def press(self) -> None: ...
    def release(self) -> None: ...


@dataclass
class TurnTiming:
    index: int
    mode: str
    text: str
    started: float
    speech_end: float | None = None
    release: float | None = None
    first_audio: float | None = None
    reply_end: float | None = None
    gaps: list[float] = field(default_factory=list)  # underruns: the device ran dry (seconds each)
    audible_gaps: list[float] = field(default_factory=list)  # the reply's sound was cut (seconds each)
    error: str = ""

    @property
    def anchor(self) -> float | None:
        """Where the voice-to-voice clock starts: the release in push-to-talk, the end of speech hands-free."""
        return self.release if self.mode == TurnMode.PUSH_TO_TALK.value else self.speech_end

    @property
    def v2v(self) -> float | None:
        if self.anchor is None or self.first_audio is None:
            return None
        return self.first_audio - self.anchor

    @property
    def from_speech_end(self) -> float | None:
        if self.speech_end is None or self.first_audio is None:
            return None
        return self.first_audio - self.speech_end

    def as_dict(self) -> dict:
        data = asdict(self)
        data["v2v"] = self.v2v
        return data


class TurnDriver:
    """Speaks turns into ``device`` and waits for each reply to finish playing.

    ``agent`` may be None in hands-free, where nothing is pressed. ``release_lag`` is how long after the last
    speech sample the push-to-talk key is let go (people release a little after they stop talking);
    ``quiet_secs`` of silence after the last audible output ends a reply.
    """

    def __init__(
        self,
        agent: Agent | None,
        device: BenchDevice,
        mode: TurnMode,
        *,
        release_lag: float = 0.1,
        press_lead: float = 0.15,
        quiet_secs: float = 0.8,
        reply_timeout: float = 15.0,
    ):
        self.agent = agent
        self.device = device
        self.mode = mode
        self.release_lag = release_lag
        self.press_lead = press_lead
        self.quiet_secs = quiet_secs
        self.reply_timeout = reply_timeout
        self.turns: list[TurnTiming] = []

    def run(self, texts: list[str]) -> list[TurnTiming]:
        for text in texts:
            self.run_turn(text)
        return self.turns

    def run_turn(self, text: str) -> TurnTiming:
        speech = utterance(text)
        turn = TurnTiming(len(self.turns), self.mode.value, text, time.monotonic())
        self.turns.append(turn)
        ptt = self.mode is TurnMode.PUSH_TO_TALK
        agent = self.agent
        if ptt:
            assert agent is not None, "push-to-talk needs an agent to press and release"
            agent.press()
            time.sleep(self.press_lead)
        # A little lead-in silence, as a real microphone hears before the first word.
        self.device.push_input(np.concatenate([np.zeros(RATE // 10, np.int16), speech]))
        self.device.wait_input_drained(timeout=len(speech) / RATE + 10)
        time.sleep(0.025)  # the last block is delivered: let its stamp land
        turn.speech_end = self.device.last_speech_at(turn.started)
        if turn.speech_end is None:
            turn.error = "the microphone never delivered the speech"
            return turn
        if ptt:
            assert agent is not None  # checked above, before the press
            _sleep_until(turn.speech_end + self.release_lag)
            turn.release = time.monotonic()
            agent.release()
        anchor = turn.anchor
        assert anchor is not None
        deadline = anchor + self.reply_timeout
        while (first := self.device.first_audible_at(anchor)) is None:
            if time.monotonic() > deadline:
                turn.error = f"no reply within {self.reply_timeout:.0f} s"
                return turn
            time.sleep(0.01)
        turn.first_audio = first
        turn.reply_end = self._wait_reply_end(first, deadline + 60)
        turn.gaps = [g.seconds for g in self.device.gaps(first, turn.reply_end)]
        turn.audible_gaps = [g.seconds for g in self.device.audible_gaps(first, turn.reply_end)]
        return turn

    def _wait_reply_end(self, first: float, deadline: float) -> float:
        while True:
            end = self.device.last_audible_end(first) or first
            now = time.monotonic()
            if now - end >= self.quiet_secs or now > deadline:
                return end
            time.sleep(0.05)


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
