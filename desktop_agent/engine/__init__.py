"""The voice engine: a Pipecat pipeline on local audio, with no Qt.

``from desktop_agent.engine import VoiceSession, EngineConfig, ProviderEndpoint`` is the public surface. The
configuration classes load at once; the session and audio classes (and with them Pipecat, about a second of
imports) load on first use, so a window can show itself before the engine is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_agent.engine.config import EngineConfig, ProviderEndpoint

if TYPE_CHECKING:
    from desktop_agent.engine.audio import AudioBackend, LocalAudioTransport, MemoryAudioBackend, SoundDeviceBackend
    from desktop_agent.engine.audio_backend import AudioDeviceError, DeviceInfo
    from desktop_agent.engine.pipeline import build_pipeline
    from desktop_agent.engine.session import VoiceSession

_LAZY = {
    "VoiceSession": "desktop_agent.engine.session",
    "build_pipeline": "desktop_agent.engine.pipeline",
    "AudioBackend": "desktop_agent.engine.audio_backend",
    "AudioDeviceError": "desktop_agent.engine.audio_backend",
    "DeviceInfo": "desktop_agent.engine.audio_backend",
    "SoundDeviceBackend": "desktop_agent.engine.audio_backend",
    "MemoryAudioBackend": "desktop_agent.engine.memory_audio",
    "LocalAudioTransport": "desktop_agent.engine.audio",
}

__all__ = [
    "AudioBackend",
    "AudioDeviceError",
    "DeviceInfo",
    "EngineConfig",
    "LocalAudioTransport",
    "MemoryAudioBackend",
    "ProviderEndpoint",
    "SoundDeviceBackend",
    "VoiceSession",
    "build_pipeline",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'desktop_agent.engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
