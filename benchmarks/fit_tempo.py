"""Fit the weights of the tempo octave decision (:data:`core.analysis.tempo._WEIGHTS`).

Run ``python -m benchmarks.fit_tempo [--cache-dir DIR] [--l2 L] [--quiet]``.

Songs come from BOTH generators: :mod:`benchmarks.synth` (plans of ``benchmarks.accuracy``) and
:mod:`benchmarks.independent_synth` (plans of ``benchmarks.independent``), 48 songs of 30 s per
plan.  Their onset bands and chroma are cached in ``--cache-dir`` (one ``.npz`` per plan), so
a rerun only computes the candidate features.  The model is a conditional logit over each
song's candidates (softmax of a linear score) with an L2 penalty on standardised features;
the first feature (the fixed log perceptual preference) is scored like the others.

Printed: the candidate-level Acc1 (the chosen candidate is within 4 % of the truth) of

* leave-one-generator-out: fit on every plan of one generator, test on the other;
* the joint fit on the fitting plans, tested on the held-out plans of both generators;

and the final weights (joint fit on the fitting plans), ready to paste into core/analysis/tempo.py.
The fit is deterministic: same songs, same cache, same weights.
"""

from __future__ import annotations

import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402
import soxr  # noqa: E402

from core.analysis.features import FeatureStream  # noqa: E402
from core.analysis.tempo import candidate_table  # noqa: E402
from core.calibration.agreement import tempo_within  # noqa: E402

__all__ = ["FIT_PLANS", "HELD_OUT_PLANS", "song_tables", "fit", "main"]

#: (generator, seed) plans used for fitting, and plans held out for testing.
FIT_PLANS = (("orig", 2024), ("orig", 555), ("orig", 99), ("orig", 1234), ("orig", 11),
             ("orig", 12), ("ind", 1), ("ind", 2), ("ind", 5), ("ind", 6), ("ind", 8),
             ("click", 1))
HELD_OUT_PLANS = (("orig", 7), ("orig", 31337), ("ind", 3), ("ind", 4), ("click", 2))
SONGS = 48
CLICKS = 48  # metronome tracks per "click" plan
SUBDIVIDED = 0.0  # share of them with quieter clicks between the beats
#: Weight of each generator in the loss (each generator's songs share it equally).
GENERATOR_WEIGHT = {"orig": 1.0, "ind": 1.0, "click": 1.0}
SECONDS = 30.0
ANALYSIS_SR = 22050


def _features(mono: np.ndarray, sr: int) -> FeatureStream:
    res = soxr.ResampleStream(sr, ANALYSIS_SR, 1, dtype="float32")
    fs = FeatureStream(ANALYSIS_SR)
    step = int(30 * sr)
    for i in range(0, len(mono), step):
        fs.process(res.resample_chunk(mono[i : i + step], last=i + step >= len(mono)))
        fs.mark_chunk()
    return fs.finish()


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


def song_tables(gen: str, seed: int, *, cache_dir: str) -> list[dict]:
    """Candidate features and labels of each song of a plan.

    Returns
    -------
    list of dict
        ``X`` (candidates x features), ``y`` (bool, candidate within 4 % of the truth),
        ``style``, ``bpm`` (truth) and ``cands`` (BPM).
    """
    d = _load_plan(gen, seed, cache_dir)
    fr, pfr = float(d["fr"]), float(d["pfr"])
    out = []
    for i, truth in enumerate(d["bpm"]):
        t = candidate_table(d[f"b{i}"], fr, chroma=d[f"c{i}"], bass_chroma=d[f"d{i}"],
                            pitch_rate=pfr)
        if t is None or not t["cands"]:
            out.append({"X": None, "y": None, "style": str(d["style"][i]), "bpm": truth,
                        "cands": [], "gen": gen})
            continue
        c = np.asarray(t["cands"])
        out.append({"X": t["features"], "y": tempo_within(c, truth),
                    "style": str(d["style"][i]), "bpm": float(truth), "cands": c,
                    "gen": gen})
    return out


