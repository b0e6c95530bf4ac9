"""The calibration's suggestion of a tempo range: the settings' range that states the
analyzer's tempos as the reference sheet does."""

from __future__ import annotations

import numpy as np
import pytest

from core.calibration.tempo_range import suggest_tempo_range

#: A chart that writes every tempo from 88 to 175 BPM, as dance charts do.
CHART = np.array([90.0, 96.0, 100.0, 110.0, 120.0, 124.0, 128.0, 140.0, 150.0, 160.0, 170.0,
                  174.0])


def _read_at(ref, factors):
    return np.asarray(ref, float) * np.asarray(factors, float)


def test_a_chart_in_one_octave_gets_the_range_that_states_it():
    # the analyzer heard the fast half-time songs at half and two slow ones at double
    est = _read_at(CHART, [2, 2, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5])
    tip = suggest_tempo_range(est, CHART)
    assert tip is not None and tip.floor == 88.0
    assert (tip.n, tip.agree_as_read, tip.agree_in_range) == (12, 6, 12)
    assert tip.range_text == "88–175 BPM"
    assert "12 of 12 songs agree in it, 6 as read" in tip.text()


def test_no_range_is_offered_when_the_tempos_as_read_agree_already():
    assert suggest_tempo_range(CHART * 1.01, CHART) is None


def test_no_range_is_offered_for_a_reference_spread_over_several_octaves():
    ref = np.array([62.0, 70.0, 75.0, 84.0, 96.0, 120.0, 128.0, 150.0, 172.0, 190.0, 200.0])
    est = ref.copy()
    est[[3, 8]] = ref[[3, 8]] * [2.0, 0.5]  # two octave errors: no octave holds the sheet
    assert suggest_tempo_range(est, ref) is None


def test_a_gain_of_one_song_is_no_reason():
    est = CHART.copy()
    est[-1] /= 2  # one song at half
    assert suggest_tempo_range(est, CHART) is None


def test_too_few_songs_and_missing_tempos_are_left_out():
    est = _read_at(CHART, [2, 2, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5])
    assert suggest_tempo_range(est[:4], CHART[:4]) is None
    est_gaps = np.concatenate([est, [np.nan, 0.0, 120.0]])
    ref_gaps = np.concatenate([CHART, [100.0, 100.0, np.nan]])
    tip = suggest_tempo_range(est_gaps, ref_gaps)
    assert tip is not None and tip.n == 12


def test_a_reference_tempo_of_1_bpm_is_a_pair_like_any_other():
    # 1 BPM is the slowest tempo a sheet is read with: the song is paired, and agrees with
    # it in no range
    est = _read_at(CHART, [2, 2, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5])
    tip = suggest_tempo_range(np.r_[est, 120.0], np.r_[CHART, 1.0])
    assert tip is not None and tip.floor == 88.0
    assert (tip.n, tip.agree_as_read, tip.agree_in_range) == (13, 6, 12)


def test_the_range_analyzed_in_is_not_offered_again():
    est = _read_at(CHART, [2, 2, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5])
    tip = suggest_tempo_range(est, CHART, current_floor=88.0)
    assert tip is None or tip.floor != 88.0


def test_among_ranges_that_agree_equally_the_one_holding_the_sheet_wins():
    # Eight songs at 100-130 read at half agree in 68-135, 78-155, 88-175 and 98-195 alike;
    # a ninth, read at no octave of its 170, is held only by the two upper ranges: the lower
    # of those two wins.
    ref = np.array([100.0, 104.0, 108.0, 112.0, 116.0, 120.0, 125.0, 130.0, 170.0])
    est = np.append(ref[:-1] / 2.0, 37.0)
    tip = suggest_tempo_range(est, ref)
    assert tip is not None and tip.floor == 88.0
    assert (tip.agree_as_read, tip.agree_in_range) == (0, 8)


@pytest.mark.parametrize("floor", [58.0, 68.0, 108.0])
def test_each_octave_of_the_settings_can_be_found(floor):
    ref = floor * np.array([1.02, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 1.95])
    est = ref * np.where(np.arange(ref.size) % 2, 2.0, 0.5)  # every one an octave off
    tip = suggest_tempo_range(est, ref)
    assert tip is not None and tip.floor == floor and tip.agree_in_range == ref.size
