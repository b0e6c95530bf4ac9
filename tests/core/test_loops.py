"""A short file read as a loop (:mod:`core.analysis.loops`): the loop's length in beats and
the choice between the single and the repeated reading, on click tracks of known tempo."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.synth import click_track
from core.analysis.loops import loop_beats, read_as_loop
from core.analysis.tempo import TempoEstimate
from tests.core.streams import features_of

SR = 22050
_features = features_of


@pytest.mark.parametrize(("seconds", "bpm", "beats"), [
    (2.0, 120.0, 4), (1.0, 120.0, 2), (3.0, 60.0, 3), (6.857, 140.0, 16), (3.836, 125.1, 8),
    (2.0, 126.0, None),  # 4.2 beats
    (1.0, 60.0, None),  # one beat: any sound repeated makes that pulse
    (10.0, 60.0, None),  # ten beats is no loop length
    (2.0, None, None),
])
def test_loop_beats(seconds, bpm, beats):
    assert loop_beats(seconds, bpm) == beats


@pytest.mark.parametrize(("single", "expected", "beats"), [
    (97.0, 100.0, 4),  # the same level, a few per cent off: the loop's exact tempo
    (150.0, 100.0, 4), (133.3, 100.0, 4),  # 2/3 and 3/4 of the single reading: another level
    (50.4, 50.0, 2),  # an octave apart: the single pass keeps its octave, at the loop's precision
    (200.0, 200.0, None),  # ... but not an octave its own onsets do not beat at
    (125.0, 125.0, None), (250.0, 250.0, None),  # 4/5 and 2/5: no level of the same pulse
])
def test_a_loop_reading_keeps_to_levels_of_the_pulse(single, expected, beats):
    """Four beats of a click at 100 BPM, read once as ``single``: what the loop reading
    makes of it."""
    y = click_track(100.0, 2.4, SR)
    once = TempoEstimate(bpm=single, confidence=0.5, alternatives=(single,))
    est, n = read_as_loop(_features(y), once, _features(np.tile(y, 3)), 2.4)
    assert (est.bpm, n) == (pytest.approx(expected, abs=0.01), beats)


def test_without_a_tempo_of_its_own_a_signal_gets_a_guess_or_none():
    """A signal without a tempo of its own (too few onsets for one) is no loop the loop
    reading can vouch for: with two clear onsets or more it gets the repeated reading as a
    guess (flagged weak, confidence at most 0.1, no loop length); a lone hit, which repeated
    makes a pulse at its length, gets none."""
    y = click_track(100.0, 2.4, SR)
    est, beats = read_as_loop(_features(y), TempoEstimate(None), _features(np.tile(y, 3)), 2.4)
    assert (est.bpm, beats, est.weak) == (100.0, None, True) and est.confidence <= 0.1
    hit = np.zeros_like(y)
    hit[: round(0.05 * SR)] = y[: round(0.05 * SR)]
    est, beats = read_as_loop(_features(hit), TempoEstimate(None), _features(np.tile(hit, 3)), 2.4)
    assert est.bpm is None and beats is None


def test_a_change_of_level_needs_whole_bars_of_four_beats():
    """Three beats of a click at 100 BPM read once at 150: repeated they make a loop of three
    beats, which a cut of a song read at 2/3 of its beat makes as easily: left alone.  As the
    same level (97), the loop reading sharpens it."""
    y = click_track(100.0, 1.8, SR)
    feats, tiled = _features(y), _features(np.tile(y, 3))
    est, n = read_as_loop(feats, TempoEstimate(bpm=150.0, alternatives=(150.0,)), tiled, 1.8)
    assert (est.bpm, n) == (150.0, None)
    est, n = read_as_loop(feats, TempoEstimate(bpm=97.0, alternatives=(97.0,)), tiled, 1.8)
    assert (est.bpm, n) == (pytest.approx(100.0, abs=0.01), 3)


def test_a_signal_too_short_for_its_own_reading_is_read_as_a_loop_on_its_grid():
    """Two beats of a click at 150 BPM (0.8 s, under the 1 s a tempo of its own needs): the
    repeated reading is taken, its clicks being on the beat counted from the start.  The same
    clicks shifted by a third of a beat get it as a guess (flagged weak, confidence at most
    0.1, no loop length); a lone hit of that length gets none."""
    y = click_track(150.0, 0.8, SR)
    est, beats = read_as_loop(_features(y), TempoEstimate(None), _features(np.tile(y, 3)), 0.8)
    assert (est.bpm, beats) == (150.0, 2)
    shifted = np.roll(y, round(0.4 / 3 * SR))
    est, beats = read_as_loop(_features(shifted), TempoEstimate(None),
                              _features(np.tile(shifted, 3)), 0.8)
    assert (est.bpm, beats, est.weak) == (150.0, None, True) and est.confidence <= 0.1
    hit = np.zeros_like(y)
    hit[: round(0.05 * SR)] = y[: round(0.05 * SR)]
    est, beats = read_as_loop(_features(hit), TempoEstimate(None), _features(np.tile(hit, 3)), 0.8)
    assert est.bpm is None and beats is None
