"""The engine's observers share one of the worker's observer queues: each still sees what it asked for, in order.

The events are handed to the group directly, as Pipecat's worker observer hands them to each of its observers."""

from __future__ import annotations

import pytest
from pipecat.frames.frames import TextFrame
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from desktop_agent.engine.observer_group import ObserverGroup


class Recorder(BaseObserver):
    def __init__(self, log: list, label: str, every_push: bool = True):
        super().__init__(observe_every_push=every_push)
        self.log, self.label = log, label
        self.pushes: list[FramePushed] = []
        self.processed = 0
        self.started = False

    async def on_push_frame(self, data: FramePushed) -> None:
        self.pushes.append(data)
        self.log.append(self.label)

    async def on_process_frame(self, data: FrameProcessed) -> None:
        self.processed += 1

    async def on_pipeline_started(self) -> None:
        self.started = True


@pytest.mark.asyncio
async def test_members_see_every_push_or_only_first_pushes_as_they_asked():
    log: list[str] = []
    every, first = Recorder(log, "every"), Recorder(log, "first", every_push=False)
    group = ObserverGroup([every, first])
    assert group.observe_every_push
    assert not ObserverGroup([Recorder(log, "x", every_push=False)]).observe_every_push
    a, b, frame = FrameProcessor(), FrameProcessor(), TextFrame("hello")
    for first_push in (True, False):
        await group.on_push_frame(FramePushed(a, b, frame, FrameDirection.DOWNSTREAM, 0, first_push=first_push))
    await group.on_process_frame(FrameProcessed(b, frame, FrameDirection.DOWNSTREAM, 0))
    await group.on_pipeline_started()
    assert [p.first_push for p in every.pushes] == [True, False]
    assert [p.first_push for p in first.pushes] == [True]
    assert log == ["every", "first", "every"]  # the order given
    assert every.processed == first.processed == 1
    assert every.started and first.started
