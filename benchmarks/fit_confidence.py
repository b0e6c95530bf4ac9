"""A tempo confidence fitted on decisions made without the song: a try, not shipped.

    python -m benchmarks.fit_confidence [--refresh] [--inputs 2|7] [--c 1.0] [--by meter|style]

The analyzer's ``bpm_confidence`` is the decision's probability of its tempo times the
pulse's periodicity over 0.3 (at most 1).  The decision (:mod:`benchmarks.fit_tempo`) is
fitted on every touched edition of the evaluation set, so that probability says how well it
learned those songs, not how often it is right on music it has not heard: on the untouched
seventh edition songs at 0.9-1.0 were right no more often than songs at 0.2-0.4
(``benchmarks/results/confidence_seventh.txt``).

This script makes material a confidence could be fitted on as the held-out case would:
each touched edition (:data:`benchmarks.fit_tempo.TOUCHED`) is scored by a refit of the
decision (weights and trees, as ``fit_tempo --loeo --trees`` refits) on the wide material
without it.  Of each song it keeps what a confidence could read (:func:`confidence_inputs`)
and whether the chosen beat was right (Acc1).  These out-of-fold rows are cached
(``confidence_oof.npz`` in the evaluation set's folder; ``--refresh`` makes them again,
about 6 minutes on 2 cores).

A logistic regression (scikit-learn, L2 with inverse strength ``--c`` on standardised
inputs) of Acc1 on the first ``--inputs`` of :data:`CONFIDENCE_INPUTS` (2: the decision's
own logit and margin; 7: also the chosen candidate's periodicity, the drum gate, the
steadiness and the tempo) is fitted on all the rows and its intercept and weights printed.
Before that, each edition's rows are predicted by a model fitted on the others', and the
Brier score, the ranking (AUC: the chance that a right song gets a higher confidence than a
wrong one) and the songs per confidence band are printed beside those of the clarity
(the analyzer's confidence, with the candidate's periodicity for the pulse's).

What it gave (``benchmarks/results/confidence_fit.txt``): on these rows a fitted confidence
is far better placed than the clarity, but on the songs no fit has read it failed the rule
set before the run (the Brier score must not rise on any set of 30 songs or more): better
on the seventh edition and the recordings, worse on the MIDI songs and the modules, whose
Acc1 is lower than any edition's.  The analyzer keeps the clarity.

``--by meter`` prints the same out-of-fold decisions' Acc1 per subset and notated meter of
the song (the truth's beat is the meter's: the quarter in x/4, the half in 2/2, the dotted
quarter in 6/8 and 9/8), ``--by style`` per subset and groove, each with how the wrong
tempos relate to the truth (``benchmarks/results/oof_breakdown.txt``).
"""

from __future__ import annotations

import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from benchmarks.confidence import BANDS, auc, bands, brier  # noqa: E402
from benchmarks.evalset import CACHE  # noqa: E402
from core.analysis.tempo import FEATURE_NAMES, choose_tempo  # noqa: E402

__all__ = ["CONFIDENCE_INPUTS", "OOF_PATH", "breakdown", "confidence_inputs", "decision_rows",
           "fit_weights", "out_of_fold", "predict", "main"]

#: Where the out-of-fold rows are cached.
OOF_PATH = os.path.join(CACHE, "confidence_oof.npz")
#: What a fitted confidence may read about a song's decision (:func:`confidence_inputs`).
CONFIDENCE_INPUTS = ("decision logit", "margin over the rival", "onset periodicity",
                     "drum gate", "steadiness", "log2 tempo", "log2 tempo squared")


def confidence_inputs(features: np.ndarray, mass: np.ndarray, near: np.ndarray,
                      top: int) -> np.ndarray:
    """:data:`CONFIDENCE_INPUTS` of a decision.

    ``features`` is the candidate table's rows, ``mass`` each candidate's tempo's summed
    probability, ``near`` which candidates are one tempo and ``top`` the chosen one
    (:func:`core.analysis.tempo.choose_tempo`).  The decision
    logit is that of the chosen tempo's summed probability; the margin, the log ratio of
    that probability to the best one of another tempo (both kept 1e-4 from 0 and 1: at
    most ln 10^4, also without a rival); the rest is the chosen candidate's evidence as it
    is, and the drum gate and steadiness that scale its copies (read off its features).
    """
    m = float(np.clip(mass[top], 1e-4, 1.0 - 1e-4))
    others = mass[~near[top]]
    rival = float(others.max()) if others.size else 0.0
    n = len(FEATURE_NAMES) // 3
    row = np.asarray(features[top], dtype=float)
    j = int(np.argmax(np.abs(row[:n])))
    base = row[j] if abs(row[j]) > 1e-9 else np.inf
    gate, steady = (float(np.clip(row[k * n + j] / base, 0.0, 1.0)) for k in (1, 2))
    return np.array([np.log(m / (1.0 - m)), max(np.log(m / max(rival, 1e-4)), 0.0),
                     row[FEATURE_NAMES.index("onset periodicity")], gate, steady,
                     row[FEATURE_NAMES.index("log2 tempo")],
                     row[FEATURE_NAMES.index("log2 tempo squared")]])


