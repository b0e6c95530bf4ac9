"""Fit the weights of the tempo metrical-level decision (:data:`core.analysis.tempo._WEIGHTS`).

Run ``python -m benchmarks.fit_tempo [--l2 L] [--quiet] [--with-more | --generalise]
[--with-grooves2] [--logo]`` or ``python -m benchmarks.fit_tempo [--l2 L] [--quiet] [--wide]
[--loeo] [--weighting files|editions] [--generated-scale F] [--stretch] [--bandmix] [--accented]
[--compound | --compound-replace fit|reference]
[--by-game [--with-next] [--others-weight F]] [--jazz N [--jazz-weight W]]
[--trees [--tree-rounds N]] [--octave-credit C]`` after building the realistic set (``python -m
benchmarks.evalset``).

Songs: the ``fit`` split of the realistic set only (its pieces and its soundfonts, FluidR3
and OPL-3; the ``heldout`` split is never read here), with ``--with-more`` the fit-only
``more`` edition of the set (``python -m benchmarks.evalset --edition more``), with
``--with-grooves2`` the fit-only ``grooves2`` edition (``--edition grooves2``: the ``more``
tunes under dense, triple-metre and drumless fast figures, see
:mod:`benchmarks.evalgrooves2`), plus generated songs of
:mod:`benchmarks.synth` (plans 2024 and 555 of ``benchmarks.accuracy``),
:mod:`benchmarks.independent_synth` (plans 1 and 2 of ``benchmarks.independent``) and
metronome tracks.  Their features are cached under ``~/.cache/songcal-eval``.  The model is
a conditional logit over each song's candidates (softmax of a linear score) with an L2
penalty on standardised features; with ``--trees`` (beside ``--wide`` or ``--loeo``) also
the gradient-boosted trees whose score the analyzer averages with it (:func:`fit_trees`).

Printed: the candidate-level Acc1 (the chosen candidate within 4 % of the truth) of a
5-fold cross-validation over the fit split (by piece; the ``more`` edition and the
generated songs are in every training fold), per subset; with ``--generalise`` also the Acc1
on the ``more`` edition of a model fitted without it and the Acc1 across soundfonts (fitted
on FluidR3 songs, scored on OPL-3 songs, and the reverse) -- fit-only material that shows
whether the decision carries over to other pieces and other sounds; with ``--logo`` the Acc1
on each groove of the ``grooves2`` edition of a model fitted without that groove (and of one
fitted without the whole edition); and the final weights
(fit on everything listed above), ready to paste into core/analysis/tempo.py.  The fit is
deterministic.

**Wide material.**  Every held-out edition built so far has been measured and is now
*touched*: the base set's ``heldout`` split, ``fresh``, ``unseen``, ``fourth``, ``fifth`` and
``sixth`` (:data:`TOUCHED`); the ``seventh``, measured once since, is in no fit (a refit with
it was not kept: ``benchmarks/results/fits.txt``, twelfth round), nor the ``eighth``.
``--wide`` fits on them too, beside the fit split, ``more``, ``grooves2``, the drift probe's
120 files (``python -m benchmarks.drift``) and the generated songs; their features are
cached in each edition's ``features/`` folder.  In the loss the realistic sources share
``3 x`` their songs over the fit split's and ``more``'s, spread by song count
(``--weighting files``: every realistic song weighs the same) or equally over the sources
(``--weighting editions``); the generated sources keep their weights times
``--generated-scale``.  ``--loeo`` leaves each touched edition out of that material in turn,
fits on the rest and prints the left-out edition's candidate-level Acc1 and Acc2 per subset
beside those of the current weights; then the same for the TiMidity++ renders (the fifth
edition's ``freepats`` files) and for each soundfont.  These are fit-time validation figures
on touched material, not an untouched measurement.

**Tempo augmentation** (``--stretch``, beside ``--wide`` or ``--loeo``): faster copies of
about a third of the realistic songs at 115 BPM or more, their beat moved to 160-235 BPM
(:func:`stretched_tables`), join the fit as the source ``stretch``; an edition's copies leave
with it.  A try, not the shipped fit: ``benchmarks/results/fits.txt`` has what it gave.

**Sound augmentation** (``--bandmix``, beside ``--wide`` or ``--loeo``): copies of half the
realistic songs whose low, mid and high onset bands are remixed (:func:`band_mix`: each
band at another gain, with a share of the other bands), as another drum kit or another
instrument would spread its attacks over the bands, join the fit as the source ``bandmix``.
An edition's copies leave with it, and a soundfont's with the soundfont.

**Accent augmentation** (``--accented``, beside ``--wide`` or ``--loeo``): the copies of the
realistic songs that ``python -m benchmarks.accents --edition E --render-only`` rendered with
a player's metric accents (``<edition folder>/accented``) join the fit as the source
``accented``; an edition's copies leave with it.  A try, not the shipped fit:
``benchmarks/results/fits.txt`` has what it gave.

**Compound comping** (``--compound``, beside ``--wide`` or ``--loeo``): the copies of the
compound-metre tunes that ``python -m benchmarks.compound`` comped in threes
(``<edition folder>/compound``) join the fit as the source ``compound``; an edition's copies
leave with it.  ``--compound-replace fit`` puts each copy in its original's place instead,
in the material fitted on and in the editions left out (the editions as they would have been
built with players' figures); ``--compound-replace reference`` (with ``--loeo``) fits on the
material as built and scores each edition left out on its replaced songs, the reference the
other is compared with.  The shipped decision is ``--wide --trees --compound-replace fit``,
chosen over the plain ``--wide --trees`` fit on the eighth edition, which neither had read
(``benchmarks/results/fits.txt``, nineteenth round).

**Draws as training material** (``--draws DIR [DIR ...]``, beside ``--wide``): editions drawn
again from other seeds (``python -m benchmarks.evalset --edition E --draw SEED --cache DIR``:
other tunes and tempos, the edition's plan and instruments) join the fit as the realistic
source ``draws``, weighed by files like the touched editions.  The eleventh edition's draws
play LMMS's synthesizer presets, which no other fit material plays; fitted on, they end the
eleventh's standing as held out by instrument set.  A try, not the shipped fit:
``benchmarks/results/fits.txt`` has what it gave.

**Songs by other composers as training material** (``--wide --by-game``): the MIDI songs of
:mod:`benchmarks.midisongs` (three games' soundtracks, their composers' notated tempo) are
scored game by game, each by a model fitted on the wide material plus the other games'
songs (:func:`leave_one_game_out`), beside one fitted without any of them.  With
``--with-next`` the next sources' songs (:func:`next_tables`: the MIDI songs and modules
measured once in ``benchmarks/results/next_sources.txt``) join them, each collection a game
(every song MMA plays one, the modules one); ``--others-weight F`` multiplies their share of
the loss in each fold.  Nothing is written.

**Generated jazz** (``--jazz N``): N plans of :data:`JAZZ_SONGS` swung grooves
(:func:`benchmarks.independent_synth.render_jazz`: a walking bass, a two-feel and a boogie,
100-235 BPM) join the generated sources at a share of ``--jazz-weight`` (default 0.5).
A try, not the shipped fit: ``benchmarks/results/fits.txt`` has what it gave.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402

from benchmarks.evalfeatures import ANALYSIS_SR, cached_features, features_of_audio  # noqa: E402
from benchmarks.evalset import CACHE, EDITIONS, SUBSETS, heldout_folder, load, load_draw  # noqa: E402
from core.analysis.periodicity import tame_end  # noqa: E402
from core.analysis.tempo import (  # noqa: E402
    FEATURE_NAMES,
    TREE_SHARE,
    TREES_PATH,
    TREES_TOP_BPM,
    candidate_table,
    decision_scores,
    tree_inputs,
    trees_from_json,
)
from core.calibration.agreement import tempo_hits, tempo_within  # noqa: E402

__all__ = ["GENERATED_PLANS", "L2", "MORE", "GROOVES2", "song_tables", "real_tables",
           "more_items", "fit", "edition_folds", "leave_one_groove_out", "main"]

#: Folder of the fit-only ``more`` edition of the realistic set.
MORE = EDITIONS["more"][0]
#: Folder of the fit-only ``grooves2`` edition.
GROOVES2 = EDITIONS["grooves2"][0]

#: (generator, seed) plans of generated songs added to the fit split of the realistic set.
#: The plans ``benchmarks.accuracy`` and ``benchmarks.independent`` report by default
#: (7 and 3) are not among them.
GENERATED_PLANS = (("orig", 2024), ("orig", 555), ("ind", 1), ("ind", 2), ("click", 1))
SONGS = 48
CLICKS = 48  # metronome tracks per "click" plan
JAZZ_SONGS = 48  # generated jazz grooves per "jazz" plan (--jazz)
SUBDIVIDED = 0.0  # share of them with quieter clicks between the beats
#: Weight of each source in the loss (each source's songs share it equally).  ``grooves2``
#: only counts with ``--with-grooves2`` and in the ``--logo`` check.
GENERATOR_WEIGHT = {"real": 3.0, "grooves2": 0.5, "orig": 1.0, "ind": 1.0, "click": 0.5,
                    "jazz": 0.5, "stretch": 1.0, "bandmix": 1.0, "accented": 1.0,
                    "compound": 1.0}
SECONDS = 30.0
#: L2 penalty (standardised units) of the shipped linear weights.
L2 = 0.002


def _features(mono: np.ndarray, sr: int):
    return features_of_audio(mono, sr)


def _render_plan(gen: str, seed: int):
    """Yield (true BPM, style, FeatureStream) of each song of a plan.

    ``gen`` is ``"orig"`` (:mod:`benchmarks.synth` songs), ``"ind"`` (:mod:`benchmarks.independent_synth`)
    or ``"click"`` (metronome tracks, half of them with quieter clicks between the beats).
    """
    if gen == "orig":
        from benchmarks.accuracy import song_plan
        from benchmarks.synth import render_song

        for s in song_plan(SONGS, seed=seed):
            y = render_song(bpm=s["bpm"], key=s["key"], seconds=SECONDS, sr=44100,
                            seed=s["seed"], style=s["style"])
            yield s["bpm"], s["style"], _features(y.mean(axis=1), 44100)
    elif gen == "click":
        from benchmarks.synth import click_track

        rng = np.random.default_rng(seed)
        for _ in range(CLICKS):
            bpm = float(np.round(rng.uniform(55.0, 200.0), 1))
            seconds = float(rng.uniform(10.0, 20.0))
            y = click_track(bpm, seconds, ANALYSIS_SR, accent=int(rng.integers(2, 5)))
            style = "click"
            if rng.uniform() < SUBDIVIDED:  # quieter clicks between the beats
                sub = int(rng.integers(2, 4))
                fill = click_track(bpm * sub, seconds, ANALYSIS_SR, accent=sub)
                n = min(len(y), len(fill))
                y = y[:n] + 0.35 * fill[:n]
                style = f"click/{sub}"
            yield bpm, style, _features(y, ANALYSIS_SR)
    elif gen == "jazz":
        from benchmarks.independent_synth import JAZZ_STYLES, render_jazz
        from core.io.keynotation import Key

        rng = np.random.default_rng(seed)
        names = list(JAZZ_STYLES)
        for i in range(JAZZ_SONGS):
            style = names[i % len(names)]
            lo, hi = JAZZ_STYLES[style]
            bpm = float(np.round(rng.uniform(lo, hi), 1))
            song = render_jazz(style, bpm=bpm, key=Key.from_index(int(rng.integers(24))),
                               seed=seed * 10007 + i, seconds=SECONDS, sr=(44100, 48000)[i % 2])
            yield song.bpm, f"jazz/{style}", _features(song.audio.mean(axis=1), song.sr)
    else:
        from benchmarks.independent import song_plan
        from benchmarks.independent_synth import render

        for s in song_plan(SONGS, seed=seed):
            song = render(s["style"], bpm=s["bpm"], key=s["key"], seed=s["seed"],
                          seconds=SECONDS, sr=s["sr"])
            yield song.bpm, song.style, _features(song.audio.mean(axis=1), song.sr)


def _load_plan(gen: str, seed: int, cache_dir: str):
    path = os.path.join(cache_dir, f"cache_{gen}_{seed}.npz")
    if not os.path.exists(path):
        os.makedirs(cache_dir, exist_ok=True)
        bpm, style, arrays, fr, pfr = [], [], {}, 0.0, 0.0
        for i, (b, s, fs) in enumerate(_render_plan(gen, seed)):
            bpm.append(b)
            style.append(s)
            arrays[f"b{i}"] = fs.onset_bands
            arrays[f"c{i}"] = fs.chroma
            arrays[f"d{i}"] = fs.bass_chroma
            fr, pfr = fs.frame_rate, fs.pitch_frame_rate
        tmp = path + ".tmp.npz"
        np.savez(tmp, bpm=np.array(bpm), style=np.array(style), fr=fr, pfr=pfr, **arrays)
        os.replace(tmp, path)
    return np.load(path)


def _table_of(bands, fr, chroma, bass, pfr, truth, style, gen, group):
    # the bands the estimator reads: their end tamed as in core.analysis.tempo
    t = candidate_table(tame_end(bands), fr, chroma=chroma, bass_chroma=bass, pitch_rate=pfr)
    if t is None or not t["cands"]:
        return {"X": None, "y": None, "style": style, "bpm": float(truth), "cands": [],
                "gen": gen, "group": group}
    c = np.asarray(t["cands"])
    return {"X": t["features"], "y": tempo_within(c, truth), "style": style,
            "bpm": float(truth), "cands": c, "gen": gen, "group": group}


def song_tables(gen: str, seed: int, *, cache_dir: str) -> list[dict]:
    """Candidate features and labels of each song of a generated plan.

    Returns
    -------
    list of dict
        ``X`` (candidates x features), ``y`` (bool, candidate within 4 % of the truth),
        ``style``, ``bpm`` (truth), ``cands`` (BPM), ``gen`` and ``group``.
    """
    d = _load_plan(gen, seed, cache_dir)
    fr, pfr = float(d["fr"]), float(d["pfr"])
    return [_table_of(d[f"b{i}"], fr, d[f"c{i}"], d[f"d{i}"], pfr, truth,
                      str(d["style"][i]), gen, f"{gen}{seed}")
            for i, truth in enumerate(d["bpm"])]


def more_items(more: str | None) -> list[dict]:
    """Rendered items of the fit-only ``more`` edition, or none when it is not built."""
    if not more or not os.path.exists(os.path.join(more, "manifest.json")):
        return []
    return load("fit", cache=more)


def real_tables(cache: str = CACHE, items: list[dict] | None = None, *,
                gen: str = "real") -> list[dict]:
    """Candidate tables of the ``fit`` split of the realistic set (never the held-out one).

    ``items`` (of a fit-only edition, with ``cache`` its folder) replaces the base set's
    fit split; ``gen`` names the source in the loss weights (:data:`GENERATOR_WEIGHT`).
    """
    out = []
    for it in load("fit", cache=cache) if items is None else items:
        f = cached_features(it["path"], os.path.join(cache, "features"))
        t = _table_of(f.onset_bands, f.frame_rate, f.chroma, f.bass_chroma,
                      f.pitch_frame_rate, it["bpm"], it["style"], gen, it["id"])
        t["subset"], t["font"], t["meter"] = it["subset"], it.get("soundfont"), it.get("meter")
        out.append(t)
    return out


#: Tempo augmentation (``--stretch``): a realistic song whose beat is at least
#: ``STRETCH_FROM`` BPM is also played faster, with probability ``STRETCH_SHARE``, so that its
#: beat lands between ``STRETCH_RANGE`` (and 1.1-1.5 times its own tempo).  The copy is the
#: song's own onset and chroma frames read at a higher frame rate: every feature that reads a
#: duration reads it shortened, the pitch stays.  Copies count as the source ``stretch`` and
#: keep their original's soundfont and edition (``source``), and leave the fit with it.
STRETCH_FROM, STRETCH_SHARE, STRETCH_RANGE = 115.0, 0.35, (160.0, 235.0)


def stretched_tables(cache: str, items: list[dict], *, source: str) -> list[dict]:
    """Faster copies of some of ``items`` (see :data:`STRETCH_SHARE`), as candidate tables."""
    import zlib

    out = []
    for it in items:
        truth = float(it["bpm"])
        lo, hi = max(1.1 * truth, STRETCH_RANGE[0]), min(1.5 * truth, STRETCH_RANGE[1])
        rng = np.random.default_rng(zlib.crc32(f"{source}/{it['id']}".encode()))
        if truth < STRETCH_FROM or lo >= hi or rng.uniform() >= STRETCH_SHARE:
            continue
        rate = rng.uniform(lo, hi) / truth
        out.append(_copy_table(cache, it, source=source, gen="stretch",
                               group=f"{it['id']}x{rate:.2f}", rate=rate))
    return out


def _copy_table(cache: str, it: dict, *, source: str, gen: str, group: str,
                mix: np.ndarray | None = None, rate: float = 1.0) -> dict:
    """The candidate table of a copy of the realistic song ``it`` (features cached in
    ``cache``): its onset bands remixed by ``mix`` (3 x 3), its frames read ``rate`` times
    faster (the truth with them).  The copy keeps the song's subset and soundfont and names
    its edition (``source``)."""
    f = cached_features(it["path"], os.path.join(cache, "features"))
    bands = f.onset_bands if mix is None else mix @ np.asarray(f.onset_bands, dtype=np.float64)
    t = _table_of(bands, f.frame_rate * rate, f.chroma, f.bass_chroma,
                  f.pitch_frame_rate * rate, float(it["bpm"]) * rate, it["style"], gen, group)
    t["subset"], t["font"], t["source"] = it["subset"], it.get("soundfont"), source
    return t


#: Sound augmentation (``--bandmix``): a realistic song is also heard through another mix,
#: with probability ``BANDMIX_SHARE``.  Each onset band of the copy takes its own band at a
#: gain of 1/``BANDMIX_GAIN`` to ``BANDMIX_GAIN`` (log-uniform) plus a share of the others:
#: up to ``BANDMIX_LEAK[0]`` of a neighbouring band and ``BANDMIX_LEAK[1]`` of the far one
#: (uniform).  Another drum kit or another instrument spreads its attacks over the bands
#: differently (a kick with a beater's click in the mid band, a snare's body in the low band,
#: hats that reach down into the mid band); the decision should not depend on how.  The
#: chroma is kept.  Copies count as the source ``bandmix``, keep their original's soundfont
#: and edition (``source``), and leave the fit with it.
BANDMIX_SHARE, BANDMIX_GAIN, BANDMIX_LEAK = 0.5, 2.0, (0.5, 0.15)
#: Sources that are copies of realistic songs (never scored themselves).
AUGMENTED = ("stretch", "bandmix", "accented", "compound")


def band_mix(rng: np.random.Generator) -> np.ndarray:
    """A random (3, 3) matrix that remixes the low, mid and high onset bands (rows: new
    bands), see :data:`BANDMIX_SHARE`."""
    gains = np.exp(rng.uniform(-np.log(BANDMIX_GAIN), np.log(BANDMIX_GAIN), 3))
    mix = np.eye(3)
    for i in range(3):
        for j in range(3):
            if i != j:
                mix[i, j] = rng.uniform(0.0, BANDMIX_LEAK[abs(i - j) - 1])
    return mix * gains[None, :]


def bandmixed_tables(cache: str, items: list[dict], *, source: str) -> list[dict]:
    """Copies of some of ``items`` through another band mix (:func:`band_mix`), as candidate
    tables."""
    import zlib

    out = []
    for it in items:
        rng = np.random.default_rng(zlib.crc32(f"bandmix/{source}/{it['id']}".encode()))
        if rng.uniform() >= BANDMIX_SHARE:
            continue
        out.append(_copy_table(cache, it, source=source, gen="bandmix",
                               group=f"{it['id']}~mix", mix=band_mix(rng)))
    return out


def _rendered_copies(cache: str, items: list[dict], *, source: str, kind: str) -> list[dict]:
    """Candidate tables of the copies of ``items`` rendered into ``cache``/``kind`` (the
    source ``kind``); items without a copy are left out."""
    out = []
    folder = os.path.join(cache, kind)
    for it in items:
        if os.path.isabs(it["file"]):  # the drift probe's files: no copies of its own
            continue
        path = os.path.join(folder, it["file"])
        if os.path.exists(path):
            out.append(_copy_table(folder, dict(it, path=path), source=source, gen=kind,
                                   group=f"{it['id']}~{kind}"))
    return out


def accented_tables(cache: str, items: list[dict], *, source: str) -> list[dict]:
    """Candidate tables of the accented copies of ``items`` that ``python -m
    benchmarks.accents --edition E --render-only`` rendered into ``cache``/accented (the same
    songs with a player's metric accents); items without a copy are left out."""
    return _rendered_copies(cache, items, source=source, kind="accented")


def compound_tables(cache: str, items: list[dict], *, source: str) -> list[dict]:
    """Candidate tables of the copies of ``items`` that ``python -m benchmarks.compound``
    rendered into ``cache``/compound (compound-metre tunes comped in threes); items without
    a copy are left out."""
    return _rendered_copies(cache, items, source=source, kind="compound")


def replaced_by_copies(songs: list[dict], copies: list[dict]) -> list[dict]:
    """``songs`` with each song that has a copy among ``copies`` (:func:`compound_tables`,
    which name the song's edition as their ``source``) replaced by the copy, scored as the
    song's own edition: the edition as it would have been built with the copy's figures."""
    by_song = {(c["source"], c["group"].rsplit("~", 1)[0]): c for c in copies}
    out = []
    for s in songs:
        c = by_song.get((s["gen"], s["group"]))
        if c is None:
            out.append(s)
        else:
            out.append({k: v for k, v in c.items() if k != "source"}
                       | {"gen": s["gen"], "group": s["group"], "meter": s.get("meter")})
    return out


#: Width (octaves) of the kernel :func:`tempo_balance` counts neighbouring tempos with, and
#: the most a song's weight is raised or lowered by it.
BALANCE_WIDTH, BALANCE_CLIP = 0.15, 4.0


def tempo_balance(songs: list[dict], strength: float) -> np.ndarray:
    """Factors on each song's loss weight that even out how the songs spread over tempo.

    A song weighs ``d ** -strength``, ``d`` being how many songs lie near its tempo (a
    Gaussian kernel :data:`BALANCE_WIDTH` octaves wide on log2 of the true tempo), the
    factors scaled to a mean of 1 and kept within 1/:data:`BALANCE_CLIP` to
    :data:`BALANCE_CLIP` of it.  At 1 every tempo weighs about the same, whatever share of
    the material sits there: a decision fitted so learns less of the material's own spread
    of tempos (few songs above 185 BPM) as a prior.  0 gives every song 1.
    """
    if not strength:
        return np.ones(len(songs))
    t = np.log2([s["bpm"] for s in songs])
    d = np.exp(-0.5 * ((t[:, None] - t[None, :]) / BALANCE_WIDTH) ** 2).sum(axis=1)
    raw = d ** -float(strength)
    # The scale at which the clipped factors average 1 (their mean grows with it): clipping
    # and then scaling to a mean of 1 would move factors past the clip again (6.2 for a song
    # alone among forty at another tempo).
    lo, hi = np.log(1.0 / BALANCE_CLIP / raw.max()), np.log(BALANCE_CLIP / raw.min())
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if np.clip(raw * np.exp(mid), 1.0 / BALANCE_CLIP, BALANCE_CLIP).mean() < 1.0:
            lo = mid
        else:
            hi = mid
    return np.clip(raw * np.exp(0.5 * (lo + hi)), 1.0 / BALANCE_CLIP, BALANCE_CLIP)


#: Multiples of the truth an octave credit (:func:`with_octave_credit`) goes to.
OCTAVE_MULTIPLES = (2.0, 0.5, 3.0, 1.0 / 3.0)


def with_octave_credit(songs: list[dict], credit: float) -> list[dict]:
    """Give each song's candidates at x2, x1/2, x3 or x1/3 of its truth (and not within
    4 % of it) a soft label ``credit`` (0-1) in :func:`fit` and :func:`fit_trees` (in
    place; returns ``songs``), so that a decision unsure of the level leans to a whole
    octave or a third off rather than to a fifth (the Acc2 errors)."""
    for s in songs:
        if s["X"] is None:
            continue
        c = np.asarray(s["cands"], dtype=float)
        near = np.zeros(len(c), dtype=bool)
        for f in OCTAVE_MULTIPLES:
            near |= tempo_within(c, s["bpm"], factor=f)
        s["credit"] = credit * (near & ~np.asarray(s["y"], dtype=bool))
    return songs


def fit(songs: list[dict], *, l2, weights: dict | None = None,
        balance: float = 0.0, pinned: dict[int, float] | None = None) -> np.ndarray:
    """Weights of an L2-penalised conditional logit (standardised features, raw scale out).

    Each source (``gen``) weighs ``weights[gen]`` (default :data:`GENERATOR_WEIGHT`) in the
    loss, shared equally by its songs, however many there are, each song's share times its
    :func:`tempo_balance` factor of strength ``balance``.  Songs without a correct
    candidate carry no information and are skipped.  ``l2`` is one penalty for every
    feature or one per feature (standardised units).  ``pinned`` holds some weights (column
    index: raw-scale weight) where they are; the others are fitted around them.
    """
    weights = GENERATOR_WEIGHT if weights is None else weights
    usable = [s for s in songs if s["X"] is not None and s["y"].any()]
    count = {g: sum(s["gen"] == g for s in usable) for g in {s["gen"] for s in usable}}
    sw = np.array([weights[s["gen"]] / count[s["gen"]] for s in usable])
    sw *= tempo_balance(usable, balance)
    sw *= len(usable) / sw.sum()
    allx = np.vstack([s["X"] for s in usable])
    mu, sd = allx.mean(axis=0), allx.std(axis=0)
    sd[sd < 1e-9] = 1.0
    xs = (allx - mu) / sd
    pinned = pinned or {}
    held = np.array(sorted(pinned), dtype=int)
    # the pinned columns' part of the score is fixed: their columns leave the fit
    offset = allx[:, held] @ np.array([pinned[i] for i in held]) if len(held) else 0.0
    xs[:, held] = 0.0
    sizes = np.array([len(s["X"]) for s in usable])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    song = np.repeat(np.arange(len(usable)), sizes)
    # each song's labels spread over its correct candidates (and, with an octave credit,
    # partly over the candidates a whole octave or a third off), times the song's weight
    labels = [s["y"] + s.get("credit", 0.0) for s in usable]
    ky = np.concatenate([lab / lab.sum() for lab in labels]) * sw[song]
    kk = sw[song]
    n = len(usable)

    def loss(w):
        z = xs @ w + offset
        z = z - np.maximum.reduceat(z, starts)[song]
        e = np.exp(z)
        tot = np.add.reduceat(e, starts)
        logp = z - np.log(tot)[song]
        p = e / tot[song]
        total = -float(ky @ logp)
        grad = -(xs.T @ (ky - kk * p))
        return total / n + float(pen @ (w * w)), grad / n + 2 * pen * w

    pen = np.broadcast_to(np.asarray(l2, dtype=float), (allx.shape[1],))

    w0 = np.zeros(allx.shape[1])
    res = scipy.optimize.minimize(loss, w0, jac=True, method="L-BFGS-B",
                                  options={"maxiter": 2000})
    out = res.x / sd  # the mean shift is constant within a song and cancels
    out[held] = [pinned[i] for i in held]
    return out


#: Boosting of the decision's trees (:func:`fit_trees`): rounds, learning rate, leaves per
#: tree and L2 penalty on the leaf values.
TREE_ROUNDS, TREE_RATE, TREE_LEAVES, TREE_L2 = 300, 0.05, 15, 1.0


def fit_trees(songs: list[dict], *, rounds: int = TREE_ROUNDS, balance: float = 0.0,
              others_weight: float = 1.0) -> dict:
    """Gradient-boosted trees over the candidates' :func:`core.analysis.tempo.tree_inputs`,
    in the JSON form ``core/analysis/tempo_trees.json`` keeps.

    Every candidate is one example, labelled by whether it is within 4 % of the truth; each
    song weighs the same, shared by its candidates.  The trees are fitted on their own, not
    on what the linear term leaves over: the decision takes a weighted mean of the two scores
    (:data:`core.analysis.tempo.TREE_SHARE`), two views of the same evidence.  Songs without
    a correct candidate are skipped.  ``rounds``: boosting rounds (trees); ``balance``: the
    strength of :func:`tempo_balance` on each song's weight.  Deterministic.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    from core.analysis.trees import tree_from_sklearn

    usable = [s for s in songs if s["X"] is not None and s["y"].any()]
    x = np.vstack([tree_inputs(s["X"]) for s in usable])
    y = np.concatenate([s["y"] for s in usable])
    w = np.concatenate([np.full(len(s["y"]), f / len(s["y"])
                                * (others_weight if s["gen"] == "midisongs" else 1.0))
                        for s, f in zip(usable, tempo_balance(usable, balance), strict=True)])
    credit = np.concatenate([np.broadcast_to(s.get("credit", 0.0), len(s["y"]))
                             for s in usable])
    if credit.any():  # a credited candidate: positive at its credit, negative at the rest
        more = credit > 0
        x = np.vstack([x, x[more]])
        y = np.concatenate([y, np.ones(int(more.sum()), dtype=bool)])
        w = np.concatenate([np.where(more, w * (1 - credit), w), w[more] * credit[more]])
    model = HistGradientBoostingClassifier(
        max_iter=rounds, learning_rate=TREE_RATE, max_leaf_nodes=TREE_LEAVES,
        l2_regularization=TREE_L2, early_stopping=False, random_state=0)
    with threadpool_limits(1):  # OpenMP threads on a busy machine cost ten times the time
        model.fit(x, y, sample_weight=w)
    return {"features": list(FEATURE_NAMES),
            "baseline": float(np.ravel(model._baseline_prediction)[0]),
            "trees": [tree_from_sklearn(p[0]).to_dict() for p in model._predictors]}


#: The touched held-out material (every edition measured at least once), by source name:
#: the base set's ``heldout`` split and the ``fresh``, ``unseen``, ``fourth``, ``fifth`` and
#: ``sixth`` editions.  Read only with ``--wide`` or ``--loeo``.
TOUCHED = ("heldout", "fresh", "unseen", "fourth", "fifth", "sixth")
#: Realistic sources of the wide material besides the touched editions.
FIT_ONLY = ("real", "more", "grooves2", "drift", "midisongs", "draws")
#: Generated sources (their songs name no soundfont).
GENERATED = ("orig", "ind", "click", "jazz") + AUGMENTED


def _touched_items(base: str) -> list[tuple[str, str, list[dict]]]:
    """(edition, folder, items) of each touched held-out edition; ``base`` is the base set's
    folder (its ``heldout`` split).  Raises FileNotFoundError when one is not built."""
    out = []
    for name in TOUCHED:
        cache = heldout_folder(name, base)
        items = load("heldout", cache=cache)
        if not items:
            raise FileNotFoundError(f"the {name!r} material is not built in {cache}")
        out.append((name, cache, items))
    return out


def _drift_items() -> tuple[str, list[dict]]:
    """(folder, items) of the drift probe; raises FileNotFoundError when files are missing."""
    from benchmarks.drift import OUT, probe_items

    items = [dict(it, path=it["file"]) for it in probe_items()]
    missing = [it["path"] for it in items if not os.path.exists(it["path"])]
    if missing:
        raise FileNotFoundError(f"{len(missing)} drift probe files are missing: "
                                "python -m benchmarks.drift")
    return OUT, items


def touched_tables(base: str = CACHE) -> list[dict]:
    """Candidate tables of the touched held-out editions (``gen`` names the edition).

    ``base`` is the folder of the base set (its ``heldout`` split).  Features are cached in
    each edition's folder (``features/``), as the fit split's are.
    """
    return [t for name, cache, items in _touched_items(base)
            for t in real_tables(cache, items, gen=name)]


def draw_tables(folders) -> list[dict]:
    """Candidate tables of the rendered files of each draw in ``folders`` (source ``draws``).
    Raises FileNotFoundError when a folder holds no draw."""
    return [t for folder in folders
            for t in real_tables(folder, load_draw(folder), gen="draws")]


def drift_tables() -> list[dict]:
    """Candidate tables of the drift probe's files (fit-split tunes, steady and swaying)."""
    folder, items = _drift_items()
    return real_tables(folder, items, gen="drift")


def augmented_wide(copies, base: str = CACHE, more: str = MORE,
                   grooves2: str = GROOVES2) -> list[dict]:
    """Copies (``copies``: :func:`stretched_tables` or :func:`bandmixed_tables`) of the wide
    material's realistic songs: the base set's fit split, the ``more`` and ``grooves2``
    editions (their folders), the touched editions and the drift probe."""
    out = copies(base, load("fit", cache=base), source="real")
    for name, folder in (("more", more), ("grooves2", grooves2)):
        out += copies(folder, more_items(folder), source=name)
    for name, folder, items in _touched_items(base):
        out += copies(folder, items, source=name)
    folder, items = _drift_items()
    return out + copies(folder, items, source="drift")


def wide_weights(songs: list[dict], *, scheme: str = "files",
                 generated_scale: float = 1.0) -> dict:
    """Loss weight of each source of the wide material.

    The realistic sources (fit split, ``more``, ``grooves2``, the drift probe and the touched
    editions) share ``3 x`` (their songs / the fit split's and ``more``'s songs): the fit
    split's songs keep their weight in the default fit.  ``scheme="files"`` spreads it by
    song count (every realistic song weighs the same); ``"editions"`` gives each source an
    equal share.  The generated sources keep :data:`GENERATOR_WEIGHT` times
    ``generated_scale``.
    """
    count = {g: sum(s["gen"] == g for s in songs) for g in {s["gen"] for s in songs}}
    realistic = [g for g in FIT_ONLY + TOUCHED if count.get(g)]
    base = count.get("real", 0) + count.get("more", 0)
    total = GENERATOR_WEIGHT["real"] * sum(count[g] for g in realistic) / max(base, 1)
    if scheme == "files":
        out = {g: total * count[g] / sum(count[g] for g in realistic) for g in realistic}
    elif scheme == "editions":
        out = {g: total / len(realistic) for g in realistic}
    else:
        raise ValueError(f"unknown weighting scheme {scheme!r}")
    out.update({g: GENERATOR_WEIGHT[g] * generated_scale for g in GENERATED})
    return out


def scorer(w: np.ndarray, trees: dict | None = None, share: float = TREE_SHARE,
           top: float = TREES_TOP_BPM):
    """The decision's score of a candidate table: linear weights ``w``, or with ``trees``
    (their JSON form, :func:`fit_trees`) the two blended as the analyzer blends them, the
    trees weighing ``share`` and abstaining on the octave above ``top`` BPM."""
    if trees is None:
        return lambda x: x @ w
    model = trees_from_json(trees)
    return lambda x: decision_scores(x, w, model, share, top)


def _hits(songs: list[dict], w) -> tuple[np.ndarray, np.ndarray]:
    """(Acc1, Acc2) hit of each song's best-scored candidate (no table: both missed).

    ``w`` is linear weights or a :func:`scorer`.  Acc1 is the candidate's label (as
    :func:`accuracy` scores), Acc2 also accepts x2, x1/2, x3 and x1/3 the truth.
    """
    score = w if callable(w) else scorer(w)
    h1, h2 = np.zeros(len(songs), bool), np.zeros(len(songs), bool)
    for i, s in enumerate(songs):
        if s["X"] is not None:
            best = int(np.argmax(score(s["X"])))
            h1[i] = bool(s["y"][best])
            h2[i] = tempo_hits(float(s["cands"][best]), s["bpm"])[1]
    return h1, h2


def _score_line(label: str, songs: list[dict], w: np.ndarray, ref: np.ndarray) -> dict:
    """Print one row (refit, current weights in brackets) and return the figures."""
    a1, a2 = _hits(songs, w)
    b1, b2 = _hits(songs, ref)
    out = {"all": (a1.mean(), a2.mean(), b1.mean(), b2.mean(), len(songs))}
    cells = [f"all {a1.mean():.3f} / {a2.mean():.3f} ({b1.mean():.3f} / {b2.mean():.3f})"]
    for sub in SUBSETS:
        m = np.array([s["subset"] == sub for s in songs])
        if m.any():
            out[sub] = (a1[m].mean(), a2[m].mean(), b1[m].mean(), b2[m].mean(), int(m.sum()))
            cells.append(f"{sub} {m.sum()} {a1[m].mean():.3f} / {a2[m].mean():.3f} "
                         f"({b1[m].mean():.3f} / {b2[m].mean():.3f})")
    print(f"  {label:<10} {len(songs):3d} songs  " + ", ".join(cells))
    return out


def edition_folds(songs: list[dict]):
    """(edition, training songs, test songs) for each touched edition (:data:`TOUCHED`) with
    songs among ``songs``: the test songs are the edition's, the training songs all others
    but the edition's copies (augmented sources name it as their ``source``)."""
    for name in TOUCHED:
        test = [s for s in songs if s["gen"] == name]
        if test:
            yield name, [s for s in songs if name not in (s["gen"], s.get("source"))], test


def leave_one_edition_out(songs: list[dict], *, l2, scheme: str = "files",
                          generated_scale: float = 1.0, reference=None,
                          fonts: bool = True, trees: bool = False,
                          shares: tuple[float, ...] = (),
                          tops: tuple[float, ...] = (), rounds: int = TREE_ROUNDS,
                          balance: float = 0.0, test_songs: list[dict] | None = None) -> dict:
    """Score each touched edition by a model fitted on all the other material.

    For each source of :data:`TOUCHED` in ``songs``: fitted on every other song of
    ``songs`` (loss weights from :func:`wide_weights`), scored on that source; then the
    TiMidity++ renders (soundfont ``freepats``) by a model fitted without any, and with
    ``fonts`` each soundfont's songs by a model fitted without that soundfont.  With
    ``trees`` each refit also fits the decision's trees (:func:`fit_trees`, ``rounds`` of
    them) and scores the blend of the two
    (:data:`core.analysis.tempo.TREE_SHARE`); with ``shares`` too, each edition left out is
    also scored with each of those trees' shares (0: the linear term alone), and with
    ``tops`` with each of those tempos above which the trees abstain on the octave
    (:data:`core.analysis.tempo.TREES_TOP_BPM`; ``inf``: never).  Printed
    per subset: candidate-level Acc1 / Acc2 of the refit and, in brackets, of ``reference``
    (weights or a :func:`scorer`; default: the current decision,
    :func:`core.analysis.tempo.decision_scores`).  With ``test_songs`` each edition left
    out is scored on its songs among those instead (see ``--compound-replace``), and the
    engine and soundfont folds are skipped.  Returns the edition rows
    (``{edition: {subset: (acc1, acc2, ref acc1, ref acc2, songs)}}``).
    """
    if reference is None:
        reference = decision_scores

    def refit(train, test=(), sweep=None):
        w = fit(train, l2=l2, weights=wide_weights(train, scheme=scheme,
                                                   generated_scale=generated_scale),
                balance=balance)
        t = fit_trees(train, rounds=rounds, balance=balance) if trees else None
        if sweep is not None and t is not None:
            for share in shares:
                sweep.setdefault(("trees' share", share), []).append(
                    [h.mean() for h in _hits(test, scorer(w, t, share))])
            for top in tops:
                sweep.setdefault(("trees' top BPM", top), []).append(
                    [h.mean() for h in _hits(test, scorer(w, t, TREE_SHARE, top))])
        return scorer(w, t)

    print(f"leave one edition out (L2 {l2}, sources weighted by {scheme}, generated x"
          f"{generated_scale}{f', with {rounds} trees' if trees else ''}): Acc1 / Acc2 of a refit "
          "without the edition (the current decision); touched editions, fit-time validation")
    rows, sweep = {}, {}
    for name, train, test in edition_folds(songs):
        if test_songs is not None:
            test = [s for s in test_songs if s["gen"] == name]
        rows[name] = _score_line(name, test, refit(train, test, sweep), reference)
    for (what, value), figures in sweep.items():
        print(f"  {what} {value:.2f}: " + ", ".join(
            f"{name} {a1:.3f} / {a2:.3f}" for name, (a1, a2) in zip(rows, figures, strict=True))
            + f"; mean {np.mean([f[0] for f in figures]):.3f} / "
              f"{np.mean([f[1] for f in figures]):.3f}")
    if rows:
        for k, label in ((0, "Acc1"), (1, "Acc2")):
            print(f"  mean over {len(rows)} editions {label} "
                  f"{np.mean([r['all'][k] for r in rows.values()]):.3f} "
                  f"({np.mean([r['all'][k + 2] for r in rows.values()]):.3f}); pooled per subset: "
                  + ", ".join(f"{sub} {_pooled(rows, sub, k):.3f} ({_pooled(rows, sub, k + 2):.3f})"
                              for sub in SUBSETS))
    if test_songs is not None:
        return rows
    tim = [s for s in songs if s.get("font") == "freepats" and s["gen"] not in AUGMENTED]
    if tim:
        print("leave the TiMidity++ engine out (fitted without any freepats render):")
        _score_line("timidity", tim, refit([s for s in songs if s.get("font") != "freepats"]),
                    reference)
    if fonts:
        print("leave one soundfont out (fitted without the soundfont's renders; the current "
              "weights were fitted on fluidr3 and opl3):")
        for font in sorted({s["font"] for s in songs if s.get("font")} - {"freepats"}):
            _score_line(font, [s for s in songs if s.get("font") == font
                               and s["gen"] not in AUGMENTED],
                        refit([s for s in songs if s.get("font") != font]), reference)
    return rows


def midisong_tables() -> list[dict]:
    """Candidate tables of the MIDI songs of :mod:`benchmarks.midisongs` (games' soundtracks,
    their composers' notated tempo; rendered when missing), source ``midisongs``; each
    table's ``subset`` is the song's game (``freedoom``, ``openmsx``, ``blupi``)."""
    from benchmarks.midisongs import _CACHE
    from benchmarks.tempo_report import songs_by_others

    out = []
    for song in songs_by_others("midisongs"):
        f = cached_features(song["path"], os.path.join(_CACHE, "features"))
        t = _table_of(f.onset_bands, f.frame_rate, f.chroma, f.bass_chroma,
                      f.pitch_frame_rate, song["bpm"], "song", "midisongs", song["id"])
        t["subset"], t["font"] = song["id"].split("/")[0], None
        out.append(t)
    return out


#: Folder of the next sources' renders and played modules (``benchmarks/results/
#: next_sources.txt``: ``midisongs/`` and ``modules/``, made by the two benchmarks' ``--cache``).
NEXT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "songcal-next")
#: The next sources as that run named them: MIDI collections of :mod:`benchmarks.midisongs`
#: (MMA's example songs and a song on each groove of each of its libraries among them) and
#: games of :mod:`benchmarks.modules`.
NEXT_MIDI = ("pianobooster", "playmidi", "faust-stk", "synth-examples", "mma-examples",
             "mma-stdlib", "mma-casio", "mma-yamaha", "mma-zoom", "mma-kara", "mma-pflib",
             "mma-alexis")
