"""Everything a session is configured from, loaded in one call: settings, keys and the prompt library.

Shared by the window and the console so both read the same files the same way. Blocking (files, keyring): the
window calls it on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_agent.config.prompts import PromptLibrary
from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import AppSettings, SettingsStore


@dataclass(slots=True)
class LoadedSettings:
    store: SettingsStore
    settings: AppSettings
    secrets: Secrets
    prompts: PromptLibrary
    #: Sentences about values that were damaged and replaced by their defaults (nothing else was lost).
    problems: list[str]


def load_settings() -> LoadedSettings:
    secrets = Secrets()
    store = SettingsStore(secrets=secrets)
    settings, problems = store.load()
    prompts = PromptLibrary()
    return LoadedSettings(store, settings, secrets, prompts, problems + list(prompts.problems))
