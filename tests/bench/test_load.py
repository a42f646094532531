"""The loaded-machine phase's CPU load (bench/load.py): its busy processes run while asked and none outlives the
phase: not after stop, not past its deadline, not after an error or Ctrl+C in the phase, not after the phase's
process has died without cleaning up. Real worker processes; conditions are polled with generous deadlines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from desktop_agent.bench.load import CpuLoad

pytestmark = pytest.mark.bench

REPO = Path(__file__).resolve().parents[2]


def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def test_workers_spin_until_stopped_and_are_gone_after():
    load = CpuLoad(2, max_secs=300).start()
    try:
        assert len(load.pids) == 2
        wait_for(lambda: load.spins() > 20, "the workers to spin")
        assert load.alive() == 2
    finally:
        report = load.stop()
    assert load.alive() == 0 and load.pids == []
    assert report is not None and report.processes == 2 and report.worker_cpu_pct > 0
    assert load.stop() is report  # stopping twice is harmless


def test_the_default_is_one_worker_per_core():
    assert CpuLoad().processes == (os.cpu_count() or 1)
    with pytest.raises(ValueError):
        CpuLoad(2, own_session=3)


def test_workers_end_on_their_own_at_the_deadline():
    load = CpuLoad(1, max_secs=1.0).start()
    try:
        wait_for(lambda: load.alive() == 0, "the worker to stop at its deadline")
    finally:
        load.stop()


def test_an_error_in_the_phase_still_stops_the_workers():
    with pytest.raises(RuntimeError), CpuLoad(2, max_secs=300) as load:
        wait_for(lambda: load.spins() > 0, "the workers to spin")
        pids = load.pids
        raise RuntimeError("the phase failed")
    assert not any(running(pid) for pid in pids)


def test_workers_in_a_session_of_their_own():
    with CpuLoad(2, own_session=1, max_secs=300) as load:
        inside, outside = load.pids
        wait_for(lambda: load.spins() > 0, "the workers to spin")
        wait_for(lambda: os.getsid(outside) == outside, "the second worker to lead a session of its own")
        assert os.getsid(inside) == os.getsid(0)


def _phase_process(body: str) -> subprocess.Popen:
    """A Python process that starts a load as a phase would and prints the workers' pids."""
    script = textwrap.dedent("""
        import os, sys, time
        from desktop_agent.bench.load import CpuLoad
        if __name__ == "__main__":
    """) + textwrap.indent(textwrap.dedent(body), "    ")
    return subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_ctrl_c_in_the_phase_stops_the_workers():
    proc = _phase_process("""
        with CpuLoad(2, max_secs=300) as load:
            print(*load.pids, flush=True)
            time.sleep(300)
    """)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C in a terminal reaches the whole process group
        proc.wait(timeout=60)
        assert not any(running(pid) for pid in pids)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_workers_end_when_the_phase_process_dies_without_cleaning_up():
    proc = _phase_process("""
        load = CpuLoad(2, max_secs=300).start()
        print(*load.pids, flush=True)
        time.sleep(0.5)
        os._exit(0)
    """)
    pids = [int(p) for p in proc.stdout.readline().split()]
    proc.wait(timeout=60)
    assert len(pids) == 2
    wait_for(lambda: not any(running(pid) for pid in pids), "the orphaned workers to stop")
