"""Settings > Desktop > Start on login: the real dialog writes the XDG autostart entry when the box is ticked, saves the
setting, and removes the entry when it is cleared; a folder that cannot be written puts the box back with one reason.
The entry is checked the way the desktop reads it (desktop-file-validate when installed)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys

import pytest

from desktop_agent import autostart
from tests.ui.settings.conftest import saved_settings

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart is the Linux entry")


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    folder = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


def read_entry(path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(path.read_text())
    return dict(parser["Desktop Entry"])


def test_ticking_start_on_login_writes_the_autostart_entry_and_clearing_removes_it(
    make_dialog, config_home, config_dir
):
    dialog = make_dialog()
    page = dialog.desktop_page
    entry_file = config_home / "autostart" / "desktop-agent.desktop"
    assert not page.start_on_login.isChecked() and not entry_file.exists()

    page.start_on_login.setChecked(True)
    assert entry_file.is_file()
    entry = read_entry(entry_file)
    assert entry["Type"] == "Application" and entry["Name"] == "Desktop Agent"
    assert entry["Exec"] == f"{sys.executable} -m desktop_agent"  # this checkout's Python: no frozen bundle here
    assert entry["TryExec"] == sys.executable
    assert saved_settings(config_dir)["desktop"]["start_on_login"] is True
    assert page.login_problem.isHidden()
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(["desktop-file-validate", str(entry_file)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout + checked.stderr

    page.start_on_login.setChecked(False)
    assert not entry_file.exists()
    assert saved_settings(config_dir)["desktop"]["start_on_login"] is False


def test_a_reopened_dialog_shows_the_saved_choice(make_dialog, config_home):
    make_dialog().desktop_page.start_on_login.setChecked(True)
    assert make_dialog().desktop_page.start_on_login.isChecked()


def test_an_autostart_folder_that_cannot_be_written_puts_the_box_back_with_a_reason(make_dialog, config_home):
    config_home.mkdir()
    (config_home / "autostart").write_text("a file where the folder should be")
    page = make_dialog().desktop_page
    page.start_on_login.setChecked(True)
    assert not page.start_on_login.isChecked()
    assert not page._settings.desktop.start_on_login
    assert page.login_problem.isVisibleTo(page)
    text = page.login_problem.text()
    assert text.startswith("Start on login could not be turned on: ") and "autostart" in text
    assert "Traceback" not in text and "Errno" not in text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["/opt/desktop-agent/desktop-agent"], "/opt/desktop-agent/desktop-agent"),
        (["/home/me/My Apps/desktop-agent", "--label=50%"], '"/home/me/My Apps/desktop-agent" --label=50%%'),
        (['/odd/"quoted"$dir/app'], '"/odd/\\\\"quoted\\\\"\\\\$dir/app"'),
    ],
)
def test_exec_lines_are_quoted_the_desktop_entry_way(command, expected):
    assert autostart.desktop_exec(command) == expected


def test_macos_launch_agent_runs_the_command_at_login():
    import plistlib

    agent = plistlib.loads(autostart.launch_agent_plist(["/Applications/Desktop Agent.app/Contents/MacOS/x"]))
    assert agent == {
        "Label": "org.desktop-agent.DesktopAgent",
        "ProgramArguments": ["/Applications/Desktop Agent.app/Contents/MacOS/x"],
        "RunAtLoad": True,
        "LimitLoadToSessionType": "Aqua",
    }
