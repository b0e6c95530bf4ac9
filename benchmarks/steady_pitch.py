"""Whether the pitch classes move, for steady test sounds and for music.

The steady-sound rule (:func:`core.analysis.analyze._is_steady`) calls a sound whose level,
centroid and onset bands stay put "a steady sound without onsets" unless its pitch classes
move (:func:`core.analysis.analyze.pitch_motion`).  This prints, for 99 steady sounds
(naive squares, sawtooths, pulse waves and clipped sines at 31 Hz-8 kHz at 44.1 and 48 kHz;
white, pink and brown noise; hum; held triads) and for the audio files in any folders
given, the median window's distance from the mean pitch-class shares, the limit it is held
to, the tenth percentile of the windows' correlations with them, the median centroid, and
the verdicts::

    python -m benchmarks.steady_pitch [--music DIR ...] [--cuts S,S,...] [--quiet]

``--cuts`` reads the steady sounds, and seven noises low-passed at 0.3-3 kHz, cut to each
length given (in seconds) instead: a part too short for four windows of a second is read
in four shorter windows, under a higher share limit.

``--quiet`` prints the rows of the steady sounds that move or are no steady sound, and
the summary lines.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys

import numpy as np

__all__ = ["steady_sounds", "lowpassed_noises", "row_of", "main"]

_SECONDS = 20.0
_AUDIO = (".flac", ".wav", ".ogg", ".mp3", ".m4a", ".aiff", ".aif")


def _naive(shape: str, hz: float, sr: int) -> np.ndarray:
    t = np.arange(int(_SECONDS * sr)) / sr
    phase = (hz * t) % 1.0
    return 0.5 * {"square": np.where(phase < 0.5, 1.0, -1.0), "sawtooth": 2.0 * phase - 1.0,
                  "pulse": np.where(phase < 0.2, 1.0, -0.25),
                  "clipped": np.clip(4.0 * np.sin(2 * np.pi * hz * t), -1.0, 1.0)}[shape]


def steady_sounds():
    """``(name, mono signal, rate)`` of the 99 steady sounds, one at a time."""
    for sr in (44100, 48000):
        for shape in ("square", "sawtooth", "pulse", "clipped"):
            for hz in (31.0, 47.6, 55.0, 100.0, 220.0, 441.0, 1000.0, 2000.0, 3000.0, 5000.0,
                       8000.0):
                yield f"{shape} {hz:g} Hz at {sr}", _naive(shape, hz, sr), sr
    sr = 44100
    n = int(_SECONDS * sr)
    white = np.random.default_rng(1).normal(0.0, 1.0, n)
    spectrum = np.fft.rfft(white)
    k = np.maximum(np.arange(spectrum.size), 1)
    for name, y in (("white noise", white), ("pink noise", np.fft.irfft(spectrum / np.sqrt(k), n)),
                    ("brown noise", np.fft.irfft(spectrum / k, n))):
        yield name, 0.3 * y / np.abs(y).max(), sr
    t = np.arange(n) / sr
    for hz in (50.0, 60.0):
        yield f"hum {hz:g} Hz", 0.5 * sum(np.sin(2 * np.pi * hz * h * t + h) / h
                                         for h in range(1, 13)) / 3.0, sr
    for root in (110.0, 220.0, 440.0):
        for mode, third in (("major", 1.2599), ("minor", 1.1892)):
            yield f"{mode} triad on {root:g} Hz", sum(
                0.1 / h * np.sin(2 * np.pi * root * r * h * t)
                for r in (1.0, third, 1.4983) for h in range(1, 6)), sr


def lowpassed_noises():
    """``(name, mono signal, rate)`` of white noise low-passed at 0.3, 0.6, 1, 1.5 and 2.5
    kHz and pink noise at 1 and 3 kHz: noise whose centroid lies in the pitch range."""
    sr = 44100
    n = int(_SECONDS * sr)
    spectrum = np.fft.rfft(np.random.default_rng(5).normal(0.0, 1.0, n))
    hz = np.fft.rfftfreq(n, 1.0 / sr)
    for colour, cuts, tilt in (("white", (300.0, 600.0, 1000.0, 1500.0, 2500.0), 1.0),
                               ("pink", (1000.0, 3000.0), np.sqrt(np.maximum(hz, 1.0)))):
        for cut in cuts:
            y = np.fft.irfft(spectrum / tilt * (hz < cut), n)
            yield f"{colour} noise under {cut:g} Hz", 0.3 * y / np.abs(y).max(), sr


def row_of(y: np.ndarray, sr: int) -> dict:
    """The pitch motion and the verdicts of one mono signal, read as the analyzer reads it."""
    from benchmarks.evalfeatures import features_of_audio
    from core.analysis import analyze

    feats = features_of_audio(np.asarray(y, dtype=np.float32), sr)
    judged = analyze._sounding_level(feats)
    row = {"apart": None, "limit": None, "r10": None, "centroid": None,
           "moves": False, "steady": analyze._is_steady(feats)}
    if judged is None:
        return row
    start, stop = judged[0], judged[1]
    row["centroid"] = float(np.median(np.asarray(feats.centroid_hz)[start:stop]))
    motion = analyze.pitch_motion(feats, start, stop)
    if motion is not None:
        row["apart"] = float(np.median(motion[0]))
        row["r10"] = float(np.percentile(motion[1], 10))
        row["limit"] = float(motion[2])
    row["moves"] = analyze._pitch_moves(feats, start, stop)
    return row


def _line(name: str, row: dict) -> str:
    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    return (f"{name[:44]:<44} {num(row['apart'], '.3f'):>6} {num(row['limit'], '.3f'):>6} "
            f"{num(row['r10'], '.3f'):>6} "
            f"{num(row['centroid'], '.0f'):>6}  {'moves' if row['moves'] else '-':<5}  "
            f"{'steady' if row['steady'] else '-'}")


def _audio_files(folder: str) -> list[str]:
    return sorted(os.path.join(d, f) for d, _, files in os.walk(folder) for f in files
                  if f.lower().endswith(_AUDIO))


def _seconds(text: str) -> tuple[float, ...]:
    """The lengths of ``--cuts``: comma-separated seconds over 0."""
    from benchmarks.fit_tempo import _numbers

    return _numbers(text, lambda v: v > 0, "lengths must be over 0 s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--music", action="append", default=[], metavar="DIR",
                    help="a folder of music to read too (repeatable)")
    ap.add_argument("--quiet", action="store_true",
                    help="of the steady sounds, print only those that move or are not steady")
    ap.add_argument("--cuts", type=_seconds, default=(), metavar="S,S,...",
                    help="read the steady sounds and low-passed noises cut to these lengths")
    args = ap.parse_args(argv)
    header = (f"{'sound':<44} {'apart':>6} {'limit':>6} {'r10':>6} {'Hz':>6}  {'pitch':<5}  "
              "verdict")
    print(header)
    rows = []
    sounds = (steady_sounds() if not args.cuts else
              ((f"{name}, {cut:g} s", y[:round(cut * sr)], sr)
               for name, y, sr in itertools.chain(steady_sounds(), lowpassed_noises())
               for cut in args.cuts))
    for name, y, sr in sounds:
        row = row_of(y, sr)
        rows.append(row)
        if not args.quiet or row["moves"] or not row["steady"]:
            print(_line(name, row), flush=True)
    steady = [r for r in rows if r["steady"]]
    print(f"{'cuts' if args.cuts else 'steady sounds'}: {len(steady)} of {len(rows)} steady, "
          f"{sum(r['moves'] for r in rows)} with moving pitch classes, "
          f"{sum(r['moves'] and r['steady'] for r in rows)} of them steady")
    for folder in args.music:
        from core.analysis.decode import probe, stream

        files = _audio_files(folder)
        moved = judged_steady = 0
        for path in files:
            info = probe(path)
            y = np.concatenate(list(stream(path, block_seconds=5.0, info=info)))
            row = row_of(y.mean(axis=1), info.sample_rate)
            moved += row["moves"]
            judged_steady += row["steady"]
            if not args.quiet:
                print(_line(os.path.relpath(path, folder), row), flush=True)
        print(f"{folder}: {len(files)} files, {moved} with moving pitch classes, "
              f"{judged_steady} steady")
    return 0


if __name__ == "__main__":
    sys.exit(main())
