#!/usr/bin/env python3
"""Build Desktop Agent as a self-contained desktop bundle: the people it is for should not need Python.

    python build_installer.py [--smoke] [--deb] [--clean] [--dist DIR] [--work DIR]

PyInstaller (from this interpreter's environment: ``pip install -e '.[test]'`` or ``pip install pyinstaller``) makes a
one-folder bundle for the current OS:

* Linux: ``dist/desktop-agent/`` (run ``desktop-agent``; ``install-desktop-entry.sh`` adds it to the application
  menu) and ``dist/desktop-agent-<version>-linux-<arch>.tar.gz`` of that folder; with ``--deb`` also
  ``dist/desktop-agent_<version>-1_<arch>.deb`` (Debian and Ubuntu: the app in /opt/desktop-agent, ``desktop-agent``
  in /usr/bin, its menu entry and icons in /usr/share; needs dpkg-deb and dpkg, so build it on Debian or Ubuntu).
* Windows: ``dist/Desktop Agent/Desktop Agent.exe`` (resources/packaging/windows/desktop-agent.iss turns it into a
  setup.exe with Inno Setup).  macOS: ``dist/Desktop Agent.app`` (resources/packaging/macos/make_dmg.sh puts it in a
  .dmg).

The bundle carries Pipecat's package metadata (it asks for its own version at import), the Silero VAD and smart-turn
models, ``resources/``, and only the Qt plugins the app uses; Qt modules, plugins and Python packages the app never
imports are left out to keep it small (see QT_PLUGINS, EXCLUDED_MODULES).

On Linux the bundle is then slimmed: symbols no program needs are stripped from its shared libraries, and Qt's ICU
data library (32 MB, every converter, collation, time-zone and display name of ICU) is rebuilt with only the locale
core Qt reads (see ICU_DATA_KEPT).

``--smoke`` then runs the built app offscreen twice, ``--self-check`` (Qt, audio devices, keyring, voice models) and
``--screenshot`` (one scripted exchange with the built-in provider simulators), and fails on any problem. The audio
and keyring checks use whatever sound server and keyring the environment offers (tests/run.sh provides both).

Exit codes: 0 built (and smoke-checked), 1 the build or the smoke check failed, 2 a prerequisite is missing.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import importlib.util
import os
import platform
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent
APP_NAME = "Desktop Agent"
SLUG = "desktop-agent"
BUNDLE_IDENTIFIER = "org.desktop-agent.DesktopAgent"
ENTRY_POINT = ("desktop_agent.__main__", "main")
ICON_SVG = ROOT / "resources" / "icons" / f"{SLUG}.svg"
DESKTOP_DIR = ROOT / "resources" / "desktop"
DESKTOP_TEMPLATE = DESKTOP_DIR / f"{SLUG}.desktop.in"
DESKTOP_INSTALLER = DESKTOP_DIR / "install-desktop-entry.sh"
MIC_USAGE = "Desktop Agent listens to your voice while you hold the talk key or talk hands-free."

# Distributions whose metadata is read at run time (pipecat/__init__.py calls importlib.metadata.version).
METADATA = ["pipecat-ai"]
# Packages whose data files are needed: the Silero VAD and smart-turn ONNX models.
DATA_PACKAGES = ["pipecat.audio.vad", "pipecat.audio.turn.smart_turn", "desktop_agent"]
# Packages that load a native library of their own with ctypes (livekit: WebRTC's echo canceller).
LIBRARY_PACKAGES = ["livekit"]
# Shared libraries taken from the user's system instead of the build machine (Linux). ALSA's library loads the sound
# server plugins (PulseAudio, PipeWire) from a folder compiled into it, which differs between distributions; the
# build machine's copy would miss them elsewhere and the app would see no microphone. Every desktop has libasound.
# The others are libraries every Linux desktop has, that the app requires from the system and names, with the Debian
# package to install, when one is missing (desktop_agent/system_libraries.py; the .deb depends on their packages):
# D-Bus, GLib, fontconfig/FreeType, X11, xkbcommon, and PortAudio, which sounddevice only loads when the system has it
# (a bundled copy was never used, and it brought JACK and Berkeley DB along). The libraries only they needed
# (systemd, libgcrypt, PCRE2, libpng, ...) go with them (see SPEC). Then three the system keeps up to date: OpenSSL
# (security fixes, and it knows where its distribution keeps certificates), SQLite (the history), and the C++ runtime
# (a bundled libstdc++ older than the system's breaks the system's OpenGL drivers, which load the system's LLVM).
# Last, the compression libraries (zlib, xz, bzip2, zstd) that every distribution's package manager itself uses.
# The bundle already needs a glibc at least as new as the build machine's; a distribution that new has these too.
HOST_LIBRARIES = ["libasound.so*", "libdbus-1.so*", "libglib-2.0.so*", "libgthread-2.0.so*", "libfontconfig.so*",
                  "libfreetype.so*", "libX11.so*", "libX11-xcb.so*", "libxcb.so*", "libxkbcommon.so*",
                  "libxkbcommon-x11.so*", "libportaudio.so*", "libssl.so*", "libcrypto.so*", "libsqlite3.so*",
                  "libstdc++.so*", "libgcc_s.so*", "libz.so*", "liblzma.so*", "libbz2.so*", "libzstd.so*"]
# All of desktop_agent is bundled (parts are imported lazily), except the benchmarks.
SKIPPED_SUBPACKAGES = ["desktop_agent.bench"]

# Qt plugins kept, by plugin folder -> file-name patterns (without "lib" prefix and extension); None keeps the whole
# folder. Every other plugin folder (egldeviceintegrations, generic, tls, networkinformation, sqldrivers, ...) and the
# GTK 3 platform theme (which drags in libgtk-3 and its ~25 MB of dependencies) are left out.
QT_PLUGINS: dict[str, tuple[str, ...] | None] = {
    "platforms": ("qoffscreen", "qminimal", "qxcb", "qwayland*", "qwindows", "qcocoa"),
    "platformthemes": ("qxdgdesktopportal",),
    "platforminputcontexts": ("composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"),
    "xcbglintegrations": None,
    "wayland-shell-integration": ("xdg-shell",),
    "wayland-decoration-client": None,
    "wayland-graphics-integration-client": None,
    "imageformats": ("qsvg",),
    "iconengines": ("qsvgicon",),
    "styles": None,
}
# PySide6 modules whose stock PyInstaller hook only collects the module's Qt dependencies: their replacement hooks
# (written into the work folder) filter those through QT_PLUGINS and drop Qt's translations (the UI is English).
QT_HOOKED_MODULES = ["QtCore", "QtGui", "QtWidgets", "QtSvg", "QtSvgWidgets", "QtDBus", "QtOpenGL", "QtOpenGLWidgets"]
UNUSED_QT_MODULES = [
    "QtNetwork", "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickWidgets", "QtQuickTest",
    "QtWebEngineCore", "QtWebEngineWidgets", "QtWebEngineQuick", "QtWebChannel", "QtWebSockets", "QtWebView",
    "QtPdf", "QtPdfWidgets", "Qt3DCore", "Qt3DRender", "Qt3DInput", "Qt3DLogic", "Qt3DAnimation", "Qt3DExtras",
    "QtMultimedia", "QtMultimediaWidgets", "QtSpatialAudio", "QtTextToSpeech", "QtCharts", "QtDataVisualization",
    "QtGraphs", "QtGraphsWidgets", "QtBluetooth", "QtNfc", "QtPositioning", "QtLocation", "QtSensors",
    "QtSerialPort", "QtSerialBus", "QtSql", "QtTest", "QtDesigner", "QtUiTools", "QtHelp", "QtXml",
    "QtRemoteObjects", "QtScxml", "QtStateMachine", "QtHttpServer", "QtNetworkAuth", "QtConcurrent",
    "QtPrintSupport", "QtCanvasPainter", "QtAxContainer",
]
EXCLUDED_MODULES = [f"PySide6.{name}" for name in UNUSED_QT_MODULES] + [
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data", "test",
    "matplotlib", "IPython", "ipykernel", "jupyter_client", "pandas", "scipy", "torch", "torchaudio",
    "transformers", "PyQt5", "PyQt6", "PySide2", "pytest", "_pytest", "pytestqt", "pip", "setuptools",
    # Pipecat imports Pillow only for image frames, which a voice app never sends: keep PIL.Image and its core, drop
    # the AVIF, WebP, font and colour-management extensions with their libraries (about 9 MB).
    "PIL._avif", "PIL.AvifImagePlugin", "PIL._webp", "PIL.WebPImagePlugin", "PIL._imagingft", "PIL.ImageFont",
    "PIL._imagingcms", "PIL.ImageCms", "PIL._imagingtk", "PIL.ImageTk", "PIL.ImageQt",
    # httpx's command-line interface (and the syntax highlighter it prints with).
    "httpx2._main", "httpx._main", "pygments",
    # pydantic's optional mypy plugin, found by PyInstaller's analysis (2 MB of compiled mypy); line editing for an
    # interactive interpreter the app never opens.
    "mypy", "pydantic.mypy", "pydantic.v1.mypy", "readline", "curses", "_curses",
    # requests (with urllib3 and charset_normalizer) is imported only by the OpenAI SDK's Google Vertex sign-in, and
    # PyYAML only by numpy's show_config() and Pipecat's flows and evals: none of them run in the app (1 MB).
    "requests", "urllib3", "charset_normalizer", "yaml",
    # Python's codecs for the legacy Chinese, Japanese and Korean character sets (Shift JIS, GB 18030, Big5, EUC-KR,
    # ISO-2022, ...; 1 MB): the providers send UTF-8 and the app's languages are English and India's. Decoding one of
    # those would say "unknown encoding". And Qt's D-Bus module for Python, which only Qt's own dependency list
    # brings in (Qt's D-Bus library stays: Qt uses it for the portal, the tray and input methods).
    "_codecs_jp", "_codecs_kr", "_codecs_cn", "_codecs_tw", "_codecs_hk", "_codecs_iso2022", "_multibytecodec",
    "PySide6.QtDBus",
    # The test extra's MP3 encoder and decoder: the simulator's TTS emulators make MP3 only for other systems' clients
    # (the benchmark's LiveKit reference); the app asks for PCM and the simulator refuses MP3 in one sentence without
    # the encoder. PyAV alone would bring about 60 MB of FFmpeg if an import led to it.
    "lameenc", "av",
    # Parts of the providers' SDKs the app never calls, which their clients import only when one is used (2.6 MB of
    # compiled Python): OpenAI's beta (Assistants, threads), admin, realtime and live APIs (the app uses chat
    # completions); Deepgram's voice agent, management and text-to-speech (the app uses its streaming recognition);
    # numpy's Fortran wrapper generator, test helpers, masked arrays and polynomials.
    "openai.types.beta", "openai.resources.beta", "openai.types.admin", "openai.resources.admin",
    "openai.types.realtime", "openai.resources.realtime", "openai.types.live", "openai.resources.live",
    "deepgram.agent", "deepgram.manage", "deepgram.speak",
    "numpy.f2py", "numpy.testing", "numpy.ma", "numpy.polynomial",
]



@dataclass(frozen=True)
class SourceBuild:
    """A package the Linux bundle takes built from its source with ``options`` (pip --config-settings) instead of its
    stock wheel, to leave out native libraries the app never uses."""

    distribution: str
    options: tuple[str, ...]
    needs_cxx: bool  # numpy has C++ parts; Pillow is C only


# numpy's Linux wheels carry OpenBLAS with gfortran (28 MB) for linear algebra, which the app never does: it scales,
# mixes, resamples and measures audio buffers, and the voice models run in onnxruntime's own kernels. The bundle's
# numpy is built without BLAS/LAPACK (numpy.linalg still works, on numpy's own slower lapack_lite) and without
# CPU-specific dispatch: its loops run at the x86-64-v2 baseline's SIMD level on every CPU instead of also carrying
# AVX2/AVX-512 variants (6 MB less, and a build of minutes instead of a quarter of an hour).
# Pillow's wheels carry JPEG, JPEG 2000, TIFF, XCB and zstd libraries (5 MB). Pipecat imports Pillow for image frames,
# which a voice app never makes; the bundle's Pillow has its core and PNG (zlib) only.
SOURCE_BUILDS = (
    SourceBuild("numpy", tuple(f"setup-args={option}" for option in (
        "-Dallow-noblas=true", "-Dblas=none", "-Dlapack=none", "-Dcpu-dispatch=none")), needs_cxx=True),
    SourceBuild("pillow", tuple(f"{feature}=disable" for feature in (
        "jpeg", "jpeg2000", "tiff", "freetype", "lcms", "webp", "avif", "imagequant", "raqm", "xcb")), needs_cxx=False),
)
# The wheels are built once (minutes) with this environment's versions of those packages and kept here (delete it to
# rebuild); the development environment keeps the stock wheels.
WHEEL_CACHE = ROOT / "build" / "wheels"

# Items of Qt's ICU data kept on Linux, by ICU item name under icudt<N>l/ (fnmatch patterns; one without a "/" only
# matches items outside the subfolders). Qt uses ICU for locale-aware
# case mapping, normalisation and collation; its own tables do text layout and its own CLDR data QLocale's formats.
# Left out: character set converters (Qt converts UTF-8/16 and Latin-1 itself), dictionaries for word breaking in
# Thai/CJK, transliteration, spelled-out numbers, and currency, unit, language, region and time-zone display names.
ICU_DATA_KEPT = ("*.res", "*.icu", "*.nrm", "*.spp", "*.cfu", "coll/root.res", "coll/res_index.res", "coll/ucadata.icu",
                 "coll/en*.res")

WORK_FOLDERS = ("hooks", "icons", "pyinstaller", "source-built")
SMOKE_TIMEOUT_S = 180
ENVIRONMENT_CHECKS = {"audio input", "audio output", "keyring"}
MIN_SCREENSHOT_BYTES = 5_000


class BuildError(Exception):
    """A build problem, worded for the person running the build."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Target:
    """Names and paths that differ between operating systems."""

    system: str  # "linux", "windows" or "macos"
    dist: Path

    @property
    def exe_name(self) -> str:
        return APP_NAME if self.system == "windows" else SLUG

    @property
    def bundle(self) -> Path:
        """The folder (or .app) the user gets."""
        if self.system == "macos":
            return self.dist / f"{APP_NAME}.app"
        return self.dist / self.exe_name

    @property
    def executable(self) -> Path:
        if self.system == "macos":
            return self.bundle / "Contents" / "MacOS" / self.exe_name
        return self.bundle / (self.exe_name + (".exe" if self.system == "windows" else ""))


