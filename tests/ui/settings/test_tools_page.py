"""Settings > Tools with real widgets (pytest-qt) and the real Secret Service keyring: a webhook action typed into
the form is saved to the tools file with its secret header's value in the keyring only; bad input is one sentence
and keeps the form; the on/off switch and removal are saved at once and say they apply from the next session. An MCP
server (the tests' own, tests/mcp_test_server.py) is saved, its tools listed by starting it, each switched on or
off; a server that cannot be used is one sentence."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6 import QtGui
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QMessageBox, QScrollArea, QStyleOptionViewItem

from desktop_agent.config.secrets import KEYRING_SERVICE
from desktop_agent.config.tool_secrets import ToolSecrets, entry_name
from desktop_agent.config.tools import McpUnavailable, ToolLibrary
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.tools_page import ToolsPage
from desktop_agent.ui.settings.webhook_editor import KEPT_SECRET

SECRET = "n8n-header-token-5521"


@pytest.fixture
def page(qtbot, tmp_path, secret_service_keyring):
    library = ToolLibrary(tmp_path / "tools.json")
    runner = AsyncRunner(expected=(McpUnavailable,))
    widget = ToolsPage(library, ToolSecrets(secret_service_keyring), runner)
    runner.setParent(widget)  # owned by the page (the dialog, in the app): deleted with it, on the Qt thread
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
    editor.ask_first.setChecked(True)


def test_a_webhook_action_is_saved_with_its_secret_in_the_keyring(page, qtbot, tmp_path):
    changes = []
    page.tools_changed.connect(lambda: changes.append(True))
    _fill(page)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)

    assert "create_ticket is saved" in page.status_label.text() and changes
    saved = json.loads((tmp_path / "tools.json").read_text())
    [tool] = saved["webhooks"]
    assert tool["name"] == "create_ticket" and tool["timeout_secs"] == 8 and tool["ask_first"] is True
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


def test_a_kept_secret_unmarked_as_secret_asks_for_its_value(page, qtbot, tmp_path):
    """The value field of a kept secret shows a placeholder: unticking Secret must not save that placeholder as the
    header's plain value (nor drop the keyring's value)."""
    _fill(page)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.editor.headers.item(0, 1).text() == KEPT_SECRET
    page.editor.headers.item(0, 2).setCheckState(Qt.CheckState.Unchecked)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)

    assert page.status_label.text().startswith("Type the value of header X-Api-Key again")
    assert KEPT_SECRET not in (tmp_path / "tools.json").read_text()
    assert keyring.get_password(KEYRING_SERVICE, entry_name("create_ticket", "X-Api-Key")) == SECRET
    assert page.editor.headers.item(0, 1).text() == KEPT_SECRET  # the form is kept

    page.editor.headers.item(0, 1).setText("now-plain")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert {"name": "X-Api-Key", "value": "now-plain", "secret": False} in json.loads(
        (tmp_path / "tools.json").read_text()
    )["webhooks"][0]["headers"]
    assert keyring.get_password(KEYRING_SERVICE, entry_name("create_ticket", "X-Api-Key")) is None


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


def test_remove_is_offered_only_for_a_saved_entry(qtbot, tmp_path):
    """Remove with nothing chosen did nothing, without a word: it is disabled until an action (or server) is."""
    library = ToolLibrary(tmp_path / "tools.json")
    page = ToolsPage(library, ToolSecrets(fail.Keyring()), AsyncRunner())
    qtbot.addWidget(page)
    box = page.servers
    assert not page.remove_button.isEnabled() and not box.remove_button.isEnabled()
    page.editor.name.setText("create_ticket")
    page.editor.description.setText("Open a support ticket.")
    page.editor.url.setText("https://hooks.example.com/webhook/abc")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    box.name.setText("files")
    box.address.setText("files-server --root /srv")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    assert page.remove_button.isEnabled() and box.remove_button.isEnabled()

    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(box.new_button, Qt.MouseButton.LeftButton)
    assert not page.remove_button.isEnabled() and not box.remove_button.isEnabled()
    page.webhook_list.setCurrentRow(0)
    box.server_list.setCurrentRow(0)
    assert page.remove_button.isEnabled() and box.remove_button.isEnabled()
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(box.remove_button, Qt.MouseButton.LeftButton)
    assert library.webhooks == [] and library.servers == []
    assert not page.remove_button.isEnabled() and not box.remove_button.isEnabled()


def test_a_secret_header_value_is_masked_on_screen(page, qtbot):
    """A secret header's value was drawn and typed in clear in the headers table (on screen, e.g. while sharing it):
    it is drawn as dots and edited in a password field; a plain header's value and the kept placeholder are shown."""
    editor = page.editor
    editor.add_header_row("X-Api-Key", SECRET, secret=True)
    editor.add_header_row("X-Team", "support")
    editor.add_header_row("X-Old", KEPT_SECRET, secret=True)
    delegate = editor.headers.itemDelegateForColumn(1)

    def drawn(row: int) -> str:
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, editor.headers.model().index(row, 1))
        return option.text

    assert SECRET not in drawn(0) and set(drawn(0)) == {"•"}
    assert drawn(1) == "support" and drawn(2) == KEPT_SECRET
    editor.headers.item(0, 2).setCheckState(Qt.CheckState.Unchecked)
    assert drawn(0) == SECRET
    editor.headers.item(0, 2).setCheckState(Qt.CheckState.Checked)

    for row, echo in ((0, QLineEdit.EchoMode.Password), (1, QLineEdit.EchoMode.Normal)):
        field = delegate.createEditor(
            editor.headers.viewport(), QStyleOptionViewItem(), editor.headers.model().index(row, 1)
        )
        assert isinstance(field, QLineEdit) and field.echoMode() is echo
        field.deleteLater()
    assert editor.tool()[1] == {"X-Api-Key": SECRET}  # what was typed is what is kept