def decision_rows(songs: list[dict], score, *, details: bool = False):
    """(inputs, right, clarity) of each song with a candidate table, decided by ``score``
    (a :func:`benchmarks.fit_tempo.scorer`) as the analyzer decides
    (:func:`core.analysis.tempo.choose_tempo`).  ``clarity`` is
    that probability times the chosen candidate's onset periodicity over 0.3 (at most 1),
    the analyzer's confidence but for the periodicity, which it reads at the refined beat.
    With ``details`` a fourth item: ``{"bpm", "truth", "subset", "meter", "style"}`` arrays
    (the chosen candidate's tempo, the truth, and the song's subset, notated meter and
    groove)."""
    per = FEATURE_NAMES.index("onset periodicity")
    rows, right, clarity = [], [], []
    more = {"bpm": [], "truth": [], "subset": [], "meter": [], "style": []}
    for s in songs:
        if s["X"] is None:
            continue
        _, near, mass, top = choose_tempo(score(s["X"]), s["cands"])
        rows.append(confidence_inputs(s["X"], mass, near, top))
        right.append(bool(s["y"][top]))
        clarity.append(float(mass[top] * min(1.0, max(s["X"][top, per], 0.0) / 0.3)))
        if details:
            more["bpm"].append(float(s["cands"][top]))
            more["truth"].append(float(s["bpm"]))
            more["subset"].append(str(s.get("subset") or "?"))
            more["meter"].append(str(s.get("meter") or "?"))
            more["style"].append(str(s.get("style") or "?"))
    out = (np.array(rows), np.array(right), np.array(clarity))
    return out + ({k: np.array(v) for k, v in more.items()},) if details else out


def breakdown(rows: dict, field: str = "meter") -> list[tuple]:
    """Out-of-fold Acc1 per subset and ``field`` (``meter`` or ``style``): (subset, value,
    songs, Acc1, {relation of the wrong tempos to the truth: count}) sorted, from
    :func:`out_of_fold`'s rows (``subset``, the field, ``bpm``, ``truth`` and ``right``)."""
    from benchmarks.realistic import relation_counts, tempo_ratio_name

    out = []
    for sub, value in sorted(set(zip(rows["subset"], rows[field], strict=True))):
        m = (rows["subset"] == sub) & (rows[field] == value)
        wrong = (tempo_ratio_name(bpm, truth) or "near"
                 for bpm, truth, ok in zip(rows["bpm"][m], rows["truth"][m], rows["right"][m],
                                           strict=True) if not ok)
        out.append((str(sub), str(value), int(m.sum()), float(rows["right"][m].mean()),
                    relation_counts(wrong)))
    return out


def out_of_fold(cache: str = CACHE) -> dict:
    """Each touched edition's rows (:func:`decision_rows`) under a refit without it.

    Returns ``{"X", "right", "clarity", "edition"}`` arrays, one row per song.
    """
    from benchmarks.fit_tempo import (
        GENERATED_PLANS,
        GROOVES2,
        L2,
        MORE,
        drift_tables,
        edition_folds,
        fit,
        fit_trees,
        more_items,
        real_tables,
        scorer,
        song_tables,
        touched_tables,
        wide_weights,
    )

    songs = (real_tables(cache) + real_tables(MORE, more_items(MORE), gen="more")
             + real_tables(GROOVES2, more_items(GROOVES2), gen="grooves2")
             + [s for p in GENERATED_PLANS
                for s in song_tables(*p, cache_dir=os.path.join(cache, "generated"))]
             + touched_tables(cache) + drift_tables())
    parts = {"X": [], "right": [], "clarity": [], "edition": [], "bpm": [], "truth": [],
             "subset": [], "meter": [], "style": []}
    for name, train, test in edition_folds(songs):
        w = fit(train, l2=L2, weights=wide_weights(train))
        x, right, clarity, more = decision_rows(test, scorer(w, fit_trees(train)),
                                                details=True)
        print(f"  {name:<8} {len(right):4d} songs, Acc1 {right.mean():.3f} under a refit "
              "without it", flush=True)
        for key, v in (("X", x), ("right", right), ("clarity", clarity),
                       ("edition", [name] * len(right)), *more.items()):
            parts[key].append(np.asarray(v))
    return {k: np.concatenate(v) for k, v in parts.items()}