def current_system() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    raise BuildError(f"building on {sys.platform} is not supported: use Linux, Windows or macOS", exit_code=2)


def say(message: str) -> None:
    print(f"[build] {message}", flush=True)


# ----------------------------------------------------------------------------------------------------- prerequisites
def shown(path: Path) -> str:
    """``path`` relative to the project when it is inside it (shorter, and the same on every machine)."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def missing_prerequisites(system: str) -> list[str]:
    """Every missing build prerequisite, as a sentence saying how to get it."""
    problems = []
    if sys.version_info < (3, 11):
        problems.append(f"Python 3.11 or newer is needed (this is {platform.python_version()}).")
    if importlib.util.find_spec("PyInstaller") is None:
        problems.append(
            f"PyInstaller is not installed in this Python environment ({sys.executable}). Install it with "
            "`pip install pyinstaller` (or install the test extra: `pip install -e '.[test]'`)."
        )
    app_packages = ("desktop_agent", "PySide6", "pipecat", "qasync")
    missing = [name for name in app_packages if importlib.util.find_spec(name) is None]
    if missing:
        problems.append(
            f"The app's own packages are missing from this environment ({', '.join(missing)}). "
            "Install the app first: `pip install -e .` from the project folder."
        )
    if system == "linux" and shutil.which("objdump") is None:
        problems.append(
            "objdump was not found; PyInstaller needs it on Linux to collect shared libraries. Install binutils "
            "(Debian/Ubuntu: `apt-get install binutils`, Fedora: `dnf install binutils`)."
        )
    if not ICON_SVG.is_file():
        problems.append(f"The app icon {shown(ICON_SVG)} is missing; add it before building.")
    for path in (DESKTOP_TEMPLATE, DESKTOP_INSTALLER):
        if system == "linux" and not path.is_file():
            problems.append(f"The Linux packaging file {shown(path)} is missing.")
    return problems


def app_version() -> str:
    import desktop_agent

    return desktop_agent.__version__


# ------------------------------------------------------------------------------------------------------------ icons
@dataclass(frozen=True)
class Icons:
    svg: Path
    png: Path  # 256 px, for Linux menus
    ico: Path | None  # Windows
    icns: Path | None  # macOS


_qt_app = None


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent size x size square, as PNG bytes (Qt's SVG renderer, offscreen)."""
    global _qt_app
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:  # fonts need one, in case the SVG has text
        _qt_app = QGuiApplication([sys.argv[0], "-platform", "offscreen"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise BuildError(f"the icon {svg} is not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG images (supported since Windows Vista); sizes up to 256."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, payload = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + entries + payload


# ICNS element types that hold PNG data, by pixel size (the @2x types reuse the larger renders).
ICNS_TYPES = [(b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512),
              (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512)]


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding PNG images."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def make_icons(system: str, folder: Path) -> Icons:
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {256}
    if system == "windows":
        sizes |= {16, 24, 32, 48, 64, 128}
    if system == "macos":
        sizes |= {size for _, size in ICNS_TYPES}
    pngs = {size: render_png(ICON_SVG, size) for size in sorted(sizes)}
    png = folder / f"{SLUG}.png"
    png.write_bytes(pngs[256])
    ico = icns = None
    if system == "windows":
        ico = folder / f"{SLUG}.ico"
        ico.write_bytes(ico_bytes({size: pngs[size] for size in (16, 24, 32, 48, 64, 128, 256)}))
    if system == "macos":
        icns = folder / f"{SLUG}.icns"
        icns.write_bytes(icns_bytes(pngs))
    return Icons(svg=ICON_SVG, png=png, ico=ico, icns=icns)


# ------------------------------------------------------------------------------------------------ PyInstaller input
QT_HOOK = '''\
"""Generated by build_installer.py: PyInstaller's stock hook for PySide6.{module}, keeping only the Qt plugins the
app uses and no Qt translations."""
import fnmatch
import os

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

KEPT_PLUGINS = {plugins!r}


def _kept(source, destination):
    parts = destination.replace(os.sep, "/").split("/")
    if "plugins" not in parts[:-1]:
        return True
    folder = parts[parts.index("plugins") + 1]
    if folder not in KEPT_PLUGINS:
        return False
    patterns = KEPT_PLUGINS[folder]
    stem = os.path.basename(source).split(".")[0]
    stem = stem[3:] if stem.startswith("lib") else stem
    return patterns is None or any(fnmatch.fnmatch(stem, pattern) for pattern in patterns)


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, destination) for source, destination in binaries if _kept(source, destination)]
datas = [(source, destination) for source, destination in datas if not source.endswith(".qm")]
'''

TLS_RUNTIME_HOOK = '''\
"""Generated by build_installer.py; runs in the bundled app before its own code.

The bundled OpenSSL looks for trusted certificates where the build machine keeps them (Debian: /usr/lib/ssl). On
another Linux distribution that folder may not exist and every HTTPS/WSS connection to the providers would fail
verification, so point OpenSSL at the system's bundle, or at certifi's when the system has none. A user's own
SSL_CERT_FILE/SSL_CERT_DIR always wins; Windows uses its own certificate store.
"""
import os
import ssl
import sys

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Arch, Gentoo
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora, RHEL
    "/etc/pki/tls/certs/ca-bundle.crt",  # older Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # Alpine, macOS
)


def certifi_bundle():
    try:
        import certifi
    except ImportError:
        return None
    return certifi.where()


def choose_cert_file(environ, default_paths, isfile, fallback):
    """The certificate file to use, or None to leave OpenSSL's own choice alone."""
    if sys.platform == "win32" or environ.get("SSL_CERT_FILE") or environ.get("SSL_CERT_DIR"):
        return None
    if default_paths.cafile or default_paths.capath:  # None when the compiled-in location does not exist
        return None
    for candidate in SYSTEM_BUNDLES:
        if isfile(candidate):
            return candidate
    return fallback()


_chosen = choose_cert_file(os.environ, ssl.get_default_verify_paths(), os.path.isfile, certifi_bundle)
if _chosen:
    os.environ["SSL_CERT_FILE"] = _chosen
'''

ENTRY_SCRIPT = '''\
"""Generated by build_installer.py: the frozen app's entry point, {module}:{function}."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from {module} import {function}

    sys.exit({function}())
'''

SPEC = '''\
# Generated by build_installer.py; change that script, not this file.
import fnmatch
import os
import subprocess

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules, copy_metadata

CONFIG = {config!r}

datas = [tuple(item) for item in CONFIG["datas"]]
for package in CONFIG["data_packages"]:
    datas += collect_data_files(package)
for distribution in CONFIG["metadata"]:
    datas += copy_metadata(distribution)
binaries = []
for package in CONFIG["library_packages"]:
    binaries += collect_dynamic_libs(package)


def _bundled(name):
    return not any(name == skipped or name.startswith(skipped + ".") for skipped in CONFIG["skipped_subpackages"])


a = Analysis(
    [CONFIG["entry"]],
    pathex=[CONFIG["root"]],
    binaries=binaries,
    datas=datas,
    hiddenimports=collect_submodules("desktop_agent", filter=_bundled) + ["certifi"],
    hookspath=[CONFIG["hooks"]],
    runtime_hooks=[CONFIG["tls_hook"]],
    excludes=CONFIG["excludes"],
)


def _needed(path):
    """The sonames an ELF file links (readelf's NEEDED entries); none for other files."""
    dynamic = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return {{line.split("[", 1)[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line}}


def _from_host(entry):
    return any(fnmatch.fnmatch(os.path.basename(entry[0]), pattern) for pattern in CONFIG["host_libraries"])


# The system's copies are used instead of the host libraries; what PyInstaller collected only because one of them
# linked it (systemd for D-Bus, PCRE2 for GLib, ...) goes too, unless something that stays links it as well.
left_to_host = [entry for entry in a.binaries if _from_host(entry)]
a.binaries = [entry for entry in a.binaries if not _from_host(entry)]
only_for_host = set().union(*(_needed(source) for _, source, _ in left_to_host))
while only_for_host:
    still_needed = set().union(*(_needed(source) for _, source, _ in a.binaries))
    orphans = {{
        name for name, _, _ in a.binaries
        if os.path.basename(name) in only_for_host and os.path.basename(name) not in still_needed
    }}
    if not orphans:
        break
    only_for_host |= set().union(*(_needed(source) for name, source, _ in a.binaries if name in orphans))
    a.binaries = [entry for entry in a.binaries if entry[0] not in orphans]
pyz = PYZ(a.pure)
exe = EXE(
    pyz,
    a.scripts,
    [],
    exclude_binaries=True,
    name=CONFIG["exe_name"],
    console=False,
    icon=CONFIG["icon"],
    strip=False,
    upx=False,
)
coll = COLLECT(exe, a.binaries, a.datas, strip=False, upx=False, name=CONFIG["collect_name"])
if CONFIG["macos"]:
    app = BUNDLE(
        coll,
        name=CONFIG["app_name"] + ".app",
        icon=CONFIG["icon"],
        bundle_identifier=CONFIG["bundle_identifier"],
        version=CONFIG["version"],
        info_plist=CONFIG["info_plist"],
    )
'''


def resource_datas() -> list[tuple[str, str]]:
    """``resources/`` as (source, destination) pairs, without the packaging files in resources/desktop."""
    datas = []
    for child in sorted((ROOT / "resources").iterdir()):
        if child == DESKTOP_DIR:
            continue
        datas.append((str(child), f"resources/{child.name}" if child.is_dir() else "resources"))
    return datas


def write_pyinstaller_input(target: Target, work: Path, icons: Icons, version: str) -> Path:
    """Writes the Qt hooks, the entry script and the spec into ``work``; returns the spec's path."""
    hooks = work / "hooks"
    if hooks.is_dir():  # no stale hooks from an earlier build
        shutil.rmtree(hooks)
    hooks.mkdir(parents=True)
    for module in QT_HOOKED_MODULES:
        (hooks / f"hook-PySide6.{module}.py").write_text(QT_HOOK.format(module=module, plugins=QT_PLUGINS))
    tls_hook = work / "hooks" / "runtime_tls_certificates.py"
    tls_hook.write_text(TLS_RUNTIME_HOOK)
    entry = work / "desktop_agent_launcher.py"
    entry.write_text(ENTRY_SCRIPT.format(module=ENTRY_POINT[0], function=ENTRY_POINT[1]))
    icon = {"windows": icons.ico, "macos": icons.icns}.get(target.system)
    config = {
        "root": str(ROOT),
        "entry": str(entry),
        "hooks": str(hooks),
        "tls_hook": str(tls_hook),
        "datas": resource_datas(),
        "data_packages": DATA_PACKAGES,
        "metadata": METADATA,
        "library_packages": LIBRARY_PACKAGES,
        "skipped_subpackages": SKIPPED_SUBPACKAGES,
        "host_libraries": HOST_LIBRARIES if target.system == "linux" else [],
        "excludes": EXCLUDED_MODULES,
        "exe_name": target.exe_name,
        "collect_name": target.exe_name,
        "icon": str(icon) if icon else None,
        "macos": target.system == "macos",
        "app_name": APP_NAME,
        "bundle_identifier": BUNDLE_IDENTIFIER,
        "version": version,
        "info_plist": {
            "CFBundleDisplayName": APP_NAME,
            "CFBundleShortVersionString": version,
            "NSMicrophoneUsageDescription": MIC_USAGE,
            "NSHighResolutionCapable": True,
        },
    }
    spec = work / f"{SLUG}.spec"
    spec.write_text(SPEC.format(config=config))
    return spec


def run_pyinstaller(spec: Path, target: Target, work: Path, clean: bool, first_paths: list[Path]) -> None:
    """Runs PyInstaller on ``spec``; packages in ``first_paths`` are bundled instead of this environment's copies."""
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", *(["--clean"] if clean else []),
        "--distpath", str(target.dist), "--workpath", str(work / "pyinstaller"), str(spec),
    ]
    # PyInstaller imports Pipecat while analysing it; keep its INFO banner out of the build log. PYTHONPATH comes
    # before site-packages, for PyInstaller and for the processes its hooks import packages in.
    env = {**os.environ, "LOGURU_LEVEL": "WARNING"}
    if first_paths:
        env["PYTHONPATH"] = os.pathsep.join([*map(str, first_paths), *filter(None, [os.environ.get("PYTHONPATH")])])
    result = subprocess.run(command, cwd=work, env=env)
    if result.returncode != 0:
        raise BuildError(f"PyInstaller failed (exit code {result.returncode}); its messages are above.")
    if not target.executable.is_file():
        raise BuildError(f"PyInstaller finished but {target.executable} was not created.")


# -------------------------------------------------------------------------------------- packages built from source
def wheel_from_source(build: SourceBuild, cache: Path) -> Path:
    """This environment's version of ``build.distribution`` built from its source with ``build.options``, as a wheel
    kept in ``cache`` (built once, the next builds reuse it)."""
    from importlib.metadata import version

    release = version(build.distribution)
    folder = source_wheel_folder(build, cache)
    wheels = sorted(folder.glob("*.whl"))
    if wheels:
        return wheels[-1]
    missing = source_build_prerequisites(build)
    if missing:
        raise BuildError(f"building {build.distribution} from its source needs " + " and ".join(missing) +
                         " (Debian/Ubuntu: `apt-get install build-essential python3-dev`, Fedora: `dnf install "
                         "gcc-c++ python3-devel zlib-devel`)", exit_code=2)
    say(f"building {build.distribution} {release} from its source (once; kept in {shown(folder)})")
    started = time.monotonic()
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-binary", build.distribution, "--quiet",
               f"{build.distribution}=={release}", "--wheel-dir", str(partial),
               *(f"--config-settings={option}" for option in build.options)]
    result = subprocess.run(command, capture_output=True, text=True, errors="replace")
    wheels = sorted(partial.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        raise BuildError(f"building {build.distribution} {release} from its source failed (pip exit code "
                         f"{result.returncode}); pip's last output:\n{_tail(result.stdout + result.stderr, 25)}")
    shutil.rmtree(folder, ignore_errors=True)
    partial.replace(folder)
    say(f"{build.distribution} built in {time.monotonic() - started:.0f} s")
    return folder / wheels[0].name


def source_wheel_folder(build: SourceBuild, cache: Path) -> Path:
    """Where the wheel of this version of the package, for this Python, built with its options, is kept."""
    from importlib.metadata import version

    options = hashlib.sha256(" ".join(build.options).encode()).hexdigest()[:12]
    python_tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    return cache / f"{build.distribution}-{version(build.distribution)}-{python_tag}-{options}"


def source_build_prerequisites(build: SourceBuild) -> list[str]:
    """What building the package from its source needs and this machine lacks, as phrases."""
    import sysconfig

    compilers = (("C", "cc"), ("C++", "c++")) if build.needs_cxx else (("C", "cc"),)
    missing = [f"a {language} compiler ({tool})" for language, tool in compilers if shutil.which(tool) is None]
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        missing.append("Python's headers (Python.h)")
    return missing


def unpack_wheels(wheels: list[Path], folder: Path) -> Path:
    """The wheels' packages in ``folder`` (emptied first), importable with ``folder`` on the path."""
    if folder.exists():
        shutil.rmtree(folder)
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(folder)
    for path in folder.rglob("*.so"):  # zip files do not keep the executable bit PyInstaller's checks expect
        path.chmod(0o755)
    return folder


# ----------------------------------------------------------------------------------------------- Linux finishing
def strip_symbols(bundle: Path, executable: Path) -> int:
    """Strips debug sections and symbols no program needs (``strip --strip-unneeded``: the dynamic symbols that
    libraries are linked by stay) from the bundle's ELF files. The app's own executable is left alone (its Python
    archive is appended after the ELF image), and so are libraries patchelf rewrote for a wheel (in a
    ``<package>.libs`` folder). strip can break the layout of a file patchelf rewrote ("ELF load command
    address/offset not page-aligned"), so each file is stripped into a copy that replaces it only when its loadable
    segments still sit at page-aligned offsets; otherwise it loses only its debug sections, on the same condition.
    Returns the bytes saved."""
    if shutil.which("strip") is None:
        say("strip (binutils) not found: debug information stays in the bundle")
        return 0
    saved = 0
    for path in sorted(bundle.rglob("*")):
        if path == executable or path.is_symlink() or not path.is_file() or not _is_elf(path):
            continue
        if path.parent.name.endswith(".libs"):
            continue
        stripped = path.with_name(path.name + ".stripped")
        for how in ("--strip-unneeded", "--strip-debug"):
            result = subprocess.run(["strip", how, "-o", str(stripped), str(path)], capture_output=True)
            if result.returncode == 0 and _load_segments_aligned(stripped):
                saved += path.stat().st_size - stripped.stat().st_size
                shutil.copymode(path, stripped)
                stripped.replace(path)
                break
        stripped.unlink(missing_ok=True)
    return saved


PAGE_SIZE = 4096


def _load_segments_aligned(path: Path) -> bool:
    """Whether every loadable segment's file offset and address agree modulo its alignment and the page size (the
    dynamic loader refuses the file otherwise)."""
    headers = subprocess.run(["readelf", "-l", "-W", str(path)], capture_output=True, text=True)
    loads = [line.split() for line in headers.stdout.splitlines() if line.split()[:1] == ["LOAD"]]
    return headers.returncode == 0 and bool(loads) and all(
        (int(fields[1], 16) - int(fields[2], 16)) % max(int(fields[-1], 16), PAGE_SIZE) == 0 for fields in loads)


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def trim_icu_data(bundle: Path, work: Path) -> int:
    """Rebuilds Qt's libicudata with only the ICU_DATA_KEPT items (as and ld from binutils). Returns the bytes saved,
    0 when the library or the tools are not there (the bundle then keeps the full data)."""
    libraries = sorted(bundle.glob("_internal/PySide6/Qt/lib/libicudata.so.*"))
    if len(libraries) != 1 or shutil.which("as") is None or shutil.which("ld") is None:
        say("Qt's ICU data left whole (no single libicudata, or no as/ld from binutils)")
        return 0
    library = libraries[0]
    symbols = subprocess.run(["nm", "-D", "-S", "--defined-only", str(library)], capture_output=True, text=True)
    found = [line.split() for line in symbols.stdout.splitlines() if line.split()[-1:][0].endswith("_dat")]
    if len(found) != 1:
        raise BuildError(f"{library.name} does not hold exactly one ICU data symbol (icudt<N>_dat)")
    address, size, _, symbol = found[0]
    raw = library.read_bytes()
    start = _file_offset(library, int(address, 16))
    data = raw[start : start + int(size, 16)]
    prefix = symbol[: -len("_dat")] + "l/"  # e.g. icudt73l/
    kept = filter_icu_common_data(data, lambda name: icu_item_kept(name.removeprefix(prefix)))
    folder = work / "icu"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.bin").write_bytes(kept)
    (folder / "data.s").write_text(
        f'.section .rodata\n.globl {symbol}\n.type {symbol}, @object\n.balign 16\n{symbol}:\n'
        f'.incbin "data.bin"\n.size {symbol}, .-{symbol}\n.section .note.GNU-stack,"",@progbits\n'
    )
    soname = library.name
    for command in (["as", "-o", "data.o", "data.s"], ["ld", "-shared", "-soname", soname, "-o", soname, "data.o"]):
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"rebuilding {soname} failed at `{' '.join(command)}`: {result.stderr.strip()}")
    before = library.stat().st_size
    shutil.copyfile(folder / soname, library)
    return before - library.stat().st_size


def icu_item_kept(item: str) -> bool:
    return any(fnmatch.fnmatch(item, pattern) and ("/" in pattern or "/" not in item) for pattern in ICU_DATA_KEPT)


def _file_offset(library: Path, address: int) -> int:
    """The file offset of a virtual address, from the section holding it."""
    sections = subprocess.run(["readelf", "-S", "-W", str(library)], capture_output=True, text=True).stdout
    for line in sections.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[0].startswith("[") and fields[2] in ("PROGBITS",):
            section_address, offset, size = (int(fields[i], 16) for i in (3, 4, 5))
            if section_address <= address < section_address + size:
                return offset + address - section_address
    raise BuildError(f"no section of {library.name} holds address {address:#x}")


def filter_icu_common_data(data: bytes, keep) -> bytes:
    """An ICU common data package (header, then a table of contents of (name offset, data offset) pairs counted from
    the table's start, names, then 16-byte aligned items) with only the items whose name ``keep`` accepts."""
    header_size = struct.unpack_from("<H", data, 0)[0]
    if data[2:4] != b"\xda\x27":
        raise BuildError("Qt's ICU data is not an ICU common data package")
    count = struct.unpack_from("<I", data, header_size)[0]
    toc = header_size
    entries = [struct.unpack_from("<II", data, toc + 4 + 8 * i) for i in range(count)]
    names = [data[toc + n : data.index(b"\0", toc + n)].decode("ascii") for n, _ in entries]
    ends = [offset for _, offset in entries[1:]] + [len(data) - toc]
    items = [
        (name, data[toc + offset : toc + end])
        for name, (_, offset), end in zip(names, entries, ends, strict=True)
        if keep(name)
    ]
    name_blob = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    table_size = 4 + 8 * len(items)
    name_offsets, position = [], table_size
    for name, _ in items:
        name_offsets.append(position)
        position += len(name) + 1
    position = (position + 15) & ~15
    body, data_offsets = b"", []
    for _, item in items:
        data_offsets.append(position + len(body))
        body += item + b"\0" * (-len(item) % 16)
    pairs = zip(name_offsets, data_offsets, strict=True)
    table = struct.pack("<I", len(items)) + b"".join(struct.pack("<II", n, d) for n, d in pairs)
    names_part = name_blob + b"\0" * ((-(table_size + len(name_blob))) % 16)
    return data[:header_size] + table + names_part + body


def drop_install_records(bundle: Path) -> int:
    """Deletes the RECORD files (pip's list of every installed file with its hash, for uninstalling) from the
    bundled packages' metadata; what the app reads there (versions, entry points, licences) stays. Returns the bytes
    saved."""
    saved = 0
    for record in bundle.glob("_internal/*.dist-info/RECORD"):
        saved += record.stat().st_size
        record.unlink()
    return saved


def install_desktop_entry(bundle: Path, icons: Icons) -> None:
    """The menu entry and icons in the freedesktop layout inside the bundle, plus the script that installs them."""
    applications = bundle / "share" / "applications"
    scalable = bundle / "share" / "icons" / "hicolor" / "scalable" / "apps"
    raster = bundle / "share" / "icons" / "hicolor" / "256x256" / "apps"
    for folder in (applications, scalable, raster):
        folder.mkdir(parents=True, exist_ok=True)
    entry = Template(DESKTOP_TEMPLATE.read_text()).substitute(name=APP_NAME, exec=SLUG, icon=SLUG)
    (applications / f"{SLUG}.desktop").write_text(entry)
    shutil.copyfile(icons.svg, scalable / f"{SLUG}.svg")
    shutil.copyfile(icons.png, raster / f"{SLUG}.png")
    installer = bundle / DESKTOP_INSTALLER.name
    shutil.copyfile(DESKTOP_INSTALLER, installer)
    installer.chmod(0o755)


def make_archive(bundle: Path, dist: Path, version: str) -> Path:
    arch = platform.machine().lower() or "unknown"
    archive = dist / f"{SLUG}-{version}-linux-{arch}.tar.gz"
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{SLUG}-{version}")
    partial.replace(archive)
    return archive


# ------------------------------------------------------------------------------------------------------- .deb
DEB_PACKAGE = SLUG
DEB_REVISION = "1"
DEB_INSTALL_DIR = f"/opt/{SLUG}"
DEB_MAINTAINER = "Desktop Agent maintainers <desktop-agent@users.noreply.github.com>"
DEB_DESCRIPTION = (
    "Voice assistant for the desktop\n"
    " Hold a key and talk, or talk hands-free, to an AI assistant that answers aloud.\n"
    " Self-contained: Python, Qt and the voice models are bundled in /opt/desktop-agent."
)
DEB_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64"}
# What the app loads that no ELF file names: PortAudio, which the sound library finds by name on the system (a fresh
# Debian 12 without it: "PortAudio library not found"), and fontconfig's configuration with a font (without it the
# bundled libfontconfig finds no fonts and the window has no text). Both found with the fresh-Debian smoke test.
DEB_RUNTIME_DEPENDS = ["libportaudio2", "fontconfig-config"]
# Fonts for the Indian scripts and Arabic in the transcript (Noto's UI families, 5 MB). Recommended, not required:
# the app runs without them (those scripts would show as empty boxes), apt installs Recommends by default, and a
# machine that already has fonts for these scripts (fonts-noto-core, fonts-indic, ...) may leave this one out.
DEB_RECOMMENDS = ["fonts-noto-ui-core"]


def deb_depends(bundle: Path) -> list[str]:
    """The Debian packages holding the shared libraries the bundle links but does not carry (libasound2, libGL, the
    X11/Wayland libraries Qt's platform plugins need, ...), found with readelf, ldconfig and dpkg, plus the glibc
    the build machine has (the bundle runs with that glibc or a newer one)."""
    bundled = {path.name for path in bundle.rglob("*.so*")}
    needed: set[str] = set()
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink() and _is_elf(path):
            dynamic = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
            needed |= {line.split("[", 1)[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line}
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    abi = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(platform.machine(), "")  # ldconfig's tag for this machine
    locations: dict[str, str] = {}
    for line in cache.splitlines():
        if "=>" in line and abi in line:
            name, location = line.split("=>")
            locations.setdefault(name.split()[0], location.strip())
    packages: set[str] = set()
    for library in sorted(needed - bundled):
        if library not in locations:
            raise BuildError(f"the bundle needs {library}, which this machine does not have; install it and rebuild")
        real = os.path.realpath(locations[library])
        candidates = [locations[library], real, real.removeprefix("/usr"), "/usr" + real]
        for candidate in candidates:
            owner = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
            if owner.returncode == 0:
                packages.add(owner.stdout.split(":")[0].split(",")[0].strip())
                break
        else:
            raise BuildError(f"no Debian package owns {locations[library]} (needed by the bundle)")
    glibc = platform.libc_ver()[1]
    packages.discard("libc6")
    return [f"libc6 (>= {glibc})", *sorted(packages | set(DEB_RUNTIME_DEPENDS))]


def build_deb(bundle: Path, icons: Icons, version: str, dist: Path, work: Path) -> Path:
    """``<package>_<version>-1_<arch>.deb``: the bundle in /opt/desktop-agent, the ``desktop-agent`` command in
    /usr/bin (a symlink), the menu entry in /usr/share/applications and the icons in the hicolor theme. dpkg -r
    removes all of it; what the app writes in a home folder (settings, history, the autostart entry) stays."""
    for tool in ("dpkg-deb", "dpkg-query", "ldconfig"):
        if shutil.which(tool) is None:
            raise BuildError(f"--deb needs {tool}: build the .deb on Debian or Ubuntu", exit_code=2)
    architecture = DEB_ARCHITECTURES.get(platform.machine(), platform.machine())
    root = work / "deb"
    if root.exists():
        shutil.rmtree(root)
    app_dir = root / DEB_INSTALL_DIR.lstrip("/")
    # The menu entry and its installer script are for the tarball; the package installs them system-wide instead.
    shutil.copytree(bundle, app_dir, symlinks=True, ignore=lambda folder, names: (
        {"share", DESKTOP_INSTALLER.name} if Path(folder) == bundle else set()))
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / SLUG).symlink_to(f"{DEB_INSTALL_DIR}/{SLUG}")
    applications = root / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    entry = Template(DESKTOP_TEMPLATE.read_text()).substitute(name=APP_NAME, exec=SLUG, icon=SLUG)
    (applications / f"{SLUG}.desktop").write_text(entry)
    for folder, source in (("scalable", icons.svg), ("256x256", icons.png)):
        target = root / "usr" / "share" / "icons" / "hicolor" / folder / "apps"
        target.mkdir(parents=True)
        shutil.copyfile(source, target / f"{SLUG}{source.suffix}")
    installed_kb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    control = root / "DEBIAN"
    control.mkdir()
    (control / "control").write_text(
        f"Package: {DEB_PACKAGE}\n"
        f"Version: {version}-{DEB_REVISION}\n"
        f"Architecture: {architecture}\n"
        f"Maintainer: {DEB_MAINTAINER}\n"
        f"Installed-Size: {installed_kb}\n"
        f"Depends: {', '.join(deb_depends(app_dir))}\n"
        f"Recommends: {', '.join(DEB_RECOMMENDS)}\n"
        "Section: utils\n"
        "Priority: optional\n"
        f"Description: {DEB_DESCRIPTION}\n"
    )
    package = dist / f"{DEB_PACKAGE}_{version}-{DEB_REVISION}_{architecture}.deb"
    # gzip: about three times faster to build than dpkg's default xz, for a package ~15% bigger.
    result = subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(package)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"dpkg-deb could not build the package: {result.stderr.strip()}")
    shutil.rmtree(root)
    return package


