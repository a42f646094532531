"""The prompt presets serve every language: each shipped preset, given with the answer-language sentence, keeps its
own text whole and then names the language, its script and that numbers and dates are that language's words (the
presets' one English-only rule)."""

from __future__ import annotations

import pytest

from desktop_agent.config.languages import AUTO, INDIAN_LANGUAGES, NATIVE_NAMES, language_name, with_answer_language
from desktop_agent.config.prompts import PromptLibrary, load_defaults, preset_for_language


@pytest.mark.parametrize("code", [code for code, _ in INDIAN_LANGUAGES])
def test_every_preset_is_told_the_indian_language_its_script_and_its_spoken_numbers(code):
    presets, problems = load_defaults()
    assert presets and not problems
    name = language_name(code)
    for preset in presets:
        given = with_answer_language(preset.text, code)
        assert given.startswith(preset.text.rstrip())
        last = given.rsplit("\n\n", 1)[1]
        assert last.startswith(f"Answer in {name}")
        if code in NATIVE_NAMES:
            assert f"({NATIVE_NAMES[code]}) in its own script" in last
        assert last.endswith(f"write numbers, dates, times and amounts as {name} words, the way they are said.")


def test_with_detection_the_reply_and_its_numbers_follow_the_users_language():
    last = with_answer_language("Be brief.", AUTO).rsplit("\n\n", 1)[1]
    assert last.startswith("Answer in the language the user speaks in their last turn")
    assert "numbers, dates, times and amounts as that language's words" in last


#: The Unicode block of each Indian language's script.
SCRIPTS = {"hi": (0x0900, 0x097F), "mr": (0x0900, 0x097F), "bn": (0x0980, 0x09FF), "pa": (0x0A00, 0x0A7F),
           "gu": (0x0A80, 0x0AFF), "or": (0x0B00, 0x0B7F), "ta": (0x0B80, 0x0BFF), "te": (0x0C00, 0x0C7F),
           "kn": (0x0C80, 0x0CFF), "ml": (0x0D00, 0x0D7F)}


def test_every_indian_language_has_the_voice_assistant_written_in_it(config_dir):
    library = PromptLibrary(config_dir / "prompts.json")
    by_language = {language: name for name, language in library.shipped_languages.items()}
    assert set(by_language) == set(SCRIPTS)
    for code, (low, high) in SCRIPTS.items():
        preset = library.get(by_language[code])
        assert preset is not None and preset.name.startswith("Voice assistant (")
        letters = [c for c in preset.text if c.isalpha()]
        in_script = sum(low <= ord(c) <= high for c in letters)
        assert in_script / len(letters) > 0.9, f"{preset.name} is written in its script"
        assert "\u2028" not in preset.text and len(preset.text) < 2000


def test_the_shipped_voice_assistant_follows_the_language(config_dir):
    library = PromptLibrary(config_dir / "prompts.json")
    default = library.default_name
    hindi = preset_for_language(library, default, "hi")
    assert hindi is not None and hindi.name == "Voice assistant (हिन्दी)"
    tamil = preset_for_language(library, hindi.name, "ta")
    assert tamil is not None and tamil.name == "Voice assistant (தமிழ்)"
    odia = preset_for_language(library, tamil.name, "od-IN")  # another spelling of Odia's code
    assert odia is not None and odia.name == "Voice assistant (ଓଡ଼ିଆ)"
    back = preset_for_language(library, odia.name, "en")
    assert back is not None and back.name == default, "a language without its own version brings the default back"
    assert preset_for_language(library, default, "fr") is None, "the default already serves it"
    assert preset_for_language(library, default, "en") is None


def test_a_preset_the_user_chose_or_edited_is_kept_whatever_the_language(config_dir):
    library = PromptLibrary(config_dir / "prompts.json")
    assert preset_for_language(library, "Concise tutor", "hi") is None
    library.update(library.default_name, text="Answer like a pirate.")
    assert preset_for_language(library, library.default_name, "hi") is None, "an edited default is the user's own"
    library.delete("Voice assistant (தமிழ்)")
    library.restore_defaults()
    library.delete("Voice assistant (தமிழ்)")
    assert preset_for_language(library, library.default_name, "ta") is None, "a deleted version is not brought back"
