"""What the window may ask of a voice session: the typed door between the UI and the engine's ``VoiceSession``.

The window imports the engine only after its first paint (Pipecat takes about a second to import), so the UI names
the session by this protocol instead of importing ``VoiceSession``; ``VoiceSession`` satisfies it, and so do the
tests' recording fakes. Every method is safe to call from the Qt thread: the session hands the work to its own
thread and returns at once (``stop`` joins that thread, so it is called through ``asyncio.to_thread``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from desktop_agent.state.events import Event, TurnMode

if TYPE_CHECKING:
    from desktop_agent.engine.audio_backend import AudioBackend
    from desktop_agent.engine.config import EngineConfig
    from desktop_agent.engine.early_microphone import EarlyMicrophone

#: An input or output device: its index, its name, or None for the system's default.
Device = int | str | None


class SessionPort(Protocol):
    @property
    def ready(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self, timeout: float = ...) -> None: ...

    # gestures
    def press_talk(self) -> None: ...

    def release_talk(self) -> None: ...

    def set_mode(self, mode: TurnMode) -> None: ...

    def set_muted(self, muted: bool) -> None: ...

    def stop_speaking(self) -> None: ...

    def retry_last_turn(self) -> None: ...

    def send_typed_turn(self, text: str, *, reply_in_text: bool = ...) -> bool: ...

    def new_conversation(self) -> None: ...

    # settings that apply to the running session at once
    def set_voice(self, voice_id: str, name: str = ...) -> None: ...

    def set_language(self, language: str, voice_id: str = ..., voice_name: str = ...) -> None: ...

    def set_system_prompt(self, text: str, name: str = ...) -> None: ...

    def update_llm(
        self, model: str | None = ..., temperature: float | None = ..., max_tokens: int | None = ...
    ) -> None: ...

    def choose_language_model(self, provider_id: str) -> bool: ...

    def set_input_device(self, device: Device) -> None: ...

    def set_output_device(self, device: Device) -> None: ...

    def set_echo_cancellation(self, enabled: bool, noise_suppression: bool | None = ...) -> None: ...

    # a restart carries the conversation on
    def context_messages(self) -> list[dict]: ...


class SessionFactory(Protocol):
    """Makes a session: ``VoiceSession`` itself, or a test's fake class."""

    def __call__(
        self,
        config: EngineConfig,
        on_event: Callable[[Event], None],
        *,
        audio: AudioBackend | None = ...,
        early_microphone: EarlyMicrophone | None = ...,
        history: Sequence[dict] = ...,
    ) -> SessionPort: ...