@pytest.mark.parametrize("address", ["ws://localhost:9000/mcp", "ftp://files.example.com/mcp"])
def test_an_address_of_another_scheme_is_a_url_refused_not_a_command(mcp_page, qtbot, tmp_path, address):
    """It was saved as a command line to run, and failed only when listed or at the next session."""
    box = mcp_page.servers
    box.name.setText("remote")
    box.address.setText(address)
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    assert box.status_label.text() == "The address must be an https:// URL (or http:// to this computer)."
    assert not (tmp_path / "tools.json").exists() and box.address.text() == address


def test_changes_not_saved_are_kept_unless_discarded(page, qtbot, tmp_path):
    """Choosing another action, or New action, threw away what was typed in the form without a word: it asks."""
    _fill(page)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    page.new_action()  # nothing changed since the save: no question
    assert page.discard_box is None and page.editor.name.text() == ""
    page.webhook_list.setCurrentRow(0)
    assert page.discard_box is None and page.editor.name.text() == "create_ticket"

    page.editor.url.setText("https://hooks.example.com/webhook/changed")
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    box = page.discard_box
    assert box is not None and box.isVisible() and "create_ticket" in box.text()
    assert page.editor.url.text() == "https://hooks.example.com/webhook/changed"
    assert page.webhook_list.currentRow() == 0
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: page.discard_box is None, timeout=5_000)
    assert page.editor.url.text() == "https://hooks.example.com/webhook/changed"  # kept

    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    page.discard_box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: page.editor.name.text() == "", timeout=5_000)
    assert page.webhook_list.currentRow() == -1 and not page.editor.has_unsaved_changes()
    page.webhook_list.setCurrentRow(0)
    assert page.editor.url.text() == "https://hooks.example.com/webhook/abc"  # the saved one, unchanged
    assert json.loads((tmp_path / "tools.json").read_text())["webhooks"][0]["url"].endswith("/abc")


