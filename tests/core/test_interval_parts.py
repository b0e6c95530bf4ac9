"""The calibration's prediction intervals (:mod:`core.calibration.intervals`): that songs
with no residual (given as ``None``) are left out of the half-width and of the song count,
the bounds written beside a value (whole-number and missing values, a zero half-width, a
column range closed on one side only), the short text of an interval, and that a profile's
interval with a coverage that is not a number is refused with a message naming it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.calibration.intervals import (
    PredictionInterval,
    conformal_halfwidth,
    interval_from_residuals,
)

# ------------------------------------------------------------------------ half-widths


def test_residuals_given_as_none_are_left_out_of_the_half_width():
    # A song without a prediction may come as None rather than NaN: it is skipped, so
    # the three songs that have one give the 2nd smallest absolute residual at 50 %.
    residuals = [0.125, None, -0.375, 0.25]
    assert conformal_halfwidth(residuals, coverage=0.5) == 0.25
    assert conformal_halfwidth([0.125, -0.375, 0.25], coverage=0.5) == 0.25


def test_an_interval_from_residuals_counts_only_the_songs_that_have_a_residual():
    got = interval_from_residuals([0.125, None, -0.375, 0.25, None], coverage=0.5)
    assert got == PredictionInterval("absolute", 0.25, 0.5, 3)
    # Tempo residuals (log ratios) with a missing song work the same way.
    tempo = interval_from_residuals([None, -0.5, 0.25], kind="relative", coverage=0.5)
    assert tempo == PredictionInterval("relative", 0.5, 0.5, 2)


# ----------------------------------------------------------------------------- bounds


def test_an_unknown_half_width_gives_nan_bounds_even_around_a_whole_number():
    # A tempo or a rating may be a plain int; the bounds are still NaN, not some
    # huge integer.
    unknown = PredictionInterval()
    lo, hi = unknown.bounds(120)
    assert math.isnan(lo) and math.isnan(hi)
    los, his = unknown.bounds([100, 120])
    assert np.isnan(los).all() and np.isnan(his).all() and los.shape == (2,)
    unbounded = PredictionInterval("relative", math.inf, n=5)
    lo, hi = unbounded.bounds(128, low=40.0, high=250.0)
    assert math.isnan(lo) and math.isnan(hi)


def test_whole_number_values_get_float_bounds():
    lo, hi = PredictionInterval("absolute", 0.5, n=30).bounds(3)
    assert (lo, hi) == (2.5, 3.5)
    los, his = PredictionInterval("absolute", 0.5, n=30).bounds([3, 7], low=0.0, high=7.0)
    assert los.tolist() == [2.5, 6.5] and his.tolist() == [3.5, 7.0]


def test_a_missing_value_given_as_none_has_nan_bounds():
    lo, hi = PredictionInterval("absolute", 0.5, n=30).bounds(None)
    assert math.isnan(lo) and math.isnan(hi)


def test_a_zero_half_width_gives_bounds_equal_to_the_value():
    # Every held-out prediction was exact: the interval is the value itself, not
    # "unknown".
    assert PredictionInterval("absolute", 0.0, n=20).bounds(0.4) == (0.4, 0.4)
    assert PredictionInterval("relative", 0.0, n=20).bounds(120.0) == (120.0, 120.0)


def test_a_range_with_only_an_upper_end_clips_only_from_above():
    interval = PredictionInterval("absolute", 0.5, n=30)
    assert interval.bounds(0.75, high=1.0) == (0.25, 1.0)
    lo, hi = interval.bounds([0.25, 0.75], high=1.0)
    assert lo.tolist() == [-0.25, 0.25]
    assert hi.tolist() == [0.75, 1.0]


def test_a_range_with_only_a_lower_end_clips_only_from_below():
    interval = PredictionInterval("absolute", 0.5, n=30)
    assert interval.bounds(0.25, low=0.0) == (0.0, 0.75)
    lo, hi = interval.bounds([0.25, 0.75], low=0.0)
    assert lo.tolist() == [0.0, 0.25]
    assert hi.tolist() == [0.75, 1.25]


# --------------------------------------------------------------------------- describe


def test_the_interval_text_shows_three_significant_digits_by_default():
    assert PredictionInterval("absolute", 0.06234, n=40).describe() == "\u00b10.0623 (90 %)"
    # exp(0.05) = 1.0513: the tempo factor is shown as 1.05.
    assert PredictionInterval("relative", 0.05, n=40).describe() == "\u00d7/\u00f7 1.05 (90 %)"
    assert PredictionInterval("absolute", 0.06234, n=40).describe(places=2) == (
        "\u00b10.062 (90 %)")


def test_a_zero_half_width_is_described_as_a_number_not_as_unknown():
    assert PredictionInterval("absolute", 0.0, n=20).describe() == "\u00b10 (90 %)"
    assert PredictionInterval("relative", 0.0, n=20).describe() == "\u00d7/\u00f7 1 (90 %)"
    assert PredictionInterval().describe() == "unknown"


# -------------------------------------------------------------------------- from_dict


@pytest.mark.parametrize("coverage", ["0.9", None, [0.9]], ids=["text", "null", "list"])
def test_a_coverage_that_is_not_a_number_is_refused_with_a_message_that_names_it(coverage):
    with pytest.raises(ValueError, match=r"interval coverage must be in \(0, 1\), got "):
        PredictionInterval.from_dict({"kind": "absolute", "halfwidth": 0.1,
                                      "coverage": coverage, "n": 40})
