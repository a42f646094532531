"""``desktop-agent --self-check``: verifies that every local part the app needs is present and working.

Each check prints one line: ``ok   <name>: <detail>`` or ``FAIL <name>: <reason and what to do>``. The exit code is
the number of failed checks (0 = all good), so scripts and the installer's smoke test can rely on it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass


class CheckFailed(Exception):
    """A check's failure, worded for the user."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def check_qt() -> str:
    from desktop_agent.system_libraries import MissingSystemLibrary, require_window_libraries

    try:
        require_window_libraries()
    except MissingSystemLibrary as exc:
        raise CheckFailed(str(exc)) from None
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication

    app = QCoreApplication.instance() or QGuiApplication(sys.argv[:1])
    platform = QGuiApplication.platformName() if isinstance(app, QGuiApplication) else "none"
    from PySide6 import __version__ as pyside_version

    return f"PySide6 {pyside_version}, platform {platform}"


def _audio_devices(kind: str) -> list[str]:
    import sounddevice as sd

    key = "max_input_channels" if kind == "input" else "max_output_channels"
    return [f"{i}: {d['name']}" for i, d in enumerate(sd.query_devices()) if d[key] > 0]


def check_audio_library() -> str:
    from desktop_agent.system_libraries import MissingSystemLibrary, require_sound_library

    try:
        require_sound_library()
        import sounddevice as sd
    except MissingSystemLibrary as exc:
        raise CheckFailed(str(exc)) from None
    except OSError as exc:  # PortAudio found but unusable
        raise CheckFailed(f"the PortAudio library could not be loaded ({exc})") from None
    return sd.get_portaudio_version()[1]


def check_audio(kind: str) -> Callable[[], str]:
    def check() -> str:
        check_audio_library()
        devices = _audio_devices(kind)
        if not devices:
            what = "microphone" if kind == "input" else "speaker or headphones"
            raise CheckFailed(f"no audio {kind} device found; connect a {what} and check the system sound settings")
        return ", ".join(devices)

    return check


def check_keyring() -> str:
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        raise CheckFailed(
            "no system keyring is available (on Linux: a Secret Service such as GNOME Keyring or KWallet); "
            "API keys can still be entered for the current session only"
        )
    return name


def check_vad() -> str:
    from desktop_agent.logging_quiet import quiet_pipecat_import

    with quiet_pipecat_import():
        from pipecat.audio.vad.silero import SileroVADAnalyzer

    import numpy as np

    vad = SileroVADAnalyzer()
    vad.set_sample_rate(16000)
    confidence = float(np.asarray(vad.voice_confidence(np.zeros(512, dtype=np.int16).tobytes())).ravel()[0])
    return f"Silero VAD loaded (silence confidence {confidence:.2f})"


def check_smart_turn() -> str:
    from desktop_agent.logging_quiet import quiet_pipecat_import

    with quiet_pipecat_import():
        from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3

    LocalSmartTurnAnalyzerV3()
    return "smart-turn v3 model loaded"


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("Qt", check_qt),
    ("audio library", check_audio_library),
    ("audio input", check_audio("input")),
    ("audio output", check_audio("output")),
    ("keyring", check_keyring),
    ("voice activity model", check_vad),
    ("turn detection model", check_smart_turn),
]


def run_checks() -> list[CheckResult]:
    results = []
    for name, check in CHECKS:
        try:
            results.append(CheckResult(name, True, check()))
        except CheckFailed as exc:
            results.append(CheckResult(name, False, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a check must report, never crash the self-check
            results.append(CheckResult(name, False, f"unexpected failure ({type(exc).__name__}: {exc})"))
    return results


def run_self_check() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "")
    if not os.environ["QT_QPA_PLATFORM"]:
        del os.environ["QT_QPA_PLATFORM"]
    results = run_checks()
    for result in results:
        print(result.line(), flush=True)
    failed = sum(not r.ok for r in results)
    print("self-check passed" if not failed else f"self-check failed: {failed} problem(s)", flush=True)
    return min(failed, 100)
