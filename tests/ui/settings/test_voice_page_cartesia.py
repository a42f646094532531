"""Settings > Voice with Cartesia speaking (``providers.tts = "cartesia_tts"``), against the simulator's Cartesia TTS
host: its voices listed in the speech language, the filters it honours (no accent filter), paging, applying a voice,
a spoken preview, a saved voice the account no longer has, and switching to it from another provider."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from desktop_agent.state.events import Provider
from desktop_agent.ui.settings import SettingsPage
from tests.ui.settings.conftest import saved_settings

ENGLISH = ["Emu Rachel", "Emu Adam", "Emu Charlotte", "Emu George", "Emu Matilda", "Emu Liam", "Emu Priya", "Emu Sam"]


def names(page) -> list[str]:
    return [voice.name for voice in page.voices()]


def speak_with_cartesia(config_dir, **more) -> None:
    (config_dir / "settings.json").write_text(json.dumps({"providers": {"tts": "cartesia_tts"}, **more}))


def open_voice_page(make_dialog, qtbot):
    dialog = make_dialog()
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


def cartesia_queries(sim) -> list[dict]:
    return [r.data["query"] for r in sim.select("cartesia_tts", "voices_request") if r.data["path"] == "/voices"]


def test_the_page_lists_cartesias_voices_in_the_speech_language_without_an_accent_filter(make_dialog, qtbot, sim,
                                                                                          config_dir):
    speak_with_cartesia(config_dir)
    _, page = open_voice_page(make_dialog, qtbot)
    assert names(page) == ENGLISH
    assert page.status_label.text() == "Showing 8 voices."  # Cartesia gives no total
    assert page.voice_list.item(0).text() == "Emu Rachel — female · general american · en · conversational"
    assert page.current_label.text() == "Current voice: British Reading Lady (until you choose one)"
    assert page.accent_filter.isHidden() and page.accent_filter.currentData() == ""
    assert page.language_filter.isVisible() and page.gender_filter.isVisible()
    assert page.search_field.placeholderText() == "Search voices by name or description…"
    assert not page.more_button.isVisible()
    assert cartesia_queries(sim) and not sim.select("elevenlabs", "voices_request")


def test_search_gender_and_language_narrow_cartesias_list(make_dialog, qtbot, sim, config_dir):
    speak_with_cartesia(config_dir)
    _, page = open_voice_page(make_dialog, qtbot)
    page.gender_filter.setCurrentIndex(page.gender_filter.findData("male"))
    qtbot.waitUntil(lambda: names(page) == ["Emu Adam", "Emu George", "Emu Liam"], timeout=5_000)
    assert cartesia_queries(sim)[-1]["gender"] == "masculine"
    page.language_filter.setCurrentIndex(page.language_filter.findData("es"))
    qtbot.waitUntil(lambda: names(page) == ["Emu Mateo"], timeout=5_000)
    page.gender_filter.setCurrentIndex(page.gender_filter.findData(""))
    page.language_filter.setCurrentIndex(page.language_filter.findData(""))
    qtbot.keyClicks(page.search_field, "british")
    qtbot.waitUntil(lambda: names(page) == ["Emu Charlotte", "Emu George"], timeout=5_000)
    assert cartesia_queries(sim)[-1] == {"limit": "30", "q": "british"}
    assert all("accent" not in query and "language" not in query for query in cartesia_queries(sim))


def test_more_cartesia_voices_load_page_by_page(make_dialog, qtbot, sim, config_dir):
    speak_with_cartesia(config_dir)
    dialog = make_dialog()
    page = dialog.voice_page
    page.page_size = 5
    page.language_filter.setCurrentIndex(page.language_filter.findData(""))
    dialog.show_page(SettingsPage.VOICE)
    qtbot.waitUntil(lambda: page.status_label.text() == "Showing 5 voices.", timeout=10_000)
    for shown in (10, 12):
        assert page.more_button.isVisible()
        qtbot.mouseClick(page.more_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda shown=shown: page.status_label.text() == f"Showing {shown} voices.", timeout=5_000)
    assert not page.more_button.isVisible()
    assert [v.voice_id for v in page.voices()] == [f"emu-voice-{n}" for n in range(1, 13)]
    assert [q.get("starting_after") for q in cartesia_queries(sim)] == [None, "emu-voice-5", "emu-voice-10"]


def test_applying_a_cartesia_voice_emits_it_and_saves_it(make_dialog, qtbot, sim, config_dir):
    speak_with_cartesia(config_dir)
    dialog, page = open_voice_page(make_dialog, qtbot)
    select(page, "Emu George")
    with qtbot.waitSignal(dialog.voice_changed) as changed:
        qtbot.mouseClick(page.apply_button, Qt.MouseButton.LeftButton)
    assert changed.args == ["emu-voice-4", "Emu George"]
    assert page.current_label.text() == "Current voice: Emu George"
    saved = saved_settings(config_dir)
    assert saved["voice"] == {"voice_id": "emu-voice-4", "voice_name": "Emu George"}
    assert saved["providers"]["tts"] == "cartesia_tts"


def test_a_cartesia_preview_speaks_through_the_sound_card(make_dialog, qtbot, sim, config_dir, pulse_null_sink):
    """Real playback: PortAudio into the PulseAudio null sink."""
    speak_with_cartesia(config_dir)
    _, page = open_voice_page(make_dialog, qtbot)
    select(page, "Emu Charlotte")
    qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    assert page.preview_button.text() == "Stop"
    qtbot.waitUntil(lambda: page.status_label.text() == "Playing a preview of Emu Charlotte.", timeout=10_000)
    qtbot.waitUntil(lambda: page.preview_button.text() == "Preview", timeout=20_000)
    assert page.status_label.text() == ""
    request = sim.select("cartesia_tts", "tts_bytes_request")[-1].data
    assert request["voice"] == {"mode": "id", "id": "emu-voice-3"} and request["model_id"] == "sonic-3"
    assert request["transcript"].startswith("Hi! This is how I will sound")
    assert request["output_format"] == {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000}


def test_a_saved_cartesia_voice_the_account_no_longer_has_is_said_with_a_switch(make_dialog, qtbot, sim, config_dir):
    speak_with_cartesia(config_dir, voice={"voice_id": "0a1b-gone", "voice_name": "Old Favourite"})
    dialog, page = open_voice_page(make_dialog, qtbot)
    notice = page.missing_notice
    qtbot.waitUntil(notice.isVisible, timeout=10_000)
    assert notice.label.text() == ("The voice Old Favourite is no longer in your Cartesia account. Switch to "
                                   "Emu Charlotte.")
    with qtbot.waitSignal(dialog.voice_changed) as changed:
        qtbot.mouseClick(notice.button, Qt.MouseButton.LeftButton)
    assert changed.args == ["emu-voice-3", "Emu Charlotte"]
    assert saved_settings(config_dir)["voice"] == {"voice_id": "emu-voice-3", "voice_name": "Emu Charlotte"}


def test_switching_to_cartesia_hides_and_clears_the_accent_filter(make_dialog, qtbot, sim, config_dir):
    dialog, page = open_voice_page(make_dialog, qtbot)  # the default voice provider, which filters by accent
    assert page.accent_filter.isVisible()
    page.accent_filter.setCurrentIndex(page.accent_filter.findData("irish"))
    qtbot.waitUntil(lambda: names(page) == ["Emu Liam"], timeout=5_000)
    chooser = dialog.keys_page.choosers[Provider.TTS]
    chooser.setCurrentIndex(chooser.findData("cartesia_tts"))
    qtbot.waitUntil(lambda: names(page) == ENGLISH, timeout=10_000)
    assert page.accent_filter.isHidden() and page.accent_filter.currentData() == ""
    assert page.current_label.text() == "Current voice: British Reading Lady (until you choose one)"
    assert cartesia_queries(sim) and all("accent" not in query for query in cartesia_queries(sim))
