"""Named fault scenarios for ``--simulate``, so anyone can break a service on purpose and watch the app heal.

The window's Faults menu and the console's ``f`` command both list :func:`fault_presets` and apply them through
:class:`FaultControls`. Presets speak of roles (speech-to-text, language model, text-to-speech, or all of them), so no
vendor name reaches the user. Which emulator plays a role is the app's choice of provider (each provider names its
emulator): the app hands :class:`FaultControls` that mapping, or a function returning the current one, since the
providers can change while the app runs. Without one, the default providers' emulators are assumed.

A preset is either *lasting* (it stays on until switched off, cleared or, for the time-limited ones, until its
time is up) or a one-shot action (drop the connections now, cut the next reply). Presets for a websocket role cut
the live connection as they arm their fault: the app holds one socket for the whole session, so a fault that only
acts on new connections would otherwise show nothing until some later reconnect.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from desktop_agent.simulator.faults import PROVIDERS, Fault

OUTAGE_SECONDS = 20.0
SLOW_FIRST_BYTE_SECONDS = 2.0
RETRY_AFTER_SECONDS = 2.0
CUT_AFTER_EVENTS = 3


class Role(enum.Enum):
    """A service the app uses; the value is what the user reads."""

    STT = "Speech-to-text"
    LLM = "Language model"
    TTS = "Text-to-speech"
    ALL = "All services"


#: The emulators of the default providers: who plays each role when the app does not say.
DEFAULT_EMULATORS: dict[Role, str] = {Role.STT: "cartesia", Role.LLM: "cerebras", Role.TTS: "elevenlabs"}

#: Which emulator plays each role. Keys are :class:`Role` members or the app's role names ("stt", "llm", "tts"; the
#: app's own role enum has these values), values emulator names from :data:`~desktop_agent.simulator.PROVIDERS`.
Emulators: TypeAlias = Mapping[Any, str]


def emulators_of(role: Role, emulators: Emulators | None = None) -> tuple[str, ...]:
    """The emulators a preset of ``role`` acts on: the one playing it (all of them for :attr:`Role.ALL`)."""
    if role is Role.ALL:
        return PROVIDERS
    chosen = dict(DEFAULT_EMULATORS)
    for key, name in (emulators or {}).items():
        chosen[key if isinstance(key, Role) else Role[str(key).upper()]] = name
    name = chosen[role]
    if name not in PROVIDERS:
        raise ValueError(f"There is no emulator called {name!r}; choose one of {', '.join(PROVIDERS)}.")
    return (name,)


@dataclass(frozen=True)
class FaultPreset:
    """One scenario: ``faults`` are armed on every emulator of ``role``; ``drop`` first cuts its open connections.

    ``description`` says, in one line, what the user should see the app do.
    """

    key: str
    role: Role
    title: str
    description: str
    faults: tuple[Fault, ...] = ()
    drop: bool = False

    @property
    def lasting(self) -> bool:
        """True when the preset stays on (a checkable entry); False for a one-shot action."""
        return any(fault.times is None for fault in self.faults)

    @property
    def providers(self) -> tuple[str, ...]:
        """The emulators this preset acts on when the default providers play every role (see
        :meth:`FaultControls.emulators_of` for the app's own choice)."""
        return emulators_of(self.role)

    @property
    def label(self) -> str:
        """The role and title, for lists that mix roles."""
        return f"{self.role.value}: {self.title}"


def fault_presets(outage_seconds: float = OUTAGE_SECONDS) -> tuple[FaultPreset, ...]:
    """The catalogue, in the order menus and the console list it; time-limited faults last ``outage_seconds``."""
    return (
        *_websocket_presets(Role.STT, "transcripts", outage_seconds),
        *_llm_presets(outage_seconds),
        *_websocket_presets(Role.TTS, "the spoken replies", outage_seconds),
        FaultPreset(
            "all.outage",
            Role.ALL,
            f"Network outage for {outage_seconds:g} s",
            f"Every connection is cut and new ones fail for {outage_seconds:g} s; the app says it lost "
            "the connection, keeps trying and comes back by itself.",
            (Fault.disconnect_after(0).lasting(outage_seconds),),
            drop=True,
        ),
    )


def _websocket_presets(role: Role, output: str, outage_seconds: float) -> list[FaultPreset]:
    """A streaming role: its one connection lives for the whole session, so each lasting preset cuts it too."""
    s, name = f"{outage_seconds:g} s", role.name.lower()
    return [
        FaultPreset(
            f"{name}.drop",
            role,
            "Drop the connection now",
            f"The live connection is cut; the app reconnects by itself and {output} carry on.",
            drop=True,
        ),
        FaultPreset(
            f"{name}.refuse",
            role,
            f"Refuse reconnects (503) for {s}",
            f"The connection is cut and reconnecting fails for {s}; the app keeps retrying with growing "
            "pauses and recovers on its own.",
            (Fault.http(503).lasting(outage_seconds),),
            drop=True,
        ),
        FaultPreset(
            f"{name}.reject_key",
            role,
            f"Reject the key (401) for {s}",
            "The connection is cut and the key is refused on reconnect; the app says the key was rejected "
            "and points to Settings instead of retrying blindly.",
            (Fault.http(401).lasting(outage_seconds),),
            drop=True,
        ),
        FaultPreset(
            f"{name}.rate_limit",
            role,
            f"Rate-limit (429, retry-after {RETRY_AFTER_SECONDS:g} s) for {s}",
            f"The connection is cut and reconnects are turned away as too many for {s}; the app waits as "
            "asked between tries and recovers afterwards.",
            (Fault.http(429, retry_after=RETRY_AFTER_SECONDS).lasting(outage_seconds),),
            drop=True,
        ),
        FaultPreset(
            f"{name}.slow",
            role,
            f"Slow down (first byte +{SLOW_FIRST_BYTE_SECONDS:g} s)",
            f"The connection is cut and every new one answers {SLOW_FIRST_BYTE_SECONDS:g} s late; the app "
            "reconnects slowly but cleanly.",
            (Fault.slow_first_byte(SLOW_FIRST_BYTE_SECONDS),),
            drop=True,
        ),
        FaultPreset(
            f"{name}.hang",
            role,
            "Hang (never answer)",
            "The connection is cut and new ones are accepted but never answer; the app notices within its "
            "deadline, says so and tries again.",
            (Fault.hang(),),
            drop=True,
        ),
        FaultPreset(
            f"{name}.malformed",
            role,
            "Malformed replies",
            "The connection is cut and each new one starts with a garbled message; the app shrugs it off "
            "or reconnects, and never crashes.",
            (Fault.malformed(),),
            drop=True,
        ),
    ]


def _llm_presets(outage_seconds: float) -> list[FaultPreset]:
    """The language model is asked afresh each turn, so its faults show on the next reply without cutting anything."""
    s = f"{outage_seconds:g} s"
    return [
        FaultPreset(
            "llm.cut",
            Role.LLM,
            "Cut the next reply off mid-way",
            "The next reply stops after a few words as if the network failed; the app shows what arrived "
            "and lets you go on.",
            (Fault.disconnect_after(CUT_AFTER_EVENTS, times=1),),
        ),
        FaultPreset(
            "llm.refuse",
            Role.LLM,
            f"Refuse requests (503) for {s}",
            f"Replies are refused for {s}; the app retries, then says the model is unavailable, and answers "
            "again once the time is up.",
            (Fault.http(503).lasting(outage_seconds),),
        ),
        FaultPreset(
            "llm.reject_key",
            Role.LLM,
            f"Reject the key (401) for {s}",
            "Replies are refused for a bad key; the app says the key was rejected and points to Settings.",
            (Fault.http(401).lasting(outage_seconds),),
        ),
        FaultPreset(
            "llm.rate_limit",
            Role.LLM,
            f"Rate-limit (429, retry-after {RETRY_AFTER_SECONDS:g} s) for {s}",
            f"Requests are turned away as too many for {s}; the app waits as asked, retries and recovers afterwards.",
            (Fault.http(429, retry_after=RETRY_AFTER_SECONDS).lasting(outage_seconds),),
        ),
        FaultPreset(
            "llm.slow",
            Role.LLM,
            f"Slow down (first byte +{SLOW_FIRST_BYTE_SECONDS:g} s)",
            f"Every reply starts {SLOW_FIRST_BYTE_SECONDS:g} s late; the latency panel shows the language "
            "model stage growing, and nothing breaks.",
            (Fault.slow_first_byte(SLOW_FIRST_BYTE_SECONDS),),
        ),
        FaultPreset(
            "llm.hang",
            Role.LLM,
            "Hang (never answer)",
            "Replies never come; the app gives up on the turn after its deadline, says so, and is ready for "
            "the next one.",
            (Fault.hang(),),
        ),
        FaultPreset(
            "llm.malformed",
            Role.LLM,
            "Malformed replies",
            "Each reply starts with a garbled chunk; the app reports the failed reply and carries on with "
            "the next turn.",
            (Fault.malformed(),),
        ),
    ]


class FaultControls:
    """Applies presets to a simulator (a ``Simulator`` or ``SimulatorThread``), from any thread.

    ``emulators`` says which emulator plays each role (see :data:`Emulators`): a mapping, or a function returning the
    current one, asked at every call (the user may switch providers while the app runs). Missing roles fall back to
    :data:`DEFAULT_EMULATORS`. A preset switched on for one emulator and then off after the role changed hands is
    switched off where it was switched on, too.

    The simulator's records show each change: ``fault_armed``, ``fault_cleared``, ``faults_cleared`` and
    ``connections_dropped``.
    """

    def __init__(
        self,
        simulator: Any,
        outage_seconds: float = OUTAGE_SECONDS,
        emulators: Emulators | Callable[[], Emulators] | None = None,
    ) -> None:
        self._simulator = simulator
        self._emulators = emulators
        self.presets = fault_presets(outage_seconds)
        self._applied_to: dict[str, set[str]] = {}  # preset key -> emulators its faults were armed on

    def emulators_of(self, preset: FaultPreset) -> tuple[str, ...]:
        """The emulators ``preset`` acts on now: those playing its role."""
        emulators = self._emulators() if callable(self._emulators) else self._emulators
        return emulators_of(preset.role, emulators)

    def apply(self, preset: FaultPreset) -> None:
        """Arm the preset's faults (afresh: a time-limited one starts its time again), then cut the connections."""
        targets = self.emulators_of(preset)
        for provider in self._applied_to.get(preset.key, set()) | set(targets):
            for fault in preset.faults:
                self._simulator.clear_fault(provider, fault)
        for provider in targets:
            for fault in preset.faults:
                self._simulator.fault(provider, fault)
        if preset.faults:
            self._applied_to[preset.key] = set(targets)
        if preset.drop:
            for provider in targets:
                self._simulator.drop_connections(provider)

    def switch_off(self, preset: FaultPreset) -> None:
        for provider in self._applied_to.pop(preset.key, set()) | set(self.emulators_of(preset)):
            for fault in preset.faults:
                self._simulator.clear_fault(provider, fault)

    def is_on(self, preset: FaultPreset) -> bool:
        """True while every fault of a lasting preset is armed on the emulators playing its role (one-shot presets
        are never "on")."""
        return preset.lasting and all(
            fault in self._simulator.faults(provider)
            for provider in self.emulators_of(preset)
            for fault in preset.faults
        )

    def clear_all(self) -> None:
        self._applied_to.clear()
        self._simulator.clear_faults()
