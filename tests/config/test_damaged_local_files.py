"""Bad local state: settings, prompt and .env files that are nested absurdly deep, huge, of the wrong types, or in a
folder that cannot be written. Each gives defaults in memory, one plain sentence per cause, and the app runs."""

from __future__ import annotations

import json
import os
import sys

import pytest
from loguru import logger

from desktop_agent.config.loading import load_settings
from desktop_agent.config.logging_setup import configure_logging, log_file_sentence
from desktop_agent.config.prompts import MAX_PRESETS, MAX_TEXT_LENGTH, PromptError, PromptLibrary
from desktop_agent.config.settings import AppSettings, SettingsStore
from tests.config.read_only import read_only

DEEP = 200_000


def store_at(config_dir, env):
    return SettingsStore(config_dir / "settings.json", env)


def only_aside(config_dir, name: str):
    (aside,) = config_dir.glob(f"{name}.corrupt-*")
    return aside


def assert_plain(sentence: str) -> None:
    """A sentence for a person: no exception names or error codes, and short enough to read."""
    for jargon in ("Error", "SQLITE", "errno", "Traceback", "Errno"):
        assert jargon not in sentence, sentence
    assert len(sentence) < 400, sentence


# ------------------------------------------------------------------------------------------------ settings.json
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_settings_nested_200000_levels_deep_are_set_aside_and_defaults_used(config_dir, make_env, opening):
    text = opening * DEEP
    (config_dir / "settings.json").write_text(text)
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings == AppSettings()
    (problem,) = problems
    assert "nested more than 32 levels deep" in problem and "moved to" in problem
    assert_plain(problem)
    assert only_aside(config_dir, "settings.json").read_text() == text  # nothing lost


def test_settings_nested_deeper_than_any_settings_file_but_parseable_are_set_aside(config_dir, make_env):
    value: object = "deep"
    for _ in range(40):  # within what the JSON decoder accepts, beyond anything a settings file holds
        value = [value]
    text = json.dumps({"models": {"x": value}})
    (config_dir / "settings.json").write_text(text)
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings == AppSettings() and len(problems) == 1 and "nested more than 32" in problems[0]


def test_a_settings_file_above_the_size_limit_is_set_aside_unread(config_dir, make_env):
    text = json.dumps({"voice": {"voice_name": "Rachel"}, "padding": "x" * 2_000_000})
    (config_dir / "settings.json").write_text(text)
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings == AppSettings()
    (problem,) = problems
    assert "larger than 1 MB" in problem
    assert only_aside(config_dir, "settings.json").read_text() == text


def test_a_number_too_long_to_read_is_damage_not_a_crash(config_dir, make_env):
    (config_dir / "settings.json").write_text('{"models": {"max_tokens": ' + "9" * 5000 + "}}")
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings == AppSettings()
    assert len(problems) == 1 and "a number too long to read" in problems[0]


def test_values_of_the_wrong_type_fall_back_one_by_one_in_short_sentences(config_dir, make_env):
    (config_dir / "settings.json").write_text(json.dumps({
        "models": [],
        "voice": {"voice_name": "x" * 50_000, "voice_id": {"nested": True}},
        "audio": {"input_device": [1, 2], "vad_confidence": "loud", "echo_cancellation": None},
        "prompt": 5,
        "conversation": {"mode": {"a": 1}},
        "privacy": {"retention_days": "\x1b[2J\u202e30"},
    }))
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings.voice == AppSettings().voice
    assert settings.audio == AppSettings().audio and settings.models == AppSettings().models
    assert len(problems) == 9
    for problem in problems:
        assert_plain(problem)
    text = "\n".join(problems)
    assert "is longer than 2000 characters" in text and "x" * 100 not in text
    assert "\x1b" not in text and "\u202e" not in text  # quoted with escapes, never raw


def test_thousands_of_unusable_values_are_counted_not_listed(config_dir, make_env):
    (config_dir / "settings.json").write_text(json.dumps({"budgets": {f"stage{i}": 1 for i in range(10_000)}}))
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings == AppSettings()
    assert len(problems) == 12
    assert problems[-1] == "9989 more values in the settings file could not be used either; their defaults are used."