NEXT_MODULES = ("clanlib", "frozen-bubble", "gambas3", "plib", "sdlbasic", "sludge")


def next_tables(cache: str = NEXT_CACHE) -> list[dict]:
    """Candidate tables of the next sources' songs (rendered or played when missing), source
    ``midisongs``.  A table's ``subset`` is its collection, except that every song MMA plays
    (its example songs and the library grooves, which share the grooves and the sound) is
    ``mma`` and the modules are ``modules``: what leaves the fit together."""
    from benchmarks import midisongs, modules

    out = []
    folder = os.path.join(cache, "midisongs")
    os.makedirs(folder, exist_ok=True)
    found = [(s, midisongs.render(s, i, folder, 180.0))
             for i, s in enumerate(midisongs.find_songs(180.0, only=list(NEXT_MIDI)))]
    subset = {s["id"]: "mma" if s["collection"].startswith("mma-") else s["collection"]
              for s, _ in found}
    if modules._library() is not None:
        played = os.path.join(cache, "modules")
        os.makedirs(played, exist_ok=True)
        for s in modules.find_modules(played, 180.0, only=list(NEXT_MODULES)):
            found.append((s, s["path"]))
            subset[s["id"]] = "modules"
    for song, path in found:
        f = cached_features(path, os.path.join(os.path.dirname(path), "features"))
        t = _table_of(f.onset_bands, f.frame_rate, f.chroma, f.bass_chroma,
                      f.pitch_frame_rate, song["bpm"], "song", "midisongs", song["id"])
        t["subset"], t["font"] = subset[song["id"]], None
        out.append(t)
    return out


