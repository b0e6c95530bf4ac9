"""The report of :mod:`benchmarks.steady_pitch`: its steady sounds and what it reads of them."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.steady_pitch import row_of, steady_sounds
from tests.core.test_hits_on_a_held_tone import SR, _squeezed_chords


def test_the_report_plays_99_steady_sounds_each_named_once():
    names = [name for name, _y, _sr in steady_sounds()]
    assert len(names) == 99 and len(set(names)) == 99
    assert {"white noise", "pink noise", "brown noise", "hum 50 Hz",
            "minor triad on 440 Hz", "square 3000 Hz at 48000"} <= set(names)


def test_a_held_triad_is_steady_and_compressed_chords_move():
    t = np.arange(int(20.0 * SR)) / SR
    triad = sum(0.1 / h * np.sin(2 * np.pi * 220.0 * r * h * t)
                for r in (1.0, 1.2599, 1.4983) for h in range(1, 6))
    held = row_of(triad, SR)
    assert held["steady"] and not held["moves"]
    assert held["r10"] > 0.999 and held["apart"] < 0.03 and 200 < held["centroid"] < 2093
    chords = row_of(_squeezed_chords(96.0, 20.0), SR)
    assert chords["moves"] and not chords["steady"]
    assert chords["apart"] >= 0.03 and chords["r10"] <= 0.95


def test_the_low_passed_noises_hold_nothing_over_their_cut():
    from benchmarks.steady_pitch import lowpassed_noises

    noises = list(lowpassed_noises())
    assert [name for name, _y, _sr in noises] == [
        "white noise under 300 Hz", "white noise under 600 Hz", "white noise under 1000 Hz",
        "white noise under 1500 Hz", "white noise under 2500 Hz", "pink noise under 1000 Hz",
        "pink noise under 3000 Hz"]
    for name, y, sr in noises:
        cut = float(name.split()[-2])
        power = np.abs(np.fft.rfft(y)) ** 2
        hz = np.fft.rfftfreq(y.size, 1.0 / sr)
        assert power[hz >= cut * 1.001].sum() < 1e-9 * power.sum(), name
        assert np.abs(y).max() == pytest.approx(0.3)


def test_a_short_cut_is_held_to_its_windows_limit_and_the_lengths_are_checked(capsys):
    from benchmarks.steady_pitch import main

    row = row_of(_squeezed_chords(96.0, 3.0), SR)
    assert row["moves"] and not row["steady"] and row["limit"] > 0.03
    assert row_of(_squeezed_chords(96.0, 20.0), SR)["limit"] == 0.03
    for bad in ("0,1", "1,x"):
        with pytest.raises(SystemExit):
            main(["--cuts", bad])
        assert "--cuts" in capsys.readouterr().err
