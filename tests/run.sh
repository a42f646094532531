#!/usr/bin/env bash
# Installs everything the tests need (Debian packages, a virtualenv with the `test` extra) and runs pytest headless:
# Qt offscreen, inside a D-Bus session with an unlocked gnome-keyring (a real Secret Service). PulseAudio's null sink
# is started by tests/conftest.py for the tests that play and record real audio.
# Idempotent: a second run installs nothing and starts in seconds. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the app needs (README's first set-up command installs the same: tests/foundation/test_readme.py checks):
# PortAudio and the libraries Qt loads, with its X11 and Wayland platform plugins; fonts-noto-ui-core for the Indian
# scripts and Arabic in the transcript (5 MB; DejaVu has none of the Indian scripts).
app_packages=(python3-venv libportaudio2 libgl1 libegl1 libxkbcommon0 libfontconfig1 libfreetype6 libglib2.0-0
              libdbus-1-3 libx11-6 libx11-xcb1 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-icccm4
              libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0
              libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libwayland-client0
              libwayland-cursor0 libwayland-egl1 fonts-noto-ui-core)
# What only the tests need: a sound server, a Secret Service in a D-Bus session, speech, a font for offscreen Qt,
# for PyInstaller's build binutils and Debian's shared libpython (its python3 links Python in statically), and
# desktop-file-validate for the menu and autostart entries, Xvfb for the global shortcut tests, and a compiler with
# Python's headers for the numpy the installer builds from its source (without OpenBLAS: build_installer.py).
test_packages=(pulseaudio pulseaudio-utils libasound2-plugins dbus gnome-keyring espeak-ng sox fonts-dejavu-core
               binutils libpython3.11 desktop-file-utils xvfb build-essential python3-dev)
missing=()
for package in "${app_packages[@]}" "${test_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=".venv/.test-extra-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "Installing Python packages into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
    touch "$stamp"
fi

export QT_QPA_PLATFORM=offscreen PYTEST_QT_API=pyside6
HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d)
export HOME XDG_RUNTIME_DIR
chmod 700 "$XDG_RUNTIME_DIR"
trap 'rm -rf "$HOME" "$XDG_RUNTIME_DIR"' EXIT
dbus-run-session -- sh -c 'printf test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
    && exec .venv/bin/python -m pytest "$@"' sh "$@"