def leave_one_game_out(songs: list[dict], midi: list[dict], *, l2, trees: bool = True,
                       reference=None, rounds: int = TREE_ROUNDS,
                       others_weight: float = 1.0) -> dict:
    """Whether songs composed by other people teach the decision what carries over to other
    such songs: each game's MIDI songs (``midi``, :func:`midisong_tables`) scored by a model
    fitted on ``songs`` (the wide material) plus the other games' songs, beside a model
    fitted on ``songs`` alone and ``reference`` (default: the current decision).  Printed
    per game and over all: Acc1 / Acc2 of each; returned as ``{game: {"with": (acc1,
    acc2), "alone": ..., "now": ...}}``."""
    if reference is None:
        reference = decision_scores

    def refit(train):
        weights = wide_weights(train)
        if "midisongs" in weights:
            weights["midisongs"] *= others_weight
        w = fit(train, l2=l2, weights=weights)
        return scorer(w, fit_trees(train, rounds=rounds, others_weight=others_weight)
                      if trees else None)

    alone = refit(songs)
    print("leave one game out (MIDI songs by other composers; fitted on the wide material plus "
          "the other games' songs): Acc1 / Acc2 with them, without any MIDI song, the current "
          "decision")
    total = {k: [] for k in ("with", "alone", "now")}
    rows = {}
    for game in sorted({t["subset"] for t in midi}):
        test = [t for t in midi if t["subset"] == game]
        with_others = refit(songs + [t for t in midi if t["subset"] != game])
        cells, rows[game] = [], {}
        for key, score in (("with", with_others), ("alone", alone), ("now", reference)):
            a1, a2 = _hits(test, score)
            total[key].append((a1, a2))
            rows[game][key] = (a1.mean(), a2.mean())
            cells.append(f"{a1.mean():.3f} / {a2.mean():.3f}")
        print(f"  {game:<10} {len(test):3d} songs  " + "  |  ".join(cells))
    cells, rows["all"] = [], {}
    for key in ("with", "alone", "now"):
        a1 = np.concatenate([a for a, _ in total[key]])
        a2 = np.concatenate([b for _, b in total[key]])
        rows["all"][key] = (a1.mean(), a2.mean())
        cells.append(f"{a1.mean():.3f} / {a2.mean():.3f}")
    print(f"  {'all':<10} {len(midi):3d} songs  " + "  |  ".join(cells))
    return rows


