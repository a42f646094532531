"""Start on login: the per-user entry the desktop reads at login, written when the setting is turned on and removed
when it is turned off.

* Linux (and other freedesktop systems): ``$XDG_CONFIG_HOME/autostart/desktop-agent.desktop`` (default
  ``~/.config/autostart``), read by every desktop and by systemd's xdg-autostart generator. Turning it off deletes the
  file: the generator ignores ``X-GNOME-Autostart-enabled=false``. ``TryExec`` names the program, so a file left in a
  home folder after the app was uninstalled starts nothing.
* macOS: a LaunchAgent, ``~/Library/LaunchAgents/org.desktop-agent.DesktopAgent.plist`` with ``RunAtLoad``.
* Windows: the value ``Desktop Agent`` under ``HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.

The command is the program running now: the bundle's executable when frozen (``/opt/desktop-agent/desktop-agent``
from the .deb), else this Python with ``-m desktop_agent``.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import sys
from pathlib import Path

from desktop_agent.config.atomic import write_text_atomic

APP_ID = "desktop-agent"
APP_NAME = "Desktop Agent"
BUNDLE_IDENTIFIER = "org.desktop-agent.DesktopAgent"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"

# Characters that make the desktop entry spec require an argument to be quoted.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def launch_command() -> list[str]:
    """How to start the app that is running now."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "desktop_agent"]


def desktop_exec(command: list[str]) -> str:
    """``command`` as a desktop entry's Exec value: reserved characters quoted the spec's way (double quotes only,
    with ``"`` `` ` `` ``$`` ``\\`` escaped by a backslash), ``%`` written ``%%``, then the string-value escaping of
    backslashes."""
    words = []
    for argument in command:
        if any(char in _RESERVED for char in argument) or not argument:
            escaped = "".join("\\" + char if char in '"`$\\' else char for char in argument)
            argument = f'"{escaped}"'
        words.append(argument.replace("%", "%%"))
    return _string_value(" ".join(words))


def _string_value(text: str) -> str:
    """A desktop entry string value: a backslash is written as two."""
    return text.replace("\\", "\\\\")


def xdg_autostart_file() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "autostart" / f"{APP_ID}.desktop"


def xdg_autostart_entry(command: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Voice assistant, started when you log in\n"
        f"Exec={desktop_exec(command)}\n"
        f"TryExec={_string_value(command[0])}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-Delay=3\n"
    )


def launch_agent_file() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{BUNDLE_IDENTIFIER}.plist"


def launch_agent_plist(command: list[str]) -> bytes:
    return plistlib.dumps(
        {"Label": BUNDLE_IDENTIFIER, "ProgramArguments": command, "RunAtLoad": True, "LimitLoadToSessionType": "Aqua"}
    )


def windows_run_value(command: list[str]) -> str:
    return " ".join(f'"{argument}"' for argument in command)


def is_enabled() -> bool:
    """Whether the app starts on login now (the entry exists)."""
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY) as key:
                winreg.QueryValueEx(key, APP_NAME)
        except OSError:
            return False
        return True
    if sys.platform == "darwin":
        return launch_agent_file().is_file()
    return xdg_autostart_file().is_file()


def set_enabled(enabled: bool) -> None:
    """Writes or removes the login entry. Raises OSError when the file (or registry value) cannot be changed."""
    command = launch_command()
    if sys.platform == "win32":  # untested here: written from Microsoft's documentation of the Run key
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, WINDOWS_RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            if enabled:
                winreg.SetValueEx(key, APP_NAME, 0, winreg.REG_SZ, windows_run_value(command))
            else:
                with contextlib.suppress(FileNotFoundError):
                    winreg.DeleteValue(key, APP_NAME)
        return
    if sys.platform == "darwin":
        path = launch_agent_file()
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(launch_agent_plist(command))
        else:
            path.unlink(missing_ok=True)
        return
    path = xdg_autostart_file()
    if enabled:
        write_text_atomic(path, xdg_autostart_entry(command))
    else:
        path.unlink(missing_ok=True)


def entry_location() -> str:
    """Where the login entry lives, for messages."""
    if sys.platform == "win32":
        return f"HKEY_CURRENT_USER\\{WINDOWS_RUN_KEY}"
    if sys.platform == "darwin":
        return str(launch_agent_file())
    return str(xdg_autostart_file())
