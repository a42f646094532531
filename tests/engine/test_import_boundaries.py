"""Layering: the engine never loads Qt, and the conversation state loads neither Qt nor Pipecat. Checked in a
fresh interpreter (sys.modules of the test process already holds everything)."""

from __future__ import annotations

import json
import subprocess
import sys


ENGINE_MODULES = [
    "desktop_agent.engine",
    "desktop_agent.engine.session",
    "desktop_agent.engine.audio",
    "desktop_agent.engine.pipeline",
    "desktop_agent.engine.observer",
]


def loaded_after(imports: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {imports!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def qt(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6", "qasync")]


def test_engine_loads_no_qt():
    modules = loaded_after(ENGINE_MODULES)
    assert set(ENGINE_MODULES) <= set(modules)
    # Meaningful only if the engine really loaded: the session pulls in the whole Pipecat pipeline.
    assert "pipecat.pipeline.worker" in modules and "pipecat.services.tts_service" in modules
    assert not qt(modules)


def test_state_loads_neither_qt_nor_pipecat():
    import pkgutil

    import desktop_agent.state

    names = ["desktop_agent.state"] + [
        f"desktop_agent.state.{m.name}" for m in pkgutil.iter_modules(desktop_agent.state.__path__)
    ]
    modules = loaded_after(names)
    assert not qt(modules)
    assert not [m for m in modules if m.split(".")[0] == "pipecat"]


def test_the_shared_runtime_loads_neither_qt_nor_pipecat():
    """The console must run without Qt, and the window imports the runtime before its first paint (Pipecat comes
    later, on a worker thread)."""
    modules = loaded_after(["desktop_agent.runtime"])
    assert "desktop_agent.runtime" in modules
    assert not qt(modules)
    assert not [m for m in modules if m.split(".")[0] == "pipecat"]