def fit(songs: list[dict], *, l2: float) -> np.ndarray:
    """Weights of an L2-penalised conditional logit (standardised features, raw scale out).

    Each generator weighs the same in the loss, however many of its songs there are.
    Songs without a correct candidate carry no information and are skipped.
    """
    usable = [s for s in songs if s["X"] is not None and s["y"].any()]
    count = {g: sum(s["gen"] == g for s in usable) for g in {s["gen"] for s in usable}}
    sw = np.array([GENERATOR_WEIGHT[s["gen"]] / count[s["gen"]] for s in usable])
    sw *= len(usable) / sw.sum()
    allx = np.vstack([s["X"] for s in usable])
    mu, sd = allx.mean(axis=0), allx.std(axis=0)
    sd[sd < 1e-9] = 1.0
    xs = [(s["X"] - mu) / sd for s in usable]
    ys = [s["y"] / s["y"].sum() for s in usable]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, y, k in zip(xs, ys, sw, strict=True):
            z = x @ w
            z = z - z.max()
            p = np.exp(z)
            p /= p.sum()
            total -= k * float(y @ np.log(np.maximum(p, 1e-300)))
            grad -= k * (x.T @ (y - p))
        n = len(xs)
        return total / n + l2 * float(w @ w), grad / n + 2 * l2 * w

    w0 = np.zeros(allx.shape[1])
    res = scipy.optimize.minimize(loss, w0, jac=True, method="L-BFGS-B",
                                  options={"maxiter": 2000})
    return res.x / sd  # the mean shift is constant within a song and cancels


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-dir", default="/tmp/songcal_tempo_cache")
    ap.add_argument("--l2", type=float, default=0.0007, help="L2 penalty (standardised units)")
    ap.add_argument("--quiet", action="store_true", help="do not list the failed songs")
    args = ap.parse_args(argv)
    if not args.l2 >= 0:
        ap.error(f"--l2 must be >= 0, got {args.l2}")
    plans = {p: song_tables(*p, cache_dir=args.cache_dir) for p in FIT_PLANS + HELD_OUT_PLANS}

    def pool(gen=None, which=FIT_PLANS + HELD_OUT_PLANS):
        return [s for p in which if gen in (None, p[0]) for s in plans[p]]

    print("leave-one-generator-out (fit on every plan of one generator, plus metronomes):")
    for train, test in (("orig", "ind"), ("ind", "orig")):
        w = fit(pool(train) + pool("click"), l2=args.l2)
        print(f"  fit {train:<4} -> test {test:<4} Acc1 {accuracy(pool(test), w):.3f}"
              f"   (own {accuracy(pool(train), w):.3f})")
    w = fit(pool(which=FIT_PLANS), l2=args.l2)
    print("joint fit on", ", ".join(f"{g} {s}" for g, s in FIT_PLANS))
    worst = 1.0
    for p in FIT_PLANS + HELD_OUT_PLANS:
        acc = accuracy(plans[p], w)
        tag = "fit" if p in FIT_PLANS else "held-out"
        if p in HELD_OUT_PLANS and p[0] != "click":
            worst = min(worst, acc)
        print(f"  {p[0]:<4} {p[1]:>6} {tag:<8} Acc1 {acc:.3f}")
        if not args.quiet and acc < 1.0:
            print(f"      misses: {_failures(plans[p], w)}")
    held = {g: accuracy(pool(g, HELD_OUT_PLANS), w) for g in ("orig", "ind")}
    print(f"  held-out: orig {held['orig']:.3f}  ind {held['ind']:.3f}  "
          f"mean {np.mean(list(held.values())):.3f}  worst plan {worst:.3f}")
    print("weights:", np.array2string(np.round(w, 2), separator=", ", max_line_width=90))
    return 0


if __name__ == "__main__":
    sys.exit(main())
