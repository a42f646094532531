"""Settings > Providers & keys: choosing the provider of a role, the pages that follow it, and the language model's
fallback, saved to the settings file (keys never)."""

from __future__ import annotations

from desktop_agent.state.events import Provider
from tests.ui.settings.conftest import saved_settings


def choose(combo, provider_id: str) -> None:
    combo.setCurrentIndex(combo.findData(provider_id))


def test_every_role_offers_its_providers_with_the_default_chosen(make_dialog):
    page = make_dialog().keys_page
    offered = {role: [page.choosers[role].itemData(i) for i in range(page.choosers[role].count())]
               for role in Provider}
    assert offered == {Provider.STT: ["cartesia", "deepgram", "sarvam", "cartesia_turns"],
                       Provider.LLM: ["cerebras", "groq", "openai", "local"],
                       Provider.TTS: ["elevenlabs", "cartesia_tts", "sarvam_tts"]}
    assert [page.choosers[role].currentData() for role in Provider] == ["cartesia", "cerebras", "elevenlabs"]
    assert page.rows[Provider.LLM].title().startswith("Cerebras (language model)")


def test_choosing_a_provider_saves_it_and_every_page_follows(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.keys_page
    with qtbot.waitSignal(dialog.provider_changed) as changed:
        choose(page.choosers[Provider.LLM], "groq")
    assert changed.args == [Provider.LLM]
    assert page.rows[Provider.LLM].title() == "Groq (language model): console.groq.com > API Keys"
    assert page.rows[Provider.LLM].key_field.placeholderText() == "Paste your Groq API key"
    assert dialog.models_page.llm_box.title() == "Language model (Groq)"
    assert dialog.models_page.llm_model.currentText() == "llama-3.3-70b-versatile"
    assert dialog.prices_page.labels["llm_per_million_tokens"].text() == "Groq language model"
    saved = saved_settings(config_dir)
    assert saved["providers"]["llm"] == "groq" and saved["models"]["llm_model"] == ""
    assert saved["prices"]["llm_per_million_tokens"] == 0.69

    with qtbot.waitSignal(dialog.provider_changed):
        choose(page.choosers[Provider.TTS], "cartesia_tts")
    assert dialog.models_page.tts_model.currentText() == "sonic-3"
    assert saved_settings(config_dir)["voice"]["voice_id"] == "", "a voice of one vendor means nothing to another"


def test_a_local_server_asks_for_no_key(make_dialog, qtbot):
    page = make_dialog().keys_page
    choose(page.choosers[Provider.LLM], "local")
    row = page.rows[Provider.LLM]
    assert row.key_field.placeholderText() == "Only if your Local server asks for one"
    assert row.source_label.text() == "No key: none is needed on this computer."
    assert row.endpoint_field.placeholderText() == "http://127.0.0.1:11434/v1 (the default)"


def test_the_fallback_is_chosen_with_its_own_key_row_and_never_the_chosen_provider(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.keys_page
    fallbacks = [page.fallback_chooser.itemData(i) for i in range(page.fallback_chooser.count())]
    assert fallbacks == ["", "groq", "openai", "local"] and page.fallback_row is None
    with qtbot.waitSignal(dialog.restart_needed) as restart:
        choose(page.fallback_chooser, "groq")
    assert restart.args == ["The fallback applies from the next session."]
    assert page.fallback_row is not None and page.fallback_row.title().startswith("Fallback: Groq (language model)")
    assert page.fallback_row.endpoint_field.isHidden()
    assert saved_settings(config_dir)["providers"]["llm_fallback"] == "groq"
    choose(page.choosers[Provider.LLM], "groq")  # Groq cannot stand in for itself
    assert dialog.settings.providers.llm_fallback == "" and page.fallback_row is None
    assert [page.fallback_chooser.itemData(i) for i in range(page.fallback_chooser.count())] == \
        ["", "cerebras", "openai", "local"]


def test_speech_roles_have_fallbacks_too_each_with_its_own_key_row(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.keys_page
    offered = {role: [page.fallback_choosers[role].itemData(i) for i in range(page.fallback_choosers[role].count())]
               for role in (Provider.STT, Provider.TTS)}
    assert offered == {Provider.STT: ["", "deepgram", "sarvam"], Provider.TTS: ["", "cartesia_tts", "sarvam_tts"]}
    assert not page.fallback_rows
    with qtbot.waitSignal(dialog.restart_needed):
        choose(page.fallback_choosers[Provider.STT], "deepgram")
    with qtbot.waitSignal(dialog.restart_needed):
        choose(page.fallback_choosers[Provider.TTS], "cartesia_tts")
    assert page.fallback_rows[Provider.STT].title().startswith("Fallback: Deepgram (speech to text)")
    assert page.fallback_rows[Provider.TTS].title().startswith("Fallback: Cartesia (text to speech)")
    saved = saved_settings(config_dir)["providers"]
    assert (saved["stt_fallback"], saved["tts_fallback"]) == ("deepgram", "cartesia_tts")
    choose(page.choosers[Provider.TTS], "cartesia_tts")  # the fallback cannot stand in for itself
    assert dialog.settings.providers.tts_fallback == "" and Provider.TTS not in page.fallback_rows
    assert [page.fallback_choosers[Provider.TTS].itemData(i)
            for i in range(page.fallback_choosers[Provider.TTS].count())] == ["", "elevenlabs", "sarvam_tts"]
    assert Provider.STT in page.fallback_rows, "the other role's fallback stays"


def test_turn_based_speech_to_text_is_offered_and_takes_only_a_turn_based_fallback(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.keys_page
    stt = page.choosers[Provider.STT]
    turn_based = stt.findData("cartesia_turns")
    assert stt.itemText(turn_based) == "Cartesia Ink-2 (turn-based)"
    assert "hands-free" in stt.itemData(turn_based, 3)  # its tooltip says what it changes
    with qtbot.waitSignal(dialog.restart_needed):
        choose(page.fallback_choosers[Provider.STT], "deepgram")
    with qtbot.waitSignal(dialog.provider_changed):
        choose(stt, "cartesia_turns")
    # Deepgram cannot say when a turn ends: it no longer stands in, and is not offered.
    assert dialog.settings.providers.stt_fallback == "" and Provider.STT not in page.fallback_rows
    fallback = page.fallback_choosers[Provider.STT]
    assert [fallback.itemData(i) for i in range(fallback.count())] == [""]
    saved = saved_settings(config_dir)["providers"]
    assert (saved["stt"], saved["stt_fallback"]) == ("cartesia_turns", "")
