"""Tempo on recorded songs by other people: the Frets on Fire song packages and Planet Blupi's
recorded music.

    apt-get install fretsonfire-songs-muldjord fretsonfire-songs-sectoid \
        planetblupi-music-ogg planetblupi-music-midi
    python -m benchmarks.recordings [--no-peers] [--cache DIR]

Every other set of songs in the benchmarks is rendered by SongCal's own scripts from a score
or a project.  The Frets on Fire songs are band recordings (metal and rock, guitars, bass,
drums, some vocals) that their authors released for the guitar game, which Debian packages
with the game's charts.  No edition uses these recordings and nothing was fitted on them.

**Truth.**  A song's chart (``notes.mid``) carries the tempo the charter laid the game's
beat lines on, which has to follow the recording for the notes to fall on the music.  A
chart whose tempo changes by more than 4 % is left out (:func:`benchmarks.midisongs.
notated_tempo` decides, as for the games' MIDI songs).  As with the productions, the
charter's grid is not always the beat a listener taps, so Acc2 is the figure to trust; of
these charts, four are at 170-190 BPM, the range where the analyzer has the least
training material.

A song ships as stems (``song.ogg``, ``guitar.ogg`` and, for some, ``rhythm.ogg``); their
sum is the recording.  It is mixed once, scaled down only when the sum would clip, and
stored as FLAC in the cache folder (default ``~/.cache/songcal-recordings``).

**Planet Blupi.**  The game ships its ten songs twice: as MIDI files (which
:mod:`benchmarks.midisongs` renders with FluidSynth) and as OGG recordings its authors made
of them with instruments of their own.  The recordings are scored here as they are, whole
(10 to 29 minutes: the game loops them), against the tempo of the MIDI file of the same name,
read as for the charts.  The pieces are those of the MIDI songs benchmark; the sound is not.

Printed: each song's reference tempo and every system's answer with its relation, then Acc1,
Acc2 and songs without a tempo per package and overall.
"""

from __future__ import annotations

import glob
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.tempo_report import score_songs, song_arguments  # noqa: E402

__all__ = ["SONGS_GLOB", "BLUPI_GLOB", "song_folders", "find_songs", "find_blupi", "mix", "songs", "main"]

#: One folder per song, under one folder per package.
SONGS_GLOB = "/usr/share/games/fretsonfire/data/songs/*/*/"
#: The game's recordings; each has a MIDI file of the same name beside it.
BLUPI_GLOB = "/usr/share/planetblupi/music/*.ogg"
_PACKAGES = ("fretsonfire-songs-muldjord fretsonfire-songs-sectoid planetblupi-music-ogg "
             "planetblupi-music-midi")
_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "songcal-recordings")
_ANSWERS_VERSION = 1


def song_folders(pattern: str = SONGS_GLOB):
    """``(name, stems, chart)`` of every song folder with at least one stem and a chart
    (``package/song``, its OGG files, its ``notes.mid``); the others are named as left out."""
    for folder in sorted(glob.glob(pattern)):
        folder = folder.rstrip("/")
        name = f"{os.path.basename(os.path.dirname(folder))}/{os.path.basename(folder)}"
        stems = sorted(glob.glob(os.path.join(glob.escape(folder), "*.ogg")))
        chart = os.path.join(folder, "notes.mid")
        if not stems or not os.path.exists(chart):
            print(f"{name}: no stems or no chart, left out")
            continue
        yield name, stems, chart


def find_songs(pattern: str = SONGS_GLOB) -> list[dict]:
    """Every song folder with a chart of a single tempo and at least one stem."""
    songs = []
    for name, stems, chart in song_folders(pattern):
        songs += _with_tempo(name, chart, package=name.split("/")[0], stems=stems)
    return songs


def find_blupi(pattern: str = BLUPI_GLOB) -> list[dict]:
    """Every Planet Blupi recording whose MIDI file (same name, ``.mid``) has a single tempo,
    with that tempo and the recording as ``path``."""
    songs = []
    for path in sorted(glob.glob(pattern)):
        name = "planetblupi/" + os.path.splitext(os.path.basename(path))[0]
        score = os.path.splitext(path)[0] + ".mid"
        if not os.path.exists(score):
            print(f"{name}: no MIDI file beside it, left out")
            continue
        songs += _with_tempo(name, score, package="planetblupi", path=path)
    return songs


def _with_tempo(name: str, score: str, **song) -> list[dict]:
    """``[song]`` with its ``id`` and the tempo of the MIDI file ``score``; ``[]`` (and the
    reason printed) when that tempo changes."""
    import mido

    from benchmarks.midisongs import notated_tempo

    bpm, why = notated_tempo(mido.MidiFile(score), float("inf"))
    if bpm is None:
        print(f"{name}: {why}, left out")
        return []
    return [{"id": name, **song, "bpm": round(bpm, 2)}]


def songs(cache: str) -> list[dict]:
    """Every song scored: the Frets on Fire songs with their stems mixed into ``cache``
    (:func:`mix`), then the Planet Blupi recordings."""
    return [dict(song, path=mix(song, cache)) for song in find_songs()] + find_blupi()


def mix(song: dict, cache: str) -> str:
    """The sum of the song's stems as FLAC in ``cache`` (written once, atomically)."""
    out = os.path.join(cache, song["id"].replace("/", "__").replace(" ", "_") + ".flac")
    if os.path.exists(out):
        return out
    total, rate = None, None
    for stem in song["stems"]:
        y, sr = sf.read(stem, dtype="float64", always_2d=True)
        if rate is not None and sr != rate:
            raise SystemExit(f"{song['id']}: stems at {rate} and {sr} Hz")
        rate = sr
        if y.shape[1] == 1:
            y = np.repeat(y, 2, axis=1)
        if total is None:
            total = y
        else:
            n = max(len(total), len(y))
            total = np.pad(total, ((0, n - len(total)), (0, 0)))
            total[: len(y)] += y
    peak = float(np.abs(total).max())
    if peak > 0.999:
        total *= 0.999 / peak
    part = out + ".part.flac"
    sf.write(part, total, rate)
    os.replace(part, out)
    return out


def main(argv=None) -> int:
    args = song_arguments(argv, __doc__.splitlines()[0], _CACHE, "mixed songs")
    score_songs(songs(args.cache), args.cache, _ANSWERS_VERSION, peers=not args.no_peers,
                empty=f"no songs found: apt-get install {_PACKAGES}", id_width=34,
                tempo_label="chart", title="package", group=lambda s: s["package"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
