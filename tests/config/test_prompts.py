"""PromptLibrary: the shipped presets, create/rename/duplicate/edit/delete, persistence and a damaged file."""

from __future__ import annotations

import json

import pytest

from desktop_agent.config.prompts import PromptError, PromptLibrary, load_defaults


@pytest.fixture
def library_path(config_dir):
    return config_dir / "prompts.json"


def test_shipped_defaults_include_a_voice_optimised_assistant_first():
    defaults, problems = load_defaults()
    assert problems == []
    names = [p.name for p in defaults]
    assert names[0] == "Voice assistant"
    assert {"Concise tutor", "Language practice partner", "Brainstorm partner"} <= set(names)
    text = defaults[0].text.lower()
    for guidance in ("no markdown", "bullet points", "no emoji", "one to three short sentences",
                     "one short clarifying question", "twenty-five dollars", "spell out abbreviations"):
        assert guidance in text
    written_in_english = [p for p in defaults if p.name.isascii()]  # the others: tests/config/test_prompt_languages.py
    assert len(written_in_english) == 4
    for preset in written_in_english:
        assert "no markdown" in preset.text and preset.description


def test_first_use_seeds_the_library_file_with_the_defaults(library_path):
    library = PromptLibrary(library_path)
    assert library.names() == [p.name for p in library.defaults]
    assert library.problems == []
    data = json.loads(library_path.read_text())
    assert [p["name"] for p in data["presets"]] == library.names()
    assert data["seeded"] == library.names()


def test_crud_persists_across_instances(library_path):
    library = PromptLibrary(library_path)
    library.create("  Pirate   mode ", "Talk like a pirate.", "Arr")
    library.update("pirate mode", text="Talk like a polite pirate.")
    copy = library.duplicate("Pirate mode")
    assert copy.name == "Pirate mode (copy)"
    assert library.duplicate("Pirate mode").name == "Pirate mode (copy 2)"
    library.rename("Pirate mode (copy 2)", "Sea shanty")
    library.delete("Pirate mode (copy)")

    reopened = PromptLibrary(library_path)
    assert reopened.names() == [p.name for p in reopened.defaults] + ["Pirate mode", "Sea shanty"]
    assert reopened.get("PIRATE MODE").text == "Talk like a polite pirate."
    assert reopened.get("Sea shanty").text == "Talk like a polite pirate." and reopened.get("Sea shanty").description == "Arr"
    assert reopened.get("Pirate mode (copy)") is None


def test_deleted_defaults_stay_deleted_and_can_be_restored(library_path):
    library = PromptLibrary(library_path)
    library.delete("Concise tutor")
    library.update("Voice assistant", text="Edited.")
    assert "Concise tutor" not in PromptLibrary(library_path).names()
    library.restore_defaults()
    reopened = PromptLibrary(library_path)
    assert "Concise tutor" in reopened.names()
    assert reopened.get("Voice assistant").text == reopened.defaults[0].text


def test_new_shipped_defaults_appear_in_an_existing_library(library_path, tmp_path):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "a.json").write_text(json.dumps({"name": "Alpha", "text": "A.", "order": 0}))
    first = PromptLibrary(library_path, defaults_dir=shipped)
    first.create("Mine", "Mine.")
    first.delete("Alpha")
    (shipped / "b.json").write_text(json.dumps({"name": "Beta", "text": "B.", "order": 1}))
    assert PromptLibrary(library_path, defaults_dir=shipped).names() == ["Mine", "Beta"]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda lib: lib.create("", "x"), "Give the preset a name."),
        (lambda lib: lib.create("voice ASSISTANT", "x"), "A preset called “Voice assistant” already exists; choose another name."),
        (lambda lib: lib.create("New", "   "), "The prompt is empty; write what the assistant should do."),
        (lambda lib: lib.rename("Nope", "X"), "There is no preset called “Nope”."),
        (lambda lib: lib.rename("Concise tutor", "Brainstorm partner"), "A preset called “Brainstorm partner” already exists; choose another name."),
        (lambda lib: lib.create("x" * 61, "y"), "Preset names can be at most 60 characters long."),
    ],
)
def test_refused_operations_say_why(library_path, action, message):
    library = PromptLibrary(library_path)
    before = library_path.read_text()
    with pytest.raises(PromptError) as error:
        action(library)
    assert str(error.value) == message
    assert library_path.read_text() == before


def test_renaming_to_a_different_case_of_itself_is_allowed(library_path):
    library = PromptLibrary(library_path)
    assert library.rename("Concise tutor", "Concise Tutor").name == "Concise Tutor"


def test_the_last_preset_cannot_be_deleted(library_path, tmp_path):
    shipped = tmp_path / "one"
    shipped.mkdir()
    (shipped / "only.json").write_text(json.dumps({"name": "Only", "text": "Only."}))
    library = PromptLibrary(library_path, defaults_dir=shipped)
    with pytest.raises(PromptError, match="last preset"):
        library.delete("Only")


def test_damaged_library_is_moved_aside_and_defaults_are_used(library_path, config_dir):
    library_path.write_text('{"presets": [ {"name": "Mine", ')
    library = PromptLibrary(library_path)
    asides = list(config_dir.glob("prompts.json.corrupt-*"))
    assert len(asides) == 1 and asides[0].read_text() == '{"presets": [ {"name": "Mine", '
    assert library.names() == [p.name for p in library.defaults]
    assert len(library.problems) == 1 and str(asides[0]) in library.problems[0]
    assert "moved to" in library.problems[0]


def test_resolve_falls_back_to_the_default_preset(library_path):
    library = PromptLibrary(library_path)
    assert library.resolve("Concise tutor").name == "Concise tutor"
    assert library.resolve("Deleted long ago").name == "Voice assistant"