def test_a_huge_dotenv_file_and_one_with_thousands_of_bad_lines_give_one_or_a_few_sentences(config_dir, make_env):
    (config_dir / ".env").write_text("JUNK\n" * 10_000 + "DESKTOP_AGENT_MODELS__TEMPERATURE=0.3\n")
    store = store_at(config_dir, make_env())
    settings, problems = store.load()
    assert settings.models.temperature == 0.3  # the good line still counts
    assert len(problems) == 5 and problems[-1].startswith("9996 more lines of")

    (config_dir / ".env").write_text("A=" + "x" * 2_000_000 + "\n")
    settings, problems = store_at(config_dir, make_env()).load()
    assert settings == AppSettings()
    (problem,) = problems
    assert "larger than 1 MB" in problem and "ignored" in problem


# ------------------------------------------------------------------------------------------------ read-only folder
@pytest.fixture
def home_config(tmp_path, monkeypatch):
    """The app's config folder where load_settings() looks for it (XDG_CONFIG_HOME), with a settings file and a
    prompt library already in it, as after earlier runs."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    folder = tmp_path / "xdg" / "desktop-agent"
    folder.mkdir(parents=True)
    (folder / "settings.json").write_text(json.dumps({"schema_version": 1, "models": {"temperature": 0.4}}))
    (folder / "prompts.json").write_text(json.dumps({"schema_version": 1, "seeded": [],
                                                     "presets": [{"name": "Mine", "text": "Be brief."}]}))
    return folder


def test_a_read_only_config_folder_runs_on_what_it_read_with_one_sentence(home_config):
    before = {p.name: p.read_bytes() for p in home_config.iterdir()}
    with read_only(home_config):
        loaded = load_settings()
        assert loaded.settings.models.temperature == 0.4
        assert loaded.prompts.get("Mine").text == "Be brief."
        assert loaded.prompts.get("Voice assistant") is not None  # shipped presets are added in memory
        (problem,) = loaded.problems
        assert problem.startswith(f"Settings and prompt presets cannot be saved: the folder {home_config} is not "
                                  "writable (")
        assert problem.endswith("Desktop Agent runs on what it could read, and changes last until it closes.")
        assert_plain(problem)
        # Changes apply for this run and say they are not saved; nothing on disk changes.
        with pytest.raises(OSError):
            loaded.store.save(loaded.settings)
        with pytest.raises(PromptError, match="the change lasts until Desktop Agent closes"):
            loaded.prompts.create("Pirate", "Arr.")
        assert loaded.prompts.get("Pirate") is not None
    assert {p.name: p.read_bytes() for p in home_config.iterdir()} == before


def test_a_damaged_settings_file_in_a_read_only_folder_is_left_alone_with_a_sentence(home_config):
    (home_config / "settings.json").write_text("[" * DEEP)
    with read_only(home_config):
        loaded = load_settings()
    assert loaded.settings == AppSettings()
    assert len(loaded.problems) == 2  # two causes: the folder, and the damaged file
    assert "could not be moved aside" in loaded.problems[1] and "left as it is" in loaded.problems[1]
    for problem in loaded.problems:
        assert_plain(problem)
    assert (home_config / "settings.json").read_text() == "[" * DEEP


def test_a_config_folder_that_cannot_even_be_created_still_loads(tmp_path, monkeypatch):
    blocker = tmp_path / "xdg"
    blocker.write_text("a file where the config folder's parent should be")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    loaded = load_settings()
    assert loaded.settings == AppSettings()
    assert loaded.prompts.get("Voice assistant") is not None
    assert loaded.problems[0].startswith("Settings and prompt presets cannot be saved")
    for problem in loaded.problems:
        assert_plain(problem)


# ------------------------------------------------------------------------------------------------ prompts.json
@pytest.fixture
def library_path(config_dir):
    return config_dir / "prompts.json"


def test_a_1_mb_prompt_preset_is_left_out_on_load_with_the_editors_limit(library_path, config_dir):
    original = json.dumps({"schema_version": 1, "seeded": [], "presets": [
        {"name": "Huge", "text": "Talk. " * 175_000},  # about 1 MB
        {"name": "Fine", "text": "Be brief.", "description": "short"},
    ]})
    library_path.write_text(original)
    library = PromptLibrary(library_path)
    assert library.get("Huge") is None and library.get("Fine").text == "Be brief."
    (problem,) = library.problems
    assert problem.startswith("The prompt library breaks the prompt editor's limits, so 1 preset is left out "
                              f"(“Huge”: the prompt is too long: at most {MAX_TEXT_LENGTH:,} characters)")
    (aside,) = config_dir.glob("prompts.json.left-out-*")
    assert aside.read_text() == original and str(aside) in problem
    # The library file no longer holds it: the next start says nothing.
    assert PromptLibrary(library_path).problems == []
    # The editor refuses the same text with the same words.
    with pytest.raises(PromptError, match=f"The prompt is too long: at most {MAX_TEXT_LENGTH:,} characters."):
        library.create("Again", "x" * (MAX_TEXT_LENGTH + 1))
    # Whatever preset is active, what a session is sent stays within the limit.
    assert len(library.resolve("Huge").text) <= MAX_TEXT_LENGTH


def test_presets_of_the_wrong_types_or_beyond_the_limits_are_left_out_in_one_sentence(library_path):
    library_path.write_text(json.dumps({"schema_version": 1, "seeded": "nope", "presets": [
        {"name": 5, "text": "x"},
        {"name": "No text", "text": ["x"]},
        "a string",
        {"name": "Long description", "text": "ok", "description": "d" * 300},
        {"name": "n" * 61, "text": "ok"},
        {"name": "Kept", "text": "ok"},
        {"name": "KEPT", "text": "same name"},
    ]}))
    library = PromptLibrary(library_path)
    assert "Kept" in library.names()
    problems = [p for p in library.problems]
    assert len(problems) == 1
    assert "6 presets are left out (preset 1 has no name; preset 2 has no prompt text; preset 3 is not a preset; " \
           "and 3 more)" in problems[0]


def test_more_presets_than_the_editor_allows_keeps_the_first_ones(library_path):
    library_path.write_text(json.dumps({"schema_version": 1, "presets": [
        {"name": f"P{i}", "text": "ok"} for i in range(MAX_PRESETS + 50)
    ]}))
    library = PromptLibrary(library_path)
    assert len(library.names()) == MAX_PRESETS and library.names()[0] == "P0"
    assert len(library.problems) == 1 and "50 presets are left out" in library.problems[0]
    with pytest.raises(PromptError, match=f"at most {MAX_PRESETS} presets"):
        library.create("One more", "ok")


def test_a_prompt_library_nested_200000_levels_deep_is_set_aside(library_path, config_dir):
    library_path.write_text('{"presets": ' + "[" * DEEP)
    library = PromptLibrary(library_path)
    assert library.names() == [p.name for p in library.defaults]
    (problem,) = library.problems
    assert "nested more than 32 levels deep" in problem
    assert only_aside(config_dir, "prompts.json").exists()


# ------------------------------------------------------------------------------------------------ the log file
def test_a_read_only_log_folder_still_logs_to_stderr_and_says_so_once(tmp_path, capsys, restore_logging):
    folder = tmp_path / "logs"
    folder.mkdir()
    with read_only(folder):
        with pytest.raises(OSError) as caught:
            configure_logging("INFO", log_dir=folder)
        logger.warning("still heard")
    assert "still heard" in capsys.readouterr().err
    sentence = log_file_sentence(caught.value, folder)
    assert sentence.startswith(f"The log cannot be written to {folder} (") and sentence.endswith("without a log file.")
    assert_plain(sentence)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a device that is always full")
def test_a_full_disk_under_the_log_file_prints_no_logging_tracebacks(tmp_path, capsys, restore_logging):
    """/dev/full accepts the file being opened and fails every write with ENOSPC: a disk that filled up mid-run."""
    (tmp_path / "desktop-agent.log").symlink_to("/dev/full")
    configure_logging("INFO", log_dir=tmp_path, to_stderr=False)
    for number in range(5):
        logger.warning("line {}", number)
    assert capsys.readouterr().err == ""
    print("still running", file=sys.stderr)
