"""Dataclasses as the settings schema: typed decoding of JSON and environment text, with per-field rules.

A settings field is declared with :func:`setting`, which attaches a :class:`Rule` (range, choices or a check). The
decoders never raise to the caller: a value that cannot be used becomes an :class:`Invalid` carrying the reason, and
the loader keeps the field's default and reports a sentence. Supported field types: ``str``, ``int``, ``float``,
``bool``, ``enum`` subclasses, unions of those with ``None``, ``dict[Enum, float]`` and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: No text setting (a name, a model, an address) is longer; a longer one is damage, and would flood a label.
MAX_TEXT_LENGTH = 2000
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class Invalid(ValueError):
    """A value that does not fit its field; ``str()`` completes the sentence "… is X, which …"."""


@dataclass(frozen=True)
class Rule:
    """Constraints beyond the type. ``check`` returns why a value is unusable (completing "which …") or None."""

    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    check: Callable[[Any], str | None] | None = None
    help: str = ""
    #: The setting's name in a sentence ("Temperature"); the field's name when empty.
    label: str = ""

    def problem(self, value: Any) -> str | None:
        if self.choices is not None and value not in self.choices:
            return "is not one of " + ", ".join(str(c) for c in self.choices)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and self.maximum is not None and not self.minimum <= value <= self.maximum:
                return f"is not between {_number(self.minimum)} and {_number(self.maximum)}"
            if self.minimum is not None and value < self.minimum:
                return f"is below the minimum {_number(self.minimum)}"
            if self.maximum is not None and value > self.maximum:
                return f"is above the maximum {_number(self.maximum)}"
        if self.check is not None:
            return self.check(value)
        return None


def _number(value: float) -> str:
    return f"{value:g}"


def setting(default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING, **rule: Any) -> Any:
    """A dataclass field with a :class:`Rule` (keywords: minimum, maximum, choices, check, help, label)."""
    metadata = {"rule": Rule(**rule)}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def rule_of(field: dataclasses.Field) -> Rule:
    return field.metadata.get("rule", Rule())


def field_types(cls: type) -> dict[str, Any]:
    """Resolved type hints of a dataclass (its module uses ``from __future__ import annotations``)."""
    return typing.get_type_hints(cls)


def is_dict_type(tp: Any) -> bool:
    return typing.get_origin(tp) is dict


# ----------------------------------------------------------------------------------------------------- decoding JSON
def decode_json(tp: Any, value: Any) -> Any:
    """``value`` (from JSON) as type ``tp``, or raise :class:`Invalid`."""
    options = _union_options(tp)
    if options is not None:
        for option in options:
            try:
                return decode_json(option, value)
            except Invalid:
                continue
        raise Invalid(f"is not {_describe(tp)}")
    if tp is type(None):
        if value is None:
            return None
        raise Invalid("is not empty")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise Invalid("is not true or false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise Invalid("is not a whole number")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise Invalid("is not a number")
    if tp is str:
        if isinstance(value, str):
            return _bounded(value)
        raise Invalid("is not text")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            raise Invalid("is not one of " + ", ".join(str(m.value) for m in tp)) from None
    raise Invalid(f"has a type this version cannot read ({tp!r})")


# ---------------------------------------------------------------------------------------------- decoding env text
def decode_text(tp: Any, text: str) -> Any:
    """``text`` (an environment variable) as type ``tp``, or raise :class:`Invalid`."""
    options = _union_options(tp)
    if options is not None:
        if type(None) in options and text.strip() == "":
            return None
        for option in (o for o in options if o is not type(None)):
            try:
                return decode_text(option, text)
            except Invalid:
                continue
        raise Invalid(f"is not {_describe(tp)}")
    stripped = text.strip()
    if tp is bool:
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
        raise Invalid("is not true or false (use true/false, yes/no, on/off or 1/0)")
    if tp is int:
        try:
            return int(stripped)
        except ValueError:
            raise Invalid("is not a whole number") from None
    if tp is float:
        try:
            number = float(stripped)
        except ValueError:
            raise Invalid("is not a number") from None
        if not math.isfinite(number):
            raise Invalid("is not a finite number")
        return number
    if tp is str:
        return _bounded(text)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(stripped.lower())
        except ValueError:
            raise Invalid("is not one of " + ", ".join(str(m.value) for m in tp)) from None
    raise Invalid(f"has a type this version cannot read ({tp!r})")


def _bounded(text: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise Invalid(f"is longer than {MAX_TEXT_LENGTH} characters")
    return text


def _union_options(tp: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return None


def _describe(tp: Any) -> str:
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text", type(None): "empty"}
    options = _union_options(tp) or (tp,)
    return " or ".join(names.get(o, getattr(o, "__name__", str(o))) for o in options)


# ------------------------------------------------------------------------------------------------------ encoding
def encode(value: Any) -> Any:
    """A JSON-ready copy of a settings value (dataclasses become objects, enums their values)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(encode(k)): encode(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value