def test_the_keyboard_saves_from_the_form(page, qtbot, tmp_path):
    """Save action sits above the form: Tab from the form's last field went on to the MCP servers, so a keyboard
    user had to go back up to save. Enter in a field saves, and Tab from the last field reaches Save."""
    _fill(page)
    QTest.keyClick(page.editor.url, Qt.Key.Key_Return)
    assert page.status_label.text().startswith("create_ticket is saved")
    assert json.loads((tmp_path / "tools.json").read_text())["webhooks"][0]["name"] == "create_ticket"
    assert page.editor.ask_first.nextInFocusChain() is page.save_button


def test_listing_a_server_changed_in_the_form_asks_to_save_first(mcp_page, qtbot, tmp_path):
    """It listed the saved server's tools under the address typed since, as if they were that address's."""
    box = mcp_page.servers
    box.name.setText("weather")
    box.address.setText(f"{shlex.quote(sys.executable)} {shlex.quote(str(MCP_SERVER))}")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    box.address.setText("another-server --port 9")
    qtbot.mouseClick(box.list_button, Qt.MouseButton.LeftButton)
    assert box.status_label.text() == (
        "Save the changes to weather first: the tools listed are those of the saved server."
    )
    assert box.tool_list.count() == 0 and box.address.text() == "another-server --port 9"


def _in_view(scroll: QScrollArea, widget) -> bool:
    """Whether ``widget`` lies wholly inside the part of the scrolled page the viewport shows."""
    top_left = widget.mapTo(scroll.widget(), QPoint(0, 0))
    shown = QRect(0, scroll.verticalScrollBar().value(), scroll.viewport().width(), scroll.viewport().height())
    return shown.contains(QRect(top_left, widget.size()))


def test_what_a_click_did_is_said_where_the_click_was(qtbot, tmp_path):
    """The page is taller than the settings panel (which scrolls it): a refused Save must be said in view of the
    button, not at the page's far end (it was: clicking Save with a mistake seemed to do nothing)."""
    page = ToolsPage(ToolLibrary(tmp_path / "tools.json"), ToolSecrets(fail.Keyring()), AsyncRunner())
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(page)
    scroll.resize(620, 560)  # the panel's page area
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    assert page.height() > 2 * scroll.viewport().height()

    page.editor.name.setText("9 lives")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.status_label.text().startswith("A tool name starts with a letter")
    assert _in_view(scroll, page.save_button) and _in_view(scroll, page.status_label)

    box = page.servers
    scroll.verticalScrollBar().setValue(box.save_button.mapTo(page, QPoint(0, 0)).y() - 200)
    box.name.setText("files")
    box.address.setText("")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    assert box.status_label.text().startswith("An MCP server is either a command")
    assert _in_view(scroll, box.save_button) and _in_view(scroll, box.status_label)


MCP_SERVER = Path(__file__).resolve().parents[2] / "mcp_test_server.py"


@pytest.fixture
def mcp_page(qtbot, qloop, tmp_path):
    """The page on the qasync loop (listing a server's tools runs there); no keyring needed for servers."""
    runner = AsyncRunner(expected=(McpUnavailable,))
    widget = ToolsPage(ToolLibrary(tmp_path / "tools.json"), ToolSecrets(fail.Keyring()), runner)
    runner.setParent(widget)  # owned by the page (the dialog, in the app): deleted with it, on the Qt thread
    qtbot.addWidget(widget)
    return widget


WORDY_SERVER = """
from mcp.server.mcpserver import MCPServer

server = MCPServer("wordy")


@server.tool(description=(
    "Read the complete contents of a file.\\n\\nHandles <b>many</b> encodings\\x1b[31m and explains every error "
    "in detail; use it when one file is needed, " + "and so on " * 20
))
def read_file(path: str) -> str:
    return path


if __name__ == "__main__":
    server.run()
"""


