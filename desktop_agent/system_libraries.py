"""The system libraries the app loads but pip cannot install, and one sentence when one is missing.

The Qt wheels and sounddevice use libraries that come with the operating system (libGL, libxkbcommon, the X11 and
Wayland client libraries, PortAudio). Without one, the first Qt import raises an ImportError, sounddevice an
OSError, and Qt's X11 platform plugin does not raise at all: Qt prints a warning and aborts the process. The checks
here run at start-up, before any of that, and turn a missing library into a sentence that names the Debian package
to install. They only load what the app would load moments later, so a complete system pays a few milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import sys
from pathlib import Path

# Every library the Qt wheel's core modules load from the system (ldd on a fresh Debian 12), with its package.
QT_CORE_LIBRARIES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11.so.6": "libx11-6",
}
# What the X11 (xcb) and Wayland platform plugins add to that.
QT_PLATFORM_LIBRARIES = {
    "xcb": {
        "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
        "libX11-xcb.so.1": "libx11-xcb1",
        "libxcb.so.1": "libxcb1",
        "libxcb-cursor.so.0": "libxcb-cursor0",
        "libxcb-icccm.so.4": "libxcb-icccm4",
        "libxcb-image.so.0": "libxcb-image0",
        "libxcb-keysyms.so.1": "libxcb-keysyms1",
        "libxcb-randr.so.0": "libxcb-randr0",
        "libxcb-render.so.0": "libxcb-render0",
        "libxcb-render-util.so.0": "libxcb-render-util0",
        "libxcb-shape.so.0": "libxcb-shape0",
        "libxcb-shm.so.0": "libxcb-shm0",
        "libxcb-sync.so.1": "libxcb-sync1",
        "libxcb-util.so.1": "libxcb-util1",
        "libxcb-xfixes.so.0": "libxcb-xfixes0",
        "libxcb-xkb.so.1": "libxcb-xkb1",
    },
    "wayland": {
        "libwayland-client.so.0": "libwayland-client0",
        "libwayland-cursor.so.0": "libwayland-cursor0",
    },
}
PORTAUDIO_LIBRARY = "libportaudio.so.2"
DEBIAN_PACKAGES = {
    **QT_CORE_LIBRARIES,
    **QT_PLATFORM_LIBRARIES["xcb"],
    **QT_PLATFORM_LIBRARIES["wayland"],
    PORTAUDIO_LIBRARY: "libportaudio2",
}

# How the dynamic loader reports a library it cannot find, as ImportError and ctypes' OSError both quote it.
_NOT_FOUND = re.compile(r"(lib[\w.+-]+?\.so(?:\.\d+)*): cannot open shared object file")


class MissingSystemLibrary(Exception):
    """A system library the app needs is not installed; ``str()`` is the sentence for the user."""


def missing_library_sentence(needed_by: str, sonames: list[str]) -> str:
    """``needed_by`` ("The window") needs the libraries ``sonames``: one sentence saying what to install."""
    packages = list(dict.fromkeys(DEBIAN_PACKAGES[name] for name in sonames if name in DEBIAN_PACKAGES))
    unknown = [name for name in sonames if name not in DEBIAN_PACKAGES]
    how = [f"`sudo apt install {' '.join(packages)}`"] if packages else []
    if unknown:
        how.append(f"your system's package for {_listed(unknown)}")
    noun, pronoun = ("library", "it") if len(sonames) == 1 else ("libraries", "them")
    return f"{needed_by} needs the system {noun} {_listed(sonames)}: install {pronoun} with {' and '.join(how)}."


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def library_not_found(error: BaseException) -> str | None:
    """The library the dynamic loader could not find, from the error it caused (None when it is another error)."""
    match = _NOT_FOUND.search(str(error))
    return match.group(1) if match else None


def _loads(library: str) -> bool:
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def _all_missing(first: str, libraries: dict[str, str]) -> list[str]:
    """``first`` and every other library of the same group that is missing too, so one install fixes them all."""
    return [first] + [name for name in libraries if name != first and not _loads(name)]


def require_window_libraries() -> None:
    """Raise :class:`MissingSystemLibrary` unless Qt's widgets and the platform plugin Qt will use can load."""
    if not sys.platform.startswith("linux"):
        return  # the wheels for Windows and macOS carry everything they need
    try:
        import PySide6.QtWidgets  # noqa: F401 - loads QtCore, QtGui and their system libraries
    except ImportError as exc:
        missing = library_not_found(exc)
        if missing is None:
            raise
        raise MissingSystemLibrary(
            missing_library_sentence("The window", _all_missing(missing, QT_CORE_LIBRARIES))
        ) from None
    _require_platform_plugin()


def _platform_candidates() -> list[str]:
    """The platform plugins Qt will try, in order (as QGuiApplication chooses them on Linux)."""
    requested = os.environ.get("QT_QPA_PLATFORM", "")
    if requested.strip():
        return [entry.split(":", 1)[0].strip() for entry in requested.split(";") if entry.strip()]
    if os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return ["wayland", "xcb"]
    return ["xcb"]


def _require_platform_plugin() -> None:
    """Load the X11 or Wayland plugin the way Qt will: Qt aborts the process when none of its candidates loads."""
    import PySide6

    folder = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms"
    last_missing: tuple[str, str] | None = None
    for platform in _platform_candidates():
        plugin = folder / f"libq{platform}.so"
        if platform not in QT_PLATFORM_LIBRARIES or not plugin.exists():
            return  # offscreen, minimal, ...: nothing beyond Qt's core libraries; or a layout this cannot check
        try:
            ctypes.CDLL(str(plugin))
        except OSError as exc:
            missing = library_not_found(exc)
            if missing is None:
                return  # not a missing library: Qt reports it in its own words
            last_missing = (platform, missing)
            continue
        return
    if last_missing is not None:
        platform, missing = last_missing
        libraries = {**QT_CORE_LIBRARIES, **QT_PLATFORM_LIBRARIES[platform]}
        raise MissingSystemLibrary(missing_library_sentence("The window", _all_missing(missing, libraries)))


def require_sound_library() -> None:
    """Raise :class:`MissingSystemLibrary` unless PortAudio loads the way sounddevice finds it."""
    if not sys.platform.startswith("linux") or _loads(PORTAUDIO_LIBRARY):
        return
    found = ctypes.util.find_library("portaudio")  # sounddevice's own lookup, for another soname
    if found and _loads(found):
        return
    raise MissingSystemLibrary(missing_library_sentence("Sound", [PORTAUDIO_LIBRARY]))
