"""Several observers behind one of the pipeline worker's observer queues.

Pipecat's worker gives every observer a queue and a task of its own, and every frame a processor handles or pushes
goes into each of those queues: with the microphone's 50 frames a second hopping through the processors, each
observer's task is woken a few hundred times a second, most of them for audio frames it ignores. The engine's
observers only note things and arm timers (none of them waits), so they share one queue here, in the order given,
and the loop wakes once per event for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from loguru import logger
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed, ProcessorSetUp
from pipecat.utils.asyncio.task_manager import BaseTaskManager


class ObserverGroup(BaseObserver):
    """Hands each event to ``observers`` in turn; a member created with ``observe_every_push=False`` still only sees
    a frame's first push."""

    def __init__(self, observers: Sequence[BaseObserver]) -> None:
        self._members = list(observers)
        super().__init__(observe_every_push=any(o.observe_every_push for o in self._members))

    async def setup(self, task_manager: BaseTaskManager) -> None:
        await super().setup(task_manager)
        for observer in self._members:
            await observer.setup(task_manager)

    async def cleanup(self) -> None:
        await super().cleanup()
        for observer in self._members:  # each is cleaned up, whatever the others do (as Pipecat's worker does)
            try:
                await observer.cleanup()
            except Exception:
                logger.exception(f"Cleaning up {observer} failed")

    async def on_pipeline_started(self) -> None:
        for observer in self._members:
            await observer.on_pipeline_started()

    async def on_processor_setup(self, data: ProcessorSetUp) -> None:
        for observer in self._members:
            await observer.on_processor_setup(data)

    async def on_process_frame(self, data: FrameProcessed) -> None:
        for observer in self._members:
            await observer.on_process_frame(data)

    async def on_push_frame(self, data: FramePushed) -> None:
        for observer in self._members:
            if data.first_push or observer.observe_every_push:
                await observer.on_push_frame(data)
