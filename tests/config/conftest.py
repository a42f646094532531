"""Fixtures for the configuration tests: isolated config directories, environments and keyrings."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring.backends import fail
from loguru import logger

from desktop_agent.config.environment import Environment
from desktop_agent.config.secrets import Secrets


@pytest.fixture
def config_dir(tmp_path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    return folder


@pytest.fixture
def make_env(config_dir, tmp_path) -> Callable[..., Environment]:
    """``make_env(VAR="x", dotenv="A=1", cwd_dotenv="B=2")``: an Environment read the way the app reads it, from
    ``config_dir/.env``, a working-directory ``.env`` and the given variables (never the test process's own)."""

    def make(dotenv: str | None = None, cwd_dotenv: str | None = None, **variables: str) -> Environment:
        cwd = tmp_path / "cwd"
        cwd.mkdir(exist_ok=True)
        if dotenv is not None:
            (config_dir / ".env").write_text(dotenv)
        if cwd_dotenv is not None:
            (cwd / ".env").write_text(cwd_dotenv)
        return Environment.load(config_dir=config_dir, cwd=cwd, environ=variables)

    return make


@pytest.fixture
def no_keyring_secrets(config_dir, make_env) -> Callable[..., Secrets]:
    """Secrets on keyring's "fail" backend: what Linux without a Secret Service gives (a real keyring class)."""

    def make(**variables: str) -> Secrets:
        return Secrets(environment=make_env(**variables), backend=fail.Keyring(), config_dir=config_dir)

    return make


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Tests that call configure_logging() leave loguru and stdlib logging as they found them (stderr only)."""
    yield
    import logging

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    logging.basicConfig(handlers=[logging.StreamHandler()], level=logging.WARNING, force=True)
