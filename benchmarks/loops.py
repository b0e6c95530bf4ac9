"""Tempo on recorded loops: Sonic Pi's and LMMS's loop samples, beside librosa's and Essentia's plain pipelines.

    apt-get install sonic-pi-samples lmms-common
    python -m benchmarks.loops [--seconds 40] [--no-peers] [--cache DIR]

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

Each loop is repeated to at least ``--seconds`` and written as FLAC into the cache folder
(default ``~/.cache/songcal-loops``).  A repeated loop is steadier than a played song: the
figures show whether each analyzer finds the pulse of recorded, non-General-MIDI sounds, not
how it copes with a drifting performance.  Printed: each loop's reference tempo and every
system's answer with its relation, then Acc1, Acc2 and files without a tempo per system.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import re
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from core.calibration.agreement import tempo_hits, tempo_relation  # noqa: E402

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
    """Write each loop repeated to at least ``seconds`` into ``cache``; returns the items."""
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
                sf.write(tmp, np.tile(y, (math.ceil(seconds / length), 1)), sr)
                os.replace(tmp, out)
            items.append({"id": ident, "path": out, "bpm": bpm, "beats": beats,
                          "loop_s": length})
    if not items:
        raise SystemExit("no loops found: apt-get install sonic-pi-samples lmms-common")
    return items


def _answers(items, cache, systems) -> dict:
    """Each system's tempo for each item; the peers' answers are cached in ``cache``."""
    from benchmarks.realistic import (
        essentia_answer,
        librosa_answer,
        read_versioned,
        songcal_answers,
    )

    path = os.path.join(cache, "answers.json")
    stored = read_versioned(path, _ANSWERS_VERSION)
    out = {"SongCal": {it["id"]: songcal_answers(it).get("bpm") for it in items}}
    for name, fn in (("librosa", librosa_answer), ("Essentia", essentia_answer)):
        if name not in systems:
            continue
        table = stored.setdefault(name, {})
        try:
            for it in items:
                if it["id"] not in table:
                    table[it["id"]] = fn(it["path"]).get("bpm")
        except ImportError as exc:
            print(f"{name} is not installed ({exc}); its column is left out")
            continue
        out[name] = {it["id"]: table[it["id"]] for it in items}
    with open(path + ".tmp", "w") as f:
        json.dump(stored, f)
    os.replace(path + ".tmp", path)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0,
                    help="length each loop is repeated to (default: %(default)s)")
    ap.add_argument("--cache", default=_CACHE, help="folder for the repeated loops")
    ap.add_argument("--no-peers", action="store_true", help="SongCal alone")
    args = ap.parse_args(argv)

    items = build(args.cache, args.seconds)
    systems = {"SongCal"} | (set() if args.no_peers else {"librosa", "Essentia"})
    answers = _answers(items, args.cache, systems)
    names = [s for s in ("SongCal", "librosa", "Essentia") if s in answers]
    print(f"{len(items)} loops, each repeated to at least {args.seconds:.0f} s")
    print(f"\n{'loop':<32} {'s':>6} {'beats':>5} {'ref':>7}  "
          + "  ".join(f"{n:>17}" for n in names))
    for it in items:
        cells = []
        for n in names:
            bpm = answers[n][it["id"]]
            rel = tempo_relation(bpm, it["bpm"]) or "none"
            cells.append(f"{bpm:7.1f} {rel:>9}" if bpm else f"{'-':>7} {rel:>9}")
        print(f"{it['id']:<32} {it['loop_s']:6.3f} {it['beats']:5d} {it['bpm']:7.1f}  "
              + "  ".join(f"{c:>17}" for c in cells))
    print(f"\n{'loops':<10} {'n':>3} {'system':<9} {'Acc1':>6} {'Acc2':>6} {'no bpm':>6}")
    groups = sorted({it["id"].split("/")[0] for it in items}) + ["all"]
    for group in groups:
        part = [it for it in items if group == "all" or it["id"].split("/")[0] == group]
        for n in names:
            hits = [tempo_hits(answers[n][it["id"]], it["bpm"]) for it in part]
            none = sum(answers[n][it["id"]] is None for it in part)
            print(f"{group:<10} {len(part):3d} {n:<9} {np.mean([h[0] for h in hits]):6.3f} "
                  f"{np.mean([h[1] for h in hits]):6.3f} {none:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
