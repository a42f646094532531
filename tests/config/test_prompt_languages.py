"""The prompt presets serve every language: each shipped preset, given with the answer-language sentence, keeps its
own text whole and then names the language, its script and that numbers and dates are that language's words (the
presets' one English-only rule)."""

from __future__ import annotations

import pytest

from desktop_agent.config.languages import AUTO, INDIAN_LANGUAGES, NATIVE_NAMES, language_name, with_answer_language
from desktop_agent.config.prompts import load_defaults


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
