"""README keeps exactly two set-up commands, CI runs the second one verbatim, and the package lists agree."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from desktop_agent.system_libraries import DEBIAN_PACKAGES

ROOT = Path(__file__).resolve().parents[2]


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", setup, flags=re.S)]


def readme_app_packages() -> set[str]:
    """The Debian packages README's first command installs (its ``p="..."`` list)."""
    match = re.match(r'p="([^"]+)";', setup_commands()[0])
    assert match, "the first set-up command names its packages once, in p=\"...\""
    return set(match.group(1).split())


def run_sh_packages(array: str) -> set[str]:
    """The packages in one of tests/run.sh's bash arrays (``app_packages=(...)``)."""
    match = re.search(rf"^{array}=\((.*?)\)", (ROOT / "tests" / "run.sh").read_text(), flags=re.S | re.M)
    assert match, f"tests/run.sh has no {array} list"
    return set(match.group(1).split())


def test_readme_has_exactly_two_setup_commands():
    commands = setup_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands), "each set-up command is one line to copy"
    assert commands[0].endswith("desktop-agent --simulate")
    assert commands[1] == "bash tests/run.sh"


def test_ci_runs_the_readme_test_command_verbatim_in_a_fresh_debian_or_else_on_the_host():
    ci = (ROOT / ".ci" / "run").read_text()
    assignment = re.search(r"^readme_test_command=(.+)$", ci, flags=re.M)
    assert assignment, ".ci/run names the command it runs in readme_test_command"
    assert shlex.split(assignment.group(1)) == [setup_commands()[1]]
    lines = [line.strip() for line in ci.splitlines()]
    assert 'exec "$fresh_tool/in_fresh.sh" . "$readme_test_command"' in lines
    assert 'exec bash -c "$readme_test_command"' in lines  # the fallback, after the loud warning


def test_the_first_command_installs_what_the_app_checks_for_at_start_up():
    """Every package named in a missing-library sentence is one README's first command installs."""
    assert set(DEBIAN_PACKAGES.values()) <= readme_app_packages()


def test_the_tests_install_what_the_app_needs():
    """tests/run.sh installs the same app packages as README's first command (so the tests see a user's machine)."""
    assert run_sh_packages("app_packages") == readme_app_packages()
    assert "libpython3.11" in run_sh_packages("test_packages")  # PyInstaller on Debian's Python (tests/installer)
