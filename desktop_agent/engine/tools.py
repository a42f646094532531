"""Tools the model may call. ``end_conversation`` lets it say goodbye and end the session cleanly."""

from __future__ import annotations

from collections.abc import Callable

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.frames.frames import EndWorkerFrame, FunctionCallResultProperties
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import FunctionCallParams

END_CONVERSATION = "end_conversation"
END_REASON = "The assistant ended the conversation."


def end_conversation_tool(on_end: Callable[[], None] | None = None) -> FunctionSchema:
    """The schema plus its handler; the pipeline drains (the goodbye is still spoken) and then ends."""

    async def end_conversation(params: FunctionCallParams) -> None:
        if on_end is not None:
            on_end()
        await params.result_callback({"ended": True}, properties=FunctionCallResultProperties(run_llm=False))
        await params.llm.push_frame(EndWorkerFrame(reason=END_REASON), FrameDirection.UPSTREAM)

    return FunctionSchema(
        name=END_CONVERSATION,
        description=(
            "End the voice conversation. Call this after saying goodbye, when the user says goodbye or asks to stop."
        ),
        properties={},
        required=[],
        handler=end_conversation,
    )
