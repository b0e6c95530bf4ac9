"""Fit the weights of the key decision (:data:`core.analysis.key._KEY_WEIGHTS`).

Run ``python -m benchmarks.fit_key [--l2 L] [--with-more] [--validate L2,...] [--heldout]
[--draws DIR ...] [--wide [--wide-shares] [--moved-closes] [--generated-closes SEED ...]
[--pin ends|placement]] [--reserved]``
after building the realistic set (``python -m benchmarks.evalset``) and caching the
generated songs (``python -m benchmarks.fit_tempo`` does both).

Songs: the ``fit`` split of the realistic set only (the ``heldout`` split is never read
here), with ``--with-more`` the fit-only ``more`` edition, and the generated songs of
plans 2024 and 555 of :mod:`benchmarks.synth` and 1 and 2 of
:mod:`benchmarks.independent_synth`.  The model is a conditional logit over the 24 keys
(softmax of a linear score of :data:`core.analysis.keyevidence.KEY_FEATURES`) with an L2
penalty on standardised features, maximising the expected MIREX weighted score's
log-likelihood of the true key.

Printed: the MIREX weighted score of a 5-fold cross-validation over the fit split (by
piece), per subset, and the final weights, ready to paste into core/analysis/key.py.

``--validate`` fits at each of the given L2 penalties and scores the fit on the fit-only
``more`` and ``grooves2`` editions, which no key fit reads (their items with a key): the
shipped penalty, 0.001, is the best so scored whose weights keep the key tests
(``benchmarks/results/fits.txt``).  ``--heldout``
scores the shipped weights and the refit on every built held-out edition (the key decision
is the table's best key, as the analyzer takes it for a song with a key).  ``--wide`` also
fits on the wide material (:func:`wide_fit`: the songs above, 'more', 'grooves2' and the
held-out editions the tempo fit reads, :data:`benchmarks.fit_tempo.TOUCHED`) and scores it
beside the shipped weights on the held-out editions it left; ``--wide-shares`` keeps the
sources' shares of the narrow fit there, ``--moved-closes`` adds a copy of each realistic song
whose end is moved up a step, ``--generated-closes`` the generated songs of
:mod:`benchmarks.key_changes` for other seeds than the two it judges a refit on, as they are
and with their closes moved, ``--pin`` holds the weights of a song's end or of every piece of
evidence placed in the song at the shipped values (tried, not shipped:
``benchmarks/results/fits.txt``, twenty-second to twenty-fourth and twenty-eighth rounds).
The held-out editions kept for the next choice (:data:`benchmarks.evalset.RESERVED`) are
scored only with ``--reserved``.  ``--draws DIR ...`` fits on editions drawn again from
other seeds too (``python -m benchmarks.evalset --edition E --draw SEED --cache DIR``), each
of their songs weighing what a song of the fit split weighs (tried, not shipped:
``benchmarks/results/fits.txt``, thirty-second round).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from benchmarks import evalset  # noqa: E402
from benchmarks.evalfeatures import cached_features  # noqa: E402
from benchmarks.evalset import CACHE, HELD_OUT, heldout_folder, load, load_draw  # noqa: E402
from benchmarks.fit_tempo import (  # noqa: E402
    GENERATED_PLANS,
    GENERATOR_WEIGHT,
    GROOVES2,
    MORE,
    TOUCHED,
    _load_plan,
    _numbers,
    fit,
    more_items,
)
from core.analysis.key import _KEY_WEIGHTS, key_table  # noqa: E402
from core.analysis.keyevidence import KEY_FEATURES  # noqa: E402
from core.calibration.agreement import mirex_score  # noqa: E402
from core.io.keynotation import Key  # noqa: E402

#: Evidence (:data:`core.analysis.keyevidence.KEY_FEATURES`) whose weights ``--pin`` holds at
#: the shipped values: that of the song's end, or of where in the song the key lies.
END_FEATURES = ("path at the end", "ending correlation", "tonic in the final bass",
                "tonic triad in the final chord")
PLACEMENT_FEATURES = ("local-key path share", "path at the start", "opening correlation",
                      "tonic triad in the first chord", *END_FEATURES)
PINS = {"ends": END_FEATURES, "placement": PLACEMENT_FEATURES}

__all__ = ["END_FEATURES", "L2", "PINS", "PLACEMENT_FEATURES", "draw_key_tables",
           "heldout_tables", "key_tables",
           "main", "moved_close_tables", "validation_tables", "wide_fit"]


def _row(chroma, bass, pfr, truth: Key, gen: str, subset: str, name: str) -> dict:
    x = key_table(chroma, bass, pfr)
    y = np.zeros(24, dtype=bool)
    y[truth.index] = True
    return {"X": x, "y": y, "truth": truth, "gen": gen, "subset": subset, "id": name}


def real_key_tables(cache: str, items: list[dict], *, gen: str = "real") -> list[dict]:
    """Per-key evidence tables of items of the realistic set (features cached in ``cache``;
    ``gen`` names their source in the fit)."""
    real = []
    for it in items:
        f = cached_features(it["path"], os.path.join(cache, "features"))
        real.append(_row(f.chroma, f.bass_chroma, f.pitch_frame_rate,
                         Key(it["tonic"], it["mode"]), gen, it["subset"], it["id"]))
    return real


def draw_key_tables(folders) -> list[dict]:
    """Per-key evidence tables of the rendered files with a key of each draw in ``folders``
    (``python -m benchmarks.evalset --edition E --draw SEED --cache DIR``), source
    ``draws``.  Raises FileNotFoundError when a folder holds no such draw."""
    out = []
    for folder in folders:
        items = [it for it in load_draw(folder) if it.get("tonic") is not None]
        if not items:
            raise FileNotFoundError(f"the draw in {folder} holds no file with a key")
        out += real_key_tables(folder, items, gen="draws")
    return out


def moved_close_tables(cache: str, items: list[dict], *, seed: int = 0) -> list[dict]:
    """Copies of the items' tables whose last third (of the chroma frames, bass too) is moved
    up one or two semitones (a seeded draw per item), as a last chorus "up a step" is; the
    truth stays the key of the rest.  Too short a close for the close rule
    (:func:`core.analysis.keyevidence.closing_transposition`) to turn back: a fit that reads
    them learns what a moved end does to the evidence.  Items without a key are skipped."""
    rng = np.random.default_rng(seed)
    out = []
    for it in items:
        if it.get("tonic") is None:
            continue
        f = cached_features(it["path"], os.path.join(cache, "features"))
        shift = int(rng.integers(1, 3))
        chroma, bass = f.chroma.copy(), f.bass_chroma.copy()
        cut = chroma.shape[1] - chroma.shape[1] // 3
        chroma[:, cut:] = np.roll(chroma[:, cut:], shift, axis=0)
        bass[:, cut:] = np.roll(bass[:, cut:], shift, axis=0)
        out.append(_row(chroma, bass, f.pitch_frame_rate, Key(it["tonic"], it["mode"]),
                        "moved", it["subset"], f"{it['id']}~up{shift}"))
    return out


def _close_song(task) -> list[tuple]:
    """(body's key, chroma, bass chroma, pitch frame rate) of one song of
    :mod:`benchmarks.key_changes` as it is and in each of its shapes, in that order;
    ``task`` is (folder, index, seed): the ``index``-th song of that seed.  The features are
    computed once and kept in ``folder``."""
    from benchmarks import key_changes
    from benchmarks.evalfeatures import features_of_audio

    folder, index, seed = task
    path = os.path.join(folder, f"s{seed}-{index}.npz")
    if not os.path.exists(path):
        _source, _style, _seed, key, render = list(key_changes.songs([seed]))[index]
        body = render(key)
        moved = {k: render(k) for k in {close(key) for _, close, _ in key_changes.SHAPES}}
        signals = [body] + [key_changes.closed(body, moved[close(key)], secs)
                            for _, close, secs in key_changes.SHAPES]
        arrays = {}
        for k, y in enumerate(signals):
            f = features_of_audio(y, key_changes.SR)
            arrays.update({f"c{k}": f.chroma, f"b{k}": f.bass_chroma,
                           f"pfr{k}": np.float64(f.pitch_frame_rate)})
        os.makedirs(folder, exist_ok=True)
        np.savez(path + ".tmp.npz", tonic=key.tonic, minor=key.mode == "minor", **arrays)
        os.replace(path + ".tmp.npz", path)
    with np.load(path) as d:
        key = Key(int(d["tonic"]), "minor" if bool(d["minor"]) else "major")
        n = 1 + len(key_changes.SHAPES)
        return [(key, d[f"c{k}"], d[f"b{k}"], float(d[f"pfr{k}"])) for k in range(n)]


def generated_close_tables(seeds, cache: str = CACHE, *, jobs: int = 2) -> list[dict]:
    """Key tables of the songs of :mod:`benchmarks.key_changes` for ``seeds`` (not its
    default 21 and 22, which a key refit is judged on), each as it is and in each of its
    shapes whose close moves (the truth the body's key); read as the analyzer reads them,
    after the close rule.  Their features are kept in ``<cache>/closes``."""
    from concurrent.futures import ProcessPoolExecutor

    from benchmarks.key_changes import SHAPES
    from benchmarks.key_changes import songs as close_songs

    folder = os.path.join(cache, "closes")
    tasks = [(folder, i, seed) for seed in seeds
             for i in range(sum(1 for _ in close_songs([seed])))]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            songs = list(pool.map(_close_song, tasks))
    else:
        songs = [_close_song(t) for t in tasks]
    labels = ["as it is"] + [label for label, _, _ in SHAPES]
    out = []
    for (_folder, i, seed), rows in zip(tasks, songs, strict=True):
        for label, (key, chroma, bass, pfr) in zip(labels, rows, strict=True):
            out.append(_row(chroma, bass, pfr, key, "closes", "generated",
                            f"close{seed}-{i} {label}"))
    return out


def key_tables(cache: str = CACHE) -> tuple[list[dict], list[dict]]:
    """(fit split of the realistic set, generated songs) as per-key evidence tables."""
    real = real_key_tables(cache, load("fit", cache=cache))
    generated = []
    for gen, seed in GENERATED_PLANS:
        if gen == "click":
            continue
        if gen == "orig":
            from benchmarks.accuracy import song_plan
        else:
            from benchmarks.independent import song_plan
        keys = [s["key"] for s in song_plan(48, seed=seed)]
        d = _load_plan(gen, seed, os.path.join(cache, "generated"))
        for i, key in enumerate(keys):
            generated.append(_row(d[f"c{i}"], d[f"d{i}"], float(d["pfr"]), key, gen,
                                  str(d["style"][i]), f"{gen}{seed}-{i}"))
    return real, generated


def _mirex(songs, w) -> np.ndarray:
    out = []
    for s in songs:
        if s["X"] is None:
            out.append(0.0)
            continue
        out.append(mirex_score(Key.from_index(int(np.argmax(s["X"] @ w))), s["truth"]))
    return np.array(out)


#: The L2 penalty of the shipped key weights (see ``--validate``).
L2 = 0.001


def _penalties(text: str) -> tuple[float, ...]:
    """The L2 penalties of ``--validate``: comma-separated numbers of 0 or more."""
    return _numbers(text, lambda v: v >= 0, "penalties must be >= 0")


def validation_tables(more: str = MORE, grooves2: str = GROOVES2) -> dict[str, list[dict]]:
    """Key tables of the fit-only editions no key fit reads, by name (items with a key)."""
    return {name: real_key_tables(folder, [it for it in more_items(folder)
                                           if it.get("tonic") is not None])
            for name, folder in (("more", more), ("grooves2", grooves2))}


def heldout_tables(cache: str = CACHE, *, reserved: bool = False) -> dict[str, list[dict]]:
    """Key tables of every built held-out edition (the base set's ``heldout`` split first),
    those kept for the next choice (:data:`benchmarks.evalset.RESERVED`) only if
    ``reserved``."""
    out = {}
    for name in HELD_OUT:
        if name in evalset.RESERVED and not reserved:
            continue
        folder = heldout_folder(name, cache)
        items = load("heldout", cache=folder)
        if items:
            out[name] = real_key_tables(folder, items)
    return out


def _scores_line(label: str, sets: dict[str, list[dict]], w: np.ndarray) -> None:
    per_song = {name: _mirex(songs, w) for name, songs in sets.items()}
    means = {name: v.mean() for name, v in per_song.items()}
    pooled = np.concatenate(list(per_song.values())).mean()
    print(f"  {label:<16} " + "  ".join(f"{n} {m:.3f}" for n, m in means.items())
          + f"  mean {np.mean(list(means.values())):.4f}  pooled {pooled:.4f}")


def wide_fit(real: list[dict], generated: list[dict], *, cache: str = CACHE,
             more: str = MORE, l2: float = L2, shares: bool = False,
             moved: bool = False, reserved: bool = False, pin: str | None = None,
             closes: tuple = ()) -> None:
    """Fit on the wide material (the fit split, the generated songs, the fit-only 'more'
    and 'grooves2' editions and the touched held-out editions of
    :data:`benchmarks.fit_tempo.TOUCHED`) and score the shipped weights and the wide fit on
    the held-out editions it did not read.  Each song weighs alike, or with ``shares`` the
    sources keep the shares of the narrow fit (:data:`benchmarks.fit_tempo.GENERATOR_WEIGHT`):
    the realistic songs together weigh what the fit split weighs alone, each alike.  With
    ``moved`` each realistic song also gives a copy whose end is moved up a step
    (:func:`moved_close_tables`, a source of its own).  With ``pin`` (a key of
    :data:`PINS`) the weights of those features stay the shipped ones and the others are fitted
    around them.  With ``closes`` (seeds) the generated songs of :mod:`benchmarks.key_changes`
    for those seeds, as they are and with their closes moved, join as a source of their own
    (:func:`generated_close_tables`)."""
    sets = heldout_tables(cache, reserved=reserved)
    missing = [name for name in TOUCHED if name not in sets]
    if missing:
        raise FileNotFoundError(f"held-out editions not built: {', '.join(missing)}")
    extra = validation_tables(more)
    train = list(real) + list(generated)
    for name, songs in [(n, sets[n]) for n in TOUCHED] + list(extra.items()):
        train += [dict(s, gen="real" if shares else name) for s in songs]
    if moved:
        touched = [heldout_folder(n, cache) for n in TOUCHED]
        folders = [(cache, load("fit", cache=cache))] + [
            (f, load("heldout", cache=f)) for f in touched] + [
            (f, more_items(f)) for f in (more, GROOVES2)]
        for k, (folder, items) in enumerate(folders):
            train += moved_close_tables(folder, items, seed=k)
    if closes:
        train += generated_close_tables(closes, cache)
    count = collections.Counter(s["gen"] for s in train)
    # a source weighs its song count (each song alike), or its share of the narrow fit
    pinned = ({KEY_FEATURES.index(n): float(_KEY_WEIGHTS[KEY_FEATURES.index(n)])
               for n in PINS[pin]} if pin else None)
    w = fit(train, l2=l2, weights=None if shares else count, pinned=pinned)
    print(f"wide material: {len(train)} songs (" + ", ".join(
        f"{g} {n}" for g, n in count.items()) + ")")
    print("weights (wide):")
    for name, v in zip((*KEY_FEATURES, "profile score with bass"), w, strict=True):
        print(f"    {round(float(v), 3)!r},  # {name}")
    left = {n: v for n, v in sets.items() if n not in TOUCHED}
    print("MIREX on the held-out editions the wide fit did not read (" + ", ".join(
        f"{n} {len(v)}" for n, v in left.items()) + "):")
    _scores_line("shipped", left, _KEY_WEIGHTS)
    _scores_line(f"wide (L2 {l2:g})", left, np.round(w, 3))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=CACHE)
    ap.add_argument("--l2", type=float, default=L2, help="L2 penalty (standardised units)")
    ap.add_argument("--with-more", action="store_true",
                    help="also fit on the fit-only 'more' edition (in every training fold)")
    ap.add_argument("--more", default=MORE, help="folder of the 'more' edition")
    ap.add_argument("--validate", type=_penalties, default=(), metavar="L2,...",
                    help="score a fit at each of these penalties on the fit-only 'more' and "
                         "'grooves2' editions, which no key fit reads")
    ap.add_argument("--heldout", action="store_true",
                    help="score the shipped weights and the refit on every held-out edition")
    ap.add_argument("--wide", action="store_true",
                    help="also fit on the fit-only and the touched held-out editions and score "
                         "on the held-out editions left (wide_fit)")
    ap.add_argument("--reserved", action="store_true",
                    help="also score the held-out editions kept for the next choice "
                         "(benchmarks.evalset.RESERVED)")
    ap.add_argument("--moved-closes", action="store_true",
                    help="with --wide: also fit on a copy of each realistic song whose last "
                         "third is moved up a step (moved_close_tables)")
    ap.add_argument("--pin", choices=sorted(PINS),
                    help="with --wide: hold the weights of the song's end (END_FEATURES) or of "
                         "where in the song the key lies (PLACEMENT_FEATURES) at the shipped "
                         "values and fit the others around them")
    ap.add_argument("--generated-closes", type=int, nargs="+", default=(), metavar="SEED",
                    help="with --wide: also fit on benchmarks.key_changes' songs of these seeds "
                         "(not 21 or 22, which judge a refit), as they are and with their "
                         "closes moved (generated_close_tables)")
    ap.add_argument("--draws", nargs="+", default=(), metavar="DIR",
                    help="also fit on these draws (benchmarks.evalset --draw), each song "
                         "weighing what a song of the fit split weighs (not with --wide)")
    ap.add_argument("--wide-shares", action="store_true",
                    help="with --wide: the sources keep the narrow fit's shares (the realistic "
                         "songs together weigh what the fit split alone does)")
    args = ap.parse_args(argv)
    if not args.l2 >= 0:
        ap.error(f"--l2 must be >= 0, got {args.l2}")
    if (args.wide_shares or args.moved_closes or args.pin or args.generated_closes) \
            and not args.wide:
        ap.error("--wide-shares, --moved-closes, --generated-closes and --pin need --wide")
    if {21, 22} & set(args.generated_closes):
        ap.error("seeds 21 and 22 of benchmarks.key_changes judge a key refit: fit on others")
    if args.validate and args.with_more:
        ap.error("--validate scores on the 'more' edition: it cannot also be fitted on")
    if args.draws and args.wide:
        ap.error("--draws is fitted on beside the narrow material, not with --wide")
    real, generated = key_tables(args.cache)
    more = [] if not args.with_more else real_key_tables(args.more, more_items(args.more))
    try:
        draws = draw_key_tables(args.draws) if args.draws else []
    except FileNotFoundError as e:
        ap.error(str(e))
    print(f"fit split of the realistic set: {len(real)} songs; 'more' edition: {len(more)}; "
          f"generated: {len(generated)}" + (f"; draws: {len(draws)}" if draws else ""))
    always = more + generated + draws  # in every training fold
    shares = None if not draws else dict(
        GENERATOR_WEIGHT, draws=GENERATOR_WEIGHT["real"] * len(draws) / len(real + more))

    def fit_of(train):
        return fit(train, l2=args.l2, weights=shares)

    folds = 5
    scores = np.zeros(len(real))
    for k in range(folds):
        train = [s for i, s in enumerate(real) if i % folds != k] + always
        w = fit_of(train)
        test = [i for i in range(len(real)) if i % folds == k]
        scores[test] = _mirex([real[i] for i in test], w)
    print(f"5-fold cross-validation on the fit split (by piece): MIREX {scores.mean():.3f}")
    for sub in sorted({s["subset"] for s in real}):
        m = [scores[i] for i, s in enumerate(real) if s["subset"] == sub]
        print(f"  {sub:<10} {len(m):3d} songs  MIREX {np.mean(m):.3f}")
    w = fit_of(real + always)
    print(f"in-sample MIREX: fit split {_mirex(real, w).mean():.3f}  'more' "
          f"{_mirex(more, w).mean() if more else float('nan'):.3f}  generated "
          f"{_mirex(generated, w).mean():.3f}")
    print("weights:")
    for name, v in zip((*KEY_FEATURES, "profile score with bass"), w, strict=True):
        print(f"    {round(float(v), 3)!r},  # {name}")
    if args.validate:
        sets = validation_tables(args.more)
        print("MIREX on the fit-only editions no key fit reads (" + ", ".join(
            f"{n} {len(v)}" for n, v in sets.items()) + "), fitted on the fit split and the "
            "generated songs:")
        for l2 in args.validate:
            _scores_line(f"L2 {l2:g}", sets, fit(real + generated, l2=l2))
    if args.wide:
        try:
            wide_fit(real, generated, cache=args.cache, more=args.more, l2=args.l2,
                     shares=args.wide_shares, moved=args.moved_closes,
                     reserved=args.reserved, pin=args.pin,
                     closes=tuple(args.generated_closes))
        except FileNotFoundError as e:
            ap.error(str(e))
    if args.heldout:
        sets = heldout_tables(args.cache, reserved=args.reserved)
        print("MIREX on the held-out editions (" + ", ".join(
            f"{n} {len(v)}" for n, v in sets.items()) + "):")
        _scores_line("shipped", sets, _KEY_WEIGHTS)
        _scores_line(f"refit (L2 {args.l2:g})", sets, np.round(w, 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