# --------------------------------------------------------------------------------------------------------- reports
def size_report(bundle: Path, top: int = 12) -> str:
    files = [(p.stat().st_size, p) for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(size for size, _ in files)
    lines = [f"bundle {bundle} : {total / 1e6:.1f} MB in {len(files)} files; biggest:"]
    for size, path in sorted(files, key=lambda item: item[0], reverse=True)[:top]:
        lines.append(f"  {size / 1e6:6.1f} MB  {path.relative_to(bundle).as_posix()}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------- smoke
def smoke_environment() -> dict[str, str]:
    """The caller's environment (sound server, D-Bus session, keyring) with Qt drawing offscreen."""
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def run_bundled(executable: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [str(executable), *args],
            env=smoke_environment(),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=SMOKE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"smoke check failed: `{executable.name} {' '.join(args)}` did not finish within "
                         f"{SMOKE_TIMEOUT_S} s") from exc


def _tail(text: str, lines: int = 15) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in kept) if kept else "    (no output)"


def smoke_self_check(executable: Path) -> None:
    result = run_bundled(executable, "--self-check")
    output = result.stdout + result.stderr
    for line in result.stdout.splitlines():
        if line.startswith(("ok ", "FAIL ")):
            say(f"  {line}")
    failed = [line[5:] for line in result.stdout.splitlines() if line.startswith("FAIL ")]
    if result.returncode == 0 and not failed:  # the exit code is the number of failed checks
        if "self-check passed" not in result.stdout:
            say("  self-check passed (exit code 0; a windowed Windows build prints no details)")
        return
    if not failed:
        raise BuildError(f"smoke check failed: the bundled app's self-check stopped with exit code "
                         f"{result.returncode} before reporting; its last output:\n{_tail(output)}")
    message = [f"smoke check failed: the bundled app's self-check found {len(failed)} problem(s):"]
    message += [f"  - {line}" for line in failed]
    if all(line.split(":")[0] in ENVIRONMENT_CHECKS for line in failed):
        message.append(
            "These checks need a sound server and an unlocked keyring in the environment the smoke check runs in "
            "(tests/installer runs it inside tests/run.sh with a PulseAudio null sink); the bundle itself may be fine."
        )
    raise BuildError("\n".join(message))


def png_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk, or None if ``data`` is not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def smoke_simulated_exchange(executable: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="desktop-agent-smoke-") as folder:
        shot = Path(folder) / "exchange.png"
        result = run_bundled(executable, "--screenshot", str(shot), "--log-level", "WARNING")
        if result.returncode != 0 or not shot.is_file():
            raise BuildError(
                f"smoke check failed: the bundled app could not run a simulated exchange (`--screenshot`, exit code "
                f"{result.returncode}); its last output:\n{_tail(result.stdout + result.stderr)}"
            )
        data = shot.read_bytes()
        dimensions = png_dimensions(data)
        if dimensions is None or len(data) < MIN_SCREENSHOT_BYTES:
            raise BuildError(f"smoke check failed: the simulated exchange's screenshot is not a real image "
                             f"({len(data)} bytes)")
    say(f"  ok   simulated exchange: window screenshot {dimensions[0]}x{dimensions[1]}, {len(data) // 1000} kB")


# ------------------------------------------------------------------------------------------------------------ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="build_installer.py",
        description=f"Build {APP_NAME} as a self-contained bundle for this operating system with PyInstaller.",
    )
    parser.add_argument("--smoke", action="store_true",
                        help="after building, run the bundled app offscreen (--self-check and one simulated "
                             "exchange) and fail on any problem")
    parser.add_argument("--deb", action="store_true",
                        help="on Debian or Ubuntu, also build a .deb that installs the app in /opt/desktop-agent")
    parser.add_argument("--clean", action="store_true",
                        help="start from scratch: remove earlier build files and PyInstaller's cache first")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", metavar="DIR",
                        help="where the bundle and archive go (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "installer", metavar="DIR",
                        help="where intermediate build files go (default: build/installer/)")
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> int:
    system = current_system()
    problems = missing_prerequisites(system)
    if problems:
        raise BuildError("cannot build yet:\n" + "\n".join(f"  - {problem}" for problem in problems), exit_code=2)
    target = Target(system=system, dist=args.dist.resolve())
    work = args.work.resolve()
    version = app_version()
    started = time.monotonic()
    if args.deb and system != "linux":
        raise BuildError("--deb builds a Debian package: run it on Debian or Ubuntu", exit_code=2)
    if args.clean:  # only what this script made: --work or --dist may point at a folder holding other things
        for path in (*(work / name for name in WORK_FOLDERS), target.bundle, target.dist / target.exe_name):
            if path.is_dir():
                shutil.rmtree(path)
    target.dist.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)

    say(f"building {APP_NAME} {version} for {system} ({platform.machine()}) with {sys.executable}")
    icons = make_icons(system, work / "icons")
    spec = write_pyinstaller_input(target, work, icons, version)
    first_paths = []
    if system == "linux":
        wheels = [wheel_from_source(source_build, WHEEL_CACHE) for source_build in SOURCE_BUILDS]
        first_paths.append(unpack_wheels(wheels, work / "source-built"))
    run_pyinstaller(spec, target, work, args.clean, first_paths)
    say(f"PyInstaller done in {time.monotonic() - started:.0f} s")

    if system == "linux":
        saved = strip_symbols(target.bundle, target.executable)
        say(f"stripped {saved / 1e6:.1f} MB of debug information and unneeded symbols")
        saved = trim_icu_data(target.bundle, work)
        say(f"trimmed Qt's ICU data by {saved / 1e6:.1f} MB")
        saved = drop_install_records(target.bundle)
        say(f"dropped {saved / 1e6:.1f} MB of pip's install records")
        install_desktop_entry(target.bundle, icons)
    say(size_report(target.bundle))
    if system == "linux":
        archive = make_archive(target.bundle, target.dist, version)
        say(f"archive {archive} : {archive.stat().st_size / 1e6:.1f} MB")
        if args.deb:
            package = build_deb(target.bundle, icons, version, target.dist, work)
            say(f"package {package} : {package.stat().st_size / 1e6:.1f} MB (install: apt install ./{package.name})")
    say(f"built in {time.monotonic() - started:.0f} s: run {target.executable}")

    if args.smoke:
        say("smoke check: self-check and one simulated exchange, offscreen")
        smoke_self_check(target.executable)
        smoke_simulated_exchange(target.executable)
        say("smoke check passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return build(args)
    except BuildError as exc:
        print(f"[build] error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except OSError as exc:
        print(f"[build] error: {exc.strerror or exc} ({exc.filename or 'no file'})", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("[build] interrupted", file=sys.stderr, flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
