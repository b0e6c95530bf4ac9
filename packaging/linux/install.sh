#!/bin/sh
# Install this SongCal bundle for the current user on Linux: the program in
# ~/.local/opt/SongCal, the `SongCal` command in ~/.local/bin, and the desktop entry, icons
# and AppStream data where desktops look for them.  Run it from the unpacked bundle:
#   ./install.sh            (./install.sh --uninstall removes what it installed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
opt=$HOME/.local/opt/SongCal
bin=$HOME/.local/bin
id=org.songcal.SongCal
sizes="16 24 32 48 64 128 256 512"

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$opt" "$bin/SongCal" "$data/applications/$id.desktop" "$data/metainfo/$id.metainfo.xml"
  for s in $sizes; do rm -f "$data/icons/hicolor/${s}x${s}/apps/$id.png"; done
  rm -f "$data/icons/hicolor/scalable/apps/$id.svg"
  echo "SongCal removed (your results and settings stay in ~/.local/share/songcal)."
  exit 0
fi

[ -x "$here/SongCal" ] || { echo "install.sh: run me from the SongCal bundle folder" >&2; exit 2; }
if [ "$here" != "$opt" ]; then
  rm -rf "$opt"
  mkdir -p "$(dirname "$opt")"
  cp -a "$here" "$opt"
fi
mkdir -p "$bin" "$data/applications" "$data/metainfo"
ln -sf "$opt/SongCal" "$bin/SongCal"
icons=$opt/_internal/resources/icons
for s in $sizes; do
  mkdir -p "$data/icons/hicolor/${s}x${s}/apps"
  cp "$icons/songcal-$s.png" "$data/icons/hicolor/${s}x${s}/apps/$id.png"
done
mkdir -p "$data/icons/hicolor/scalable/apps"
cp "$icons/songcal.svg" "$data/icons/hicolor/scalable/apps/$id.svg"
sed "s|^Exec=SongCal|Exec=$opt/SongCal|; s|^TryExec=SongCal|TryExec=$opt/SongCal|" \
  "$here/$id.desktop" > "$data/applications/$id.desktop"
cp "$here/$id.metainfo.xml" "$data/metainfo/"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "SongCal installed: start it from your desktop's menu, or run $bin/SongCal"
