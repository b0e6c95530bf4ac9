"""Tempo of generated loops played once: riffs and claves cut to whole bars, and cuts that are no loop.

    python -m benchmarks.riff_loops [--seeds 4] [--first-seed 0] [--list]

A producer's loop starts on its downbeat and lasts whole bars; a single pass of it is what a
user who drags a sample pack onto the window gets analyzed (files of up to 20 s are also
read as loops, :func:`core.analysis.loops.read_as_loop`).  The loops whose pulse sits at
another level than their beat are the hard ones: a riff grouped in dotted eighths is read
at 2/3 or 4/3 of its beat, and then neither the single nor the repeated reading makes a
whole number of beats of the file's length (README, Analysis).  This measures that class on
sound whose tempo is known, beside cuts of the same material that are no loop, which a
reading meant for loops must leave alone:

* **riff**: a drumless plucked bass riff (:func:`benchmarks.errorcases.sixteenth_riff`) on
  one of :data:`GROUPINGS` (sixteenths of the bar: dotted eighths, 3-3-2 twice, 3-3-2-2-2-2-2
  and straight eighths), one or two bars from a downbeat, 100-160 BPM;
* **clave**: a son clave on a snare (:func:`benchmarks.errorcases.clave_loop`), one or two
  bars cut to loop seamlessly, 86-140 BPM;
* **song**: two, four or eight beats from a beat of a song of
  :mod:`benchmarks.independent_synth` (a 4/4 style of :data:`SONG_STYLES`), at a tempo drawn
  over the style's range;
* **cut**: 1.2-6 s of the same riff or song from a place that is no downbeat, at a length
  that is no whole count of beats (at least 0.15 beat from one).

Each file is written as FLAC to a temporary folder and analyzed by ``analyze_file``.
Printed per kind: the files, Acc1 and Acc2 against the tempo they were made at, how many
were read as loops, and the median confidence; with ``--list`` each file.  The material is
what the whole-count reading of loops was designed on (``benchmarks/results/loopcuts.txt``),
so its figures are in-sample for that design; nothing was fitted on it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.errorcases import clave_loop, sixteenth_riff  # noqa: E402
from benchmarks.independent_synth import STYLES, render  # noqa: E402
from core.calibration.agreement import acc1, acc2, tempo_relation  # noqa: E402
from core.io.keynotation import Key  # noqa: E402

__all__ = ["GROUPINGS", "KINDS", "SONG_STYLES", "plan", "audio", "summary", "main"]

SR = 22050
#: The riffs' notes: sixteenths of a 4/4 bar.
GROUPINGS = {
    "dotted eighths": (0, 3, 6, 9, 12),
    "3-3-2 twice": (0, 3, 6, 8, 11, 14),
    "3-3-2-2-2-2-2": (0, 3, 6, 8, 10, 12, 14),
    "eighths": (0, 2, 4, 6, 8, 10, 12, 14),
}
#: The styles of :mod:`benchmarks.independent_synth` whose songs are cut (4/4, steady).
SONG_STYLES = ("breakbeat", "dnb", "trap", "pop", "rock", "bossa")
KINDS = ("riff", "clave", "song", "cut")
_RIFF_BPM, _CLAVE_BPM = (100.0, 160.0), (86.0, 140.0)
_CUT_S = (1.2, 6.0)
_CUT_OFF_WHOLE = 0.15  # beats a cut's length stays from a whole count


def _log_uniform(rng, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def plan(seeds: int, first: int = 0) -> list[dict]:
    """The files of seeds ``first`` to ``first + seeds - 1``: per seed one of each kind for
    each grouping (riffs and their cuts) and each song style (song loops and their cuts),
    and two claves.  Each item: ``kind``, ``source`` (a grouping, a style or ``clave``),
    ``seed``, ``bpm``, ``beats`` (a loop's length; None for a cut), ``seconds`` and
    ``start`` (s into the source)."""
    items = []
    for seed in range(first, first + seeds):
        for g, name in enumerate(GROUPINGS):
            rng = np.random.default_rng([seed, g, 41])
            bpm = round(_log_uniform(rng, *_RIFF_BPM), 2)
            bars = int(rng.integers(1, 3))
            bar = 240.0 / bpm
            items.append({"kind": "riff", "source": name, "seed": seed, "bpm": bpm,
                          "beats": 4 * bars, "seconds": bars * bar,
                          "start": int(rng.integers(1, 4)) * bar})
            items.append(_cut(rng, "riff", name, seed, bpm))
        for s, style in enumerate(SONG_STYLES):
            rng = np.random.default_rng([seed, s, 43])
            bpm = round(_log_uniform(rng, *STYLES[style][0]), 2)
            beats = int(rng.choice([2, 4, 4, 8]))
            while beats * 60.0 / bpm > 16.0:
                beats //= 2
            items.append({"kind": "song", "source": style, "seed": seed, "bpm": bpm,
                          "beats": beats, "seconds": beats * 60.0 / bpm,
                          "start": int(rng.integers(4, 16)) * 60.0 / bpm})
            items.append(_cut(rng, "song", style, seed, bpm))
        for c in range(2):
            rng = np.random.default_rng([seed, c, 47])
            bpm = round(_log_uniform(rng, *_CLAVE_BPM), 2)
            bars = c + 1
            items.append({"kind": "clave", "source": "clave", "seed": seed, "bpm": bpm,
                          "beats": 4 * bars, "seconds": bars * 240.0 / bpm, "start": 0.0})
    return items


def _cut(rng, of: str, source: str, seed: int, bpm: float) -> dict:
    """A cut of ``of`` material (a riff or a song) that is no loop: off the downbeat and at
    no whole count of beats."""
    beat = 60.0 / bpm
    while True:
        seconds = float(rng.uniform(*_CUT_S))
        n = seconds / beat
        if abs(n - round(n)) >= _CUT_OFF_WHOLE:
            break
    start = (int(rng.integers(2, 8)) + float(rng.uniform(0.2, 0.8))) * beat
    return {"kind": "cut", "source": source, "of": of, "seed": seed, "bpm": bpm,
            "beats": None, "seconds": seconds, "start": start}


def audio(item: dict) -> np.ndarray:
    """The mono signal (``SR`` Hz) of one planned file."""
    n = int(round(item["seconds"] * SR))
    start = int(round(item["start"] * SR))
    of = item.get("of", item["kind"])
    if of == "clave":
        return clave_loop(item["bpm"], bars=item["beats"] // 4, sr=SR, seed=item["seed"])
    if of == "riff":
        y = sixteenth_riff(item["bpm"], hits=GROUPINGS[item["source"]],
                           seconds=item["start"] + item["seconds"] + 1.0, sr=SR,
                           seed=item["seed"])
        return y[start : start + n]
    key = Key(item["seed"] % 12, "minor")
    song = render(item["source"], bpm=item["bpm"], key=key, seed=item["seed"],
                  seconds=item["start"] + item["seconds"] + 4.0, sr=SR)
    return song.audio.mean(axis=1)[start : start + n].astype(np.float32)


def summary(rows: list[dict]) -> str:
    """One line: files, Acc1, Acc2, how many were read as loops, the median confidence."""
    n = len(rows)
    if not n:
        return "   0"
    est = np.array([r["est"] for r in rows], dtype=float)  # no tempo: NaN, a miss
    ref = [r["bpm"] for r in rows]
    a1, a2 = acc1(est, ref), acc2(est, ref)
    looped = sum(bool(r["looped"]) for r in rows)
    confs = [r["conf"] for r in rows if r["est"] is not None]
    conf = f"{statistics.median(confs):.2f}" if confs else "-"
    return f"{n:4d}  {a1:.3f}  {a2:.3f}  {looped:6d}  {conf:>5s}"


def main(argv=None) -> int:
    from core.analysis.analyze import analyze_file

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4, help="seeds (default 4: 88 files)")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--list", action="store_true", help="print every file's reading")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="songcal-riffs-") as folder:
        path = os.path.join(folder, "loop.flac")
        for item in plan(args.seeds, args.first_seed):
            sf.write(path, audio(item), SR)
            r = analyze_file(path)
            row = {**item, "est": r.bpm, "conf": r.bpm_confidence or 0.0,
                   "looped": "as a loop" in r.note}
            rows.append(row)
            if args.list:
                made = f"{item['beats']} beats" if item["beats"] else "no loop"
                print(f"{item['kind']:5s} {item['source']:15s} {item['seed']} "
                      f"{item['seconds']:5.2f} s ({made})  bpm {item['bpm']:6.1f}  "
                      f"est {r.bpm if r.bpm else '-':>7}  "
                      f"{tempo_relation(r.bpm, item['bpm']) or 'none':12s}"
                      f"{' as a loop' if row['looped'] else ''}", flush=True)
    print(f"{'kind':5s} {'source':15s} files  Acc1   Acc2   looped  conf")
    for kind in KINDS:
        of = [r for r in rows if r["kind"] == kind]
        for source in sorted({r["source"] for r in of}):
            print(f"{kind:5s} {source:15s} {summary([r for r in of if r['source'] == source])}")
        print(f"{kind:5s} {'all':15s} {summary(of)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
