"""Accuracy sweeps on generated multi-instrument songs: all 24 keys, 60-190 BPM.

Each sweep asserts an aggregate score (MIREX weighted key score, tempo Acc1/Acc2), so one
hard song does not make the suite flaky but a broken estimator fails it.
"""

from __future__ import annotations

import numpy as np

from benchmarks.synth import render_song
from core.analysis.key import estimate_key
from core.analysis.tempo import estimate_tempo
from core.calibration.agreement import mirex_score, tempo_hits
from core.io.keynotation import Key
from tests.core.streams import features_of

SR = 22050
STYLES = ("rock", "electronic", "ballad", "busy", "halftime", "hiphop")


def _features(y):
    return features_of(y.mean(axis=1))


def test_all_24_keys_with_several_instruments():
    scores = []
    for i in range(24):
        key = Key.from_index(i)
        y = render_song(bpm=100 + 3 * i, key=key, seconds=16.0, sr=SR, seed=40 + i,
                        style=STYLES[i % len(STYLES)])
        est = estimate_key(_features(y)).key
        scores.append(mirex_score(est, key) if est is not None else 0.0)
    assert np.mean(scores) >= 0.9, scores


def test_drum_patterns_across_60_to_190_bpm():
    bpms = [60, 68, 75, 84, 92, 100, 110, 120, 128, 140, 150, 160, 174, 190]
    acc1 = acc2 = 0
    for j, bpm in enumerate(bpms):
        y = render_song(bpm=bpm, key=Key(0, "major"), seconds=20.0, sr=SR, seed=70 + j,
                        style=("rock", "electronic")[j % 2])
        hit1, hit2 = tempo_hits(estimate_tempo(_features(y)).bpm, bpm)
        acc1 += hit1
        acc2 += hit2
    assert acc1 / len(bpms) >= 0.85 and acc2 == len(bpms), (acc1, acc2)
