"""The fields extracted with each summary, as the user describes them: a JSON schema of one object.

Settings keep it as text (Settings > Privacy); :func:`fields_problem` says in one sentence what is wrong with a text
that cannot be used, and :func:`parse_fields_schema` gives the schema (the default's when the text is unusable).
"""

from __future__ import annotations

import json

#: Action items and a follow-up date: what a call's notes usually need.
DEFAULT_FIELDS_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {
            "action_items": {
                "type": "array",
                "items": {"type": "string"},
                "description": "What someone agreed to do, one item each",
            },
            "follow_up_date": {
                "type": "string",
                "description": "A follow-up date that was agreed (YYYY-MM-DD), or empty",
            },
        },
    },
    indent=2,
)
MAX_FIELDS = 20
_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object"})


def fields_problem(text: str) -> str | None:
    """None when ``text`` is a usable fields schema, else what is wrong, completing "The fields schema …"."""
    try:
        schema = json.loads(text)
    except ValueError as exc:
        return f"is not valid JSON (line {getattr(exc, 'lineno', '?')}, column {getattr(exc, 'colno', '?')})"
    if not isinstance(schema, dict):
        return 'is not a JSON object such as {"type": "object", "properties": {...}}'
    if schema.get("type", "object") != "object":
        return 'does not describe an object ("type": "object")'
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return 'has no "properties" object naming each field'
    if len(properties) > MAX_FIELDS:
        return f"names more than {MAX_FIELDS} fields"
    for name, field in properties.items():
        if not name.strip():
            return "has a field without a name"
        if not isinstance(field, dict):
            return f'does not describe "{name}" with an object such as {{"type": "string"}}'
        kind = field.get("type", "string")
        if kind not in _TYPES:
            return f'gives "{name}" a type other than {", ".join(sorted(_TYPES))}'
    return None


def parse_fields_schema(text: str) -> dict:
    """The schema ``text`` describes; the default one when it is unusable (Settings say why when it is entered)."""
    if fields_problem(text) is not None:
        text = DEFAULT_FIELDS_SCHEMA
    schema = json.loads(text)
    return {**schema, "type": "object"}
