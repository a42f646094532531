"""The console's ``t WORDS`` and ``tt WORDS``: a turn typed instead of spoken, through the real console, engine and
simulator (lines typed into a pipe; the only fake is the in-memory sound card, as in the other console tests).

``t`` gets a spoken reply; ``tt`` gets the reply printed at once and not spoken; both are the conversation's turns
(what the history stores)."""

from __future__ import annotations

import pytest

from desktop_agent.simulator import Simulator
from desktop_agent.state.conversation import Role
from tests.console.test_console_faults import TypedConsole

pytestmark = pytest.mark.e2e

QUESTION = "What should I bring to the meeting?"
REPLY = "Bring your notes and the latest figures."
FOLLOW_UP = "And what time does it start?"
FOLLOW_UP_REPLY = "It starts at ten o'clock."


@pytest.mark.asyncio
async def test_t_is_answered_aloud_and_tt_in_text_only(isolated_user_dirs):
    async with Simulator(profile="instant") as sim:
        sim.llm.script([REPLY, FOLLOW_UP_REPLY])
        console = TypedConsole(sim, simulate=False)
        await console.wait_for("Push-to-talk: press Enter")
        console.type("?")
        await console.wait_for("t WORDS type your turn instead of speaking")
        console.type("t")
        await console.wait_for("Type your words after t")

        console.type(f"t {QUESTION}")
        await console.wait_for(f"Assistant: {REPLY}\n")
        await console.wait_for("  latency: LLM first token")
        assert sim.llm_requests()[-1]["messages"][-1] == {"role": "user", "content": QUESTION}
        assert "latest figures" in " ".join(str(m) for m in sim.tts_messages())
        backend = console.app.audio_backend
        assert backend is not None and backend.audible(), "the reply to t was not played"

        console.type(f"tt {FOLLOW_UP}")
        await console.wait_for(f"Assistant: {FOLLOW_UP_REPLY} [not spoken]\n")
        assert sim.llm_requests()[-1]["messages"][-1] == {"role": "user", "content": FOLLOW_UP}
        assert "ten o" not in " ".join(str(m) for m in sim.tts_messages())
        code = await console.quit()

    printed = console.out.getvalue()
    assert code == 0, printed
    lines = printed.splitlines()
    assert lines.index(f"You: {QUESTION}") < lines.index(f"Assistant: {REPLY}") < lines.index(f"You: {FOLLOW_UP}")
    # A typed turn has no speech: its latency line has no endpointing, transcription or voice-to-voice figure.
    latency_lines = [line for line in lines if line.startswith("  latency:")]
    assert latency_lines and not any("Endpointing" in line or "STT" in line for line in latency_lines)
    turns = [(t.role, t.text, t.spoken) for t in console.app.printer.conversation.turns]
    assert turns == [
        (Role.USER, QUESTION, True),
        (Role.ASSISTANT, REPLY, True),
        (Role.USER, FOLLOW_UP, True),
        (Role.ASSISTANT, FOLLOW_UP_REPLY, False),
    ]
    assert "Traceback" not in printed