def test_a_listed_tools_description_is_one_plain_line_whole_in_its_tooltip(mcp_page, qtbot, tmp_path):
    """A server's tool descriptions are its own words, often paragraphs: the list showed them whole, lines and all."""
    script = tmp_path / "wordy_server.py"
    script.write_text(WORDY_SERVER)
    box = mcp_page.servers
    box.name.setText("files")
    box.address.setText(f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(box.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.tool_list.count() == 1, timeout=30_000)

    item = box.tool_list.item(0)
    assert item.text().startswith("read_file — Read the complete contents of a file.  Handles <b>many</b> encodings")
    assert "\n" not in item.text() and "\x1b" not in item.text() and item.text().endswith("…")
    assert len(item.text()) <= len("read_file — ") + 90
    tip = item.toolTip()
    assert "\x1b" not in tip and tip.endswith("and so on " * 19 + "and so on")
    assert not QtGui.Qt.mightBeRichText(tip) or "&lt;b&gt;many&lt;/b&gt;" in tip  # shown literally either way


def test_an_mcp_server_is_saved_its_tools_listed_and_switched(mcp_page, qtbot, tmp_path):
    box = mcp_page.servers
    changes = []
    mcp_page.tools_changed.connect(lambda: changes.append(True))
    box.name.setText("weather")
    box.address.setText(f"{shlex.quote(sys.executable)} {shlex.quote(str(MCP_SERVER))}")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    assert mcp_page.servers.status_label.text() == "weather is saved; it starts with the next session." and changes
    [saved] = json.loads((tmp_path / "tools.json").read_text())["mcp_servers"]
    assert saved["name"] == "weather" and saved["command"].endswith("mcp_test_server.py") and saved["url"] == ""

    # Listing starts the server for a moment and shows each tool with its switch on.
    qtbot.mouseClick(box.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.tool_list.count() == 3, timeout=30_000)
    names = [box.tool_list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(3)]
    assert sorted(names) == ["shut_down", "station_report", "weather"]
    assert mcp_page.servers.status_label.text().startswith("weather offers 3 tools")
    assert all(box.tool_list.item(row).checkState() == Qt.CheckState.Checked for row in range(3))
    # Switched off: saved at once, and the library the next session reads leaves it out.
    box.tool_list.item(names.index("shut_down")).setCheckState(Qt.CheckState.Unchecked)
    assert ToolLibrary(tmp_path / "tools.json").servers[0].disabled_tools == ["shut_down"]
    assert mcp_page.servers.status_label.text() == "shut_down is off from the next session."
    # One tool asks before running.
    box.tool_list.setCurrentRow(names.index("weather"))
    assert box.ask_first.isEnabled() and not box.ask_first.isChecked()
    box.ask_first.setChecked(True)
    assert ToolLibrary(tmp_path / "tools.json").servers[0].ask_first_tools == ["weather"]
    box.tool_list.setCurrentRow(names.index("station_report"))
    assert not box.ask_first.isChecked()
    # The server itself can be switched off.
    box.server_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert ToolLibrary(tmp_path / "tools.json").servers[0].enabled is False


def test_mcp_server_problems_are_one_sentence(mcp_page, qtbot, tmp_path):
    box = mcp_page.servers
    box.name.setText("remote")
    box.address.setText("http://mcp.example.com/mcp")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    assert mcp_page.servers.status_label.text().startswith("Plain http:// is only allowed to this computer")
    assert box.address.text() == "http://mcp.example.com/mcp" and not (tmp_path / "tools.json").exists()

    box.name.setText("calendar")
    box.address.setText("no-such-mcp-server-program --stdio")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(box.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "was not found" in mcp_page.servers.status_label.text(), timeout=30_000)
    assert mcp_page.servers.status_label.text() == (
        "The MCP server calendar could not start: the command no-such-mcp-server-program was not found."
    )
    assert box.tool_list.count() == 0
