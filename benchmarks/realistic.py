"""Tempo and key on the realistic evaluation set, beside librosa's and Essentia's plain pipelines.

Run ``python -m benchmarks.realistic [--edition base|fresh|...|ninth|tenth] [--split
heldout|fit|all] [--limit N] [--no-peers] [--quiet] [--rows]`` after building the set with
``python -m benchmarks.evalset`` (``--edition fresh``, ``unseen``, ``fourth``, ``fifth``,
``sixth``, ``seventh``, ``eighth``, ``ninth`` and ``tenth``: the held-out-only editions of
that script; ``unseen`` and later editions also detune and re-room part of their files,
``fourth`` and later drift, wow, compress or band-limit and narrow or widen part of them,
``fifth`` renders a third of its files with TiMidity++ and adds tempo steps, noise floors,
echoes and fades, ``sixth`` plays its pitched parts with Csound's models and its drums with
recorded kits, ``seventh`` renders with the Merlin soundfont, ``eighth`` plays generated
tunes through GeneralUser GS, most of them with players' accents, under grooves of the
fitted editions, ``ninth`` through Sonivox EAS under the seventh's grooves, and ``tenth``
under grooves of its own on recorded drum kits; no fit has read those four).  By default
only the ``heldout`` split is scored; of an edition kept for the next choice only the
totals are printed (``--rows`` prints its missed files too).  The tempo decision is fitted
on every edition but the seventh to the tenth (``fit_tempo --wide --trees``,
:data:`TEMPO_FITTED`), so the tempo figures of every other edition are in-sample (the
output says so); the key weights were fitted on the ``fit`` split alone.  The ``fit`` split
(FluidR3 and OPL-3, other pieces) is what ``python -m benchmarks.fit_tempo`` and ``python -m
benchmarks.fit_key`` fit on; the output says which split it scores.

SongCal runs through :func:`core.analysis.analyze.analyze_file` on each FLAC.  The peers:

* librosa: ``librosa.beat.beat_track`` for the tempo; mean ``chroma_cqt`` correlated with
  the 24 rotations of the Krumhansl-Kessler profiles for the key;
* Essentia: ``RhythmExtractor2013(method="multifeature")`` and ``KeyExtractor()`` with
  their defaults.

Their answers are cached in the set's folder (``peers.json``).  Printed per subset and
overall: tempo Acc1 (within 4 %), Acc2 (also x2, x1/2, x3, x1/3), files without a tempo,
weak-pulse flags (SongCal), key exact and MIREX weighted score.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections import Counter, defaultdict

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from benchmarks import evalset  # noqa: E402
from benchmarks.evalset import EDITIONS, SPLIT_FONTS, SUBSETS, load  # noqa: E402
from benchmarks.tempo_report import own_numba_cache  # noqa: E402
from core.calibration.agreement import (  # noqa: E402
    key_relation,
    mirex_score,
    tempo_hits,
    tempo_within,
)
from core.io.keynotation import Key, parse_key  # noqa: E402

__all__ = ["songcal_answers", "librosa_answer", "essentia_answer", "read_versioned",
           "tempo_ratio_name", "relation_counts", "meter_rows", "main"]

_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_PEERS_VERSION = 1


#: Editions the tempo decision was fitted on (``fit_tempo --wide --trees``): all of them.
TEMPO_FITTED = ("base", "more", "grooves2", "fresh", "unseen", "fourth", "fifth", "sixth")


def songcal_answers(item: dict) -> dict:
    """SongCal's tempo, its confidence, weak-pulse flag, key and its confidence for one item
    (all None for a file that SongCal refuses, such as one shorter than a second, as the
    window would list it)."""
    from core.analysis.analyze import analyze_file
    from core.errors import AudioFileError

    try:
        r = analyze_file(item["path"])
    except AudioFileError:
        return {"bpm": None, "bpm_confidence": None, "key": None, "key_confidence": None,
                "weak": None, "doubts": None}
    return {"bpm": r.bpm, "bpm_confidence": r.bpm_confidence, "key": r.key,
            "key_confidence": r.key_confidence, "weak": getattr(r, "bpm_weak_pulse", None),
            "doubts": r.doubts()}


def librosa_answer(path: str) -> dict:
    """librosa's plain tempo (beat_track) and Krumhansl key (mean chroma_cqt)."""
    import librosa

    y, sr = librosa.load(path, sr=22050, mono=True)
    with warnings.catch_warnings():  # a loop shorter than its frames: warned, still answered
        warnings.simplefilter("ignore", UserWarning)
        tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
        chroma = librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1)
    best, key = -2.0, None
    for mode, prof in (("major", _KK_MAJOR), ("minor", _KK_MINOR)):
        for t in range(12):
            r = float(np.corrcoef(chroma, np.roll(prof, t))[0, 1])
            if r > best:
                best, key = r, Key(t, mode).name
    bpm = float(np.atleast_1d(tempo)[0])
    return {"bpm": bpm if bpm > 0 else None, "key": key}


