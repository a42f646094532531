"""The static checks CI runs: ruff's lint and format check on desktop_agent/ and mypy on the package, all clean.

Each runs as its own process from the repository root with the tools of the environment running the tests (the
``test`` extra installs them), so the configuration in pyproject.toml is the only one that applies. A failure prints
the tool's own report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

CHECKS = {
    "ruff lint": ["ruff", "check", "desktop_agent"],
    "ruff format": ["ruff", "format", "--check", "desktop_agent"],
    "mypy": ["mypy"],  # the package comes from [tool.mypy] packages
}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.mark.parametrize("name", list(CHECKS))
def test_static_check_is_clean(name: str) -> None:
    tool, *args = CHECKS[name]
    executable = BIN / tool
    assert executable.is_file(), f"{tool} is not installed next to {sys.executable} (pip install -e '.[test]')"
    result = subprocess.run(
        [str(executable), *args], cwd=ROOT, capture_output=True, text=True, timeout=800, check=False
    )
    assert result.returncode == 0, f"{name} found problems:\n{result.stdout}{result.stderr}"
