"""Keep the conversation the LLM sees to the last N exchanges.

The system prompt is not a context message (it lives in the LLM's ``Settings``), so trimming can never drop it.
An exchange starts at a user message; cutting only there keeps tool calls together with their results.
"""

from __future__ import annotations

from typing import Any

from pipecat.frames.frames import Frame, LLMContextFrame
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor


def trim_history(context: LLMContext, max_exchanges: int) -> int:
    """Drop the oldest exchanges so at most ``max_exchanges`` past ones remain before the newest user message.

    Returns how many messages were dropped. ``max_exchanges`` 0 keeps everything.
    """
    if max_exchanges <= 0:
        return 0
    messages = context.get_messages()
    user_starts = [i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"]
    if len(user_starts) <= max_exchanges + 1:
        return 0
    cut = user_starts[-(max_exchanges + 1)]
    context.set_messages(messages[cut:])
    return cut


class HistoryWindow(FrameProcessor):
    """Between the user aggregator and the LLM: trims the shared context before each request."""

    def __init__(self, max_exchanges: int, **kwargs: Any) -> None:
        super().__init__(name="HistoryWindow", **kwargs)
        self.max_exchanges = max_exchanges

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame) and direction is FrameDirection.DOWNSTREAM and not frame.speculation:
            trim_history(frame.context, self.max_exchanges)
        await self.push_frame(frame, direction)
