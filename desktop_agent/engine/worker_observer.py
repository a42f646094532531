"""The pipeline worker's observer without the microphone's frames.

Every processor reports each frame it handles and each frame it pushes to the worker's observer, which queues the
event for every observer's task. While listening, the microphone's 50 blocks a second each make several such
events (the input pushes a block, the turn input handles and pushes it, the speech keeper handles it), and each
wakes the observers' task for a frame none of the engine's observers reads: they follow turns, transcripts, replies
and errors (engine/observer.py, engine/reply_guard.py, engine/speculation.py), never the microphone's audio. Left
out here, idle listening costs the loop those wake-ups less; every other frame is reported as before.
"""

from __future__ import annotations

from loguru import logger
from pipecat.frames.frames import InputAudioRawFrame
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed
from pipecat.pipeline.worker import PipelineWorker
from pipecat.pipeline.worker_observer import WorkerObserver


class WorkerObserverWithoutMicrophone(WorkerObserver):
    async def on_process_frame(self, data: FrameProcessed) -> None:
        if not isinstance(data.frame, InputAudioRawFrame):
            await super().on_process_frame(data)

    async def on_push_frame(self, data: FramePushed) -> None:
        if not isinstance(data.frame, InputAudioRawFrame):
            await super().on_push_frame(data)


def leave_out_microphone_frames(worker: PipelineWorker, observers: list[BaseObserver]) -> None:
    """Give ``worker`` (not yet running) an observer that does not report the microphone's frames to ``observers``.

    ``observers`` is the list the worker was given: it appends its own observers to it (none that reads microphone
    audio with the engine's settings), so they are all kept. Pipecat's worker keeps its observer in ``_observer``
    and hands it to the processors when it sets them up; should a Pipecat release keep it elsewhere, the worker
    keeps its own and every frame is reported, as before (tests/engine/test_worker_observer.py notices)."""
    if type(getattr(worker, "_observer", None)) is not WorkerObserver:
        logger.warning("Pipecat's worker has no worker observer where expected: the microphone's frames are observed")
        return
    worker._observer = WorkerObserverWithoutMicrophone(observers=observers)
