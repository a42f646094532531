"""The library of system-prompt presets: shipped defaults plus the user's own, all editable.

Defaults are JSON files in ``resources/prompts/`` (``name``, ``description``, ``text``, ``order``). The user's library
is ``prompts.json`` beside ``settings.json``. A default is copied into the library the first time this version sees
it (its name is then remembered in ``seeded``), so the user can edit, rename or delete it like any other preset and a
later release can still add new defaults. :meth:`PromptLibrary.restore_defaults` brings the shipped ones back.

Every change is written at once, atomically. A damaged ``prompts.json`` (not JSON, larger than
:data:`MAX_LIBRARY_BYTES`, nested deeper than a library) is moved aside (never deleted) and the defaults are used;
the reason is in :attr:`PromptLibrary.problems`. The limits the editor applies (:func:`name_problem`,
:func:`text_problem`, :func:`description_problem`, :data:`MAX_PRESETS`) apply to a loaded file in the same way: a
preset that breaks one is left out, with one sentence, and the file as it was is kept beside the library.
"""

from __future__ import annotations

import builtins
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from loguru import logger

from desktop_agent.config import languages, paths
from desktop_agent.config.atomic import write_text_atomic
from desktop_agent.config.local_files import DamagedFile, error_words, parse_json_object, read_text_limited
from desktop_agent.state.plain_text import shorten

SCHEMA_VERSION = 1
MAX_NAME_LENGTH = 60
MAX_DESCRIPTION_LENGTH = 200
MAX_TEXT_LENGTH = 20_000
MAX_PRESETS = 100
#: Room for MAX_PRESETS presets at their longest, however their characters are spelled in JSON; beyond it, damage.
MAX_LIBRARY_BYTES = 16_000_000
#: How many left-out presets a sentence names (the rest are counted).
NAMED_LEFT_OUT = 3


class PromptError(ValueError):
    """A preset operation that cannot be done; the message is a sentence for the user."""


def name_problem(name: str) -> str | None:
    """Why ``name`` (spaces already collapsed) cannot name a preset, as a sentence; None when it can."""
    if not name:
        return "Give the preset a name."
    if len(name) > MAX_NAME_LENGTH:
        return f"Preset names can be at most {MAX_NAME_LENGTH} characters long."
    return None


def text_problem(text: str) -> str | None:
    """Why ``text`` (already stripped) cannot be a preset's prompt, as a sentence; None when it can."""
    if not text:
        return "The prompt is empty; write what the assistant should do."
    if len(text) > MAX_TEXT_LENGTH:
        return f"The prompt is too long: at most {MAX_TEXT_LENGTH:,} characters."
    return None


def description_problem(description: str) -> str | None:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        return f"Descriptions can be at most {MAX_DESCRIPTION_LENGTH} characters long."
    return None


def _collapse_spaces(name: str) -> str:
    return " ".join(name.split())


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


