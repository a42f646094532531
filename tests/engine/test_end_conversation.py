"""The model can end the conversation with the ``end_conversation`` tool: the session ends cleanly on its own."""

from __future__ import annotations

import asyncio

import pytest

from desktop_agent.engine.tools import END_CONVERSATION, END_REASON
from desktop_agent.simulator import ToolCall
from desktop_agent.state.events import AgentState, ErrorOccurred, SessionEnded
from tests.engine.conftest import EngineHarness, config_for


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_end_conversation_tool_ends_the_session(sim, speech):
    h = EngineHarness(config_for(sim))
    await h.start()
    sim.stt.script(["Hi.", "Goodbye, that is all."])
    sim.llm.script(["Hello!", ToolCall(END_CONVERSATION, {})])

    await h.exchange(speech("Hi."))
    await h.push_to_talk(speech("Goodbye, that is all."))

    # The session's run returns by itself: no stop() call.
    await asyncio.wait_for(h.task, 15)
    ended = h.of(SessionEnded)
    assert [e.reason for e in ended] == [END_REASON]
    assert h.session.state is AgentState.STOPPED and not h.session.ready
    assert not h.of(ErrorOccurred)

    # The tool was offered to the model and its call was what ended the session.
    request = sim.llm_requests()[-1]
    assert END_CONVERSATION in [tool["function"]["name"] for tool in request.get("tools", [])]
    assert len(sim.llm_requests()) == 2  # the call's result does not start another reply

    # The microphone and speaker were released.
    assert h.backend.open_streams == 0
    h.session.stop()  # stopping an ended session is harmless and does not report a second end
    assert len(h.of(SessionEnded)) == 1


def test_stop_before_start_reports_the_end_once():
    events = []
    from desktop_agent.engine.config import EngineConfig, ProviderEndpoint
    from desktop_agent.engine.session import VoiceSession

    endpoint = ProviderEndpoint("key-123456", "")
    session = VoiceSession(EngineConfig(stt=endpoint, llm=endpoint, tts=endpoint), events.append)
    session.stop()
    session.stop()
    assert [type(e) for e in events] == [SessionEnded]
    session.start()  # a stopped session does not come back to life
    assert session.state is AgentState.STOPPED
