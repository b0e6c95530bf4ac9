#!/usr/bin/env bash
# Build the one-folder SongCal bundle (dist/SongCal/, and dist/SongCal.app on macOS) from a
# clean virtual environment, then print its size, its largest parts and the build time.
#
#   scripts/build_bundle.sh            # the bundle, with the numba stand-in (see app.spec)
#   SONGCAL_BUNDLE_NUMBA=1 scripts/build_bundle.sh    # with the real numba and llvmlite
#
# The virtual environment (build/bundle-venv, or $SONGCAL_BUILD_VENV) is made anew each time,
# so the bundle holds what pyproject.toml asks for and nothing a developer installed by hand.
# PyInstaller runs under `nice` (builds share the machine).  Test the result with
# `python scripts/smoke_bundle.py`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${SONGCAL_BUILD_VENV:-build/bundle-venv}
case "$(uname -s)" in
  MINGW*|MSYS*|CYGWIN*) BIN="$VENV/Scripts" ;;
  *) BIN="$VENV/bin" ;;
esac

now() { "$PYTHON" -c 'import time; print(f"{time.time():.1f}")'; }
t0=$(now)
rm -rf "$VENV" build/pyinstaller dist/SongCal dist/SongCal.app
"$PYTHON" -m venv "$VENV"
"$BIN/python" -m pip install -q '.[bundle]'
t1=$(now)
nice -n 10 "$BIN/pyinstaller" app.spec --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller
t2=$(now)

echo
echo "bundle: dist/SongCal ($(du -sh dist/SongCal | cut -f1)); largest parts:"
inner=dist/SongCal/_internal
[ -d "$inner" ] || inner=dist/SongCal
du -sk "$inner"/* | sort -rn | awk 'NR <= 12 { printf "  %7.1f MB  %s\n", $1 / 1024, $2 }'
"$PYTHON" - "$t0" "$t1" "$t2" <<'EOF'
import sys
t0, t1, t2 = map(float, sys.argv[1:])
print(f"build time: {t2 - t0:.0f} s (clean virtual environment {t1 - t0:.0f} s, "
      f"PyInstaller {t2 - t1:.0f} s)")
EOF