def fit_weights(x: np.ndarray, right: np.ndarray, c: float = 1.0) -> np.ndarray:
    """Intercept and weights (raw input scale) of an L2 logistic regression of ``right`` on
    ``x``, fitted on standardised inputs with inverse strength ``c``."""
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 1e-9, sd, 1.0)
    model = LogisticRegression(C=c, max_iter=1000).fit((x - mu) / sd, right.astype(int))
    w = model.coef_[0] / sd
    return np.concatenate([[model.intercept_[0] - float(w @ mu)], w])


def predict(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The confidence of each row of ``x`` under ``weights`` (intercept first)."""
    z = weights[0] + x @ weights[1:]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


def _band_table(label: str, confidence: np.ndarray, right: np.ndarray) -> None:
    print(f"  {label}: Brier {brier(confidence, right):.3f}, AUC {auc(confidence, right):.3f}")
    print("    confidence   songs   mean   Acc1")
    for b in bands(confidence, right, BANDS):
        print(f"    {b['lo']:.1f}-{b['hi']:.1f}      {b['n']:5d}   {b['mean']:.2f}  "
              f"{b['scores'][0]:.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=CACHE)
    ap.add_argument("--refresh", action="store_true",
                    help="make the out-of-fold rows again (refits of the decision)")
    ap.add_argument("--c", type=float, default=1.0,
                    help="inverse L2 strength of the logistic regression (standardised)")
    ap.add_argument("--by", choices=("meter", "style"),
                    help="print the out-of-fold Acc1 per subset and notated meter or groove "
                         "instead")
    ap.add_argument("--inputs", type=int, choices=(2, 7), default=2,
                    help="read the first 2 (the decision's logit and margin) or all 7 "
                         "CONFIDENCE_INPUTS")
    args = ap.parse_args(argv)
    if not args.c > 0:
        ap.error(f"--c must be positive, got {args.c}")
    path = os.path.join(args.cache, os.path.basename(OOF_PATH))
    if args.refresh or not os.path.exists(path):
        print("out-of-fold decisions (each touched edition under a refit without it):")
        rows = out_of_fold(args.cache)
        tmp = path + ".tmp.npz"
        np.savez(tmp, **rows)
        os.replace(tmp, path)
    with np.load(path) as d:
        x, right, clarity, edition = d["X"], d["right"], d["clarity"], d["edition"]
        rows = {k: d[k] for k in d.files}
    if args.by:
        if args.by not in rows:
            print(f"{path} was made before the rows kept their {args.by}: run with --refresh")
            return 2
        what = {"meter": "notated meter", "style": "groove"}[args.by]
        print(f"out-of-fold Acc1 per subset and {what} (each touched edition under a refit "
              "without it); the wrong tempos by their relation to the truth:")
        for sub, value, n, acc1, wrong in breakdown(rows, args.by):
            print(f"  {sub:<10} {value:<14} {n:4d}  Acc1 {acc1:.3f}  "
                  + ", ".join(f"{k} {v}" for k, v in wrong.items()))
        return 0
    x = x[:, :args.inputs]
    print(f"{len(right)} songs of {len(set(edition))} editions, Acc1 {right.mean():.3f}")
    held = np.zeros(len(right))
    for name in sorted(set(edition)):
        m = edition == name
        held[m] = predict(fit_weights(x[~m], right[~m], args.c), x[m])
    print("each edition predicted by a confidence fitted on the other editions' rows:")
    _band_table("former clarity", clarity, right)
    _band_table("fitted confidence", held, right)
    for name in sorted(set(edition)):
        m = edition == name
        print(f"    {name:<8} {m.sum():4d} songs  Acc1 {right[m].mean():.3f}  mean confidence "
              f"{held[m].mean():.3f}  Brier {brier(held[m], right[m]):.3f} (clarity "
              f"{brier(clarity[m], right[m]):.3f})  AUC {auc(held[m], right[m]):.3f} "
              f"(clarity {auc(clarity[m], right[m]):.3f})")
    w = fit_weights(x, right, args.c)
    _band_table("in-sample, all rows", predict(w, x), right)
    print("intercept, then " + ", ".join(CONFIDENCE_INPUTS[:args.inputs]) + ":")
    print("    " + ", ".join(f"{round(float(v), 3)!r}" for v in w))
    return 0


if __name__ == "__main__":
    sys.exit(main())
