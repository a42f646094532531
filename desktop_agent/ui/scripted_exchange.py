"""A scripted conversation on the simulator, driven through the window as a user would (hold, speak, release).

Used by ``desktop-agent --screenshot``: the simulator is told what the user "said" and what the assistant answers,
speech-like audio goes into the in-memory microphone while push-to-talk is held, and each exchange is complete
when the assistant's turn has ended with all five latency stages measured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from desktop_agent.state.conversation import Conversation, Role
from desktop_agent.state.events import AgentState
from desktop_agent.state.latency import EXCHANGE_STAGES

EXCHANGES = (
    (
        "What's the weather like in Paris today?",
        "It's sunny and twenty-two degrees in Paris right now, with a light breeze. A lovely afternoon for a walk.",
    ),
    (
        "And tomorrow?",
        "Tomorrow looks cloudier, around eighteen degrees, with a chance of showers in the evening.",
    ),
)
TURN_TIMEOUT_S = 40.0


async def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)


def speech_like(text: str) -> bytes:
    """16 kHz mono int16 audio that the simulator's speech-to-text hears as speech."""
    from desktop_agent.simulator.synth import synthesize

    return synthesize(text, 16000).pcm


class ScriptedExchange:
    def __init__(self, window: Any, controller: Any, audio_backend: Any, simulator: Any) -> None:
        if simulator is None or audio_backend is None or not hasattr(audio_backend, "push_input"):
            raise RuntimeError("a scripted exchange needs the simulator and the in-memory audio device")
        self.window = window
        self.controller = controller
        self.audio = audio_backend
        self.simulator = simulator

    @property
    def conversation(self) -> Conversation:
        return self.window.conversation

    def _last_reply_measured(self, before: int) -> bool:
        conversation = self.conversation
        if conversation.finished_exchanges() <= before:
            return False
        replies = [t for t in conversation.turns if t.role is Role.ASSISTANT and t.finished]
        return bool(replies) and all(stage in replies[-1].latencies for stage in EXCHANGE_STAGES)

    async def run(self, exchanges: tuple[tuple[str, str], ...] = EXCHANGES) -> None:
        for user_text, reply_text in exchanges:
            await self.exchange(user_text, reply_text)
        await wait_until(
            lambda: self.conversation.agent_state is AgentState.LISTENING, TURN_TIMEOUT_S, "the reply to finish playing"
        )

    async def exchange(self, user_text: str, reply_text: str) -> None:
        self.simulator.stt.script([user_text])
        self.simulator.llm.script([reply_text])
        await wait_until(
            lambda: self.conversation.agent_state is AgentState.LISTENING, TURN_TIMEOUT_S, "the session to listen"
        )
        before = self.conversation.finished_exchanges()
        talk_button = self.window.controls.talk_button
        talk_button.set_held(True)
        self.controller.press_talk()
        await asyncio.sleep(0.1)
        self.audio.push_input(speech_like(user_text))
        await asyncio.to_thread(self.audio.wait_input_drained, TURN_TIMEOUT_S)
        await asyncio.sleep(0.15)
        talk_button.set_held(False)
        self.controller.release_talk()
        await wait_until(lambda: self._last_reply_measured(before), TURN_TIMEOUT_S, "the assistant's reply")
