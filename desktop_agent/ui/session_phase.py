"""Where the window's voice session is in its life, as the window shows it (the engine's own state is finer)."""

from __future__ import annotations

import enum


class SessionPhase(enum.StrEnum):
    LOADING = "loading"  # the voice engine (Pipecat) is still being imported after the first paint
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"

    @property
    def description(self) -> str | None:
        """A phrase for the state indicator, or None when the engine's own state should show."""
        return {
            SessionPhase.LOADING: "Loading the voice engine…",
            SessionPhase.STOPPED: "No session — press Start Session",
            SessionPhase.STARTING: "Starting the session…",
            SessionPhase.STOPPING: "Ending the session…",
        }.get(self)
