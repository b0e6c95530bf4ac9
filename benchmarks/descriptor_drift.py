"""How far the descriptors of the same songs moved between two results files.

A new tempo or key decision changes more than tempo and key: danceability reads the pace
and the tempo's confidence, and the Note names what the confidences put in doubt.  Run the
same deck with two versions (``songcal analyze DECK -o before.csv`` on one commit,
``-o after.csv`` on the other), then::

    python -m benchmarks.descriptor_drift before.csv after.csv [--show 5]

Songs are paired by path.  Printed: the analyzer of each file, the songs only one of them
has, then for each numeric descriptor how many songs moved by more than its tolerance
(:data:`TOLERANCE`), the mean and the largest move and whose it was; for tempo, how many
songs got another reading (off by more than 4 %) and how the new reading relates to the
old (``x2``, ``x1/2``...); for the key, the weak-pulse and tempo-varies flags, the time
signature and the status, how many changed, and the first ``--show`` of them.
"""

from __future__ import annotations

import argparse
import collections
import sys

from core.io.csvio import cell_number, read_csv_rows

__all__ = ["TOLERANCE", "CATEGORIES", "read_results", "drift", "main"]

#: Numeric descriptors and the move (in their own unit) that counts as a change: about
#: what a listener or a calibration would notice, well above rounding.
TOLERANCE = {"bpm_confidence": 0.05, "key_confidence": 0.05, "loudness_lufs": 0.1,
             "loudness_range_lu": 0.5, "peak_dbfs": 0.1, "energy": 0.02, "danceability": 0.02,
             "valence": 0.02, "acousticness": 0.02, "dynamic_range_db": 0.5,
             "brightness_hz": 20.0, "silence_ratio": 0.01}
#: Descriptors compared as they are written.
CATEGORIES = ("key", "bpm_weak_pulse", "bpm_varies", "time_signature", "status")


def read_results(path: str) -> dict[str, dict]:
    """The rows of a results CSV (``songcal analyze -o``, the window's Export) by path."""
    return {row["path"]: row for row in read_csv_rows(path)[1] if row.get("path")}


def drift(before: dict[str, dict], after: dict[str, dict]) -> dict:
    """What moved between two results files (as :func:`read_results` reads them).

    Returns
    -------
    dict
        ``paired`` (paths in both), ``only_before``, ``only_after``; ``numeric``:
        descriptor -> (songs compared, songs moved beyond the tolerance, mean move, largest
        move, its path); ``tempo``: (songs with a tempo in either, list of (path, before,
        after, relation) for another reading: ``"new"`` or ``"none"`` when only one has a
        tempo); ``changed``: descriptor -> list of (path, before, after).
    """
    from benchmarks.realistic import tempo_ratio_name

    paired = sorted(set(before) & set(after))
    out = {"paired": paired, "only_before": sorted(set(before) - set(after)),
           "only_after": sorted(set(after) - set(before)), "numeric": {}, "changed": {}}
    for name, tol in TOLERANCE.items():
        moves = []
        for p in paired:
            a, b = cell_number(before[p].get(name)), cell_number(after[p].get(name))
            if a is not None and b is not None:
                moves.append((abs(b - a), p))
        if moves:
            big = max(moves)
            out["numeric"][name] = (len(moves), sum(m > tol + 1e-12 for m, _ in moves),
                                    sum(m for m, _ in moves) / len(moves), big[0], big[1])
    readings, compared = [], 0
    for p in paired:
        a, b = (v if v is not None and v > 0 else None
                for v in (cell_number(before[p].get("bpm")), cell_number(after[p].get("bpm"))))
        if a is None and b is None:
            continue
        compared += 1
        if a is None or b is None:
            readings.append((p, a, b, "none" if b is None else "new"))
            continue
        relation = tempo_ratio_name(b, a)
        if relation:
            readings.append((p, a, b, relation))
    out["tempo"] = (compared, readings)
    for name in CATEGORIES:
        out["changed"][name] = [(p, before[p].get(name, ""), after[p].get(name, ""))
                                for p in paired
                                if before[p].get(name, "") != after[p].get(name, "")]
    return out


def _analyzers(rows: dict[str, dict]) -> str:
    names = sorted({r.get("analyzer") or "?" for r in rows.values()})
    return ", ".join(names) if names else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", help="results CSV of the first version")
    ap.add_argument("after", help="results CSV of the second version")
    ap.add_argument("--show", type=int, default=5, help="changed songs listed per descriptor")
    args = ap.parse_args(argv)
    before, after = read_results(args.before), read_results(args.after)
    d = drift(before, after)
    print(f"before: {len(before)} songs, analyzer {_analyzers(before)}")
    print(f"after:  {len(after)} songs, analyzer {_analyzers(after)}")
    print(f"paired by path: {len(d['paired'])}; only before: {len(d['only_before'])}, "
          f"only after: {len(d['only_after'])}")
    compared, readings = d["tempo"]
    counts = collections.Counter(relation for *_r, relation in readings)
    print(f"\ntempo: {len(readings)} of {compared} songs read otherwise"
          + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")"
             if counts else ""))
    for p, a, b, relation in readings[: args.show]:
        print(f"  {p}: {a} -> {b} ({relation})")
    print(f"\n{'descriptor':<18} {'songs':>5} {'moved':>5} {'tolerance':>9} {'mean':>8} "
          f"{'largest':>8}  song")
    for name, (n, moved, mean, big, path) in d["numeric"].items():
        print(f"{name:<18} {n:>5} {moved:>5} {TOLERANCE[name]:>9g} {mean:>8.4g} {big:>8.4g}"
              f"  {path if big > 0 else ''}")
    print()
    for name, rows in d["changed"].items():
        print(f"{name}: {len(rows)} changed")
        for p, a, b in rows[: args.show]:
            print(f"  {p}: {a or '-'} -> {b or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
