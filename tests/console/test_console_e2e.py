"""``desktop-agent --console`` end to end: typed commands drive the real engine against the loopback simulator.

In-process: Enter, espeak-ng speech into the in-memory sound card (the only fake: the sound card, so the reply
audio can be inspected), Enter -> the user's line, the reply, the latency line; the turns reach the history store.
As a process: the command line on the simulator, commands typed into a pipe, Ctrl+C ends it cleanly, no Qt is
loaded; without keys it says which key is missing and how to add one.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from desktop_agent.console.app import ConsoleApp
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.simulator import Simulator
from desktop_agent.state.conversation import Role
from desktop_agent.state.events import AgentState
from desktop_agent.storage.history import HistoryStore

# Scripted replies (tests/conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("replies_start_on_the_final")]

QUESTION = "What is the capital of France?"
REPLY = "The capital of France is Paris."
LATENCY_LINE = re.compile(
    r"^  latency: Endpointing \d+ ms\*?, STT final \d+ ms\*?, LLM first token \d+ ms\*?, "
    r"TTS first audio \d+ ms\*?, Voice to voice \d+ ms\*?$",
    re.MULTILINE,
)


async def until(condition, timeout: float, what: str, output) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the console printed:\n{output()}")
        await asyncio.sleep(0.02)


@dataclasses.dataclass
class Exchange:
    code: int
    printed: str
    backend: MemoryAudioBackend
    released: float
    app: ConsoleApp


async def one_exchange(sim: Simulator, speech, *, simulate: bool) -> Exchange:
    """The console on ``sim``: Enter, the question spoken, Enter, the reply with its latency line, then ``q``."""
    sim.stt.script([QUESTION])
    sim.llm.script([REPLY])
    backend = MemoryAudioBackend()
    read_fd, write_fd = os.pipe()
    out = io.StringIO()
    args = argparse.Namespace(simulate=simulate, profile="instant", no_audio=False, log_level="INFO")
    app = ConsoleApp(args, stdin=os.fdopen(read_fd, "r"), stdout=out, simulator=sim, audio_backend=backend)
    run = asyncio.ensure_future(app.run())
    try:
        await until(lambda: "Push-to-talk: press Enter" in out.getvalue(), 30, "the session", out.getvalue)
        os.write(write_fd, b"\n")
        await until(lambda: "Listening ..." in out.getvalue(), 5, "the press", out.getvalue)
        backend.push_input(speech(QUESTION))
        await asyncio.to_thread(backend.wait_input_drained)
        await asyncio.sleep(0.06)  # the last 20 ms blocks reach the engine before the release (not a wait for a result)
        released = time.monotonic()
        os.write(write_fd, b"\n")
        await until(lambda: LATENCY_LINE.search(out.getvalue()), 30, "the reply's latency line", out.getvalue)
        os.write(write_fd, b"q\n")
        code = await asyncio.wait_for(run, 20)
    finally:
        os.close(write_fd)
        if not run.done():
            run.cancel()
    return Exchange(code, out.getvalue(), backend, released, app)


@pytest.mark.asyncio
async def test_enter_speak_enter_prints_the_exchange_and_its_latencies(isolated_user_dirs, speech):
    async with Simulator(profile="instant") as sim:
        exchange = await one_exchange(sim, speech, simulate=False)
    code, backend, released, app = exchange.code, exchange.backend, exchange.released, exchange.app

    printed = exchange.printed
    lines = printed.splitlines()
    assert code == 0, printed
    assert f"You: {QUESTION}" in lines
    assert f"Assistant: {REPLY}" in lines
    assert lines.index(f"You: {QUESTION}") < lines.index(f"Assistant: {REPLY}")
    assert re.search(r"^1 exchange, voice to voice \d+ ms \(median\), cost \$\d+\.\d{4}\.$", printed, re.MULTILINE), printed
    assert "Traceback" not in printed
    # The reply was really played, after the release.
    assert any(chunk.starts > released for chunk in backend.audible())
    assert app.session.state is AgentState.STOPPED
    # The conversation went to the same history the window shows.
    store = HistoryStore()
    try:
        [stored] = store.get_all_conversations()
        assert [(t.role, t.text) for t in stored.turns] == [(Role.USER, QUESTION), (Role.ASSISTANT, REPLY)]
    finally:
        store.close()


class ConsoleProcess:
    """``desktop-agent --console ...`` as a child process, its stdout collected line by line."""

    CODE = (
        "import sys; from desktop_agent.__main__ import main; code = main(sys.argv[1:]); "
        "print('Qt loaded: ' + str(any(m.startswith('PySide6') for m in sys.modules))); sys.exit(code)"
    )

    def __init__(self, *args: str, env: dict[str, str]):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.CODE, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if time.monotonic() > deadline or self.process.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"{text!r} never came; the console printed:\n{self.output()}")
            time.sleep(0.05)

    def type(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self, timeout: float = 30.0) -> tuple[int, str]:
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code, self.process.stderr.read()


def child_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[variable] = str(tmp_path / variable.lower())
    env.update(extra)
    return env


@pytest.mark.slow
def test_the_console_command_runs_on_the_simulator_and_ends_cleanly_on_ctrl_c(tmp_path):
    console = ConsoleProcess("--console", "--simulate", "--no-audio", "--profile", "instant", env=child_env(tmp_path))
    try:
        console.wait_for("Push-to-talk: press Enter")
        console.type("h")
        console.wait_for("Hands-free: just speak")
        console.type("h")
        console.wait_for("Already hands-free.")
        console.type("m")
        console.wait_for("Microphone muted")
        console.type("what now")
        console.wait_for("Unknown command 'what now'.")
        console.process.send_signal(signal.SIGINT)
        code, errors = console.finish()
    finally:
        if console.process.poll() is None:
            console.process.kill()
    printed = console.output()
    assert code == 0, printed + errors
    assert "0 exchanges, cost $0.0000." in console.lines
    assert console.lines[-1] == "Qt loaded: False"  # the console runs the engine without Qt
    assert "Traceback" not in printed + errors and errors.strip() == "", errors  # the log goes to its file


@pytest.mark.slow
def test_without_keys_the_console_says_which_key_is_missing_and_how_to_add_one(tmp_path):
    # No keyring in this child (null backend) and no keys in its environment: nothing to start a session with.
    env = child_env(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    console = ConsoleProcess("--console", env=env)
    try:
        code, errors = console.finish(timeout=60)
    finally:
        if console.process.poll() is None:
            console.process.kill()
    printed = console.output()
    assert code == 1, printed + errors
    for name, variable in (("Cartesia", "CARTESIA_API_KEY"), ("Cerebras", "CEREBRAS_API_KEY"), ("ElevenLabs", "ELEVENLABS_API_KEY")):
        assert f"The {name} API key is missing." in printed and variable in printed
    assert "desktop-agent --console --simulate" in printed
    assert "Traceback" not in printed + errors


@pytest.mark.asyncio
async def test_a_session_that_cannot_start_is_a_sentence_and_exit_code_1(isolated_user_dirs, monkeypatch):
    # The one fake here: a session class that refuses to start, standing in for a broken engine install.
    import desktop_agent.engine.session as session_module

    class BrokenSession:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("engine exploded")

    monkeypatch.setattr(session_module, "VoiceSession", BrokenSession)
    async with Simulator(profile="instant") as sim:
        out = io.StringIO()
        args = argparse.Namespace(simulate=False, profile="instant", no_audio=True, log_level="INFO")
        read_fd, write_fd = os.pipe()
        try:
            app = ConsoleApp(args, stdin=os.fdopen(read_fd, "r"), stdout=out, simulator=sim, record_history=False)
            code = await asyncio.wait_for(app.run(), 30)
        finally:
            os.close(write_fd)
    assert code == 1
    assert "! The conversation could not start (RuntimeError); details are in the log." in out.getvalue().splitlines()
    assert "engine exploded" not in out.getvalue() and "Traceback" not in out.getvalue()


@pytest.mark.asyncio
@pytest.mark.slow
@pytest.mark.parametrize(
    ("stt", "llm", "tts"),
    [("deepgram", "groq", "cartesia_tts"), ("cartesia", "local", "elevenlabs"), ("deepgram", "openai", "elevenlabs")],
)
async def test_the_console_talks_on_the_providers_the_settings_choose(
    isolated_user_dirs, speech, monkeypatch, stt, llm, tts
):
    """`--simulate` with any combination: the environment chooses the providers, and each role's turn reaches the
    emulator of the provider playing it (and no other)."""
    for role, provider_id in (("STT", stt), ("LLM", llm), ("TTS", tts)):
        monkeypatch.setenv(f"DESKTOP_AGENT_PROVIDERS__{role}", provider_id)
    from desktop_agent import providers

    playing = [providers.get(provider_id).emulator for provider_id in (stt, llm, tts)]
    async with Simulator(profile="instant") as sim:
        exchange = await one_exchange(sim, speech, simulate=True)
        used = {record.provider for record in sim.records if record.kind != "faults_cleared"}

    printed, code = exchange.printed, exchange.code
    assert code == 0, printed
    assert f"You: {QUESTION}" in printed.splitlines() and f"Assistant: {REPLY}" in printed.splitlines()
    assert used == set(playing), f"each chosen provider was used, and no other: {used}"
