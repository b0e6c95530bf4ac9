"""How many songs sources of the MIDI-songs and modules benchmarks give, and at what tempo,
without scoring them.

    python -m benchmarks.source_counts [--seconds 180] NAME ...

Each name is a collection of :mod:`benchmarks.midisongs` or a game of
:mod:`benchmarks.modules` (either list).  A MIDI song's reference is read from its file's
tempo map (:func:`benchmarks.midisongs.find_songs`); a module's is the beat of its rows,
which libopenmpt states as it plays the module in memory (:func:`benchmarks.modules.reference`).
The benchmarks' own rules leave songs out; nothing is rendered to a file, stored or
analyzed, so a source counted here is still unmeasured.

Printed: the songs left out with the reason, each song kept with its reference tempo, then
per source the songs kept and their count in each 20-BPM band of the reference.
"""

from __future__ import annotations

import argparse
import collections
import sys

__all__ = ["bands", "count", "main"]

_BAND = 20


def bands(tempos) -> dict[int, int]:
    """Songs per 20-BPM band of ``tempos`` (BPM), by the band's lower edge, in order."""
    counts = collections.Counter(int(t // _BAND) * _BAND for t in tempos)
    return dict(sorted(counts.items()))


def count(names, seconds: float) -> dict[str, list[tuple[str, float]]]:
    """``{name: [(song id, reference BPM), ...]}`` of the songs each source named keeps.

    Raises
    ------
    ValueError
        When a name is neither a collection nor a game of the two benchmarks.
    """
    from benchmarks import midisongs, modules

    midi = {*midisongs.COLLECTIONS, *midisongs.EXTRA_COLLECTIONS}
    games = {*modules.FOLDERS, *modules.EXTRA_FOLDERS}
    unknown = [n for n in names if n not in midi and n not in games]
    if unknown:
        raise ValueError(f"no such source: {', '.join(unknown)}")
    out = {name: [] for name in names}
    wanted = [n for n in names if n in midi]
    if wanted:
        for song in midisongs.find_songs(seconds, only=wanted):
            out[song["collection"]].append((song["id"], song["bpm"]))
    wanted = [n for n in names if n in games and n not in midi]
    if wanted:
        for game, ident, path in modules.module_files(only=wanted):
            bpm, why = modules.reference(path, seconds)
            if why:
                print(f"{ident}: {why}, left out")
            else:
                out[game].append((ident, bpm))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", metavar="NAME")
    parser.add_argument("--seconds", type=float, default=180.0,
                        help="the part of each song the benchmarks score (s)")
    args = parser.parse_args(argv)
    try:
        kept = count(args.names, args.seconds)
    except ValueError as exc:
        parser.error(str(exc))
    for songs in kept.values():
        for ident, bpm in songs:
            print(f"{ident:48s} {bpm:6.1f}")
    print()
    every = []
    for name, songs in kept.items():
        tempos = [bpm for _, bpm in songs]
        every += tempos
        spread = "  ".join(f"{lo}-{lo + _BAND}: {n}" for lo, n in bands(tempos).items())
        print(f"{name:16s} {len(songs):4d}   {spread}")
    spread = "  ".join(f"{lo}-{lo + _BAND}: {n}" for lo, n in bands(every).items())
    print(f"{'all':16s} {len(every):4d}   {spread}")
    below = sum(t < 90 for t in every)
    above = sum(t > 150 for t in every)
    print(f"below 90 BPM: {below}, above 150 BPM: {above}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