def _numbers(text: str, valid, requirement: str) -> tuple[float, ...]:
    """Comma-separated numbers of an option, each of which ``valid`` accepts; else an
    argparse error that states the ``requirement``."""
    try:
        out = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not all(valid(v) for v in out):
        raise argparse.ArgumentTypeError(f"{requirement}, got {text!r}")
    return out


def _shares(text: str) -> tuple[float, ...]:
    """The trees' shares of ``--shares``: comma-separated numbers from 0 to 1."""
    return _numbers(text, lambda v: 0.0 <= v <= 1.0, "shares must be from 0 to 1")


def _tops(text: str) -> tuple[float, ...]:
    """The trees' top tempos of ``--tops``: comma-separated BPM above 40 (``inf``: never)."""
    return _numbers(text, lambda v: v > 40.0, "top tempos must be above 40 BPM")


def _pooled(rows: dict, sub: str, k: int) -> float:
    """Share of hits of subset ``sub`` over every edition's songs (column ``k``)."""
    cells = [r[sub] for r in rows.values() if sub in r]
    return float(sum(c[k] * c[4] for c in cells) / max(sum(c[4] for c in cells), 1))


def accuracy(songs: list[dict], w: np.ndarray) -> float:
    """Share of songs whose best-scored candidate is within 4 % of the truth."""
    hits = [bool(s["y"][int(np.argmax(s["X"] @ w))]) if s["X"] is not None else False
            for s in songs]
    return float(np.mean(hits))


