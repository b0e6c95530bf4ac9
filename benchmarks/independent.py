"""Tempo and key accuracy on songs from an independent renderer (:mod:`benchmarks.independent_synth`).

Run ``python -m benchmarks.independent [--songs 48] [--seed N] [--seconds S] [--full]
[--quiet]``.  The songs come from a generator that shares no code with the one the analyzer
was developed on (other instruments, grooves, harmony, tuning, reverb, 44.1/48 kHz stereo).
Prints one row per song (style, true and estimated BPM and key, tuning in cents, the key
relation of a wrong key) and the totals: tempo Acc1 (within 4 %) and Acc2 (also x2, x1/2, x3,
x1/3), key exact and MIREX weighted score, time signature accuracy (3/4 and 4/4 songs), and
the totals per style.  ``--full`` writes each song to a temporary WAV, FLAC, MP3 or OGG file
(in turn) at its own sample rate and runs :func:`core.analysis.analyze.analyze_file`; otherwise the same
streaming path as ``benchmarks.accuracy`` runs in memory.  Plans 1 and 2 of this generator
were used to fit the tempo and key weights; the default plan, 3, is held out, and the output
says which.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import soxr  # noqa: E402

from benchmarks.accuracy import fit_note  # noqa: E402
from benchmarks.independent_synth import STYLES, render  # noqa: E402
from core.analysis.features import FeatureStream  # noqa: E402
from core.analysis.key import estimate_key  # noqa: E402
from core.analysis.tempo import estimate_tempo  # noqa: E402
from core.analysis.timesig import estimate_time_signature  # noqa: E402
from core.calibration.agreement import key_relation, mirex_score, tempo_hits  # noqa: E402
from core.io.keynotation import Key, parse_key  # noqa: E402

__all__ = ["song_plan", "main"]

ANALYSIS_SR = 22050


def song_plan(n: int, *, seed: int = 1) -> list[dict]:
    """``n`` song specifications: every style in turn, all 24 keys, 44.1/48 kHz.

    Each style's tempos are spread evenly over its own range (see
    :data:`benchmarks.independent_synth.STYLES`) and shuffled.
    """
    rng = np.random.default_rng(seed)
    keys = [Key.from_index(int(i)) for i in rng.permutation(24)]
    names = list(STYLES)
    per_style = -(-n // len(names))
    tempi = {}
    for s in names:
        lo, hi = STYLES[s][0]
        u = (np.arange(per_style) + rng.uniform(0, 1, per_style)) / per_style
        tempi[s] = list(rng.permutation(np.round(lo + (hi - lo) * u, 1)))
    plan = []
    for i in range(n):
        style = names[(i + seed) % len(names)]
        plan.append({"style": style, "bpm": float(tempi[style].pop()), "key": keys[i % 24],
                     "sr": (44100, 48000)[i % 2], "seed": seed * 10007 + i})
    return plan


def _analyze_memory(song):
    mono = song.audio.mean(axis=1)
    res = soxr.ResampleStream(song.sr, ANALYSIS_SR, 1, dtype="float32")
    fs = FeatureStream(ANALYSIS_SR)
    step = 30 * song.sr
    for i in range(0, len(mono), step):
        fs.process(res.resample_chunk(mono[i : i + step], last=i + step >= len(mono)))
        fs.mark_chunk()
    fs.finish()
    tempo = estimate_tempo(fs)
    key = estimate_key(fs)
    return tempo.bpm, key.key, estimate_time_signature(fs, tempo)


def _analyze_full(song, index):
    import soundfile as sf

    from core.analysis.analyze import analyze_file

    ext, subtype = (("wav", "PCM_16"), ("flac", "PCM_24"), ("mp3", None),
                    ("ogg", "VORBIS"))[index % 4]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, f"song.{ext}")
        sf.write(path, song.audio, song.sr, subtype=subtype)
        r = analyze_file(path)
    return r.bpm, parse_key(r.key) if r.key else None, r.time_signature


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=48)
    ap.add_argument("--seed", type=int, default=3, help="seed of the song plan")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--full", action="store_true", help="run core.analysis.analyze.analyze_file")
    ap.add_argument("--quiet", action="store_true", help="print only failures and totals")
    args = ap.parse_args(argv)
    if args.songs < 1 or args.seconds < 10:
        ap.error("need --songs >= 1 and --seconds >= 10")
    acc1 = acc2 = exact = 0
    mirex = 0.0
    meter_ok = meter_n = 0
    by_style = defaultdict(lambda: np.zeros(4))  # songs, acc1, acc2, mirex
    print(f"{'#':>3} {'style':<10} {'sr':>5} {'bpm':>6} {'est':>6} {'key':<9} {'est key':<9} "
          f"{'cents':>5} m  ok")
    for i, spec in enumerate(song_plan(args.songs, seed=args.seed)):
        song = render(spec["style"], bpm=spec["bpm"], key=spec["key"], seed=spec["seed"],
                      seconds=args.seconds, sr=spec["sr"])
        bpm, key, meter = (_analyze_full(song, i) if args.full else _analyze_memory(song))
        a1, a2 = tempo_hits(bpm, song.bpm)
        score = mirex_score(key, song.key) if key is not None else 0.0
        acc1 += a1
        acc2 += a2
        exact += score == 1.0
        mirex += score
        if song.beats_per_bar in (3, 4):
            meter_n += 1
            meter_ok += meter == song.beats_per_bar
        by_style[song.style] += (1, a1, a2, score)
        if not args.quiet or not a1 or score < 1.0:
            est = f"{bpm:6.1f}" if bpm else "  None"
            rel = "" if score == 1 or key is None else key_relation(key, song.key)
            print(f"{i:3d} {song.style:<10} {song.sr:5d} {song.bpm:6.1f} {est} "
                  f"{song.key.name:<9} {key.name if key else 'None':<9} "
                  f"{song.tuning_cents:5.0f} {meter or '-'}  "
                  f"{'T' if a1 else ('t' if a2 else '-')}{'K' if score == 1 else rel}")
        sys.stdout.flush()
    n = args.songs
    print(f"\nindependent songs {n}, seed {args.seed}, {args.seconds:.0f} s each"
          f"{' (analyze_file)' if args.full else ''}")
    print(fit_note("ind", args.seed))
    print(f"tempo Acc1 {acc1 / n:.3f}  Acc2 {acc2 / n:.3f}")
    print(f"key exact {exact / n:.3f}  MIREX weighted {mirex / n:.3f}")
    if meter_n:
        print(f"time signature correct {meter_ok / meter_n:.3f} ({meter_n} songs in 3/4 or 4/4)")
    print("per style: songs Acc1 Acc2 MIREX")
    for s, (k, t1, t2, m) in by_style.items():
        print(f"  {s:<10} {int(k):3d} {t1 / k:.2f} {t2 / k:.2f} {m / k:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
