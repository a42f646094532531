#!/bin/sh
# Adds Desktop Agent to the current user's application menu, pointing at this unpacked folder.
# Usage: ./install-desktop-entry.sh          (install or update)
#        ./install-desktop-entry.sh --remove (take it out of the menu again; the folder itself is left alone)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry="$data/applications/desktop-agent.desktop"
svg="$data/icons/hicolor/scalable/apps/desktop-agent.svg"
png="$data/icons/hicolor/256x256/apps/desktop-agent.png"

refresh() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$data/applications" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
    fi
}

if [ "${1:-}" = "--remove" ]; then
    rm -f "$entry" "$svg" "$png"
    refresh
    echo "Desktop Agent was removed from the application menu."
    exit 0
fi

if [ ! -x "$here/desktop-agent" ]; then
    echo "error: $here/desktop-agent is missing; run this script from the unpacked Desktop Agent folder." >&2
    exit 1
fi

case "$here" in
    *[\\\"\`\$\|\&]*)
        echo "error: the folder path $here contains one of \\ \" \` \$ | &, which a menu entry cannot" \
             "point at; move the folder and try again." >&2
        exit 1;;
esac

mkdir -p "$(dirname "$entry")" "$(dirname "$svg")" "$(dirname "$png")"
cp "$here/share/icons/hicolor/scalable/apps/desktop-agent.svg" "$svg"
cp "$here/share/icons/hicolor/256x256/apps/desktop-agent.png" "$png"
# Exec must be an absolute path: the menu does not know where this folder was unpacked.
sed "s|^Exec=.*|Exec=\"$here/desktop-agent\"|" "$here/share/applications/desktop-agent.desktop" > "$entry"
refresh
echo "Desktop Agent is now in the application menu ($entry)."
