"""Shared test rig: real audio through a PulseAudio null sink, a real Secret Service keyring, espeak-ng speech,
and a qasync loop usable inside pytest-qt tests. Recipes: shared/docs/headless-testing.md.

``tests/run.sh`` wraps pytest in a dbus session with an unlocked gnome-keyring and sets QT_QPA_PLATFORM=offscreen;
the PulseAudio daemon is started here, once per session, only by the tests that ask for it.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTEST_QT_API", "pyside6")

SPEECH_RATE = 16000
SINK_NAME = "desktop_agent_test_sink"


# --------------------------------------------------------------------------------------------- speech (espeak-ng)
def synthesize_speech(text: str, voice: str = "en-us", words_per_minute: int = 165, rate: int = SPEECH_RATE) -> np.ndarray:
    """Speak ``text`` with espeak-ng and return int16 mono samples at ``rate``."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed for speech fixtures (tests/run.sh installs them)")
    espeak = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "--stdout", text],
        check=True,
        capture_output=True,
    )
    converted = subprocess.run(
        ["sox", "-t", "wav", "-", "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", "-"],
        input=espeak.stdout,
        check=True,
        capture_output=True,
    )
    return np.frombuffer(converted.stdout, dtype=np.int16).copy()


@pytest.fixture(scope="session")
def _speech_cache() -> dict[tuple, np.ndarray]:
    return {}


@pytest.fixture
def speech(_speech_cache) -> Callable[..., np.ndarray]:
    """``speech("text", voice="en-us")`` -> int16 16 kHz mono espeak-ng speech (cached for the session)."""

    def make(text: str, voice: str = "en-us", words_per_minute: int = 165) -> np.ndarray:
        key = (text, voice, words_per_minute)
        if key not in _speech_cache:
            _speech_cache[key] = synthesize_speech(text, voice, words_per_minute)
        return _speech_cache[key]

    return make


@pytest.fixture
def speech_wav(speech, tmp_path) -> Callable[..., Path]:
    """``speech_wav("text")`` -> path of a 16 kHz mono s16 WAV of that speech."""

    def make(text: str, voice: str = "en-us") -> Path:
        samples = speech(text, voice)
        path = tmp_path / f"speech-{abs(hash((text, voice)))}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SPEECH_RATE)
            out.writeframes(samples.tobytes())
        return path

    return make


# --------------------------------------------------------------------------------------------- user folders
@pytest.fixture
def isolated_user_dirs(tmp_path, monkeypatch):
    """Settings, history and logs go to a temporary home, never the developer's; no API keys from the environment."""
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    for variable in ("CARTESIA_API_KEY", "CEREBRAS_API_KEY", "ELEVENLABS_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


@pytest.fixture
def replies_start_on_the_final(monkeypatch):
    """Speculative push-to-talk replies off (through the settings' environment override). For tests that script the
    simulated language model's replies, which it gives one per request: a speculation the final transcript does not
    confirm (the simulated interims lag the final one by a word) makes a request of its own and would take the reply
    scripted for the turn. Speculation itself is tested in tests/engine/test_speculation.py."""
    from desktop_agent.config.settings import env_name

    monkeypatch.setenv(env_name("conversation", "speculative_replies"), "false")


# --------------------------------------------------------------------------------------------- PulseAudio null sink
def _pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True, timeout=10).stdout


def _sink_latency_usec() -> int | None:
    for block in _pactl("list", "sinks").split("Sink #")[1:]:
        if f"Name: {SINK_NAME}" in block:
            for line in block.splitlines():
                if "Latency:" in line and "configured" in line:
                    return int(line.split("configured")[1].split()[0])
    return None


