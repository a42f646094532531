"""The simulator from synchronous code (``SimulatorThread``) and as a standalone process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import openai
import pytest
from cartesia import Cartesia

from desktop_agent.simulator import PROFILES, PROVIDERS, SIMULATOR_API_KEYS, Fault, SimulatorThread


def test_simulator_thread_serves_sync_clients_and_takes_scripts_and_faults_from_this_thread():
    with SimulatorThread(profile="instant") as sim:
        client = openai.OpenAI(base_url=sim.cerebras_url, api_key=SIMULATOR_API_KEYS["cerebras"], max_retries=0)
        sim.llm.script(["Scripted from the test thread."])
        reply = client.chat.completions.create(model="gpt-oss-120b", messages=[{"role": "user", "content": "x"}])
        assert reply.choices[0].message.content == "Scripted from the test thread."

        sim.fault("cerebras", Fault.http(503, times=1))
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="gpt-oss-120b", messages=[{"role": "user", "content": "x"}])
        assert sim.faults("cerebras") == []

        sim.profile = "prd"
        assert sim.profile == PROFILES["prd"] and sim.profile is not PROFILES["prd"]
        sim.strict_elevenlabs = True
        assert sim.strict_elevenlabs is True

        voices = list(Cartesia(api_key=SIMULATOR_API_KEYS["cartesia"], base_url=sim.cartesia_http_url).voices.list())
        assert len(voices) == 12
        assert sim.wait_for(lambda: len(sim.llm_requests()) == 2, timeout=1)
        client.close()
    assert sim.loop is None


def _free_port_run(count: int = 3) -> int:
    """A first port N such that N .. N+count-1 are free right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            held = []
            for port in range(first, first + count):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no free run of ports")


def test_standalone_server_prints_urls_and_keys_and_stops_cleanly_on_ctrl_c():
    port = _free_port_run(len(PROVIDERS))  # --port N puts the emulators on N, N+1, ...
    process = subprocess.Popen([sys.executable, "-m", "desktop_agent.simulator", "--profile", "instant",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        expected = {"cartesia": f"ws://127.0.0.1:{port}", "cerebras": f"http://127.0.0.1:{port + 1}/v1",
                    "elevenlabs": f"ws://127.0.0.1:{port + 2}"}
        for line, (name, url) in zip(lines, expected.items()):
            assert re.match(rf"{name}\s+{re.escape(url)}\s+key={SIMULATOR_API_KEYS[name]}\b", line), line
        client = openai.OpenAI(base_url=expected["cerebras"], api_key=SIMULATOR_API_KEYS["cerebras"])
        reply = client.chat.completions.create(model="gpt-oss-120b", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content.startswith("You said: hi.")
        client.close()
        time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Traceback" not in err and "Simulator stopped." in out