def load_defaults(
    directory: Path | None = None, languages: dict[str, str] | None = None
) -> tuple[list[Preset], list[str]]:
    """The shipped presets, in their ``order``, and a sentence for each file that could not be read; ``languages``
    (if given) is filled with the language each preset written for one language is in (name -> code).

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
            if data.get("language") and languages is not None:
                languages[preset.name] = str(data["language"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"The shipped prompt preset {file.name} could not be read ({type(exc).__name__}).")
            continue
        if preset.name and preset.text:
            entries.append((order, preset))
    if not entries:
        problems.append(f"No shipped prompt presets were found in {directory}; the installation may be incomplete.")
        return [FALLBACK_PRESET], problems
    return [preset for _, preset in sorted(entries, key=lambda e: (e[0], e[1].name))], problems


def preset_for_language(library: PromptLibrary, active: str, code: str) -> Preset | None:
    """The preset to follow a switch of the conversation's language to ``code``, or None to keep ``active``.

    Only the shipped voice assistant follows, as the user left it: the default (written in English, for any language)
    and its versions written in one language each. Switching to a language that has its own version makes that
    version active; switching to one that has none brings the default back. A preset the user chose otherwise, wrote
    or edited is never replaced: the answer-language sentence after it (config/languages.py) is enough.
    """
    family = {library.default_name.casefold(), *(name.casefold() for name in library.shipped_languages)}
    current = library.get(active)
    shipped = {preset.name.casefold(): preset for preset in library.defaults}
    if current is None or current.name.casefold() not in family or shipped.get(current.name.casefold()) != current:
        return None
    by_language = {language: name for name, language in library.shipped_languages.items()}
    target = library.get(by_language.get(languages.canonical(code), library.default_name))
    if target is None or target.name.casefold() == current.name.casefold():
        return None
    return target


class PromptLibrary:
    """Presets by name (names are unique, compared without case). Methods raise :class:`PromptError`."""

    def __init__(
        self, path: Path | None = None, defaults_dir: Path | None = None, *, save_on_load: bool = True
    ) -> None:
        """``save_on_load=False`` keeps loading from writing (newly shipped presets are then added in memory only):
        for a folder already known to be read-only, whose one sentence the caller says."""
        self.path = paths.config_dir() / paths.PROMPTS_FILE_NAME if path is None else Path(path)
        #: The shipped presets written in one language, by name: their language's code.
        self.shipped_languages: dict[str, str] = {}
        self.defaults, self.problems = load_defaults(defaults_dir, self.shipped_languages)
        self._save_on_load = save_on_load
        self._presets: list[Preset] = []
        self._seeded: list[str] = []
        self._writable = True  # False while a damaged file could not be moved aside: never overwrite it
        self._load()

    # --------------------------------------------------------------------------------------------------- queries
    def list(self) -> list[Preset]:
        return list(self._presets)

    def names(self) -> builtins.list[str]:
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
        self._require_room()
        preset = Preset(self._new_name(name), self._valid_text(text), self._valid_description(description))
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
        self._require_room()
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
            current.description if description is None else self._valid_description(description),
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
        missing = [default for default in self.defaults if self.get(default.name) is None]
        if len(self._presets) + len(missing) > MAX_PRESETS:
            surplus = len(self._presets) + len(missing) - MAX_PRESETS
            raise PromptError(
                f"The library holds at most {MAX_PRESETS} presets; delete {surplus} to make room for the shipped ones."
            )
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
        name = _collapse_spaces(name)
        problem = name_problem(name)
        if problem:
            raise PromptError(problem)
        taken = self.get(name)
        if taken is not None and (allow is None or taken.name.casefold() != allow.casefold()):
            raise PromptError(f"A preset called “{taken.name}” already exists; choose another name.")
        return name

    @staticmethod
    def _valid_text(text: str) -> str:
        text = text.strip()
        problem = text_problem(text)
        if problem:
            raise PromptError(problem)
        return text

    @staticmethod
    def _valid_description(description: str) -> str:
        description = description.strip()
        problem = description_problem(description)
        if problem:
            raise PromptError(problem)
        return description

    def _require_room(self) -> None:
        if len(self._presets) >= MAX_PRESETS:
            raise PromptError(f"The library holds at most {MAX_PRESETS} presets; delete one to make room.")

    def _load(self) -> None:
        text, data = self._read()
        self._presets = []
        left_out: list[str] = []
        items = data.get("presets", [])
        for number, item in enumerate(items if isinstance(items, list) else [], start=1):
            preset, why = self._loadable(item)
            if preset is None:
                left_out.append(f"preset {number} {why}")
            elif len(self._presets) >= MAX_PRESETS:
                left_out.append(f"“{shorten(preset.name, 40)}” is beyond the limit of {MAX_PRESETS} presets")
            elif self.get(preset.name):
                left_out.append(f"“{shorten(preset.name, 40)}” has the same name as another preset")
            elif why:
                left_out.append(f"“{shorten(preset.name, 40)}”: {why}")
            else:
                self._presets.append(preset)
        seeded = data.get("seeded", [])
        self._seeded = [n for n in seeded if isinstance(n, str)] if isinstance(seeded, list) else []
        new_defaults = [d for d in self.defaults if d.name not in self._seeded]
        for default in new_defaults:
            if not self.get(default.name) and len(self._presets) < MAX_PRESETS:
                self._presets.append(default)
            self._seeded.append(default.name)
        saved = False
        if left_out:
            saved = self._leave_out(left_out, text)
        if new_defaults and not saved and self._writable and self._save_on_load:
            try:
                self._save()
            except PromptError as exc:
                self.problems.append(str(exc))

    @staticmethod
    def _loadable(item: object) -> tuple[Preset | None, str]:
        """The preset an item of the file describes and why it breaks a limit ("" when it does not); (None, why)
        when the item is not a preset at all."""
        if not isinstance(item, dict):
            return None, "is not a preset"
        name, text, description = item.get("name"), item.get("text"), item.get("description", "")
        if not isinstance(name, str) or not _collapse_spaces(name):
            return None, "has no name"
        if not isinstance(text, str):
            return None, "has no prompt text"
        name = _collapse_spaces(name)
        description = description.strip() if isinstance(description, str) else ""
        preset = Preset(name, text.strip(), description)
        problem = name_problem(name) or text_problem(preset.text) or description_problem(description)
        return preset, (problem[0].lower() + problem[1:].rstrip(".")) if problem else ""

    def _leave_out(self, left_out: builtins.list[str], original: str) -> bool:
        """Say which presets were left out, keep the file as it was beside the library, and save what is left.
        Returns whether the library was saved."""
        named = "; ".join(left_out[:NAMED_LEFT_OUT])
        if len(left_out) > NAMED_LEFT_OUT:
            named += f"; and {len(left_out) - NAMED_LEFT_OUT} more"
        count = f"{len(left_out)} preset{'s' if len(left_out) != 1 else ''}"
        verb = "is" if len(left_out) == 1 else "are"
        sentence = f"The prompt library breaks the prompt editor's limits, so {count} {verb} left out ({named})"
        if not (self._writable and self._save_on_load):
            self.problems.append(f"{sentence}; the file is left as it is.")
            return False
        aside = self._aside_path("left-out")
        try:
            write_text_atomic(aside, original)
            self._save()
        except (OSError, PromptError) as exc:
            words = error_words(exc) if isinstance(exc, OSError) else "it cannot be written"
            self.problems.append(f"{sentence}; the file is left as it is ({words}).")
            return False
        self.problems.append(f"{sentence}; the file as it was is kept at {aside}.")
        logger.warning("Prompt library: {} preset(s) left out; the original is kept at {}", len(left_out), aside)
        return True

    def _aside_path(self, why: str) -> Path:
        aside = self.path.with_name(f"{self.path.name}.{why}-{time.strftime('%Y%m%d-%H%M%S')}")
        counter = 1
        while aside.exists():
            counter += 1
            aside = self.path.with_name(f"{self.path.name}.{why}-{time.strftime('%Y%m%d-%H%M%S')}-{counter}")
        return aside

    def _read(self) -> tuple[str, dict]:
        """The file's text and its JSON object ("" and {} when there is none or it could not be used)."""
        try:
            text = read_text_limited(self.path, MAX_LIBRARY_BYTES)
            return text, parse_json_object(text)
        except FileNotFoundError:
            return "", {}
        except DamagedFile as why:
            damage = str(why)
        except OSError as exc:
            self._writable = False
            self.problems.append(
                f"The prompt library {self.path} could not be read ({error_words(exc)}); the shipped presets are "
                "used and changes cannot be saved until that file is fixed or removed."
            )
            return "", {}
        aside = self._aside_path("corrupt")
        try:
            self.path.replace(aside)
        except OSError as exc:
            self._writable = False
            self.problems.append(
                f"The prompt library {self.path} is damaged ({damage}) and could not be moved aside "
                f"({error_words(exc)}); the shipped presets are used and changes cannot be saved until that file "
                "is fixed or removed."
            )
            return "", {}
        self.problems.append(
            f"The prompt library was damaged ({damage}), so it was moved to {aside} and the shipped presets are used. "
            "Your own presets can be copied back from that file."
        )
        logger.warning("Prompt library damaged; moved to {}", aside)
        return "", {}

    def _require_writable(self) -> None:
        if not self._writable:
            raise PromptError(f"Changes cannot be saved: {self.path} could not be read. Fix or remove that file.")

    def _save(self) -> None:
        data = {"schema_version": SCHEMA_VERSION, "presets": [asdict(p) for p in self._presets], "seeded": self._seeded}
        try:
            write_text_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise PromptError(
                f"The prompt library could not be saved to {self.path} ({error_words(exc)}); the change lasts until "
                "Desktop Agent closes."
            ) from None
