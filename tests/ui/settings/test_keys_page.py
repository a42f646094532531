"""Settings > Keys: masked fields, Show, Save (keyring or session), Remove and Test against the simulator."""

from __future__ import annotations

import socket
import uuid

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from desktop_agent.config.logging_setup import configure_logging
from desktop_agent.config.secrets import KEYRING_SERVICE
from desktop_agent.simulator import SIMULATOR_API_KEYS
from desktop_agent.state.events import Provider
from tests.ui.settings.conftest import saved_settings

NAMES = {Provider.STT: "cartesia", Provider.LLM: "cerebras", Provider.TTS: "elevenlabs"}


def sim_url(sim, provider: Provider) -> str:
    return {Provider.STT: sim.cartesia_url, Provider.LLM: sim.cerebras_url, Provider.TTS: sim.elevenlabs_url}[provider]


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def set_endpoint(row, url: str) -> None:
    row.endpoint_field.setText(url)
    row.endpoint_field.editingFinished.emit()


def test_without_a_keyring_the_page_says_so_and_keeps_keys_for_the_session(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    page = dialog.keys_page
    assert page.keyring_label.text().startswith("No system keyring is available")
    assert page.session_only.isChecked() and not page.session_only.isEnabled()
    row = page.rows[Provider.LLM]
    assert row.key_field.echoMode() is QLineEdit.EchoMode.Password
    assert row.save_button.text() == "Use for this session"
    assert row.source_label.text() == "No key yet."

    row.key_field.setText("csk-session-key-42")
    with qtbot.waitSignal(dialog.keys_changed):
        click(qtbot, row.save_button)
    assert row.result_label.text() == "✓ Kept for this session only."
    assert row.source_label.text() == "Kept for this session only; it will be gone when the app closes."
    assert row.remove_button.isEnabled()
    assert not (config_dir / "settings.json").exists() or "csk-session-key-42" not in (config_dir / "settings.json").read_text()

    click(qtbot, row.show_button)
    assert row.key_field.echoMode() is QLineEdit.EchoMode.Normal and row.show_button.text() == "Hide"
    click(qtbot, row.show_button)
    assert row.key_field.echoMode() is QLineEdit.EchoMode.Password

    with qtbot.waitSignal(dialog.keys_changed):
        click(qtbot, row.remove_button)
    assert row.key_field.text() == "" and row.source_label.text() == "No key yet."


def test_an_unusable_key_is_refused_with_a_sentence(make_dialog, qtbot):
    row = make_dialog().keys_page.rows[Provider.STT]
    row.key_field.setText("two words")
    click(qtbot, row.save_button)
    assert row.result_label.text() == (
        "✗ The Cartesia key contains spaces or line breaks; check that you copied only the key."
    )


def test_an_environment_key_is_shown_as_such_and_cannot_be_edited(make_dialog):
    row = make_dialog(environ={"ELEVENLABS_API_KEY": "xi-env-key-123"}).keys_page.rows[Provider.TTS]
    assert row.key_field.text() == "xi-env-key-123" and row.key_field.isReadOnly()
    assert row.source_label.text().startswith("Set by ELEVENLABS_API_KEY in the environment; that value wins")
    assert not row.remove_button.isEnabled()


@pytest.mark.parametrize("provider", list(Provider))
def test_test_button_reports_a_good_key(make_dialog, qtbot, sim, provider):
    row = make_dialog().keys_page.rows[provider]
    set_endpoint(row, sim_url(sim, provider))
    row.key_field.setText(SIMULATOR_API_KEYS[NAMES[provider]])
    click(qtbot, row.test_button)
    qtbot.waitUntil(lambda: row.result_label.text().startswith("✓"), timeout=10_000)
    assert row.result_label.text().startswith(f"✓ The {row.provider.display_name} key works")
    assert row.test_button.isEnabled()


@pytest.mark.parametrize("provider", list(Provider))
def test_test_button_reports_a_wrong_key(make_dialog, qtbot, sim, provider):
    row = make_dialog().keys_page.rows[provider]
    set_endpoint(row, sim_url(sim, provider))
    row.key_field.setText("definitely-wrong-key")
    click(qtbot, row.test_button)
    qtbot.waitUntil(lambda: row.result_label.text().startswith("✗"), timeout=10_000)
    name = row.provider.display_name
    assert row.result_label.text() == (
        f"✗ {name} rejected this key. Check that you copied the whole key from your {name} account."
    )


@pytest.mark.parametrize("provider", list(Provider))
def test_test_button_reports_an_unreachable_endpoint(make_dialog, qtbot, provider):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1" if provider is Provider.LLM else f"ws://127.0.0.1:{port}"
    row = make_dialog().keys_page.rows[provider]
    set_endpoint(row, url)
    row.key_field.setText("some-key-123456")
    click(qtbot, row.test_button)
    qtbot.waitUntil(lambda: row.result_label.text().startswith("✗"), timeout=10_000)
    assert row.result_label.text().startswith(
        f"✗ Could not reach {row.provider.display_name} at 127.0.0.1:{port}: the connection was refused."
    )


def test_endpoints_are_validated_and_saved(make_dialog, qtbot, config_dir):
    dialog = make_dialog()
    row = dialog.keys_page.rows[Provider.LLM]
    set_endpoint(row, "http://api.example.com/v1")
    assert row.result_label.text() == (
        "✗ The Cerebras endpoint http://api.example.com/v1 uses http:// to another computer; use https:// so the "
        "API key travels encrypted."
    )
    with qtbot.waitSignal(dialog.restart_needed) as restart:
        set_endpoint(row, "https://proxy.example.com/v1")
    assert restart.args == ["New endpoints apply from the next session."]
    assert saved_settings(config_dir)["providers"]["llm_url"] == "https://proxy.example.com/v1"


def test_keys_saved_in_the_panel_reach_the_keyring_and_never_the_settings_file_or_log(
    secret_service_keyring, make_dialog, qtbot, config_dir, tmp_path, sim, restore_logging_to_stderr
):
    log_file = configure_logging("DEBUG", log_dir=tmp_path / "logs", to_stderr=False)
    dialog = make_dialog(backend=secret_service_keyring)
    page = dialog.keys_page
    assert page.keyring_label.text().startswith("Keys are kept in the system keyring")
    keys = {provider: f"{provider.value}-{uuid.uuid4().hex}" for provider in Provider}
    try:
        for provider, key in keys.items():
            row = page.rows[provider]
            assert row.save_button.text() == "Save to keyring"
            row.key_field.setText(key)
            with qtbot.waitSignal(dialog.keys_changed):
                click(qtbot, row.save_button)
            assert row.result_label.text() == "✓ Saved in the system keyring."
            assert keyring.get_password(KEYRING_SERVICE, NAMES[provider]) == key
        # the panel saves settings too (any change), and a test logs its request
        dialog.models_page.temperature.setValue(0.4)
        dialog.models_page.temperature.editingFinished.emit()
        row = page.rows[Provider.TTS]
        set_endpoint(row, sim.elevenlabs_url)
        click(qtbot, row.test_button)
        qtbot.waitUntil(lambda: row.result_label.text().startswith("✗"), timeout=10_000)  # not the simulator's key
        settings_text = (config_dir / "settings.json").read_text()
        log_text = log_file.read_text()
        assert '"temperature": 0.4' in settings_text
        assert "Saved the Cerebras key to the system keyring" in log_text
        assert "Key test for ElevenLabs: wrong_key" in log_text
        for key in keys.values():
            assert key not in settings_text and key not in log_text
            assert key not in row.result_label.text()
    finally:
        for provider in Provider:
            keyring.delete_password(KEYRING_SERVICE, NAMES[provider])


@pytest.fixture
def restore_logging_to_stderr():
    yield
    import logging
    import sys

    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    logging.basicConfig(handlers=[logging.StreamHandler()], level=logging.WARNING, force=True)
