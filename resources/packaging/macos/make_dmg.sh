#!/usr/bin/env bash
# Puts PyInstaller's "dist/Desktop Agent.app" in a compressed disk image with a link to /Applications.
# UNTESTED: written for macOS (hdiutil is macOS-only); the project is built and tested on Debian.
# .ci/desktop-packages.yml runs it on a macOS runner.
#
#   python build_installer.py --smoke && resources/packaging/macos/make_dmg.sh
#
# Output: dist/desktop-agent-<version>-macos.dmg. The app is not signed or notarized: Gatekeeper asks the user to
# confirm the first start (right-click > Open). Uninstall: drag the app to the Bin; the settings
# (~/Library/Application Support/desktop-agent), history and keys (login Keychain) stay, and so does the login item
# ~/Library/LaunchAgents/org.desktop-agent.DesktopAgent.plist if "Start on login" was left on (untick it first).
set -euo pipefail
cd "$(dirname "$0")/../../.."
app="dist/Desktop Agent.app"
[[ -d $app ]] || { echo "no $app: run python build_installer.py first" >&2; exit 2; }
version=$(python3 -c 'import re,pathlib; print(re.search(r"__version__ = \"([^\"]+)\"", pathlib.Path("desktop_agent/__init__.py").read_text()).group(1))')
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
out="dist/desktop-agent-$version-macos.dmg"
rm -f "$out"
hdiutil create -volname "Desktop Agent" -srcfolder "$staging" -fs HFS+ -format UDZO "$out"
echo "disk image: $out"
