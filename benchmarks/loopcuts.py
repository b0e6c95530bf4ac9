"""Short cuts of songs with a known tempo, read once and read as loops.

    python -m benchmarks.loopcuts [--sets fourth fifth] [--seed 23]
    python -m benchmarks.loopcuts --sets productions midisongs --seed 6

A file of up to 20 s is also read as a loop (:func:`core.analysis.loops.read_as_loop`).  This
measures what that reading changes, on cuts of songs whose tempo is known: the realistic
editions' songs (tempo from the score; those with a steady tempo, rubato at most 0.3 %), or
the songs made by other people of ``python -m benchmarks.productions`` and ``python -m
benchmarks.midisongs`` (their stated or notated tempo; rendered by those benchmarks).

* From each edition song one cut is taken at a random place: a **loop** for about half of
  them (2, 4 -- twice as likely -- or 8 beats of the song's tempo, as a producer cuts one
  from a track), an **excerpt** of 1.2-6 s for the others, which is no loop.
* From each song by other people, both a loop and an excerpt.

Each cut of at least 1 s is written as FLAC to a temporary folder and analyzed by
``analyze_file`` twice: as shipped, and with the loop reading off.  Printed per kind: the
number of cuts, Acc1 and Acc2 without and with the loop reading, how many cuts were read as
loops, the median tempo error (modulo the Acc2 relations and 2/3, 3/2) of those, and each
cut whose verdict changed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

import core.analysis.analyze as analysis  # noqa: E402
from benchmarks.evalset import EDITIONS  # noqa: E402
from benchmarks.tempo_report import songs_by_others  # noqa: E402
from core.calibration.agreement import ACC2_RELATIONS, tempo_relation  # noqa: E402

_STEADY = 0.003  # most rubato (relative timing spread) of a song that loops are cut from
_RELATIVES = (1.0, 0.5, 2.0, 1 / 3, 3.0, 2 / 3, 1.5)


def _songs(name: str) -> list[dict]:
    """``id``, ``path``, ``bpm`` and ``both`` (take a loop and an excerpt) of a set's songs."""
    if name in ("productions", "midisongs"):
        return [dict(s, both=True) for s in songs_by_others(name)]
    folder = EDITIONS[name][0]
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        songs = json.load(f)
    return [dict(id=f"{name}/{s['id']}", path=os.path.join(folder, s["file"]), bpm=s["bpm"],
                 both=False, steady=s.get("rubato", 0.0) <= _STEADY) for s in songs]


def cuts(name: str, seed: int):
    """Yield (song, kind, mono signal, sample rate) of the cuts of the set ``name``."""
    rng = np.random.default_rng(seed)
    for song in _songs(name):
        kinds = ("loop", "excerpt") if song["both"] else (
            ("loop",) if rng.random() < 0.5 else ("excerpt",))
        picks = []
        for kind in kinds:
            beats, where, excerpt_s = int(rng.choice([2, 4, 4, 8])), rng.random(), rng.uniform(1.2, 6.0)
            picks.append((kind, beats, where, excerpt_s))
        if not song.get("steady", True):
            continue
        y, sr = sf.read(song["path"], dtype="float32", always_2d=True)
        y = y.mean(axis=1)
        for kind, beats, where, excerpt_s in picks:
            seconds = beats * 60.0 / song["bpm"] if kind == "loop" else excerpt_s
            while seconds > 16.0:
                seconds /= 2
            start = int((where * max(0.0, len(y) / sr - seconds - 2.0) + 1.0) * sr)
            cut = y[start : start + int(round(seconds * sr))]
            if len(cut) >= sr:
                yield song, kind, cut, sr


def readings(path: str) -> tuple[float | None, float | None, bool]:
    """Tempo without and with the loop reading, and whether the loop reading was taken."""
    limit = analysis.LOOP_MAX_S
    analysis.LOOP_MAX_S = 0.0
    try:
        once = analysis.analyze_file(path)
    finally:
        analysis.LOOP_MAX_S = limit
    shipped = analysis.analyze_file(path)
    return once.bpm, shipped.bpm, "as a loop" in shipped.note


def _error(bpm: float, ref: float) -> float:
    return min(abs(np.log(bpm / (ref * r))) for r in _RELATIVES)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", nargs="+", default=["fourth", "fifth"],
                    help="editions of the realistic set, productions or midisongs")
    ap.add_argument("--seed", type=int, default=23)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cut.flac")
        for name in args.sets:
            for song, kind, cut, sr in cuts(name, args.seed):
                sf.write(path, cut, sr)
                once, shipped, looped = readings(path)
                rows.append(dict(id=song["id"], kind=kind, ref=song["bpm"],
                                 seconds=len(cut) / sr, once=once, shipped=shipped,
                                 looped=looped))
    print(f"cuts of {', '.join(args.sets)} (seed {args.seed})")
    print(f"{'kind':8s} {'n':>4s} {'Acc1 once':>10s} {'with loops':>10s} {'Acc2 once':>10s} "
          f"{'with loops':>10s} {'as loops':>8s}  median error once / as loops")
    for kind in ("loop", "excerpt"):
        sub = [r for r in rows if r["kind"] == kind]
        if not sub:
            continue
        rel = {k: [tempo_relation(r[k], r["ref"]) for r in sub] for k in ("once", "shipped")}
        a1 = {k: np.mean([x == "ok" for x in v]) for k, v in rel.items()}
        a2 = {k: np.mean([x in ACC2_RELATIONS for x in v]) for k, v in rel.items()}
        read = [r for r in sub if r["looped"]]
        err = [(_error(r["once"], r["ref"]), _error(r["shipped"], r["ref"])) for r in read]
        med = np.median(err, axis=0) * 100 if err else (np.nan, np.nan)
        print(f"{kind:8s} {len(sub):4d} {a1['once']:10.3f} {a1['shipped']:10.3f} "
              f"{a2['once']:10.3f} {a2['shipped']:10.3f} {len(read):8d}  "
              f"{med[0]:.2f} % / {med[1]:.2f} %")
    for r in rows:
        before, after = tempo_relation(r["once"], r["ref"]), tempo_relation(r["shipped"], r["ref"])
        if before != after:
            print(f"  {r['kind']:8s} {r['id']:20s} {r['seconds']:5.2f} s  ref {r['ref']:6.1f}  "
                  f"once {r['once']}  ({before})  ->  {r['shipped']}  ({after})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
