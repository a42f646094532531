"""The providers the app can talk to, one module each, and the registry the rest of the app asks by role.

Adding a provider is one module here (a :class:`~desktop_agent.providers.base.ProviderSpec` named ``SPEC``), listed in
:data:`_MODULES`, plus its emulator in :mod:`desktop_agent.simulator` and its tests. Nothing else in the app names a
vendor: settings store provider ids, and everything shown to the user takes the name from the spec.
"""

from __future__ import annotations

import importlib

from desktop_agent.providers.base import KeyCheck, Prices, ProviderSpec, Role

__all__ = [
    "DEFAULTS",
    "KeyCheck",
    "Prices",
    "ProviderSpec",
    "Role",
    "UnknownProvider",
    "all_providers",
    "default_for",
    "for_role",
    "get",
    "key_variables",
]

#: Provider modules, in the order Settings offers them within a role (the default first).
_MODULES = (
    "cartesia_stt",
    "deepgram_stt",
    "sarvam_stt",
    "cartesia_turns_stt",
    "cerebras_llm",
    "groq_llm",
    "openai_llm",
    "local_llm",
    "elevenlabs_tts",
    "cartesia_tts",
    "sarvam_tts",
)

_SPECS: dict[str, ProviderSpec] = {}
for _name in _MODULES:
    _spec: ProviderSpec = importlib.import_module(f"{__name__}.{_name}").SPEC
    if _spec.id in _SPECS:
        raise RuntimeError(f"two providers are called {_spec.id!r}")
    _SPECS[_spec.id] = _spec

#: The provider of each role a new user starts with.
DEFAULTS: dict[Role, str] = {Role.STT: "cartesia", Role.LLM: "cerebras", Role.TTS: "elevenlabs"}


class UnknownProvider(KeyError):
    """No provider has this id (a typo in settings or the environment, or one a newer version added)."""


def get(provider_id: str) -> ProviderSpec:
    try:
        return _SPECS[provider_id]
    except KeyError:
        raise UnknownProvider(provider_id) from None


def all_providers() -> tuple[ProviderSpec, ...]:
    return tuple(_SPECS.values())


def for_role(role: Role) -> tuple[ProviderSpec, ...]:
    """The providers that can play ``role``, the default first."""
    return tuple(spec for spec in _SPECS.values() if spec.role is role)


def default_for(role: Role) -> ProviderSpec:
    return _SPECS[DEFAULTS[role]]


def key_variables() -> tuple[str, ...]:
    """Every API key variable, each once (a vendor playing two roles has one key)."""
    return tuple(dict.fromkeys(spec.key_variable for spec in _SPECS.values() if spec.key_variable))
