"""The calibration's tempo fit, piece by piece: which octave rules are valid, what a rule
returns, folding tempi into a range, the search over ranges, the choice of rule on a few
songs, the guarded linear fit on the songs that agree, and the log ratio behind the
prediction interval."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from core.calibration.agreement import tempo_within
from core.calibration.descriptor_fit import LinearCorrection
from core.calibration.tempo_fit import (
    _RANGES,
    TempoRule,
    _fit_tempo_linear,
    _fold,
    _learn_tempo_rule,
    _log_ratio,
    _range_hits,
)

# ---------------------------------------------------------------------------- the rule


def test_a_range_below_one_bpm_is_a_valid_rule():
    rule = TempoRule("range", low=0.5)
    assert rule.high == 1.0
    assert rule.apply(3.0) == 0.75  # folded down two octaves


def test_a_range_a_rounding_error_short_of_an_octave_is_accepted():
    # high may fall short of 2 * low by a rounding error, no more
    rule = TempoRule("range", low=60.0, high=2.0 * 60.0 - 1e-9)
    assert rule.high == 120.0 - 1e-9
    assert rule.apply(130.0) == 65.0


def test_a_rule_whose_range_is_half_a_bpm_short_of_an_octave_is_refused():
    with pytest.raises(ValueError, match="high must be >= 2 \\* low"):
        TempoRule("range", low=60.0, high=119.5)


@pytest.mark.parametrize("rule", [TempoRule(), TempoRule("factor", 2.0),
                                  TempoRule("range", low=70.0, high=140.0)])
def test_a_single_tempo_comes_back_as_a_plain_float(rule):
    out = rule.apply(100)
    assert type(out) is float
    assert out == {"none": 100.0, "factor": 200.0, "range": 100.0}[rule.kind]


def test_a_list_of_tempi_comes_back_as_an_array():
    out = TempoRule("factor", 0.5).apply([100, 150])
    assert isinstance(out, np.ndarray) and out.tolist() == [50.0, 75.0]


# ---------------------------------------------------------------------------- folding


def test_even_a_tempo_below_one_bpm_folds_into_the_range():
    # 0.75 BPM doubled seven times lands at 96 BPM
    assert _fold([0.75, 0.5], 70.0, 140.0).tolist() == [96.0, 128.0]


def test_a_missing_tempo_given_as_none_comes_back_as_nan():
    out = _fold([50.0, None, 300.0], 70.0, 140.0)
    assert out.dtype == np.float64
    assert out[0] == 100.0 and math.isnan(out[1]) and out[2] == 75.0


def test_zero_negative_and_nan_tempi_pass_through_the_fold():
    out = _fold([0.0, -5.0, np.nan, 35.0], 70.0, 140.0)
    assert out[:2].tolist() == [0.0, -5.0] and math.isnan(out[2]) and out[3] == 70.0


# ---------------------------------------------------------------------------- range search


def _fold_acc1(est, ref):
    """Acc1 of every range of the search, by folding each song for real."""
    folded = _fold(est[None, :], _RANGES[:, :1], _RANGES[:, 1:])
    return tempo_within(folded, ref[None, :]).mean(axis=1)


def test_the_range_search_agrees_with_folding_tempi_up_to_twelve_octaves_away():
    # songs up to 12 octaves too slow or too fast for some of the ranges (none further
    # from any), a few ordinary ones, some at the wrong octave of the sheet
    est = np.array([100 / 2**11, 0.032, 90 / 2**11, 100 * 2**11, 75 * 2**12,
                    50.0, 100.0, 150.0, 210.0, 66.0, 300.0])
    ref = np.array([100.0, 0.032 * 2**12, 90.0, 100.0, 75.0, 100.0, 100.0, 75.0, 105.0,
                    132.0, 150.0])
    hits = _range_hits(est, ref)
    assert hits.shape == (len(_RANGES),)
    np.testing.assert_array_equal(hits, _fold_acc1(est, ref))
    # the slow songs agree only once folded up eleven or twelve octaves
    assert hits[(_RANGES[:, 0] == 100.0) & (_RANGES[:, 1] == 200.0)][0] == 7 / 11


def test_the_range_search_agrees_with_folding_tempi_more_than_twelve_octaves_away():
    # 30 BPM read 4,096 times too slow: folded into 40-80 it is 60, a miss (twelve octaves
    # up would be 30, a hit); a tempo 8,192 times too slow folds up 13 octaves into 100-200,
    # within 3 % of its sheet's
    est = np.array([30 / 2**12, 0.015, 300 * 2**12, 100.0])
    ref = np.array([30.0, 120.0, 300.0, 100.0])
    hits = _range_hits(est, ref)
    np.testing.assert_array_equal(hits, _fold_acc1(est, ref))
    assert hits[(_RANGES[:, 0] == 40.0) & (_RANGES[:, 1] == 80.0)][0] == 0.0
    assert hits[(_RANGES[:, 0] == 100.0) & (_RANGES[:, 1] == 200.0)][0] == 2 / 4


def test_a_vanishingly_small_tempo_is_a_miss_in_every_range_without_a_division_error():
    est, ref = np.array([5e-324, 100.0]), np.array([100.0, 100.0])
    with np.errstate(divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (an overflow on the way is fine)
        hits = _range_hits(est, ref)
    assert hits.max() == 0.5 and hits.min() == 0.0


def test_a_huge_tempo_is_searched_without_any_floating_point_error():
    est, ref = np.array([3e304, 100.0]), np.array([100.0, 100.0])
    with np.errstate(all="raise"):
        hits = _range_hits(est, ref)
    np.testing.assert_array_equal(hits, _fold_acc1(est, ref))


# ---------------------------------------------------------------------------- choice of rule


def test_a_factor_that_only_ties_with_no_change_is_not_learned():
    # doubling puts the second song right and the first wrong: the same Acc1 and Acc2
    # as leaving both alone, and no range does better
    est, ref = np.array([100.0, 100.0]), np.array([100.0, 200.0])
    assert _learn_tempo_rule(est, ref) == TempoRule()


def test_an_analyzer_that_halves_every_song_learns_to_double():
    est = np.array([50.0, 60.0, 70.0, 80.0])
    assert _learn_tempo_rule(est, 2 * est) == TempoRule("factor", 2.0)


def test_of_two_equally_wide_best_ranges_the_upper_one_is_learned():
    # two songs want a range ending at 100 BPM at most, two others a range from 100 to
    # 250 BPM at most: the best ranges 40-100 and 100-250 both span a ratio of 2.5
    est = np.array([202.0, 202.0, 99.0, 502.0])
    ref = np.array([50.5, 50.5, 198.0, 125.5])
    rule = _learn_tempo_rule(est, ref)
    assert rule == TempoRule("range", low=100.0, high=250.0)
    assert rule.apply(est).tolist() == [202.0, 202.0, 198.0, 125.5]


# ---------------------------------------------------------------------------- linear fit


def test_four_agreeing_songs_are_enough_for_a_linear_tempo_fit():
    est = np.array([100.0, 110.0, 120.0, 130.0, 200.0])
    ref = np.array([101.0, 111.0, 121.0, 131.0, 100.0])  # the last one is an octave off
    corr = _fit_tempo_linear(est, ref, "offset", 0)
    assert corr == LinearCorrection("offset", 1.0, 1.0, 20.0, 320.0)


def test_three_agreeing_songs_fit_nothing():
    est = np.array([100.0, 110.0, 120.0, 200.0, 200.0])
    ref = np.array([101.0, 111.0, 121.0, 100.0, 100.0])
    corr = _fit_tempo_linear(est, ref, "offset", 0)
    assert corr.method == "none" and corr.apply(97.0) == 97.0


def test_asking_for_no_correction_gives_none():
    est = np.array([100.0, 110.0, 120.0, 130.0, 140.0])
    corr = _fit_tempo_linear(est, est + 1.0, "none", 0)
    assert corr == LinearCorrection("none")


def test_a_slope_past_the_allowed_ones_falls_back_to_a_clamped_offset():
    # within 8 % of each other, but the sheet's tempi spread eight times wider
    est = np.array([100.0, 100.5, 101.0, 101.5])
    ref = np.array([95.0, 99.0, 103.0, 107.0])
    corr = _fit_tempo_linear(est, ref, "linear", 0)
    assert corr == LinearCorrection("offset", 1.0, 0.25, 20.0, 320.0)
    assert corr.apply([5.0, 400.0]).tolist() == [20.0, 320.0]


def test_a_slope_inside_the_allowed_ones_is_kept():
    est = np.array([100.0, 110.0, 120.0, 130.0])
    corr = _fit_tempo_linear(est, 1.02 * est, "linear", 0)
    assert corr.method == "linear"
    assert corr.slope == pytest.approx(1.02) and corr.intercept == pytest.approx(0.0, abs=1e-9)


# ---------------------------------------------------------------------------- log ratio


def test_the_log_ratio_of_tempi():
    out = _log_ratio([200.0, 50, 100.0], [100, 100.0, 100.0])
    np.testing.assert_allclose(out, [math.log(2), -math.log(2), 0.0], rtol=0, atol=1e-15)


def test_a_missing_tempo_given_as_none_has_no_log_ratio():
    assert math.isnan(_log_ratio([200.0, None], [100.0, 100.0])[1])
    assert math.isnan(_log_ratio([200.0, 200.0], [None, 100.0])[0])
    assert _log_ratio([200.0, None], [100.0, 100.0])[0] == pytest.approx(math.log(2))


def test_zero_and_negative_tempi_give_a_quiet_log_ratio():
    # where numpy is told to raise, a zero or negative tempo still gives -inf or NaN
    with np.errstate(divide="raise", invalid="raise"):
        out = _log_ratio([0.0, -50.0, 200.0], [100.0, 100.0, 100.0])
    assert out[0] == -np.inf and math.isnan(out[1]) and out[2] == pytest.approx(math.log(2))