def _failures(songs: list[dict], w: np.ndarray) -> str:
    out = []
    for s in songs:
        if s["X"] is None:
            out.append(f"{s['style']} {s['bpm']:.0f}->None")
        elif not s["y"][int(np.argmax(s["X"] @ w))]:
            out.append(f"{s['style']} {s['bpm']:.0f}->{s['cands'][int(np.argmax(s['X'] @ w))]:.0f}")
    return ", ".join(out)


def _by_subset(songs: list[dict], hits) -> str:
    return ", ".join(f"{sub} {np.mean([h for h, s in zip(hits, songs, strict=True) if s['subset'] == sub]):.3f}"
                     for sub in sorted({s["subset"] for s in songs}))


def generalisation(real: list[dict], more: list[dict], generated: list[dict], *, l2) -> None:
    """Print how the decision carries over to other pieces and to another soundfont.

    Fit-only material throughout: the model is trained on the fit split and the generated
    songs and scored on the fit-only ``more`` edition (other pieces, the same soundfonts);
    then trained on one soundfont's fit-split songs (plus the generated ones) and scored on
    the other soundfont's songs of the fit split and of the ``more`` edition.  Songs of
    ``generated`` that name a soundfont (``font``: a fit-only edition's songs added to the
    training set) are left out of the training set of their own soundfont.
    """
    def hits(songs, w):
        return [s["X"] is not None and bool(s["y"][int(np.argmax(s["X"] @ w))]) for s in songs]

    if more:
        h = hits(more, fit(real + generated, l2=l2))
        print(f"trained on the fit split, scored on the 'more' edition ({len(more)} songs): "
              f"Acc1 {np.mean(h):.3f} ({_by_subset(more, h)})")
    fonts = sorted({s["font"] for s in real})
    h_all, tested = [], []
    for font in fonts:
        w = fit([s for s in real + generated if s.get("font") != font], l2=l2)
        test = [s for s in real + more if s["font"] == font]
        h_all += hits(test, w)
        tested += test
    print(f"trained on one soundfont, scored on the other ({' / '.join(fonts)}; fit split and "
          f"'more'): Acc1 {np.mean(h_all):.3f} ({_by_subset(tested, h_all)})")


