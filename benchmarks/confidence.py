"""How far the confidence columns can be trusted: ``bpm_confidence`` on songs made by other
people, ``key_confidence`` on the held-out editions of the evaluation set.

    python -m benchmarks.confidence [--sets productions midisongs recordings modules]
                                    [--editions heldout fresh unseen fourth fifth sixth]
                                    [--tempo-editions seventh] [--workers 2]

Every song is analyzed as the window analyzes it (``analyze_file``, one song per worker
thread), and its confidence is set beside whether its answer was right.

**Tempo** (songs by other people, whose tempo no fit has read): the LMMS and Hydrogen demo
songs (:mod:`benchmarks.productions`), the games' MIDI songs (:mod:`benchmarks.midisongs`),
the recordings (:mod:`benchmarks.recordings`) and the tracker modules
(:mod:`benchmarks.modules`, only those whose rows' beat is at most 240 BPM: above it the rows'
beat is a grid no system reads).  Each set is built as its own benchmark builds it.  The
truth is each set's own (stated, notated, charted or the rows' beat), and Acc2 counts the
tempo, twice or half it, three times or a third of it.

With ``--tempo-editions`` the held-out editions whose tempo no fit has read (only the
``seventh``: :data:`benchmarks.realistic.TEMPO_FITTED` names the others) join the tempo
songs, their truth the BPM of the notated beat.

**Key** (the held-out editions, their key from the score): the key decision was fitted on
the ``fit`` split alone (:mod:`benchmarks.fit_key`), so these editions are material it never
read.  Exact: the key itself; MIREX: the weighted score (fifth 0.5, relative 0.3, parallel
0.2).

Printed for each: per confidence band, the songs, their mean confidence and how often the
answer was right, and for tempo the Brier score (mean squared gap between the confidence and
the outcome, Acc1) and the AUC (the chance that a right answer has the higher confidence) of
each set; then the songs flagged as a weak pulse and the others, and for tempo the
songs the window lists under "Tempo or key to check" for their tempo (a weak pulse, a tempo
that varies or a confidence under 0.6: :meth:`core.io.results.SongResult.doubts`) and the
others.  A confidence
means the chance of a right answer only where the two columns agree; the bands say where
they do not.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

__all__ = ["BANDS", "TEMPO_SETS", "auc", "bands", "brier", "heldout_items", "main",
           "tempo_songs"]

#: Edges of the confidence bands (the last band holds 1.0).
BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)
#: The sets of songs by other people that tempo is checked on.
TEMPO_SETS = ("productions", "midisongs", "recordings", "modules")
_MODULES_TOP_BPM = 240.0


def bands(confidence, right, edges=BANDS) -> list[dict]:
    """Songs per confidence band and how often they were right.

    Parameters
    ----------
    confidence : sequence of float
        Each song's confidence (0-1).
    right : sequence of sequence of float
        Per song, one or more scores (1 right, 0 wrong, or a weighted score in between).
    edges : sequence of float
        Band edges; a band holds ``lo <= c < hi``, the last one ``c <= hi`` too.

    Returns
    -------
    list of dict
        One per band with songs: ``lo``, ``hi``, ``n``, ``mean`` (mean confidence) and
        ``scores`` (mean of each score).
    """
    c = np.asarray(confidence, dtype=float)
    r = np.asarray(right, dtype=float).reshape(len(c), -1)
    out = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        last = i == len(edges) - 2
        m = (c >= lo) & ((c <= hi) if last else (c < hi))
        if m.any():
            out.append({"lo": lo, "hi": hi, "n": int(m.sum()), "mean": float(c[m].mean()),
                        "scores": r[m].mean(axis=0).tolist()})
    return out


def brier(confidence, right) -> float:
    """Mean squared gap between each confidence and its outcome (1 right, 0 wrong)."""
    return float(np.mean((np.asarray(confidence, dtype=float)
                          - np.asarray(right, dtype=float)) ** 2))


def auc(confidence, right) -> float:
    """The chance that a right answer has a higher confidence than a wrong one (ties count
    half); nan unless there are both."""
    c, r = np.asarray(confidence, dtype=float), np.asarray(right, dtype=bool)
    pos, neg = c[r], c[~r]
    if not pos.size or not neg.size:
        return float("nan")
    return float(((pos[:, None] > neg[None, :]).sum()
                  + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (pos.size * neg.size))


def tempo_songs(names) -> list[dict]:
    """``set``, ``id``, ``path`` and ``bpm`` (truth) of the songs of each named set."""
    from benchmarks.tempo_report import songs_by_others

    out = []
    for name in names:
        songs = songs_by_others(name)
        if name == "modules":
            songs = [s for s in songs if s["bpm"] <= _MODULES_TOP_BPM]
        if not songs:
            print(f"no {name} found; see python -m benchmarks.{name}")
        out += [{"set": name, "id": s["id"], "path": s["path"], "bpm": float(s["bpm"])}
                for s in songs]
    return out


def heldout_items(editions) -> list[dict]:
    """Held-out items of each named edition (``heldout``: the base set's split)."""
    from benchmarks.evalset import heldout_folder, load

    out = []
    for name in editions:
        items = load("heldout", cache=heldout_folder(name))
        if not items:
            print(f"the {name!r} edition is not built: python -m benchmarks.evalset "
                  f"--edition {name}")
        out += [dict(it, set=name) for it in items]
    return out


def _analyze_all(songs, workers: int) -> list[dict]:
    """SongCal's answers for each song (:func:`benchmarks.realistic.songcal_answers`: all
    None for a file it refuses), ``workers`` songs at a time."""
    from benchmarks.realistic import songcal_answers

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(songcal_answers, songs))