def essentia_answer(path: str) -> dict:
    """Essentia's RhythmExtractor2013 (multifeature) tempo and KeyExtractor key."""
    import essentia.standard as es

    audio = es.MonoLoader(filename=path, sampleRate=44100)()
    bpm = float(es.RhythmExtractor2013(method="multifeature")(audio)[0])
    key, scale, _strength = es.KeyExtractor()(audio)
    return {"bpm": bpm if bpm > 0 else None, "key": f"{key} {scale}"}


def read_versioned(path: str, version: int) -> dict:
    """The JSON object cached at ``path`` if it was written with ``version``; else an empty
    one.  Either way its ``version`` is ``version``."""
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
        if data.get("version") != version:
            data = {}
    data["version"] = version
    return data


def _peers(items, cache, *, want):
    path = os.path.join(cache, "peers.json")
    data = read_versioned(path, _PEERS_VERSION)
    changed = False
    for name, fn in (("librosa", librosa_answer), ("essentia", essentia_answer)):
        if name not in want:
            continue
        table = data.setdefault(name, {})
        for it in items:
            if it["id"] not in table:
                try:
                    table[it["id"]] = fn(it["path"])
                except ImportError as exc:
                    print(f"{name} is not installed ({exc}); its column is left out")
                    want.discard(name)
                    break
                changed = True
    if changed:
        with open(path + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(path + ".tmp", path)
    return {k: v for k, v in data.items() if k in want}


def _score(answer, item):
    truth_key = Key(item["tonic"], item["mode"])
    bpm = answer.get("bpm")
    a1, a2 = tempo_hits(bpm, item["bpm"])
    key = parse_key(answer["key"]) if answer.get("key") else None
    return {"acc1": a1, "acc2": a2, "none": bpm is None,
            "mirex": mirex_score(key, truth_key) if key is not None else 0.0,
            "exact": key == truth_key, "weak": bool(answer.get("weak")),
            "rel": key_relation(key, truth_key) if key is not None else "none",
            "ratio": tempo_ratio_name(bpm, item["bpm"])}


#: Names of the metrical relations a wrong tempo is read as (estimate over truth).
_RATIOS = (("x2", 2.0), ("x1/2", 0.5), ("x3/2", 1.5), ("x2/3", 2.0 / 3.0), ("x3", 3.0),
           ("x1/3", 1.0 / 3.0), ("x4/3", 4.0 / 3.0), ("x3/4", 0.75))


def tempo_ratio_name(bpm, truth: float) -> str:
    """How a tempo relates to the truth: ``""`` when within 4 % (Acc1), ``"none"`` without
    a tempo, else the one of :data:`_RATIOS` within 4 % (the comparison of
    :func:`core.calibration.agreement.tempo_within`) or ``"other"``."""
    if bpm is None or not bpm > 0:
        return "none"
    if tempo_within(bpm, truth):
        return ""
    return next((name for name, factor in _RATIOS if tempo_within(bpm, truth, factor=factor)),
                "other")


def _table(rows_by_system, items):
    subsets = [s for s in SUBSETS if any(it["subset"] == s for it in items)] + ["overall"]
    print(f"\n{'subset':<10} {'n':>4} {'system':<9} {'Acc1':>6} {'Acc2':>6} {'no bpm':>6} "
          f"{'weak':>5} {'key':>6} {'MIREX':>6}")
    for sub in subsets:
        idx = [i for i, it in enumerate(items) if sub in ("overall", it["subset"])]
        for name, rows in rows_by_system.items():
            r = [rows[i] for i in idx]
            mean = {k: float(np.mean([x[k] for x in r])) for k in ("acc1", "acc2", "mirex",
                                                                  "exact")}
            none = sum(x["none"] for x in r)
            weak = sum(x["weak"] for x in r) if name == "songcal" else ""
            print(f"{sub:<10} {len(idx):>4} {name:<9} {mean['acc1']:6.3f} {mean['acc2']:6.3f} "
                  f"{none:>6} {weak!s:>5} {mean['exact']:6.3f} {mean['mirex']:6.3f}")


def _variation_table(rows_by_system, items):
    """SongCal's and the peers' scores per rendering variation (editions that have them)."""
    groups = {"in tune": lambda it: not it.get("detune_cents"),
              "detuned": lambda it: bool(it.get("detune_cents"))}
    for field in ("renderer", "room", "master", "drift", "bus", "width", "floor", "echo",
                  "fade"):
        values = sorted({it[field] for it in items if field in it})
        for value in values if field in ("room", "master") or len(values) > 1 else ():
            groups[f"{field} {value}"] = (lambda it, f=field, v=value: it.get(f, "plain") == v)
    if any(it.get("wow_pct") for it in items):
        groups["wow"] = lambda it: bool(it.get("wow_pct"))
    for value in sorted({it["accent"] for it in items if "accent" in it}):
        groups[f"accent {value:g}"] = (lambda it, v=value: it.get("accent") == v)
    print(f"\n{'variation':<14} {'n':>4} {'system':<9} {'Acc1':>6} {'Acc2':>6} {'MIREX':>6}")
    for name, member in groups.items():
        idx = [i for i, it in enumerate(items) if member(it)]
        if not idx:
            continue
        for system, rows in rows_by_system.items():
            mean = {k: float(np.mean([rows[i][k] for i in idx])) for k in ("acc1", "acc2",
                                                                          "mirex")}
            print(f"{name:<14} {len(idx):>4} {system:<9} {mean['acc1']:6.3f} "
                  f"{mean['acc2']:6.3f} {mean['mirex']:6.3f}")


def relation_counts(names) -> dict[str, int]:
    """How many times each relation (:func:`tempo_ratio_name`) of ``names`` occurs, the
    commonest first (``""``, a right tempo, is not counted)."""
    return dict(Counter(name for name in names if name).most_common())


def meter_rows(rows: list[dict], items: list[dict]) -> list[tuple]:
    """Per notated meter of ``items`` (sorted): (meter, n, Acc1, Acc2, {relation: count} of
    the wrong tempos), from one system's scored ``rows`` (:func:`_score`, same order)."""
    out = []
    for meter in sorted({it.get("meter", "?") for it in items}):
        idx = [i for i, it in enumerate(items) if it.get("meter", "?") == meter]
        out.append((meter, len(idx), float(np.mean([rows[i]["acc1"] for i in idx])),
                    float(np.mean([rows[i]["acc2"] for i in idx])),
                    relation_counts(rows[i]["ratio"] for i in idx)))
    return out


def _meter_table(rows_by_system, items):
    """Scores per subset and notated meter (the truth's beat is the meter's: the quarter in
    x/4, the half in 2/2, the dotted quarter in 6/8 and 9/8), with how SongCal's wrong
    tempos relate to the truth."""
    print(f"\n{'subset':<10} {'meter':<5} {'n':>4} {'system':<9} {'Acc1':>6} {'Acc2':>6}  "
          "wrong (estimate / truth)")
    subsets = [s for s in SUBSETS if any(it["subset"] == s for it in items)]
    for sub in subsets:
        idx = [i for i, it in enumerate(items) if it["subset"] == sub]
        sub_items = [items[i] for i in idx]
        for system, rows in rows_by_system.items():
            for meter, n, a1, a2, wrong in meter_rows([rows[i] for i in idx], sub_items):
                text = (", ".join(f"{k} {v}" for k, v in wrong.items())
                        if system == "songcal" else "")
                print(f"{sub:<10} {meter:<5} {n:>4} {system:<9} {a1:6.3f} {a2:6.3f}  {text}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edition", default="base", choices=list(EDITIONS),
                    help="which edition of the set (default: %(default)s)")
    ap.add_argument("--cache", default=None, help="folder of the set (default: the edition's)")
    ap.add_argument("--split", default="heldout", choices=["heldout", "fit", "all"])
    ap.add_argument("--no-peers", action="store_true", help="score SongCal alone")
    ap.add_argument("--quiet", action="store_true", help="print only the totals")
    ap.add_argument("--rows", action="store_true",
                    help="print the missed files of an edition kept for the next choice "
                         "(benchmarks.evalset.RESERVED) too; by default only its totals are "
                         "printed, so that no decision is designed from its errors")
    ap.add_argument("--limit", type=int, default=0,
                    help="score only the first N files (0: all; a partial score)")
    args = ap.parse_args(argv)
    args.cache = args.cache or EDITIONS[args.edition][0]
    items = load(None if args.split == "all" else args.split, cache=args.cache)
    if not items:
        print("no items: build the set with python -m benchmarks.evalset")
        return 2
    own_numba_cache(args.cache)
    if args.limit:
        items = items[: args.limit]
        print(f"--limit {args.limit}: a partial score of the first {len(items)} files")
    fonts = sorted({it["soundfont"] for it in items})
    print(f"edition {args.edition}, split {args.split}: {len(items)} files, "
          f"soundfonts {', '.join(fonts)}")
    if args.edition == "fresh":
        print("fresh edition: pieces, tunes, grooves and a soundfont (csound) that no fitting "
              "has read; held-out through and through")
    elif args.edition == "unseen":
        print("unseen edition: pieces, tunes, grooves and a soundfont (musescore_full) that no "
              "fitting or earlier measurement has read; part of the files detuned (10-30 "
              "cents) or in another room or master; held-out through and through")
    elif args.edition == "fourth":
        print("fourth edition: pieces, tunes and grooves that no fitting or earlier "
              "measurement has read, held-out soundfonts only; part of the files detuned, "
              "re-roomed, drifting, with wow, a pumping or radio bus, mono or wide")
    elif args.edition == "fifth":
        print("fifth edition: pieces, tunes and grooves that no fitting or earlier "
              "measurement has read, rendered by TiMidity++ (freepats) or held-out "
              "soundfonts; part of the files detuned, re-roomed, drifting or stepping, with "
              "wow, a bus, a noise floor, an echo or a fade")
    elif args.edition == "sixth":
        print("sixth edition: tunes, grooves and instruments (Csound's physical, FM and "
              "subtractive models; recorded drum and percussion kits) that no other edition "
              "has; the fifth edition's variation drawn afresh")
    elif args.edition == "seventh":
        print("seventh edition: tunes, grooves, accompaniment figures and a soundfont (Merlin) "
              "that no fitting or earlier measurement has read; the fifth edition's variation "
              "drawn afresh")
    elif args.edition == "eighth":
        print("eighth edition: generated tunes and a soundfont (GeneralUser GS) that no fitting "
              "or earlier measurement has read, players' accents on most files; its grooves "
              "are drawn from the editions the tempo decision was fitted on")
    elif args.edition == "ninth":
        print("ninth edition: generated tunes and a soundfont (Sonivox EAS) that no fitting or "
              "earlier measurement had read, under the seventh edition's grooves (no fit read "
              "them); it made the choice of fits.txt's twenty-sixth round")
    elif args.edition == "tenth":
        print("tenth edition: generated tunes under grooves no edition has played, on recorded "
              "drum kits (AVL Drumkits) no edition has played, the pitched parts with the "
              "soundfonts no fit has read; kept for the next choice between two decisions, "
              "with its rule written before either is run on it")
    elif args.edition == "eleventh":
        print("eleventh edition: the tenth's plan with other generated tunes, every part "
              "played by LMMS's synthesizers and drum samples, which no edition has played; "
              "kept for a later choice between two decisions, with its rule written before "
              "either is run on it")
    elif args.split == "heldout":
        print("held-out split: none of these pieces or soundfonts was used to fit the key "
              f"weights (fitted on the 'fit' split: soundfonts {', '.join(SPLIT_FONTS['fit'])})")
    else:
        print("WARNING: the 'fit' split is what the tempo and key weights were fitted on; "
              "these figures are in-sample")
    if args.edition in TEMPO_FITTED:
        print("NOTE: the tempo decision was fitted on this edition too (python -m "
              "benchmarks.fit_tempo --wide --trees); its tempo figures are in-sample, the key's "
              "are not")
    draws = sorted({it["draw"] for it in items if "draw" in it})
    if draws:
        print(f"A DRAW of the {args.edition} edition's plan (seed {', '.join(map(str, draws))}; "
              "python -m benchmarks.evalset --draw), not the edition: other tunes and "
              "variations, which no fit, choice or look at the edition has read")
    hide_rows = args.edition in evalset.RESERVED and not args.rows and not draws
    if hide_rows and not args.quiet:
        print("kept for the next choice: totals only (--rows prints the missed files)")
    want = set() if args.no_peers else {"librosa", "essentia"}
    peers = _peers(items, args.cache, want=want)
    rows = defaultdict(list)
    for it in items:
        ours = songcal_answers(it)
        rows["songcal"].append(_score(ours, it))
        for name, table in peers.items():
            rows[name].append(_score(table[it["id"]], it))
        s = rows["songcal"][-1]
        if not args.quiet and not hide_rows and (not s["acc1"] or s["mirex"] < 1):
            truth = Key(it["tonic"], it["mode"]).name
            peer = " ".join(f"{n[:3]} {t[it['id']]['bpm'] or 0:6.1f}" for n, t in peers.items())
            print(f"{it['id']} {it['subset']:<9} {it['style']:<9} {it['soundfont']:<9} "
                  f"bpm {it['bpm']:6.1f} est {ours['bpm'] or 0:6.1f}{' weak' if ours['weak'] else ''}"
                  f"  key {truth:<9} est {ours['key'] or '-':<9} {s['rel']:<8} | {peer}"
                  + (f" | detune {it['detune_cents']:+.0f}" if it.get("detune_cents") else ""))
        sys.stdout.flush()
    _table(rows, items)
    touched = set() if draws else (set(evalset.TOUCHED.get(args.edition, ()))
                                   & {it["id"] for it in items})
    if touched:
        keep = [i for i, it in enumerate(items) if it["id"] not in touched]
        print(f"\nwithout the rows read before the choice ({', '.join(sorted(touched))}; "
              "benchmarks.evalset.TOUCHED):")
        _table({name: [r[i] for i in keep] for name, r in rows.items()},
               [items[i] for i in keep])
    if any("detune_cents" in it for it in items):
        _variation_table(rows, items)
    if any("meter" in it for it in items):
        _meter_table(rows, items)
    print(f"\nreproduce: python -m benchmarks.realistic --edition {args.edition} "
          f"--split {args.split}" + (f" --limit {args.limit}" if args.limit else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
