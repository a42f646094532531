"""Environment variables merged with ``.env`` files: the override layer above the settings file.

Precedence, lowest to highest: ``.env`` in the config directory, ``.env`` in the working directory, the process
environment. A ``.env`` file holds ``NAME=value`` lines; ``export NAME=value``, single or double quotes around the
value, blank lines and ``#`` comments are accepted. Nothing read here is written back anywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from desktop_agent.config import paths
from desktop_agent.config.local_files import DamagedFile, error_words, read_text_limited

#: A .env file holds a few lines; a larger one is not a .env file, and is ignored unread.
MAX_DOTENV_BYTES = 1_000_000
#: Unreadable lines reported one by one; beyond this many, the rest are counted in one more sentence.
MAX_LISTED_LINE_PROBLEMS = 5
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def parse_dotenv(text: str, origin: str = ".env") -> tuple[dict[str, str], list[str]]:
    """The variables of a ``.env`` text, and one sentence per line that could not be read (that line is ignored)."""
    values: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, equals, value = line.partition("=")
        name = name.strip()
        if not equals or not _NAME.fullmatch(name):
            problems.append(f"Line {number} of {origin} is not of the form NAME=value, so it is ignored.")
            continue
        parsed = _parse_value(value.strip())
        if parsed is None:
            problems.append(f"Line {number} of {origin} ({name}) has an unclosed quote, so it is ignored.")
            continue
        values[name] = parsed
    if len(problems) > MAX_LISTED_LINE_PROBLEMS:
        listed = problems[: MAX_LISTED_LINE_PROBLEMS - 1]
        problems = [
            *listed,
            f"{len(problems) - len(listed)} more lines of {origin} could not be read either, so they are ignored.",
        ]
    return values, problems


def _parse_value(value: str) -> str | None:
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = _closing_quote(value, quote)
        if end < 0:
            return None
        inner = value[1:end]
        if quote == '"':
            inner = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), inner)
        return inner
    # Unquoted: an inline comment starts at " #".
    hash_at = value.find(" #")
    return (value[:hash_at] if hash_at >= 0 else value).strip()


def _closing_quote(value: str, quote: str) -> int:
    index = 1
    while index < len(value):
        if value[index] == "\\" and quote == '"':
            index += 2
            continue
        if value[index] == quote:
            return index
        index += 1
    return -1


def read_dotenv(path: Path) -> tuple[dict[str, str], list[str]]:
    """Variables of the ``.env`` file at ``path`` (none if it does not exist) and the problems reading it."""
    try:
        text = read_text_limited(path, MAX_DOTENV_BYTES)
    except FileNotFoundError:
        return {}, []
    except DamagedFile as why:
        return {}, [f"{path} could not be read ({why}), so its settings are ignored."]
    except OSError as exc:
        return {}, [f"{path} could not be read ({error_words(exc)}), so its settings are ignored."]
    return parse_dotenv(text, str(path))


@dataclass
class Environment:
    """The merged override variables, each with where it came from ("the environment" or a ``.env`` path)."""

    values: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        config_dir: Path | None = None,
        cwd: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Environment:
        """Read ``config_dir/.env``, then ``cwd/.env``, then ``environ`` (default: ``os.environ``); later wins."""
        env = cls()
        config_dir = paths.config_dir() if config_dir is None else config_dir
        cwd = Path.cwd() if cwd is None else cwd
        seen: set[Path] = set()
        for folder in (config_dir, cwd):
            dotenv = (folder / paths.DOTENV_FILE_NAME).resolve()
            if dotenv in seen:
                continue
            seen.add(dotenv)
            values, problems = read_dotenv(dotenv)
            env.problems.extend(problems)
            for name, value in values.items():
                env.values[name] = value
                env.origins[name] = str(dotenv)
        for name, value in (os.environ if environ is None else environ).items():
            env.values[name] = value
            env.origins[name] = "the environment"
        return env

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def origin(self, name: str) -> str:
        return self.origins.get(name, "")

    def with_prefix(self, prefix: str) -> dict[str, str]:
        return {name: value for name, value in self.values.items() if name.startswith(prefix)}
