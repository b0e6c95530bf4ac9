"""What a stated tempo range does: each song analyzed with a range against the default answer
moved into the same range.

    python -m benchmarks.tempo_floor [--floors 58 68 ...] [--sets productions midisongs ...]
                                     [--editions heldout fresh ...] [--workers 2]

A tempo range (the setting ``tempo_floor_bpm``; Settings > Tempo range) states every tempo in
one octave, ``floor`` to ``2 * floor``.  The truth of each song is moved into that octave the
same way, so an answer is right when it is within 4 % of it (Acc1 in the range; at the edge
of a range 0.4 % can put a tempo an octave away, as a user would see it).  Two answers are
scored for each floor:

* **moved**: the default answer (no range) moved by octaves into the range afterwards, as a
  spreadsheet could do with the exported column;
* **range**: the answer of an analysis with the range, whose decision counts the octaves of a
  reading as one (their probabilities added up) before it chooses.

They differ only where adding up the octaves makes another reading win: a tempo against 2/3
or 3/4 of it.  For comparison each group's first line gives the default answers' Acc1 against
each song's own stated tempo (no range).  Songs: the held-out editions of the evaluation set and the songs by other
people of the four song benchmarks (the tracker modules up to 240 BPM by their rows), built as
:mod:`benchmarks.confidence` builds them; every song is analyzed as the window does
(``analyze_file``), once per floor.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

__all__ = ["in_range_hit", "main"]


def in_range_hit(answer: float | None, truth: float, floor: float) -> bool:
    """Whether ``answer`` is the tempo a range from ``floor`` states for ``truth`` (within 4 %
    of the truth moved by octaves into ``floor`` to ``2 * floor``)."""
    from core.analysis.tempo import fold_tempo
    from core.calibration.agreement import tempo_hits

    return tempo_hits(answer, fold_tempo(truth, floor))[0]


def _answers(paths: list[str], floor: float, workers: int) -> list[float | None]:
    """The song tempo ``analyze_file`` gives each path with the range from ``floor`` (0: none);
    None for a file it refuses."""
    from core.analysis.analyze import analyze_file
    from core.errors import AudioFileError
    from core.settings import AnalysisSettings

    settings = AnalysisSettings(workers=1, tempo_floor_bpm=floor)

    def one(path):
        try:
            return analyze_file(path, settings=settings).bpm
        except AudioFileError:
            return None

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, paths))


def main(argv=None) -> int:
    from benchmarks.confidence import TEMPO_SETS, heldout_items, tempo_songs
    from benchmarks.evalset import HELD_OUT, SCORED
    from core.analysis.tempo import fold_tempo
    from core.calibration.agreement import tempo_hits
    from core.settings import TEMPO_FLOORS, tempo_range_text

    held_out = list(HELD_OUT)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--floors", nargs="+", type=float, default=[f for f in TEMPO_FLOORS if f],
                    help="the ranges' floors (default: the window's ranges)")
    ap.add_argument("--sets", nargs="*", choices=TEMPO_SETS, default=list(TEMPO_SETS))
    ap.add_argument("--editions", nargs="*", choices=held_out,
                    default=list(SCORED))
    ap.add_argument("--workers", type=int, default=2, help="songs analyzed at once")
    args = ap.parse_args(argv)
    if args.workers < 1 or any(not 40.0 <= f <= 130.0 for f in args.floors):
        ap.error("need --workers >= 1 and every floor 40-130 BPM")

    groups = []
    items = heldout_items(args.editions)
    if items:
        groups.append(("held-out editions", [(it["path"], float(it["bpm"])) for it in items]))
    songs = tempo_songs(args.sets)
    if songs:
        groups.append(("songs by other people", [(s["path"], s["bpm"]) for s in songs]))
    for title, rows in groups:
        paths = [p for p, _ in rows]
        truth = [t for _, t in rows]
        plain = _answers(paths, 0.0, args.workers)
        stated = np.mean([tempo_hits(b, t)[0] for b, t in zip(plain, truth, strict=True)])
        print(f"\n{title}: {len(rows)} songs; without a range, against each song's own "
              f"stated tempo: Acc1 {stated:.3f}")
        print(f"  {'range':<14} {'moved':>6} {'range':>6} {'gained':>6} {'lost':>6}")
        for floor in args.floors:
            ranged = _answers(paths, floor, args.workers)
            moved = [in_range_hit(None if b is None else fold_tempo(b, floor), t, floor)
                     for b, t in zip(plain, truth, strict=True)]
            hit = [in_range_hit(b, t, floor) for b, t in zip(ranged, truth, strict=True)]
            m, h = np.asarray(moved), np.asarray(hit)
            print(f"  {tempo_range_text(floor):<14} {m.mean():6.3f} {h.mean():6.3f} "
                  f"{int(np.sum(h & ~m)):6d} {int(np.sum(m & ~h)):6d}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
