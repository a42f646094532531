"""The speaker thread asks the OS for priority and takes what it gets: real-time where permitted, else a better nice
value, else nothing, never an error. Whether a user may have either depends on the machine (root, rtkit, the audio
group's limits), so refusals are made with monkeypatch: the only fake here, for permissions this machine cannot
take away from the test."""

from __future__ import annotations

import os
import threading

import pytest

from desktop_agent.engine import audio


def refuse(*_args):
    raise PermissionError(1, "Operation not permitted")


def run_on_a_thread(fn):
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join(10)
    return result[0]


def test_nothing_permitted_leaves_the_thread_as_it_was(monkeypatch):
    monkeypatch.setattr(os, "sched_setscheduler", refuse, raising=False)
    monkeypatch.setattr(os, "setpriority", refuse, raising=False)
    assert run_on_a_thread(audio._raise_priority) == "normal"


def test_an_os_without_the_calls_is_fine(monkeypatch):
    monkeypatch.delattr(os, "sched_setscheduler", raising=False)
    monkeypatch.delattr(os, "setpriority", raising=False)
    assert run_on_a_thread(audio._raise_priority) == "normal"


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread nice values here")
def test_without_real_time_a_better_nice_value_where_permitted(monkeypatch):
    monkeypatch.setattr(os, "sched_setscheduler", refuse, raising=False)
    asked = []
    monkeypatch.setattr(os, "setpriority", lambda which, who, value: asked.append((which, who, value)))

    def raise_and_note_thread():
        return audio._raise_priority(), threading.get_native_id()

    got, thread_id = run_on_a_thread(raise_and_note_thread)
    assert got == f"nice {audio.SPEAKER_NICE}"
    assert asked == [(os.PRIO_PROCESS, thread_id, audio.SPEAKER_NICE)]  # that thread only, not the process


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="no scheduling policies here")
def test_what_the_thread_reports_is_what_it_has():
    def raise_and_look():
        got = audio._raise_priority()
        policy = os.sched_getscheduler(0)
        nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return got, policy, nice

    got, policy, nice = run_on_a_thread(raise_and_look)
    if got == "real-time":
        assert policy == os.SCHED_FIFO
    elif got.startswith("nice"):
        assert policy == os.SCHED_OTHER and nice == audio.SPEAKER_NICE
    else:
        assert got == "normal" and policy == os.SCHED_OTHER
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the test's own thread was left alone
