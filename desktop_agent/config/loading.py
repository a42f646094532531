"""Everything a session is configured from, loaded in one call: settings, keys and the prompt library.

Shared by the window and the console so both read the same files the same way. Blocking (files, keyring): the
window calls it on a worker thread. Never fails for want of a writable folder: with a read-only config folder the app
runs on what it could read, and one sentence says that changes will not be saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_agent.config import paths
from desktop_agent.config.local_files import error_words, folder_write_problem
from desktop_agent.config.prompts import PromptLibrary
from desktop_agent.config.secrets import Secrets
from desktop_agent.config.settings import AppSettings, SettingsStore
from desktop_agent.config.tool_secrets import ToolSecrets
from desktop_agent.config.tools import TOOLS_FILE_NAME, ToolLibrary


@dataclass(slots=True)
class LoadedSettings:
    store: SettingsStore
    settings: AppSettings
    secrets: Secrets
    prompts: PromptLibrary
    #: The user's webhook actions and MCP servers, and the secret values of the webhooks' headers.
    tools: ToolLibrary
    tool_secrets: ToolSecrets
    #: Sentences about values that were damaged and replaced by their defaults (nothing else was lost).
    problems: list[str]


def read_only_sentence(folder: Path, exc: OSError) -> str:
    return (
        f"Settings and prompt presets cannot be saved: the folder {folder} is not writable ({error_words(exc)}). "
        "Desktop Agent runs on what it could read, and changes last until it closes."
    )


def load_settings(config_dir: Path | None = None) -> LoadedSettings:
    folder = paths.config_dir() if config_dir is None else config_dir
    not_writable = folder_write_problem(folder)
    secrets = Secrets(config_dir=folder)
    store = SettingsStore(folder / paths.SETTINGS_FILE_NAME, secrets=secrets)
    settings, problems = store.load()
    prompts = PromptLibrary(folder / paths.PROMPTS_FILE_NAME, save_on_load=not_writable is None)
    tools = ToolLibrary(folder / TOOLS_FILE_NAME)
    if not_writable is not None:
        problems.insert(0, read_only_sentence(folder, not_writable))
    return LoadedSettings(
        store, settings, secrets, prompts, tools, ToolSecrets(), problems + list(prompts.problems) + tools.problems
    )
