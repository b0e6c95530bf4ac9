"""Where across the tempo range the metrical level holds, on three generated grooves.

    python -m benchmarks.tempo_range [--low 90] [--high 235] [--step 5] [--seeds 3] [--floor BPM]

Analyzes :func:`benchmarks.errorcases.four_on_the_floor` (a kick on every beat),
:func:`benchmarks.errorcases.halftime_groove` (kick on 1, snare on 3, hats on the beats and
between them: stated at the hats' beat, as dance music states it) and
:func:`benchmarks.errorcases.swing_groove` (a jazz trio: ride and hi-hat foot accenting 2 and
4, stated at its walking bass's beat) at every tempo from
``--low`` to ``--high`` BPM, ``--seeds`` renders each (other drum sounds, chords and
timing), through :func:`core.analysis.tempo.estimate_tempo` on 30 s of each.  Prints one
line per tempo: the readings, each miss marked by its relation to the truth
(:func:`core.calibration.agreement.tempo_relation`: half, double, two-thirds... or wrong),
and each groove's Acc1 over the range and over the tempos above 200 BPM.

No generator is used to fit the tempo decision, whose training songs stop at about
200 BPM; the figures show where the decision's knowledge of the range ends.

With ``--floor`` the tempo is stated in the range ``floor`` to ``2 * floor`` (the setting
``tempo_floor_bpm``), and each groove's tempo is scored as that range states it: with
``--floor 88`` a groove at 190 counts right at 95.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.errorcases import four_on_the_floor, halftime_groove, swing_groove  # noqa: E402
from benchmarks.evalfeatures import features_of_audio  # noqa: E402
from core.analysis.tempo import estimate_tempo, fold_tempo  # noqa: E402
from core.calibration.agreement import tempo_relation  # noqa: E402

__all__ = ["GROOVES", "main"]

SR = 22050
SECONDS = 30.0
GROOVES = {"four on the floor": four_on_the_floor, "half-time": halftime_groove,
           "swing": swing_groove}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--low", type=float, default=90.0)
    ap.add_argument("--high", type=float, default=235.0)
    ap.add_argument("--step", type=float, default=5.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--floor", type=float, default=0.0,
                    help="state tempos in the octave FLOOR to 2 x FLOOR (0: the analyzer's own)")
    args = ap.parse_args(argv)
    if not 40.0 <= args.low <= args.high <= 240.0 or args.step <= 0 or args.seeds < 1:
        ap.error("need 40 <= --low <= --high <= 240, --step > 0 and --seeds >= 1")
    if args.floor and not 40.0 <= args.floor <= 130.0:
        ap.error("--floor must be 0 or 40-130 BPM")
    tempos = np.arange(args.low, args.high + 1e-9, args.step)
    hits: dict[str, list[tuple[float, bool]]] = {name: [] for name in GROOVES}
    print(f"{'BPM':>5}  " + "  ".join(f"{name:<34}" for name in GROOVES))
    for bpm in tempos:
        cells = []
        for name, make in GROOVES.items():
            readings = []
            for seed in range(args.seeds):
                y = make(float(bpm), seconds=SECONDS, sr=SR, seed=seed)
                f = features_of_audio(y, SR)
                est = estimate_tempo(f, floor_bpm=args.floor)
                truth = fold_tempo(float(bpm), args.floor) if args.floor else float(bpm)
                rel = tempo_relation(est.bpm, truth)
                hits[name].append((float(bpm), rel == "ok"))
                readings.append(f"{est.bpm:.1f}" + ("" if rel == "ok" else f" {rel}")
                                if est.bpm is not None else "none")
            cells.append(f"{', '.join(readings):<34}")
        print(f"{bpm:5.0f}  " + "  ".join(cells), flush=True)
    print()
    for name, rows in hits.items():
        ok = [h for _, h in rows]
        fast = [h for b, h in rows if b > 200.0]
        line = f"{name:<18} Acc1 {np.mean(ok):.3f} over {args.low:.0f}-{args.high:.0f} BPM"
        if fast:
            line += f", {np.mean(fast):.3f} above 200 BPM ({len(fast)} renders)"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
