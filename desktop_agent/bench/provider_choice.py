"""Which provider plays each role in a benchmark run: ``--stt``, ``--llm`` and ``--tts`` take provider ids of the
registry (:mod:`desktop_agent.providers`), the app's defaults when not given.

The choice travels to each phase process inside the simulator's hello document (``"providers"``), so the app's
configuration (:func:`desktop_agent.bench.agents.engine_config`) and the plain-Pipecat reference
(:mod:`desktop_agent.bench.reference_services`) are built for the same three providers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from desktop_agent import providers
from desktop_agent.providers import ProviderSpec, Role

#: Command-line option (without ``--``) of each role, in pipeline order.
OPTIONS: dict[str, Role] = {"stt": Role.STT, "llm": Role.LLM, "tts": Role.TTS}


def _default(role: Role) -> str:
    return providers.DEFAULTS[role]


@dataclass(frozen=True)
class ProviderChoice:
    """Provider ids, one per role."""

    stt: str = _default(Role.STT)
    llm: str = _default(Role.LLM)
    tts: str = _default(Role.TTS)

    @classmethod
    def from_dict(cls, data: dict | None) -> ProviderChoice:
        """The choice a hello document carries; the defaults for a document without one."""
        return cls(**{option: data[option] for option in OPTIONS if data and data.get(option)})

    def as_dict(self) -> dict[str, str]:
        return {option: getattr(self, option) for option in OPTIONS}

    def spec(self, role: Role) -> ProviderSpec:
        return providers.get(getattr(self, _option_of(role)))

    def describe(self) -> dict[str, dict[str, str]]:
        """What the report shows of each provider: id, name, default model (what the benchmark runs) and the
        simulator's emulator that plays it."""
        described = {}
        for option, role in OPTIONS.items():
            spec = self.spec(role)
            described[option] = {
                "id": spec.id,
                "name": spec.display_name,
                "model": spec.default_model,
                "emulator": spec.emulator,
            }
        return described


def _option_of(role: Role) -> str:
    return next(option for option, known in OPTIONS.items() if known is role)


def unknown_provider_message(role: Role, provider_id: str) -> str:
    """One sentence naming the ids ``role`` may take (and the role ``provider_id`` has, if it is another's)."""
    choices = ", ".join(spec.id for spec in providers.for_role(role))
    try:
        elsewhere = f" ({provider_id!r} does {providers.get(provider_id).role.role_name})"
    except providers.UnknownProvider:
        elsewhere = ""
    return f"There is no {role.role_name} provider called {provider_id!r}{elsewhere}; choose one of {choices}."


def provider_id(role: Role) -> Callable[[str], str]:
    """An ``argparse`` type accepting the id of a provider of ``role``; anything else is refused with
    :func:`unknown_provider_message`."""

    def check(value: str) -> str:
        value = value.strip()
        if value not in {spec.id for spec in providers.for_role(role)}:
            raise argparse.ArgumentTypeError(unknown_provider_message(role, value))
        return value

    check.__name__ = f"{role.value} provider id"  # argparse names the type in some messages
    return check


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--stt``, ``--llm`` and ``--tts`` on ``parser``, each listing its choices and default in ``--help``."""
    for option, role in OPTIONS.items():
        choices = ", ".join(spec.id for spec in providers.for_role(role))
        parser.add_argument(
            f"--{option}",
            type=provider_id(role),
            default=_default(role),
            metavar="ID",
            help=f"{role.role_name} provider of both systems: {choices} (default {_default(role)})",
        )


def from_args(args: argparse.Namespace) -> ProviderChoice:
    return ProviderChoice(**{option: getattr(args, option) for option in OPTIONS})
