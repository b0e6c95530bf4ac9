"""Tempo on recorded loops: Sonic Pi's and LMMS's loop samples, beside librosa's and Essentia's plain pipelines.

    apt-get install sonic-pi-samples lmms-common
    python -m benchmarks.loops [--seconds 40 | --once] [--no-peers] [--cache DIR]

Every evaluation edition renders its music from scores; these are loops made by people
(Sonic Pi's: drum breaks, tabla, percussion, melodic and electronic phrases, a drone,
machine noise; LMMS's: breakbeats, house, electro, jungle and rave drum loops, acid, techno
and rave bass and synthesizer loops), none of them used by any edition or fitted on.  A
loop is cut to a whole number of beats, so its length gives its tempo once the number of
beats is known: ``60 * beats / length``.  How many beats a loop holds is a reading, not a
fact (the Amen break's four beats could be counted as eight), so one rule reads them all:
the power of two that puts the tempo nearest 120 BPM on a log scale, except where the file
name states the tempo (``loop_drone_g_97``) or names a style whose tempo range is settled
(jungle: 150-190 BPM).  Acc2 (the tempo, twice or half it, three times or a third of it)
does not depend on that reading; Acc1 does, so Acc2 is the figure to trust.

Each loop is repeated to at least ``--seconds`` and written as FLAC into a folder for that
length in the cache folder (default ``~/.cache/songcal-loops``).  A repeated loop is steadier
than a played song: the figures show whether each analyzer finds the pulse of recorded,
non-General-MIDI sounds, not how it copes with a drifting performance.  With ``--once`` each loop is analyzed as it is,
a single pass of 0.9-11 s (29 of the 40 are shorter than 4 s): what a user who drags a
sample pack's folder onto the window gets.  Printed: each loop's reference tempo and every
system's answer with its relation, then Acc1, Acc2 and files without a tempo per system.
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import re
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.tempo_report import (  # noqa: E402
    own_numba_cache,
    print_answers,
    print_scores,
    tempo_answers,
)

__all__ = ["LOOP_DIR", "SOURCES", "reference_tempo", "build", "main"]

#: Where Debian's ``sonic-pi-samples`` package puts the samples.
LOOP_DIR = "/usr/share/sonic-pi/samples"
#: The loop collections: name, file pattern, Debian package.
SOURCES = (
    ("sonic-pi", os.path.join(LOOP_DIR, "loop_*.flac"), "sonic-pi-samples"),
    ("lmms", "/usr/share/lmms/samples/beats/*.ogg", "lmms-common"),
    ("lmms", "/usr/share/lmms/samples/bassloops/*.ogg", "lmms-common"),
)
#: Styles whose tempo range decides the beats of a loop named after them (BPM).
_STYLE_RANGES = {"jungle": (150.0, 190.0), "dnb": (150.0, 190.0)}
_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "songcal-loops")
_ANSWERS_VERSION = 1


def reference_tempo(name: str, seconds: float) -> tuple[float, int]:
    """Reference tempo (BPM) and beats of a loop ``seconds`` long called ``name``.

    A tempo in the name (a number from 40 to 250 after an underscore) decides the beats;
    then a style in the name with a settled tempo range (:data:`_STYLE_RANGES`); otherwise
    the power of two nearest 120 BPM on a log scale.
    """
    if seconds <= 0:
        raise ValueError(f"a loop must be longer than 0 s, got {seconds!r}")
    stated = [int(m) for m in re.findall(r"_(\d{2,3})(?=_|$)", name) if 40 <= int(m) <= 250]
    styles = [rng for style, rng in _STYLE_RANGES.items() if style in name.lower()]
    fits = [2 ** k for k in range(0, 7)
            if styles and styles[0][0] <= 60.0 * 2 ** k / seconds <= styles[0][1]]
    if stated:
        beats = max(1, round(stated[-1] * seconds / 60.0))
    elif fits:
        beats = fits[0]
    else:
        beats = min((2 ** k for k in range(0, 7)),
                    key=lambda b: abs(math.log2(60.0 * b / seconds / 120.0)))
    return 60.0 * beats / seconds, beats


def build(cache: str, seconds: float) -> list[dict]:
    """Write each loop repeated to at least ``seconds`` (once when ``seconds`` <= 0) into
    ``cache``; returns the items."""
    os.makedirs(cache, exist_ok=True)
    items = []
    for source, pattern, package in SOURCES:
        paths = sorted(glob.glob(pattern))
        if not paths:
            print(f"no loops at {pattern}: apt-get install {package} to include them")
        for path in paths:
            name = os.path.splitext(os.path.basename(path))[0]
            folder = os.path.basename(os.path.dirname(path))
            ident = f"{source}/{name}" if source == "sonic-pi" else f"{source}/{folder}/{name}"
            y, sr = sf.read(path, dtype="float32", always_2d=True)
            length = len(y) / sr
            bpm, beats = reference_tempo(name, length)
            out = os.path.join(cache, ident.replace("/", "-") + ".flac")
            if not os.path.exists(out):
                tmp = out + ".part.flac"
                sf.write(tmp, np.tile(y, (max(1, math.ceil(seconds / length)), 1)), sr)
                os.replace(tmp, out)
            items.append({"id": ident, "path": out, "bpm": bpm, "beats": beats,
                          "loop_s": length})
    if not items:
        raise SystemExit("no loops found: apt-get install sonic-pi-samples lmms-common")
    return items


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--seconds", type=float, default=40.0,
                     help="length each loop is repeated to (default: %(default)s)")
    how.add_argument("--once", action="store_true",
                     help="analyze each loop as it is, not repeated")
    ap.add_argument("--cache", default=_CACHE, help="folder for the loops and answers")
    ap.add_argument("--no-peers", action="store_true", help="SongCal alone")
    args = ap.parse_args(argv)
    if not args.once and not args.seconds > 0:
        ap.error(f"--seconds must be > 0, got {args.seconds} (--once: each loop as it is)")
    own_numba_cache(args.cache)

    # One folder per length, answers included: a loop repeated to another length is another
    # file.
    cache = os.path.join(args.cache, "once" if args.once else f"{args.seconds:g}s")
    items = build(cache, 0.0 if args.once else args.seconds)
    answers = tempo_answers(items, cache, _ANSWERS_VERSION, peers=not args.no_peers)
    print(f"{len(items)} loops, " + ("each once, as it is" if args.once else
                                     f"each repeated to at least {args.seconds:.0f} s"))
    print_answers(items, answers, f"{'loop':<32} {'s':>6} {'beats':>5} {'ref':>7}",
                  lambda it: f"{it['id']:<32} {it['loop_s']:6.3f} {it['beats']:5d} "
                             f"{it['bpm']:7.1f}")
    print_scores(items, answers, "loops", lambda it: it["id"].split("/")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