def leave_one_groove_out(base: list[dict], grooves: list[dict], *, l2) -> float:
    """Print the Acc1 on each groove of ``grooves`` of a model fitted without that groove.

    ``base`` (fit split, generated songs, ...) is in every training set; each groove
    (``style``; ``"none"`` is the drumless songs) of ``grooves`` is left out in turn and
    scored.  Beside it: the Acc1 of a model fitted on ``base`` alone.  Returns the overall
    leave-one-groove-out Acc1.
    """
    def hits(songs, w):
        return [s["X"] is not None and bool(s["y"][int(np.argmax(s["X"] @ w))]) for s in songs]

    w_base = fit(base, l2=l2)
    h_out, h_base = [], []
    print(f"leave one groove out of the 'grooves2' edition ({len(grooves)} songs): Acc1 of a "
          "model fitted without the groove (without the whole edition)")
    for g in sorted({s["style"] for s in grooves}):
        test = [s for s in grooves if s["style"] == g]
        w = fit(base + [s for s in grooves if s["style"] != g], l2=l2)
        a, b = hits(test, w), hits(test, w_base)
        h_out += a
        h_base += b
        print(f"  {g:<16} {len(test):3d} songs  Acc1 {np.mean(a):.3f} ({np.mean(b):.3f})  "
              f"misses: {_failures(test, w) or '-'}")
    print(f"  overall {np.mean(h_out):.3f} ({np.mean(h_base):.3f})")
    return float(np.mean(h_out))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=CACHE)
    ap.add_argument("--l2", type=float, default=L2, help="L2 penalty (standardised units)")
    ap.add_argument("--quiet", action="store_true", help="do not list the failed songs")
    ap.add_argument("--with-more", action="store_true",
                    help="also fit on the fit-only 'more' edition (in every training fold)")
    ap.add_argument("--more", default=MORE, help="folder of the 'more' edition")
    ap.add_argument("--generalise", action="store_true",
                    help="also score the model on the 'more' edition and across soundfonts "
                         "(trained without those songs)")
    ap.add_argument("--with-grooves2", action="store_true",
                    help="also fit on the fit-only 'grooves2' edition (in every training fold)")
    ap.add_argument("--grooves2", default=GROOVES2, help="folder of the 'grooves2' edition")
    ap.add_argument("--logo", action="store_true",
                    help="leave each groove of the 'grooves2' edition out in turn and score it")
    ap.add_argument("--wide", action="store_true",
                    help="fit on the wide material: 'more', 'grooves2', the drift probe and the "
                         "touched held-out editions beside the fit split and generated songs")
    ap.add_argument("--loeo", action="store_true",
                    help="leave each touched edition (then the TiMidity++ renders, then each "
                         "soundfont) out of the wide material in turn and score it")
    ap.add_argument("--octave-credit", type=float, default=0.0, metavar="C",
                    help="soft label C (0-1) for the candidates a whole octave or a third "
                         "off the truth (with_octave_credit)")
    ap.add_argument("--weighting", choices=("files", "editions"), default="files",
                    help="wide material: realistic sources weighted by song count or equally")
    ap.add_argument("--generated-scale", type=float, default=1.0,
                    help="wide material: factor on the generated sources' loss weights")
    ap.add_argument("--stretch", action="store_true",
                    help="wide material: also fit on faster copies of some realistic songs "
                         "(tempo augmentation, see STRETCH_SHARE)")
    ap.add_argument("--bandmix", action="store_true",
                    help="wide material: also fit on copies of some realistic songs through "
                         "another mix of the onset bands (sound augmentation, see "
                         "BANDMIX_SHARE)")
    ap.add_argument("--accented", action="store_true",
                    help="wide material: also fit on the accented copies that python -m "
                         "benchmarks.accents --render-only rendered (metric accents)")
    ap.add_argument("--compound-replace", choices=("fit", "reference"),
                    help="the compound-metre copies (python -m benchmarks.compound) replace "
                         "their originals in the editions left out; 'fit': in the material "
                         "fitted on too, 'reference': the material as built (--loeo only)")
    ap.add_argument("--compound", action="store_true",
                    help="wide material: also fit on the copies of compound-metre tunes comped "
                         "in threes that python -m benchmarks.compound rendered")
    ap.add_argument("--draws", nargs="+", default=(), metavar="DIR",
                    help="(with --wide) fit on these draws too (benchmarks.evalset --draw)")
    ap.add_argument("--by-game", action="store_true",
                    help="with --wide: score each game's MIDI songs (benchmarks.midisongs) by a "
                         "model also fitted on the other games' songs")
    ap.add_argument("--with-next", action="store_true",
                    help="with --by-game: the next sources' songs (NEXT_MIDI, NEXT_MODULES) "
                         "join the MIDI songs, each collection scored and fitted as a game")
    ap.add_argument("--jazz", type=int, default=0, metavar="N",
                    help="also fit on N plans of generated jazz grooves (JAZZ_SONGS songs "
                         "each: benchmarks.independent_synth.render_jazz)")
    ap.add_argument("--jazz-weight", type=float, default=GENERATOR_WEIGHT["jazz"],
                    help="with --jazz: the jazz grooves' share of the loss")
    ap.add_argument("--others-weight", type=float, default=1.0,
                    help="with --by-game: factor on the loss weight of the songs by other "
                         "people that a fold fits on")
    ap.add_argument("--trees", action="store_true",
                    help="with --loeo: score the weights plus trees; with --wide: also fit "
                         f"the decision's trees on the wide material and write {TREES_PATH}")
    ap.add_argument("--tempo-balance", type=float, default=0.0, metavar="S",
                    help="even out the material's spread over tempo in the loss: each song "
                         "weighs (songs near its tempo) ** -S (0: off; see tempo_balance)")
    ap.add_argument("--tree-rounds", type=int, default=TREE_ROUNDS,
                    help="with --trees: boosting rounds (trees) of every trees fit "
                         "(default: %(default)s)")
    ap.add_argument("--shares", type=_shares, default=(),
                    help="with --loeo --trees: also score each edition left out with these "
                         "trees' shares of the decision, e.g. 0,0.3,0.5,0.7,1")
    ap.add_argument("--tops", type=_tops, default=(),
                    help="with --loeo --trees: also score each edition left out with the "
                         "trees abstaining on the octave above each of these tempos, e.g. "
                         f"180,{TREES_TOP_BPM:.0f},190,200,inf")
    args = ap.parse_args(argv)
    if not args.l2 >= 0:
        ap.error(f"--l2 must be >= 0, got {args.l2}")
    if not args.generated_scale >= 0:
        ap.error(f"--generated-scale must be >= 0, got {args.generated_scale}")
    if args.trees and not (args.wide or args.loeo):
        ap.error("--trees needs --wide or --loeo")
    if args.tree_rounds < 1:
        ap.error(f"--tree-rounds must be at least 1, got {args.tree_rounds}")
    if (args.shares or args.tops) and not (args.trees and args.loeo):
        ap.error("--shares and --tops need --loeo --trees")
    if args.generalise and args.with_more:
        ap.error("--generalise scores on the 'more' edition: it cannot also be fitted on")
    wide = args.wide or args.loeo
    if (args.stretch or args.bandmix or args.accented or args.compound
            or args.compound_replace) and not wide:
        ap.error("--stretch, --bandmix, --accented, --compound and --compound-replace need "
                 "--wide or --loeo")
    if not 0.0 <= args.octave_credit < 1.0:
        ap.error(f"--octave-credit must be from 0 to under 1, got {args.octave_credit}")
    if args.compound_replace and args.compound:
        ap.error("--compound adds the copies and --compound-replace puts them in place: one "
                 "or the other")
    if args.compound_replace == "reference" and not args.loeo:
        ap.error("--compound-replace reference needs --loeo")
    if args.draws and not args.wide:
        ap.error("--draws needs --wide")
    if args.by_game and not args.wide:
        ap.error("--by-game needs --wide")
    if args.with_next and not args.by_game:
        ap.error("--with-next needs --by-game")
    if wide and (args.generalise or args.logo or args.with_more or args.with_grooves2):
        ap.error("--wide and --loeo already fit on 'more' and 'grooves2': not with "
                 "--generalise, --logo, --with-more or --with-grooves2")
    real = real_tables(args.cache)
    more = [] if not (args.with_more or wide) else real_tables(
        args.more, more_items(args.more), gen="more" if wide else "real")
    grooves = [] if not (args.with_grooves2 or args.logo or wide) else real_tables(
        args.grooves2, more_items(args.grooves2), gen="grooves2")
    if (args.with_grooves2 or args.logo or wide) and not grooves:
        ap.error(f"the 'grooves2' edition is not built in {args.grooves2}: "
                 "python -m benchmarks.evalset --edition grooves2")
    gen_dir = os.path.join(args.cache, "generated")
    if args.jazz < 0 or not args.jazz_weight >= 0:
        ap.error("--jazz and --jazz-weight must be >= 0")
    if args.jazz:
        GENERATOR_WEIGHT["jazz"] = args.jazz_weight  # read by fit() and wide_weights()
    plans = GENERATED_PLANS + tuple(("jazz", k) for k in range(1, args.jazz + 1))
    generated = [s for p in plans for s in song_tables(*p, cache_dir=gen_dir)]
    touched = []
    if wide:
        try:
            touched = touched_tables(args.cache) + drift_tables()
            if args.draws:
                touched += draw_tables(args.draws)
        except FileNotFoundError as e:
            ap.error(str(e))
    for wanted, copies in ((args.stretch, stretched_tables), (args.bandmix, bandmixed_tables),
                           (args.accented, accented_tables),
                           (args.compound, compound_tables)):
        if wanted:
            try:
                touched += augmented_wide(copies, args.cache, args.more, args.grooves2)
            except FileNotFoundError as e:
                ap.error(str(e))
    if args.compound_replace:
        copies = augmented_wide(compound_tables, args.cache, args.more, args.grooves2)
        replaced = (replaced_by_copies(real, copies), replaced_by_copies(more, copies),
                    replaced_by_copies(touched, copies))
        moved = sum(a is not b for a, b in zip(real + more + touched, sum(replaced, []),
                                                strict=True))
        print(f"compound-metre copies replace {moved} songs ({args.compound_replace})")
        if args.compound_replace == "reference":
            leave_one_edition_out(real + more + grooves + generated + touched, l2=args.l2,
                                  scheme=args.weighting, generated_scale=args.generated_scale,
                                  trees=args.trees, rounds=args.tree_rounds,
                                  test_songs=replaced[2])
            return 0
        real, more, touched = replaced
    if args.octave_credit:
        with_octave_credit(real + more + grooves + generated + touched, args.octave_credit)
    if args.by_game:
        others = midisong_tables() + (next_tables() if args.with_next else [])
        leave_one_game_out(real + more + grooves + generated + touched, others,
                           l2=args.l2, trees=args.trees, rounds=args.tree_rounds,
                           others_weight=args.others_weight)
        return 0
    fitted_more = more if (args.with_more or args.wide) else []
    fitted_grooves = grooves if (args.with_grooves2 or args.wide) else []
    always = fitted_more + fitted_grooves + generated + (touched if args.wide else [])
    print(f"fit split of the realistic set: {len(real)} songs; 'more' edition: {len(fitted_more)}; "
          f"'grooves2' edition: {len(fitted_grooves)}; generated: {len(generated)}"
          + (f"; touched editions and drift probe: {len(touched)} (fitted on)" if args.wide
             else ""))

    def weights_of(train):
        if not args.wide:
            return None
        return wide_weights(train, scheme=args.weighting, generated_scale=args.generated_scale)

    folds = 5
    hits = np.zeros(len(real), dtype=bool)
    for k in range(folds):
        test = [i for i in range(len(real)) if i % folds == k]
        train = [s for i, s in enumerate(real) if i % folds != k] + [
            s for s in always if s.get("source") != "real"]  # no copy of a test song
        w = fit(train, l2=args.l2, weights=weights_of(train))
        for i in test:
            s = real[i]
            hits[i] = s["X"] is not None and bool(s["y"][int(np.argmax(s["X"] @ w))])
    print(f"5-fold cross-validation on the fit split (by piece): Acc1 {hits.mean():.3f}")
    for sub in sorted({s["subset"] for s in real}):
        m = [hits[i] for i, s in enumerate(real) if s["subset"] == sub]
        print(f"  {sub:<10} {len(m):3d} songs  Acc1 {np.mean(m):.3f}")
    if args.generalise:
        generalisation(real, real_tables(args.more, more_items(args.more)),
                       fitted_grooves + generated, l2=args.l2)
    if args.logo:
        leave_one_groove_out(real + more + generated, grooves, l2=args.l2)
    if args.loeo:
        leave_one_edition_out(real + more + grooves + generated + touched, l2=args.l2,
                              scheme=args.weighting, generated_scale=args.generated_scale,
                              trees=args.trees, shares=args.shares, tops=args.tops,
                              rounds=args.tree_rounds, balance=args.tempo_balance)
    w = fit(real + always, l2=args.l2, weights=weights_of(real + always),
            balance=args.tempo_balance)
    print(f"in-sample Acc1: fit split {accuracy(real, w):.3f}  'more' "
          f"{accuracy(fitted_more, w) if fitted_more else float('nan'):.3f}  'grooves2' "
          f"{accuracy(fitted_grooves, w) if fitted_grooves else float('nan'):.3f}  generated "
          f"{accuracy(generated, w):.3f}"
          + (f"  touched {accuracy(touched, w):.3f}" if args.wide else ""))
    if not args.quiet:
        print("in-sample misses:", _failures(real, w))
    print("weights:" + (" (fitted on the wide material)" if args.wide else ""))
    for name, v in zip(FEATURE_NAMES, w, strict=True):
        print(f"    {round(float(v), 3)!r},  # {name}")
    if args.trees and args.wide:
        trees = fit_trees(real + always, rounds=args.tree_rounds, balance=args.tempo_balance)
        score = scorer(np.round(w, 3), trees)
        print("in-sample Acc1 of the rounded weights plus the trees: fit split "
              f"{np.mean(_hits(real, score)[0]):.3f}  touched "
              f"{np.mean(_hits(touched, score)[0]):.3f}")
        tmp = TREES_PATH + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(trees, f, separators=(",", ":"))
            f.write("\n")
        os.replace(tmp, TREES_PATH)
        print(f"trees ({len(trees['trees'])}) written to {TREES_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
