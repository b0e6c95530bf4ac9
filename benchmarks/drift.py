"""Tempo under a swaying performance: the same fit-only songs played steady and with a sway.

Run ``python -m benchmarks.drift [--songs 60] [--seed 5]`` after building the realistic set
(``python -m benchmarks.evalset``).  It takes ``--songs`` tunes of the set's ``fit`` split
(FluidR3 and OPL-3, pieces the tempo weights were fitted on: this measures what the sway
does, not how well unseen music is read), renders each twice, 30 s long, into
``~/.cache/songcal-eval-drift``: steady, and with the fourth edition's slow sway (the tempo
swings 2-3.5 % either way over 8-20 s, the mean tempo kept; see
:func:`benchmarks.evalfourthrender.drift_map`).  Printed: tempo Acc1 of both copies and how
the missed ones relate to the truth (:func:`core.calibration.agreement.tempo_relation`).
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from benchmarks.evalset import CACHE, SOUNDFONTS, load  # noqa: E402

__all__ = ["probe_items", "main"]

OUT = CACHE + "-drift"


def probe_items(songs: int = 60, seed: int = 5) -> list[dict]:
    """The probe's items: ``songs`` fit-split tunes, each a steady and a swaying copy (``file``)."""
    tunes = [it for it in load("fit") if it["id"].startswith("t")]
    rng = np.random.default_rng(seed)
    picked = [tunes[i] for i in sorted(rng.permutation(len(tunes))[:songs])]
    out = []
    for it in picked:
        sway = dict(drift="sway", drift_pct=round(float(rng.uniform(2.0, 3.5)), 2),
                    drift_period_s=round(float(rng.uniform(8, 20)), 1),
                    drift_phase=round(float(rng.uniform(0, 2 * np.pi)), 3))
        for kind, extra in (("steady", dict(drift="steady", drift_pct=0.0)), ("sway", sway)):
            item = copy.deepcopy(it)
            item.update(extra, seconds=30.0, copy=kind,
                        file=os.path.join(OUT, f"{it['id']}_{kind}.flac"))
            out.append(item)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    from benchmarks.evalfourthrender import render_fourth
    from core.analysis.analyze import analyze_file
    from core.calibration.agreement import tempo_relation

    items = probe_items(args.songs, args.seed)
    if not items:
        print("no fit-split tunes: build the set with python -m benchmarks.evalset")
        return 2
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(CACHE, "sources.json")) as f:
        sources = json.load(f)
    by_id = {s["id"]: s for s in sources["classical"] + sources["tunes"]}
    hits, misses = collections.Counter(), collections.defaultdict(collections.Counter)
    for it in items:
        if not os.path.exists(it["file"]):
            render_fourth(it, by_id[it["source"]], SOUNDFONTS[it["soundfont"]], it["file"])
        relation = tempo_relation(analyze_file(it["file"]).bpm, it["bpm"]) or "no tempo"
        if relation == "ok":
            hits[it["copy"]] += 1
        else:
            misses[it["copy"]][relation] += 1
    n = len(items) // 2
    print(f"{n} tunes of the fit split (in-sample pieces), 30 s each, in {OUT}")
    for kind in ("steady", "sway"):
        print(f"{kind:<7} tempo Acc1 {hits[kind]}/{n} = {hits[kind] / n:.3f}   misses "
              f"{dict(misses[kind]) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
