"""Tempo of files shorter than a second: two- and three-beat loops and cuts of songs.

    python -m benchmarks.short_loops [--seeds 3] [--first-seed 0] [--list] [--peers]

A file under :data:`core.analysis.tempo.MIN_TEMPO_S` holds too few pulses for a tempo of its
own; :func:`core.analysis.loops.read_as_loop` reads it played repeated.  This measures what a
user gets for such files, on generated songs (:mod:`benchmarks.independent_synth`, whose
styles include shuffle, swing and triplet grooves) whose tempo is known:

* a **loop**: two beats of the song from a beat (three in the jazz waltz, a bar of 3/4), at a
  tempo drawn log-uniform over the range where that many beats last under a second, as a
  producer cuts a one-bar or half-bar loop from a fast track;
* a **cut**: 0.55-0.95 s of the same song from a place that is no beat.

Each file is written as WAV to a temporary folder and analyzed by ``analyze_file``.  Printed
per kind and per style: the files, Acc1 and Acc2 against the song's tempo, those without a
tempo, those flagged weak, and the median confidence of the tempos read; with ``--list`` each
file too.  A cut has no tempo a user could check it against but its song's: its figures
say how often a reading of it is right, not whether one is wanted.
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

from benchmarks.independent_synth import render  # noqa: E402
from core.analysis.analyze import analyze_file  # noqa: E402
from core.calibration.agreement import acc1, acc2, tempo_relation  # noqa: E402
from core.io.keynotation import Key  # noqa: E402

__all__ = ["STYLES", "plan", "main"]

#: Styles with drums and how many beats one of their loops holds: a half bar of 4/4, a bar of
#: 3/4 in the jazz waltz.  The 6/8 style is left out: two of its dotted-quarter beats last
#: a second or more at any tempo it is played at.
STYLES = {"shuffle": 2, "bossa": 2, "breakbeat": 2, "dnb": 2, "trap": 2, "pop": 2,
          "rock": 2, "jazzwaltz": 3}
_MAX_BPM = 235.0
_CUT_S = (0.55, 0.95)


def plan(seeds: int, first: int = 0) -> list[dict]:
    """One song per style and seed (``first`` to ``first + seeds - 1``): its tempo (loops of ``STYLES[style]`` beats last 0.5 to
    0.95 s), key, the loop's first beat and the cut's place and length."""
    items = []
    for seed in range(first, first + seeds):
        for style, beats in STYLES.items():
            rng = np.random.default_rng([seed, list(STYLES).index(style), 17])
            lo = 60.0 * beats / 0.95
            bpm = float(np.exp(rng.uniform(np.log(lo), np.log(_MAX_BPM))))
            items.append({"style": style, "seed": seed, "bpm": round(bpm, 2), "beats": beats,
                          "key": Key(int(rng.integers(12)), "major" if rng.random() < 0.5
                                     else "minor"),
                          "from_beat": int(rng.integers(4, 12)),
                          "cut_at": float(rng.uniform(2.0, 5.0)),
                          "cut_s": float(rng.uniform(*_CUT_S))})
    return items


def _files(item: dict, folder: str) -> list[tuple[str, str]]:
    """The loop and the cut of ``item``'s song, written to ``folder``: (kind, path)."""
    song = render(item["style"], bpm=item["bpm"], key=item["key"], seed=item["seed"],
                  seconds=10.0)
    sr, beat = song.sr, 60.0 / item["bpm"]
    start = int(round(item["from_beat"] * beat * sr))
    parts = {"loop": song.audio[start : start + int(round(item["beats"] * beat * sr))]}
    # a cut never starts within 40 ms of a beat
    at = item["cut_at"]
    phase = (at / beat) % 1.0
    if min(phase, 1.0 - phase) * beat < 0.04:
        at += 0.25 * beat
    start = int(round(at * sr))
    parts["cut"] = song.audio[start : start + int(round(item["cut_s"] * sr))]
    out = []
    for kind, audio in parts.items():
        path = os.path.join(folder, f"{item['style']}-{item['seed']}-{kind}.wav")
        sf.write(path, audio, sr, subtype="FLOAT")
        out.append((kind, path))
    return out


def _accs(rows: list[dict], name: str) -> tuple[float, float]:
    """Acc1 and Acc2 of the tempi under ``name`` (no tempo: a miss)."""
    est = np.array([r[name] for r in rows], dtype=float)
    ref = [r["bpm"] for r in rows]
    return acc1(est, ref), acc2(est, ref)


def _summary(rows: list[dict]) -> str:
    n = len(rows)
    a1, a2 = _accs(rows, "est")
    none = sum(r["est"] is None for r in rows)
    weak = sum(bool(r["weak"]) for r in rows)
    confs = [r["conf"] for r in rows if r["est"] is not None]
    conf = f"{statistics.median(confs):.2f}" if confs else "-"
    return f"{n:4d}  {a1:.3f}  {a2:.3f}  {none:4d}  {weak:4d}  {conf:>5s}"


def _peer_answers(path: str) -> dict:
    """librosa's and Essentia's tempo of ``path`` (None for none; a peer not installed or
    failing on the file is None too, counted as no tempo)."""
    from benchmarks.realistic import essentia_answer, librosa_answer

    out = {}
    for name, fn in (("librosa", librosa_answer), ("Essentia", essentia_answer)):
        try:
            out[name] = fn(path).get("bpm")
        except Exception:  # a file too short for its pipeline
            out[name] = None
    return out


def _peer_summary(rows: list[dict], name: str) -> str:
    a1, a2 = _accs(rows, name)
    return f"{a1:.3f}  {a2:.3f}  {sum(r[name] is None for r in rows):4d}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3, help="songs per style (default 3)")
    ap.add_argument("--first-seed", type=int, default=0, help="first song seed (default 0)")
    ap.add_argument("--list", action="store_true", help="print every file's reading")
    ap.add_argument("--peers", action="store_true",
                    help="also read each file with librosa's and Essentia's plain pipelines")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="songcal-short-") as folder:
        for item in plan(args.seeds, args.first_seed):
            for kind, path in _files(item, folder):
                r = analyze_file(path)
                rows.append({**item, "kind": kind, "est": r.bpm, "weak": r.bpm_weak_pulse,
                             "conf": r.bpm_confidence or 0.0, "seconds": r.duration_s,
                             **(_peer_answers(path) if args.peers else {})})
                if args.list:
                    print(f"{item['style']:10s} {item['seed']} {kind:4s} {r.duration_s:5.2f} s  "
                          f"bpm {item['bpm']:6.1f}  est {r.bpm if r.bpm else '-':>6}  "
                          f"{tempo_relation(r.bpm, item['bpm']) or 'none':7s} "
                          f"weak {r.bpm_weak_pulse}  conf {r.bpm_confidence}", flush=True)
    print(f"{'kind':5s} {'style':10s} files  Acc1   Acc2   none  weak  conf")
    for kind in ("loop", "cut"):
        of = [r for r in rows if r["kind"] == kind]
        for style in STYLES:
            print(f"{kind:5s} {style:10s} {_summary([r for r in of if r['style'] == style])}")
        print(f"{kind:5s} {'all':10s} {_summary(of)}")
    if args.peers:
        print(f"\n{'kind':5s} {'system':10s} files  Acc1   Acc2   none")
        for kind in ("loop", "cut"):
            of = [r for r in rows if r["kind"] == kind]
            for name in ("librosa", "Essentia"):
                print(f"{kind:5s} {name:10s} {len(of):5d}  {_peer_summary(of, name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
