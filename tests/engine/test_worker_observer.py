"""The worker's observers see every frame but the microphone's, through Pipecat's real worker and processors."""

from __future__ import annotations

import asyncio

import pytest
from pipecat.frames.frames import EndFrame, InputAudioRawFrame, TextFrame
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.workers.runner import WorkerRunner

from desktop_agent.engine.worker_observer import leave_out_microphone_frames


class PassOn(FrameProcessor):
    async def process_frame(self, frame, direction: FrameDirection) -> None:  # type: ignore[no-untyped-def]
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)


class Recorder(BaseObserver):
    def __init__(self) -> None:
        super().__init__(observe_every_push=True)
        self.pushed: list[type] = []
        self.processed: list[type] = []

    async def on_push_frame(self, data: FramePushed) -> None:
        self.pushed.append(type(data.frame))

    async def on_process_frame(self, data: FrameProcessed) -> None:
        self.processed.append(type(data.frame))


async def _run(leave_out: bool) -> Recorder:
    recorder = Recorder()
    observers: list[BaseObserver] = [recorder]
    worker = PipelineWorker(Pipeline([PassOn(), PassOn()]), observers=observers, enable_rtvi=False)
    if leave_out:
        leave_out_microphone_frames(worker, observers)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    run_task = asyncio.ensure_future(runner.run())
    block = InputAudioRawFrame(audio=bytes(640), sample_rate=16000, num_channels=1)
    await worker.queue_frames([block, block, TextFrame("after the microphone")])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30.0
    while TextFrame not in recorder.processed or recorder.pushed.count(TextFrame) < 2:
        assert loop.time() < deadline, "the observer never saw the text frame"
        await asyncio.sleep(0.01)
    await worker.queue_frame(EndFrame())
    await asyncio.wait_for(run_task, 30.0)
    return recorder


@pytest.mark.asyncio
async def test_observers_see_every_frame_but_the_microphones():
    recorder = await _run(leave_out=True)
    assert InputAudioRawFrame not in recorder.pushed + recorder.processed
    # Every other frame as before: the text frame handled by both processors, pushed by both.
    assert recorder.processed.count(TextFrame) >= 2
    assert recorder.pushed.count(TextFrame) >= 2


@pytest.mark.asyncio
async def test_pipecats_own_worker_observer_reports_the_microphone():
    """What is left out: without it the same run reports the microphone's blocks (so the test above can fail)."""
    recorder = await _run(leave_out=False)
    assert InputAudioRawFrame in recorder.pushed and InputAudioRawFrame in recorder.processed