def _print_bands(title: str, rows: list[dict], labels: tuple[str, ...]) -> None:
    print(f"\n{title}")
    print(f"  {'confidence':<12} {'songs':>5} {'mean':>6} " + " ".join(f"{x:>6}" for x in labels))
    for b in rows:
        print(f"  {b['lo']:.1f}-{b['hi']:.1f}      {b['n']:5d} {b['mean']:6.2f} "
              + " ".join(f"{v:6.3f}" for v in b["scores"]))


def main(argv=None) -> int:
    from benchmarks.evalset import HELD_OUT, SCORED

    held_out = list(HELD_OUT)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", choices=TEMPO_SETS, default=list(TEMPO_SETS),
                    help="songs by other people for tempo (default: all)")
    ap.add_argument("--editions", nargs="*", choices=held_out,
                    default=list(SCORED),
                    help="held-out editions for key (default: all but those kept for the "
                         "next choice, benchmarks.evalset.RESERVED)")
    from benchmarks.realistic import TEMPO_FITTED

    unfitted = [e for e in held_out if e not in TEMPO_FITTED and e != "heldout"]
    ap.add_argument("--tempo-editions", nargs="*", choices=unfitted, default=[],
                    help="held-out editions whose tempo no fit has read, for tempo too")
    ap.add_argument("--workers", type=int, default=2, help="songs analyzed at once")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error(f"--workers must be at least 1, got {args.workers}")

    from core.calibration.agreement import mirex_score, tempo_hits
    from core.io.keynotation import Key, parse_key

    songs = tempo_songs(args.sets) + [
        {"set": it["set"], "id": it["id"], "path": it["path"], "bpm": float(it["bpm"])}
        for it in heldout_items(args.tempo_editions)]
    names = list(args.sets) + list(args.tempo_editions)
    if songs:
        results = _analyze_all(songs, args.workers)
        conf, right, weak, check = [], [], [], []
        for song, r in zip(songs, results, strict=True):
            conf.append(r["bpm_confidence"] or 0.0)
            right.append(tempo_hits(r["bpm"], song["bpm"]))
            weak.append(bool(r["weak"]))
            check.append(any(not d.startswith("key") for d in r["doubts"] or ()))
        counts = ", ".join(f"{n} {sum(s['set'] == n for s in songs)}" for n in names)
        _print_bands(f"tempo: bpm_confidence on {len(songs)} songs no fit has read ({counts})",
                     bands(conf, right), ("Acc1", "Acc2"))
        w = np.asarray(weak)
        r2 = np.asarray(right, dtype=float)
        c = np.asarray(check)
        for label, m in (("flagged weak", w), ("not flagged", ~w),
                         ("tempo to check", c), ("tempo not doubted", ~c)):
            if m.any():
                print(f"  {label:<18} {int(m.sum()):5d} {np.mean(np.asarray(conf)[m]):6.2f} "
                      + " ".join(f"{v:6.3f}" for v in r2[m].mean(axis=0)))
        print(f"  {'all':<18} {len(songs):5d} {np.mean(conf):6.2f} "
              + " ".join(f"{v:6.3f}" for v in r2.mean(axis=0)))
        miss = r2[:, 0] < 1.0
        for name in names + ["all"]:
            m = np.array([name in ("all", s["set"]) for s in songs])
            if m.any():
                print(f"  {name:<18} Acc1 against the confidence: Brier "
                      f"{brier(np.asarray(conf)[m], ~miss[m]):.3f}, AUC "
                      f"{auc(np.asarray(conf)[m], ~miss[m]):.3f} ({int(m.sum())} songs)")
        print(f"  Acc1 misses among the songs to check for their tempo: {int((miss & c).sum())} "
              f"of {int(miss.sum())} ({int(c.sum())} of {len(songs)} songs listed)")

    items = heldout_items(args.editions)
    if items:
        results = _analyze_all(items, args.workers)
        conf, right = [], []
        for it, r in zip(items, results, strict=True):
            truth = Key(it["tonic"], it["mode"])
            key = parse_key(r["key"]) if r["key"] else None
            conf.append(0.0 if key is None else float(r["key_confidence"] or 0.0))
            right.append((float(key == truth),
                          mirex_score(key, truth) if key is not None else 0.0))
        counts = ", ".join(f"{n} {sum(it['set'] == n for it in items)}" for n in args.editions)
        _print_bands(f"key: key_confidence on {len(items)} held-out songs ({counts}; "
                     "no key counts as confidence 0 and wrong)", bands(conf, right),
                     ("exact", "MIREX"))
        r2 = np.asarray(right)
        print(f"  {'all':<18} {len(items):5d} {np.mean(conf):6.2f} "
              + " ".join(f"{v:6.3f}" for v in r2.mean(axis=0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
