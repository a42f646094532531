"""Where the app keeps its files: the platform's standard per-user directories (platformdirs)."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

APP_NAME = "desktop-agent"
SETTINGS_FILE_NAME = "settings.json"
PROMPTS_FILE_NAME = "prompts.json"
DOTENV_FILE_NAME = ".env"
LOG_FILE_NAME = "desktop-agent.log"


def config_dir() -> Path:
    """``~/.config/desktop-agent`` on Linux, ``~/Library/Application Support/desktop-agent`` on macOS,
    ``%LOCALAPPDATA%\\desktop-agent`` on Windows."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


def resources_dir() -> Path:
    """The shipped ``resources/`` folder: beside the package in a checkout, inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
