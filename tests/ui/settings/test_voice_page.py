"""Settings > Voice against the simulator's ElevenLabs: list, search, filters, paging, preview and apply."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from desktop_agent.simulator import Fault
from desktop_agent.simulator.voices import ELEVENLABS_VOICES, RETIRED_VOICE_ID
from desktop_agent.ui.settings import SettingsPage
from tests.ui.settings.conftest import saved_settings

ENGLISH = ["Emu Rachel", "Emu Adam", "Emu Charlotte", "Emu George", "Emu Matilda", "Emu Liam", "Emu Priya", "Emu Sam",
           "Roger", "Sarah", "George", "River", "Jessica", "Eric"]


def names(page) -> list[str]:
    return [voice.name for voice in page.voices()]


def open_voice_page(make_dialog, qtbot, **kwargs):
    dialog = make_dialog(**kwargs)
    dialog.show_page(SettingsPage.VOICE)
    page = dialog.voice_page
    qtbot.waitUntil(lambda: page.status_label.text().startswith("Showing"), timeout=10_000)
    return dialog, page


def select(page, name: str) -> None:
    for row in range(page.voice_list.count()):
        if page.voice_list.item(row).data(Qt.ItemDataRole.UserRole).name == name:
            page.voice_list.setCurrentRow(row)
            return
    raise AssertionError(f"{name} is not listed")


def test_opening_the_page_lists_the_voices_in_the_speech_language(make_dialog, qtbot, sim):
    dialog, page = open_voice_page(make_dialog, qtbot)
    assert page.language_filter.currentData() == "en"
    assert names(page) == ENGLISH
    assert page.status_label.text() == "Showing 14 of 14 voices."
    assert page.voice_list.item(0).text() == "Emu Rachel — female · american · en · conversational"
    assert page.current_label.text() == "Current voice: Eric (until you choose one)"
    assert not page.more_button.isVisible()


def test_search_and_filters_narrow_the_list(make_dialog, qtbot, sim):
    _, page = open_voice_page(make_dialog, qtbot)
    qtbot.keyClicks(page.search_field, "british")
    qtbot.waitUntil(lambda: names(page) == ["Emu Charlotte", "Emu George", "George"], timeout=5_000)
    assert page.status_label.text() == "Showing 3 of 3 voices."
    page.search_field.clear()
    page.gender_filter.setCurrentIndex(page.gender_filter.findData("male"))
    qtbot.waitUntil(lambda: names(page) == ["Emu Adam", "Emu George", "Emu Liam", "Roger", "George", "Eric"],
                    timeout=5_000)
    page.accent_filter.setCurrentIndex(page.accent_filter.findData("irish"))
    qtbot.waitUntil(lambda: names(page) == ["Emu Liam"], timeout=5_000)
    page.accent_filter.setCurrentIndex(page.accent_filter.findData("indian"))
    qtbot.waitUntil(lambda: page.status_label.text() == "No voices match; change the search or the filters.",
                    timeout=5_000)
    queries = [r.data["query"] for r in sim.select("elevenlabs", "voices_request")]
    assert queries[-1]["accent"] == "indian" and queries[-1]["gender"] == "male" and queries[-1]["language"] == "en"


def test_the_voice_list_follows_the_speech_language(make_dialog, qtbot, sim, config_dir):
    dialog, page = open_voice_page(make_dialog, qtbot)
    models = dialog.models_page
    # The language applies at once (the running session switches from the next turn): no restart is asked for.
    with qtbot.assertNotEmitted(dialog.restart_needed), qtbot.waitSignal(models.language_changed) as changed:
        models.stt_language.setCurrentIndex(models.stt_language.findData("es"))
    assert changed.args == ["es"]
    qtbot.waitUntil(lambda: names(page) == ["Emu Sofia", "Emu Mateo"], timeout=5_000)
    assert page.language_filter.currentData() == "es"
    assert saved_settings(config_dir)["models"]["stt_language"] == "es"


def test_more_voices_load_page_by_page(make_dialog, qtbot, sim):
    dialog = make_dialog()
    page = dialog.voice_page
    page.page_size = 5
    page.language_filter.setCurrentIndex(page.language_filter.findData(""))
    dialog.show_page(SettingsPage.VOICE)
    qtbot.waitUntil(lambda: page.status_label.text() == "Showing 5 of 18 voices.", timeout=10_000)
    for shown in (10, 15, 18):
        assert page.more_button.isVisible()
        qtbot.mouseClick(page.more_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda shown=shown: page.status_label.text() == f"Showing {shown} of 18 voices.",
                        timeout=5_000)
    assert not page.more_button.isVisible()
    assert [v.voice_id for v in page.voices()] == [v.voice_id for v in ELEVENLABS_VOICES]


def test_applying_a_voice_emits_it_and_saves_it(make_dialog, qtbot, sim, config_dir):
    dialog, page = open_voice_page(make_dialog, qtbot)
    assert not page.apply_button.isEnabled()
    select(page, "Emu George")
    with qtbot.waitSignal(dialog.voice_changed) as changed:
        qtbot.mouseClick(page.apply_button, Qt.MouseButton.LeftButton)
    assert changed.args == ["emu-voice-4", "Emu George"]
    assert page.current_label.text() == "Current voice: Emu George"
    assert saved_settings(config_dir)["voice"] == {"voice_id": "emu-voice-4", "voice_name": "Emu George"}


def test_preview_speaks_through_the_sound_card(make_dialog, qtbot, sim, pulse_null_sink):
    """Real playback: PortAudio into the PulseAudio null sink."""
    _, page = open_voice_page(make_dialog, qtbot)
    select(page, "Emu Charlotte")
    qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    assert page.preview_button.text() == "Stop"
    qtbot.waitUntil(lambda: page.status_label.text() == "Playing a preview of Emu Charlotte.", timeout=10_000)
    qtbot.waitUntil(lambda: page.preview_button.text() == "Preview", timeout=20_000)
    assert page.status_label.text() == ""
    request = sim.select("elevenlabs", "tts_http_request")[-1]
    assert request.meta["path"] == "/v1/text-to-speech/emu-voice-3/stream/with-timestamps"
    assert request.data["text"].startswith("Hi! This is how I will sound")


def test_a_playing_preview_can_be_stopped(make_dialog, qtbot, sim, pulse_null_sink):
    _, page = open_voice_page(make_dialog, qtbot)
    select(page, "Emu Adam")
    qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status_label.text() == "Playing a preview of Emu Adam.", timeout=10_000)
    qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    assert page.preview_button.text() == "Preview"
    assert not page._runner.busy("preview")


def test_failures_are_shown_as_sentences(make_dialog, qtbot, sim):
    sim.fault("elevenlabs", Fault.http(503, times=1, path_contains="/v2/voices"))
    dialog = make_dialog()
    dialog.show_page(SettingsPage.VOICE)
    page = dialog.voice_page
    qtbot.waitUntil(lambda: page.status_label.text() == "ElevenLabs has a problem on its side (HTTP 503); try again "
                    "later.", timeout=10_000)
    page.refresh()
    qtbot.waitUntil(lambda: page.status_label.text() == "Showing 14 of 14 voices.", timeout=10_000)


def test_without_the_simulator_a_missing_key_says_where_to_add_it(make_dialog, qtbot):
    dialog = make_dialog(simulate=False)
    dialog.show_page(SettingsPage.VOICE)
    page = dialog.voice_page
    qtbot.waitUntil(lambda: page.status_label.text().startswith("The ElevenLabs API key is missing"), timeout=5_000)
    assert "Open Settings > Keys" in page.status_label.text()


def test_a_saved_voice_the_account_no_longer_has_is_said_with_a_switch(make_dialog, qtbot, sim, config_dir):
    (config_dir / "settings.json").write_text(json.dumps({"voice": {"voice_id": RETIRED_VOICE_ID,
                                                                    "voice_name": "Rachel"}}))
    dialog, page = open_voice_page(make_dialog, qtbot)
    notice = page.missing_notice
    qtbot.waitUntil(notice.isVisible, timeout=10_000)
    assert notice.label.text() == "The voice Rachel is no longer in your ElevenLabs account. Switch to Eric."
    assert notice.button.text() == "Switch to Eric"
    with qtbot.waitSignal(dialog.voice_changed) as changed:
        qtbot.mouseClick(notice.button, Qt.MouseButton.LeftButton)
    assert changed.args == ["cjVigY5qzO86Huf0OWal", "Eric"]
    assert page.current_label.text() == "Current voice: Eric" and not notice.isVisible()
    assert saved_settings(config_dir)["voice"] == {"voice_id": "cjVigY5qzO86Huf0OWal", "voice_name": "Eric"}


def test_a_saved_voice_the_account_has_needs_no_notice(make_dialog, qtbot, sim, config_dir):
    (config_dir / "settings.json").write_text(json.dumps({"voice": {"voice_id": "emu-voice-4",
                                                                    "voice_name": "Emu George"}}))
    dialog, page = open_voice_page(make_dialog, qtbot)
    qtbot.waitUntil(lambda: not dialog.runner.busy("voice-check"), timeout=10_000)
    assert not page.missing_notice.isVisible()
    paths = [r.data["path"] for r in sim.select("elevenlabs", "voices_request")]
    assert "/v1/voices/emu-voice-4" in paths, "the saved voice was really looked up"
