"""The library of system-prompt presets: shipped defaults plus the user's own, all editable.

Defaults are JSON files in ``resources/prompts/`` (``name``, ``description``, ``text``, ``order``). The user's library
is ``prompts.json`` beside ``settings.json``. A default is copied into the library the first time this version sees
it (its name is then remembered in ``seeded``), so the user can edit, rename or delete it like any other preset and a
later release can still add new defaults. :meth:`PromptLibrary.restore_defaults` brings the shipped ones back.

Every change is written at once, atomically. A damaged ``prompts.json`` is moved aside (never deleted) and the
defaults are used; the reason is in :attr:`PromptLibrary.problems`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from loguru import logger

from desktop_agent.config import paths
from desktop_agent.config.atomic import write_text_atomic

SCHEMA_VERSION = 1
MAX_NAME_LENGTH = 60
MAX_TEXT_LENGTH = 20_000


class PromptError(ValueError):
    """A preset operation that cannot be done; the message is a sentence for the user."""


@dataclass(frozen=True)
class Preset:
    name: str
    text: str
    description: str = ""


#: Used only when the shipped presets are missing (a broken installation), so a session can still start.
FALLBACK_PRESET = Preset(
    "Voice assistant",
    "You are a helpful voice assistant in a spoken conversation. Answer in one to three short spoken sentences: no "
    "lists, no markdown, no emoji. Ask one short question when a request is unclear.",
    "General help in short spoken replies.",
)


def load_defaults(directory: Path | None = None) -> tuple[list[Preset], list[str]]:
    """The shipped presets, in their ``order``, and a sentence for each file that could not be read.

    With none readable, the list holds :data:`FALLBACK_PRESET` and a problem says the installation is incomplete.
    """
    directory = paths.resources_dir() / "prompts" if directory is None else directory
    entries: list[tuple[int, Preset]] = []
    problems: list[str] = []
    for file in sorted(directory.glob("*.json")):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            preset = Preset(str(data["name"]).strip(), str(data["text"]).strip(), str(data.get("description", "")))
            order = int(data.get("order", 100))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"The shipped prompt preset {file.name} could not be read ({type(exc).__name__}).")
            continue
        if preset.name and preset.text:
            entries.append((order, preset))
    if not entries:
        problems.append(f"No shipped prompt presets were found in {directory}; the installation may be incomplete.")
        return [FALLBACK_PRESET], problems
    return [preset for _, preset in sorted(entries, key=lambda e: (e[0], e[1].name))], problems


class PromptLibrary:
    """Presets by name (names are unique, compared without case). Methods raise :class:`PromptError`."""

    def __init__(self, path: Path | None = None, defaults_dir: Path | None = None) -> None:
        self.path = paths.config_dir() / paths.PROMPTS_FILE_NAME if path is None else Path(path)
        self.defaults, self.problems = load_defaults(defaults_dir)
        self._presets: list[Preset] = []
        self._seeded: list[str] = []
        self._writable = True  # False while a damaged file could not be moved aside: never overwrite it
        self._load()

    # --------------------------------------------------------------------------------------------------- queries
    def list(self) -> list[Preset]:
        return list(self._presets)

    def names(self) -> list[str]:
        return [p.name for p in self._presets]

    def get(self, name: str) -> Preset | None:
        key = name.strip().casefold()
        return next((p for p in self._presets if p.name.casefold() == key), None)

    @property
    def default_name(self) -> str:
        return self.defaults[0].name if self.defaults else (self._presets[0].name if self._presets else "")

    def resolve(self, name: str) -> Preset | None:
        """The preset called ``name``, else the first default still in the library, else the first preset."""
        return self.get(name) or self.get(self.default_name) or (self._presets[0] if self._presets else None)

    # --------------------------------------------------------------------------------------------------- changes
    def create(self, name: str, text: str, description: str = "") -> Preset:
        self._require_writable()
        preset = Preset(self._new_name(name), self._valid_text(text), description.strip())
        self._presets.append(preset)
        self._save()
        return preset

    def rename(self, old: str, new: str) -> Preset:
        self._require_writable()
        index = self._index(old)
        current = self._presets[index]
        name = self._new_name(new, allow=current.name)
        self._presets[index] = Preset(name, current.text, current.description)
        self._save()
        return self._presets[index]

    def duplicate(self, name: str, new_name: str | None = None) -> Preset:
        self._require_writable()
        source = self._presets[self._index(name)]
        if new_name is None:
            new_name = f"{source.name} (copy)"
            counter = 2
            while self.get(new_name):
                new_name = f"{source.name} (copy {counter})"
                counter += 1
        copy = Preset(self._new_name(new_name), source.text, source.description)
        self._presets.insert(self._index(source.name) + 1, copy)
        self._save()
        return copy

    def update(self, name: str, text: str | None = None, description: str | None = None) -> Preset:
        self._require_writable()
        index = self._index(name)
        current = self._presets[index]
        self._presets[index] = Preset(
            current.name,
            current.text if text is None else self._valid_text(text),
            current.description if description is None else description.strip(),
        )
        self._save()
        return self._presets[index]

    def delete(self, name: str) -> None:
        self._require_writable()
        index = self._index(name)
        if len(self._presets) == 1:
            raise PromptError("This is the last preset; create another one before deleting it.")
        del self._presets[index]
        self._save()

    def restore_defaults(self) -> None:
        """Bring back every shipped preset: missing ones are added, edited ones get their shipped text back."""
        self._require_writable()
        for default in self.defaults:
            existing = self.get(default.name)
            if existing is None:
                self._presets.append(default)
            else:
                self._presets[self._index(default.name)] = default
        self._save()

    # --------------------------------------------------------------------------------------------------- helpers
    def _index(self, name: str) -> int:
        key = name.strip().casefold()
        for index, preset in enumerate(self._presets):
            if preset.name.casefold() == key:
                return index
        raise PromptError(f"There is no preset called “{name}”.")

    def _new_name(self, name: str, allow: str | None = None) -> str:
        name = " ".join(name.split())
        if not name:
            raise PromptError("Give the preset a name.")
        if len(name) > MAX_NAME_LENGTH:
            raise PromptError(f"Preset names can be at most {MAX_NAME_LENGTH} characters long.")
        taken = self.get(name)
        if taken is not None and (allow is None or taken.name.casefold() != allow.casefold()):
            raise PromptError(f"A preset called “{taken.name}” already exists; choose another name.")
        return name

    @staticmethod
    def _valid_text(text: str) -> str:
        text = text.strip()
        if not text:
            raise PromptError("The prompt is empty; write what the assistant should do.")
        if len(text) > MAX_TEXT_LENGTH:
            raise PromptError(f"The prompt is too long (at most {MAX_TEXT_LENGTH} characters).")
        return text

    def _load(self) -> None:
        data = self._read()
        self._presets = []
        for item in data.get("presets", []):
            if not isinstance(item, dict):
                continue
            name, text = str(item.get("name", "")).strip(), str(item.get("text", "")).strip()
            if name and text and not self.get(name):
                self._presets.append(Preset(name, text, str(item.get("description", ""))))
        seeded = data.get("seeded", [])
        self._seeded = [str(n) for n in seeded] if isinstance(seeded, list) else []
        new_defaults = [d for d in self.defaults if d.name not in self._seeded]
        for default in new_defaults:
            if not self.get(default.name):
                self._presets.append(default)
            self._seeded.append(default.name)
        if new_defaults and self._writable:
            self._save()

    def _read(self) -> dict:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            self._writable = False
            self.problems.append(
                f"The prompt library {self.path} could not be read ({type(exc).__name__}); the shipped presets are "
                "used and changes cannot be saved until that file is fixed or removed."
            )
            return {}
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                self.path.replace(aside)
            except OSError as exc:
                self._writable = False
                self.problems.append(
                    f"The prompt library {self.path} is damaged and could not be moved aside ({type(exc).__name__}); "
                    "the shipped presets are used and changes cannot be saved until that file is fixed or removed."
                )
                return {}
            self.problems.append(
                f"The prompt library was damaged, so it was moved to {aside} and the shipped presets are used. "
                "Your own presets can be copied back from that file."
            )
            logger.warning("Prompt library damaged; moved to {}", aside)
        else:
            return data
        return {}

    def _require_writable(self) -> None:
        if not self._writable:
            raise PromptError(f"Changes cannot be saved: {self.path} could not be read. Fix or remove that file.")

    def _save(self) -> None:
        data = {"schema_version": SCHEMA_VERSION, "presets": [asdict(p) for p in self._presets],
                "seeded": self._seeded}
        try:
            write_text_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise PromptError(f"The prompt library could not be saved to {self.path} ({exc.strerror}).") from None
