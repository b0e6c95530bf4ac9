"""Tempo on whole productions made by other people: LMMS's and Hydrogen's demo songs.

    apt-get install lmms lmms-common hydrogen
    python -m benchmarks.productions [--no-peers] [--cache DIR]

Every evaluation edition is rendered from scores by SongCal's own scripts, and the loops
benchmark (:mod:`benchmarks.loops`) repeats short recorded phrases.  These are finished
songs that their authors made in a music program and that the program's packages ship as
demos: the LMMS projects (house, trance, reggae, reggaeton, drum and bass, chip music,
hip-hop, rock and others, with LMMS's own synthesizers, sample players and effects) and
Hydrogen's demo songs (drum-machine grooves on the GM, jazz and TR-808 kits).  No edition
uses them and nothing was fitted on them.

**Truth.**  The tempo the project file states (LMMS: the ``bpm`` of the project's head;
Hydrogen: the song's ``<bpm>``), which is the tempo the author set the program's grid to.
A project's grid tempo is not always the beat a listener taps (a reggae groove written on a
180 BPM grid is felt at 90), so Acc1 against it is a strict reading and Acc2 (the tempo,
twice or half it, three times or a third of it) the figure to trust.  A project that
changes its tempo on the way (an automated ``bpm``) is left out, as are LMMS's templates.

Each song is rendered once by the program's own command-line export (``lmms --render``,
``h2cli``) and stored as FLAC in the cache folder (default ``~/.cache/songcal-productions``);
a rerun renders only what is missing.  Printed: each song's stated tempo and every system's
answer with its relation, then Acc1, Acc2 and songs without a tempo per program and overall.
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.tempo_report import score_songs, song_arguments  # noqa: E402

__all__ = ["SOURCES", "project_text", "stated_tempo", "find_songs", "render", "main"]

#: The collections: program, file patterns, Debian packages.
SOURCES = (
    ("lmms", ("/usr/share/lmms/projects/demos/**/*.mmp*",
              "/usr/share/lmms/projects/shorties/**/*.mmp*"), "lmms lmms-common"),
    ("hydrogen", ("/usr/share/hydrogen/data/demo_songs/*.h2song",), "hydrogen"),
)
_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "songcal-productions")
_ANSWERS_VERSION = 1
#: Longest a program may take to export one song (s).
_RENDER_TIMEOUT = 1800


def project_text(path: str) -> str:
    """The XML of a project: LMMS's ``.mmpz`` is zlib-compressed after a 4-byte length."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".mmpz"):
        data = zlib.decompress(data[4:])
    elif data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def stated_tempo(path: str) -> float | None:
    """The tempo (BPM) a project states, or None when it has none or automates it."""
    text = project_text(path)
    if path.endswith(".h2song"):
        found = re.findall(r"<bpm>\s*([0-9.]+)\s*</bpm>", text)
        return float(found[0]) if len(found) == 1 else None
    head = re.search(r"<head\b([^>]*)>", text)
    if head is None:
        return None
    bpm = re.search(r'\bbpm="([0-9.]+)"', head.group(1))
    # an automated tempo is written as a <bpm> element of its own instead of an attribute
    if bpm is None or re.search(r"<bpm\b", text):
        return None
    return float(bpm.group(1))


def find_songs() -> list[dict]:
    """Every project the installed packages ship, with its stated tempo."""
    songs = []
    for program, patterns, package in SOURCES:
        paths = sorted({p for pat in patterns for p in glob.glob(pat, recursive=True)})
        if not paths:
            print(f"no {program} songs found: apt-get install {package} to include them")
        for path in paths:
            bpm = stated_tempo(path)
            name = os.path.splitext(os.path.basename(path))[0]
            if bpm is None:
                print(f"{program}/{name}: no single stated tempo, left out")
                continue
            songs.append({"id": f"{program}/{name}", "program": program, "project": path,
                          "bpm": bpm})
    return songs


def _export_command(song: dict, wav: str) -> list[str]:
    if song["program"] == "lmms":
        return ["lmms", "--allowroot", "--render", song["project"], "--output", wav,
                "--format", "wav"]
    return ["h2cli", "--song", song["project"], "--outfile", wav]


def render(song: dict, cache: str) -> str | None:
    """The song's FLAC in ``cache``, exported by its program when missing; None on failure."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", song["id"].replace("/", "-"))
    out = os.path.join(cache, safe + ".flac")
    if os.path.exists(out):
        return out
    program = "lmms" if song["program"] == "lmms" else "h2cli"
    if shutil.which(program) is None:
        print(f"{song['id']}: {program} is not installed, left out")
        return None
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "song.wav")
        try:
            subprocess.run(_export_command(song, wav), env=env, cwd=tmp, timeout=_RENDER_TIMEOUT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            print(f"{song['id']}: export took over {_RENDER_TIMEOUT} s, left out")
            return None
        if not os.path.exists(wav) or os.path.getsize(wav) < 1000:
            print(f"{song['id']}: the export wrote no audio, left out")
            return None
        y, sr = sf.read(wav, dtype="float32", always_2d=True)
        if not np.any(np.abs(y) > 1e-4):
            print(f"{song['id']}: the export is silent, left out")
            return None
        part = out + ".part.flac"
        sf.write(part, np.clip(y, -1.0, 1.0), sr)
        os.replace(part, out)
    return out


def main(argv=None) -> int:
    args = song_arguments(argv, __doc__.splitlines()[0], _CACHE, "rendered songs")
    songs = [dict(song, path=path) for song in find_songs()
             if (path := render(song, args.cache)) is not None]
    score_songs(songs, args.cache, _ANSWERS_VERSION, peers=not args.no_peers,
                empty="no songs rendered: apt-get install lmms lmms-common hydrogen",
                id_width=46, tempo_label="stated", title="program",
                group=lambda s: s["program"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