class _PulseServer:
    """The tests' PulseAudio daemon (private runtime folder, 16 kHz mono null sink, its monitor the default source).

    Started once per session; :meth:`ensure_running` starts it again if it has died, so a daemon lost in one test
    module (seen once in a full fresh-Debian run: "Connection refused" from then on) fails that module's tests only,
    not every real-audio test after it. The daemon logs to a file in its folder; a restart warns with its last lines.
    """

    def __init__(self) -> None:
        self.runtime = tempfile.mkdtemp(prefix="da-pulse-")
        os.chmod(self.runtime, 0o700)
        self.log = Path(self.runtime) / "pulse.log"
        self.pacer: subprocess.Popen | None = None
        os.environ["PULSE_RUNTIME_PATH"] = self.runtime
        os.environ["PULSE_SERVER"] = f"unix:{self.runtime}/native"

    def alive(self) -> bool:
        return subprocess.run(["pactl", "info"], capture_output=True, timeout=10).returncode == 0

    def ensure_running(self) -> None:
        if self.alive():
            return
        if self.log.exists():
            tail = self.log.read_text(errors="replace").splitlines()[-15:]
            import warnings

            warnings.warn("the tests' PulseAudio daemon had stopped; started again. Its log ended:\n" + "\n".join(tail),
                          stacklevel=2)
        self.stop()
        self.start()

    def start(self) -> None:
        subprocess.run(
            [
                "pulseaudio", "-D", "--exit-idle-time=-1", "--system=false", "-n", "--disallow-exit",
                f"--log-target=file:{self.log}",
                f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.runtime}/native",
                f"--load=module-null-sink sink_name={SINK_NAME} rate=16000 channels=1 format=s16le",
            ],
            check=True,
            capture_output=True,
            timeout=20,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.alive():
            time.sleep(0.05)
        _pactl("set-default-sink", SINK_NAME)
        _pactl("set-default-source", f"{SINK_NAME}.monitor")
        self.pacer = subprocess.Popen(
            ["parec", "--latency-msec=10", "-d", f"{SINK_NAME}.monitor", "--rate=16000", "--channels=1",
             "--format=s16le"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.05)
        _pactl("suspend-sink", SINK_NAME, "1")
        _pactl("suspend-sink", SINK_NAME, "0")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (_sink_latency_usec() or 10**9) > 50_000:
            time.sleep(0.05)
        _rescan_portaudio()

    def stop(self) -> None:
        if self.pacer is not None:
            self.pacer.terminate()
            self.pacer.wait(timeout=5)
            self.pacer = None
        subprocess.run(["pulseaudio", "--kill"], capture_output=True, timeout=10)


def _rescan_portaudio() -> None:
    import sounddevice as sd

    sd._terminate()  # PortAudio caches the device list: rescan now that PulseAudio is up (or gone)
    sd._initialize()


@pytest.fixture(scope="session")
def _pulse_server() -> Iterator[_PulseServer]:
    if not shutil.which("pulseaudio") or not shutil.which("parec"):
        pytest.skip("pulseaudio is needed for real-audio tests (tests/run.sh installs it)")
    env_before = {k: os.environ.get(k) for k in ("PULSE_RUNTIME_PATH", "PULSE_SERVER")}
    server = _PulseServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        for key, value in env_before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(server.runtime, ignore_errors=True)
        _rescan_portaudio()


@pytest.fixture(scope="module")
def pulse_null_sink(_pulse_server: _PulseServer) -> str:
    """A PulseAudio daemon with a 16 kHz mono null sink whose monitor is the default source.

    sounddevice (PortAudio -> ALSA -> pulse plugin) then opens real, clocked streams: what is played to the default
    output can be captured back from the default input. A low-latency "pacer" reader on the monitor makes the sink
    render in 10 ms blocks instead of 2 s ones (without it streams stall or underrun; headless-testing.md §2).
    Returns the sink name; checked (and the daemon started again if it died) for every test module.
    """
    _pulse_server.ensure_running()
    return SINK_NAME



# --------------------------------------------------------------------------------------------- Secret Service keyring
@pytest.fixture
def secret_service_keyring():
    """The real Secret Service keyring backend; skips unless the run is wrapped by tests/run.sh (dbus + gnome-keyring)."""
    import keyring
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    try:
        priority = SecretService.Keyring.priority
    except Exception as exc:  # keyring reports an unusable backend by raising from the priority property
        pytest.skip(f"no Secret Service on this bus ({exc}); run the tests through tests/run.sh")
    if priority <= 0:
        pytest.skip("no Secret Service on this bus; run the tests through tests/run.sh")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


# --------------------------------------------------------------------------------------------- qasync under pytest-qt
@pytest.fixture
def qloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop that counts as running inside pytest-qt's event processing (qtbot.wait* pumps it).

    Teardown must not call ``loop.stop()``: that calls QApplication.exit(), whose sticky quit flag would make every
    later ``qtbot.wait*`` return at once (headless-testing.md §1).
    """
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        qapp.processEvents()
        qapp.processEvents()
    loop._QEventLoop__is_running = False
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)
    # Free the closed loop's Qt timers here, on the Qt thread. Left to chance, the garbage collector may free them on
    # a PortAudio callback thread, behind Qt's back, and a later timer tick then touches freed memory (segfault).
    del loop
    gc.collect()


def run_async(qtbot, coro, timeout_ms: int = 10_000):
    """Run ``coro`` on the running qasync loop and return its result, pumping Qt until it is done."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout_ms)
    return task.result()
