"""Settings > Tools with real widgets (pytest-qt) and the real Secret Service keyring: a webhook action typed into
the form is saved to the tools file with its secret header's value in the keyring only; bad input is one sentence
and keeps the form; the on/off switch and removal are saved at once and say they apply from the next session."""

from __future__ import annotations

import json

import keyring
import pytest
from PySide6.QtCore import Qt

from desktop_agent.config.secrets import KEYRING_SERVICE
from desktop_agent.config.tool_secrets import ToolSecrets, entry_name
from desktop_agent.config.tools import ToolLibrary
from desktop_agent.ui.settings.tools_page import ToolsPage
from desktop_agent.ui.settings.webhook_editor import KEPT_SECRET

SECRET = "n8n-header-token-5521"


@pytest.fixture
def page(qtbot, tmp_path, secret_service_keyring):
    library = ToolLibrary(tmp_path / "tools.json")
    widget = ToolsPage(library, ToolSecrets(secret_service_keyring))
    qtbot.addWidget(widget)
    yield widget
    for tool in ("create_ticket", "open_ticket"):
        for header in ("X-Api-Key",):
            ToolSecrets(secret_service_keyring).delete(tool, header)


def _fill(page: ToolsPage, url: str = "https://hooks.example.com/webhook/abc") -> None:
    editor = page.editor
    editor.name.setText("create_ticket")
    editor.description.setText("Open a support ticket.")
    editor.url.setText(url)
    editor.method.setCurrentText("POST")
    editor.parameters.setPlainText(
        '{"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}'
    )
    editor.add_header_row("X-Api-Key", SECRET, secret=True)
    editor.add_header_row("X-Team", "support")
    editor.timeout.setValue(8)


def test_a_webhook_action_is_saved_with_its_secret_in_the_keyring(page, qtbot, tmp_path):
    changes = []
    page.tools_changed.connect(lambda: changes.append(True))
    _fill(page)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)

    assert "create_ticket is saved" in page.status_label.text() and changes
    saved = json.loads((tmp_path / "tools.json").read_text())
    [tool] = saved["webhooks"]
    assert tool["name"] == "create_ticket" and tool["timeout_secs"] == 8
    assert tool["parameters"]["required"] == ["title"]
    assert {"name": "X-Api-Key", "value": "", "secret": True} in tool["headers"]
    assert {"name": "X-Team", "value": "support", "secret": False} in tool["headers"]
    assert SECRET not in (tmp_path / "tools.json").read_text()
    assert keyring.get_password(KEYRING_SERVICE, entry_name("create_ticket", "X-Api-Key")) == SECRET
    # Listed with its switch on; shown again, the secret is not read back into the form.
    item = page.webhook_list.item(0)
    assert item.checkState() == Qt.CheckState.Checked and item.text().startswith("create_ticket")
    page.webhook_list.setCurrentItem(None)
    page.webhook_list.setCurrentItem(item)
    assert page.editor.headers.item(0, 1).text() == KEPT_SECRET

    # Renamed and saved again with the secret left as kept: the keyring value follows the new name.
    page.editor.name.setText("open_ticket")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert keyring.get_password(KEYRING_SERVICE, entry_name("open_ticket", "X-Api-Key")) == SECRET
    assert keyring.get_password(KEYRING_SERVICE, entry_name("create_ticket", "X-Api-Key")) is None

    # Switched off: saved at once.
    page.webhook_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert json.loads((tmp_path / "tools.json").read_text())["webhooks"][0]["enabled"] is False
    assert "off from the next session" in page.status_label.text()
    assert ToolLibrary(tmp_path / "tools.json").webhooks[0].enabled is False

    # Removed: gone from the file and from the keyring.
    page.webhook_list.setCurrentRow(0)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert json.loads((tmp_path / "tools.json").read_text())["webhooks"] == []
    assert keyring.get_password(KEYRING_SERVICE, entry_name("open_ticket", "X-Api-Key")) is None


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (lambda e: e.url.setText("http://hooks.example.com/webhook"), "Plain http:// is only allowed to this computer"),
        (lambda e: e.name.setText("end_conversation"), "end_conversation is the assistant's own tool"),
        (lambda e: e.name.setText("9 lives"), "A tool name starts with a letter"),
        (lambda e: e.parameters.setPlainText('{"type": "object", "properties": '), "The parameters are not valid JSON"),
        (
            lambda e: e.parameters.setPlainText('{"properties": {}, "required": ["x"]}'),
            'The parameters\' "required" must list names',
        ),
        (lambda e: e.description.setText(""), "Describe what the tool does"),
    ],
)
def test_bad_input_is_one_sentence_and_keeps_the_form(page, qtbot, tmp_path, change, sentence):
    _fill(page)
    change(page.editor)
    typed = page.editor.name.text(), page.editor.url.text(), page.editor.parameters.toPlainText()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.status_label.text().startswith(sentence)
    assert "\n" not in page.status_label.text() and "Traceback" not in page.status_label.text()
    assert (page.editor.name.text(), page.editor.url.text(), page.editor.parameters.toPlainText()) == typed
    assert not (tmp_path / "tools.json").exists()


def test_plain_http_to_this_computer_is_allowed(page, qtbot, tmp_path):
    _fill(page, url="http://127.0.0.1:5678/webhook/abc")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert (
        json.loads((tmp_path / "tools.json").read_text())["webhooks"][0]["url"] == "http://127.0.0.1:5678/webhook/abc"
    )
