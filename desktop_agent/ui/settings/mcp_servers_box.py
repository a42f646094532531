"""Settings > Tools, MCP servers: each server (a local command spoken to over stdio, or a streamable-HTTP URL) with
an on/off switch, and its tools, listed by asking the server, each with its own switch and whether it asks before
running.

Servers start with a session and stop with it; changes here are saved at once and apply from the next session
(``changed``). Listing a server's tools starts it for a moment, on the panel's task runner (the window never waits).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.config.tools import McpServer, ToolLibrary, ToolsError

if TYPE_CHECKING:
    from desktop_agent.engine.mcp_servers import McpTool
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.switch_item import NAME_ROLE, is_on, switch_item
from desktop_agent.ui.untrusted_text import plain_label, plain_tooltip, shown_name

LISTING = "list MCP tools"
#: How much of a tool's description its line in the list shows.
TOOL_LINE_CHARS = 90
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class McpServersBox(QGroupBox):
    changed = Signal()
    #: A sentence on what became of the user's click (shown in ``status_label``).
    said = Signal(str)

    def __init__(self, library: ToolLibrary, runner: AsyncRunner, parent: QWidget | None = None) -> None:
        super().__init__("MCP servers", parent)
        self.library = library
        self._runner = runner
        self._editing = ""
        self.server_list = QListWidget()
        self.server_list.setAccessibleName("MCP servers")
        self.name = QLineEdit()
        self.name.setPlaceholderText("files")
        self.address = QLineEdit()
        self.address.setPlaceholderText("npx -y @modelcontextprotocol/server-filesystem ~/Documents  or  https://…/mcp")
        self.new_button = QPushButton("New server")
        self.save_button = QPushButton("Save server")
        self.remove_button = QPushButton("Remove server")
        self.remove_button.setToolTip("Removes the server chosen in the list.")
        self.list_button = QPushButton("List its tools")
        self.tool_list = QListWidget()
        self.tool_list.setAccessibleName("The server's tools")
        self.ask_first = QCheckBox("Ask me before running the selected tool")
        self.ask_first.setEnabled(False)
        self.status_label = plain_label(QLabel())  # what ``said`` says, under the buttons
        self.status_label.setWordWrap(True)
        self.tool_hint = plain_label(QLabel("Save the server, then list its tools to switch each on or off."))
        self.tool_hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Command or URL", self.address)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.save_button, self.remove_button, self.list_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.server_list)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addWidget(self.tool_hint)
        layout.addWidget(self.tool_list)
        layout.addWidget(self.ask_first)
        self.said.connect(self.status_label.setText)
        self.server_list.currentItemChanged.connect(self._selected)
        self.server_list.itemChanged.connect(self._switched)
        self.tool_list.itemChanged.connect(self._tool_switched)
        self.tool_list.currentItemChanged.connect(self._tool_selected)
        self.ask_first.toggled.connect(self._ask_first_switched)
        self.new_button.clicked.connect(self.new_server)
        self.save_button.clicked.connect(self.save_server)
        self.remove_button.clicked.connect(self.remove_server)
        self.list_button.clicked.connect(self.list_tools)
        self._fill_list()
        self._edit("")

    def _edit(self, name: str) -> None:
        """The form now holds the saved server ``name`` ("" for a new one): only a saved one can be removed."""
        self._editing = name
        self.remove_button.setEnabled(bool(name))

    def _fill_list(self, current: str = "") -> None:
        self.server_list.blockSignals(True)
        self.server_list.clear()
        for server in self.library.servers:
            item = switch_item(f"{server.name} — {server.url or server.command}", server.name, server.enabled)
            self.server_list.addItem(item)
            if server.name == current:
                self.server_list.setCurrentItem(item)
        self.server_list.blockSignals(False)

    def _selected(self, item: QListWidgetItem | None) -> None:
        server = self.library.server(item.data(NAME_ROLE)) if item is not None else None
        self._edit(server.name if server is not None else "")
        self.name.setText(server.name if server else "")
        self.address.setText((server.url or server.command) if server else "")
        self._runner.cancel(LISTING)
        self.tool_list.clear()
        self._tool_selected(None)

    def _switched(self, item: QListWidgetItem) -> None:
        server = self.library.server(item.data(NAME_ROLE))
        if server is not None:
            server.enabled = is_on(item)
            self._save(f"{server.name} is {'on' if server.enabled else 'off'} from the next session.")

    def new_server(self) -> None:
        self.server_list.setCurrentRow(-1)
        self._selected(None)
        self.name.setFocus()

    def save_server(self) -> None:
        address = self.address.text().strip()
        is_url = _URL_SCHEME.match(address) is not None  # ws:// or ftp:// too: refused as a URL, not run
        current = self.library.server(self._editing)
        server = McpServer(
            name=self.name.text().strip(),
            command="" if is_url else address,
            url=address if is_url else "",
            enabled=current.enabled if current is not None else True,
            disabled_tools=list(current.disabled_tools) if current is not None else [],
            ask_first_tools=list(current.ask_first_tools) if current is not None else [],
        )
        try:
            self.library.put_server(server, replacing=self._editing)
        except ToolsError as problem:
            self.said.emit(str(problem))
            return
        self._edit(server.name)
        self._fill_list(current=server.name)
        self.said.emit(f"{server.name} is saved; it starts with the next session.")
        self.changed.emit()

    def remove_server(self) -> None:
        server = self.library.server(self._editing)
        if server is None:
            return
        self.library.servers.remove(server)
        self._save(f"{server.name} is removed.")
        self._fill_list()
        self.new_server()

    def list_tools(self) -> None:
        server = self.library.server(self._editing)
        if server is None:
            self.said.emit("Save the server first, then list its tools.")
            return
        if (self.name.text().strip(), self.address.text().strip()) != (server.name, server.url or server.command):
            self.said.emit(f"Save the changes to {server.name} first: the tools listed are those of the saved server.")
            return
        self.said.emit(f"Starting {server.name} to list its tools…")
        from desktop_agent.engine.mcp_servers import server_tools  # the MCP SDK is slow to import: when needed

        self._runner.start(LISTING, server_tools(server), lambda tools: self._show_tools(server, tools), self.said.emit)

    def _show_tools(self, server: McpServer, tools: list[McpTool]) -> None:
        self.tool_list.blockSignals(True)
        self.tool_list.clear()
        for tool in tools:
            # The server's words: on one line in the list (a description can be paragraphs), whole in the tooltip.
            line = f"{shown_name(tool.name, 64)} — {shown_name(tool.description, TOOL_LINE_CHARS)}"
            item = switch_item(line, tool.name, tool.name not in server.disabled_tools)
            item.setToolTip(plain_tooltip(tool.description))
            self.tool_list.addItem(item)
        self.tool_list.blockSignals(False)
        self.said.emit(
            f"{server.name} offers {len(tools)} tool{'s' if len(tools) != 1 else ''}; switch off those the "
            "assistant should not use."
        )

    def _tool_selected(self, item: QListWidgetItem | None) -> None:
        server = self.library.server(self._editing)
        self.ask_first.blockSignals(True)
        self.ask_first.setEnabled(item is not None and server is not None)
        self.ask_first.setChecked(
            item is not None and server is not None and item.data(NAME_ROLE) in server.ask_first_tools
        )
        self.ask_first.blockSignals(False)

    def _ask_first_switched(self, on: bool) -> None:
        server, item = self.library.server(self._editing), self.tool_list.currentItem()
        if server is None or item is None:
            return
        name = item.data(NAME_ROLE)
        server.ask_first_tools = [tool for tool in server.ask_first_tools if tool != name] + ([name] if on else [])
        self._save(f"{name} {'asks' if on else 'no longer asks'} before running, from the next session.")

    def _tool_switched(self, item: QListWidgetItem) -> None:
        server = self.library.server(self._editing)
        if server is None:
            return
        name = item.data(NAME_ROLE)
        disabled = [tool for tool in server.disabled_tools if tool != name]
        if not is_on(item):
            disabled.append(name)
        server.disabled_tools = disabled
        self._save(f"{name} is {'off' if name in disabled else 'on'} from the next session.")

    def _save(self, done: str) -> None:
        try:
            self.library.save()
        except ToolsError as problem:
            self.said.emit(str(problem))
            return
        self.said.emit(done)
        self.changed.emit()
