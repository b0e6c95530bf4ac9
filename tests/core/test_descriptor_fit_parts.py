"""Parts of a single-descriptor calibration: the note of a kept correction, the outlier
note's wording, a reference on a scale of its own, clamped offsets at the ends of a range,
the seed of folds and subsamples, and the floors of the outlying-song rule."""

import warnings

import numpy as np
import pytest

from core.calibration.descriptor_fit import (
    LinearCorrection,
    cv_folds,
    cv_predict,
    fit_descriptor,
    fit_linear,
    inner_folds,
    mae,
    nested_predict,
    outlier_note,
    r_squared,
    select_method,
    value_range,
)

LINE_METHODS = ("theil_sen", "huber", "linear")


def _by_hand_cv_mae(x, y, folds, method, *, low=None, high=None, seed=0):
    """Plain cross-validated MAE of one method, each fold fitted on the others."""
    def fp(train, test):
        return fit_linear(x[train], y[train], method=method, low=low, high=high,
                          seed=seed).apply(x[test])
    return mae(cv_predict(x.size, folds, fp), y)


def test_a_kept_correction_has_an_empty_note():
    """A kept correction needs no explanation: its note is the empty text, not a missing one."""
    rng = np.random.default_rng(12)
    x = rng.uniform(0.1, 0.9, 40)
    y = 0.6 * x + 0.3 + rng.normal(0, 0.01, 40)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.kept and cal.verdict == "calibrated"
    assert cal.note == ""


def test_the_outlier_note_says_songs_and_them_from_two_songs_on():
    """Two outlying songs are named in the plural ("songs", "them"), one in the singular."""
    two = outlier_note(2, 0.81, -0.2)
    assert two.startswith("2 outlying songs (held-out error more than 5 robust spreads")
    assert two.endswith("cross-validated r\u00b2 0.81 without them, -0.2 with")
    one = outlier_note(1, 0.81, -0.2)
    assert one.startswith("1 outlying song (held-out error")
    assert one.endswith("cross-validated r\u00b2 0.81 without it, -0.2 with")


def test_a_reference_on_the_descriptors_own_scale_has_no_reference_range():
    """A reference read on the descriptor's own scale (none given, or the very same range)
    is not "a scale of its own": no reference range is reported and an offset is tried."""
    rng = np.random.default_rng(13)
    x = rng.uniform(0.1, 0.9, 30)
    y = x + 0.05 + rng.normal(0, 0.01, 30)
    for given in (None, (0.0, 1.0)):
        cal = fit_descriptor(x, y, descriptor="energy", reference_range=given)
        assert cal.reference_range is None, given
        assert cal.correction.method != "scale" and "offset" in cal.cv_mae, given


def test_a_reference_on_a_scale_of_its_own_is_fitted_by_line_methods_only():
    """Against a 1-10 reference scale no offset is tried, neither in the errors of each
    method nor in the held-out predictions, even where the pairs would suit an offset: all
    three line methods compete."""
    rng = np.random.default_rng(2)
    x = rng.uniform(0.2, 0.8, 40)
    y = x + 5.0 + rng.laplace(0, 0.05, 40)
    cal = fit_descriptor(x, y, descriptor="energy", reference_range=(1.0, 10.0))
    assert cal.reference_range == (1.0, 10.0)
    assert set(cal.cv_mae) == set(LINE_METHODS)
    folds = cv_folds(40)
    lines = nested_predict(x, y, folds, methods=LINE_METHODS, low=1.0, high=10.0)
    assert np.array_equal(cal.cv_pred, lines)
    # with an offset among the candidates the held-out predictions would differ
    assert not np.array_equal(lines, nested_predict(x, y, folds, low=1.0, high=10.0))


@pytest.mark.parametrize("end", ["top", "bottom"])
def test_a_reference_saturating_at_an_end_of_the_range_is_met_by_a_clamped_offset(end):
    """A reference that tops out at 1 (or bottoms out at 0) where the analyzer goes on: an
    offset clamped to the range predicts every song exactly, so it is chosen, in every
    fold and overall, and the held-out error is nil."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 40)
    y = np.minimum(1.0, x + 0.4) if end == "top" else np.maximum(0.0, x - 0.4)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.best_method == "offset" and cal.cv_mae["offset"] < 1e-12
    assert cal.mae_cv < 1e-12 and cal.kept
    assert min(cal.cv_mae[m] for m in LINE_METHODS) > 0.005


def _heavy_tailed(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    return x, 0.7 * x + 0.1 + rng.standard_t(1.5, n) * 0.03


def test_the_seed_of_a_calibration_sets_its_folds_and_its_subsamples():
    """With a seed other than 0, the folds, the subsamples of the robust fits on a large
    deck, each method's cross-validated error, the held-out predictions and the fitted
    candidate all follow that seed (the same seed repeats the figures, another changes
    them)."""
    n, seed = 240, 3
    x, y = _heavy_tailed(n, 3)
    cal = fit_descriptor(x, y, descriptor="energy", seed=seed)
    folds = cv_folds(n, seed=seed)
    assert cal.cv_mae == {m: _by_hand_cv_mae(x, y, folds, m, low=0.0, high=1.0, seed=seed)
                          for m in ("offset", *LINE_METHODS)}
    assert cal.best_method in ("theil_sen", "huber")
    assert cal.candidate == fit_linear(x, y, method=cal.best_method, low=0.0, high=1.0,
                                       seed=seed)
    assert np.array_equal(cal.cv_pred,
                          nested_predict(x, y, folds, seed=seed, low=0.0, high=1.0))
    other = fit_descriptor(x, y, descriptor="energy", seed=0)
    assert other.cv_mae != cal.cv_mae and other.candidate != cal.candidate


def test_select_method_scores_on_folds_drawn_with_its_seed():
    """The method chosen on a set of pairs is scored on folds shuffled with the seed given."""
    x, y = _heavy_tailed(40, 4)
    m, scores = select_method(x, y, k=5, seed=5)
    folds = cv_folds(40, k=5, seed=5)
    assert scores == {m: _by_hand_cv_mae(x, y, folds, m, seed=5)
                      for m in ("offset", *LINE_METHODS)}
    assert scores != select_method(x, y, k=5, seed=0)[1]


def test_nested_predictions_choose_and_fit_each_fold_with_the_seed_given():
    """In each outer training set the method is chosen by an inner cross-validation with
    the seed given and then fitted with it (the Huber fit of more than 150 songs starts
    from a subsample drawn with that seed)."""
    rng = np.random.default_rng(1)
    n, seed, methods = 180, 4, ("offset", "huber")
    x = rng.uniform(0, 1, n)
    y = x + 0.05 + rng.standard_t(2, n) * 0.03  # offset and Huber nearly tie
    folds = cv_folds(n, seed=seed)
    by_hand = np.empty(n)
    chosen = set()
    for test in folds:
        train = np.setdiff1d(np.arange(n), test)
        m, _ = select_method(x[train], y[train], methods=methods,
                             k=inner_folds(train.size), seed=seed)
        chosen.add(m)
        by_hand[test] = fit_linear(x[train], y[train], method=m, seed=seed).apply(x[test])
    assert chosen == set(methods)
    assert np.array_equal(nested_predict(x, y, folds, methods=methods, seed=seed), by_hand)


def test_the_start_of_a_huber_fit_on_many_songs_is_a_subsample_drawn_with_the_seed():
    """On more than 150 songs a Huber fit starts from a Theil-Sen line through a subsample:
    the same seed gives the same line, another seed a slightly different one, both close
    to the truth."""
    rng = np.random.default_rng(8)
    x = rng.uniform(0, 1, 400)
    y = 0.5 * x + 0.2 + rng.standard_t(2, 400) * 0.05
    a = fit_linear(x, y, method="huber", seed=0)
    assert fit_linear(x, y, method="huber", seed=0) == a
    b = fit_linear(x, y, method="huber", seed=1)
    assert (a.slope, a.intercept) != (b.slope, b.intercept)
    for c in (a, b):
        assert c.slope == pytest.approx(0.5, abs=0.03)
        assert c.intercept == pytest.approx(0.2, abs=0.02)


def test_the_raw_r2_without_the_outlying_songs_is_reported():
    """With outlying songs set aside, the raw values' r² without them is reported as well as
    the corrected values', and the verdict reads it: values that track the reference but for
    three read as 0 LUFS are judged to track it."""
    rng = np.random.default_rng(11)
    ref = rng.normal(-8.0, 1.5, 34)
    est = ref + 0.3 + rng.normal(0, 0.3, 34)
    est[:3] = 0.0  # read as 0 LUFS: bad values in the results
    cal = fit_descriptor(est, ref, descriptor="loudness_lufs")
    assert list(cal.outliers) == [0, 1, 2]
    assert cal.r2_before_inliers == pytest.approx(r_squared(est[3:], ref[3:]))
    assert cal.r2_before_inliers > 0.8 and cal.r2_before < 0
    assert cal.verdict == "tracks" and not cal.kept


def test_a_song_off_by_a_hair_of_the_references_spread_is_not_outlying():
    """Where the analyzer is off by the same amount on every song (a spread of the errors of
    0) and values are written finer than any step, a song off by a hair more (1e-4, far
    below 1 % of the reference's spread) is not named outlying."""
    rng = np.random.default_rng(14)
    x = rng.uniform(0.2, 0.8, 30)
    y = x + 0.05
    y[3] += 1e-4
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.best_method == "offset" and cal.kept
    assert len(cal.outliers) == 0 and cal.outlier_note == ""


def test_a_difference_within_the_analyzers_rounding_is_not_outlying_though_the_sheet_is_finer():
    """Energies written to 0.01 against a reference written finer: a song the analyzer reads
    two of its steps higher is within its rounding (the analyzer's step, coarser than the
    sheet's, is what a difference is judged against)."""
    x = np.round(np.linspace(0.3, 0.6, 30), 2)
    y = x + 0.1234567
    x[7] += 0.02
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.best_method == "offset"
    assert len(cal.outliers) == 0 and cal.outlier_note == ""


def test_a_huber_fit_where_no_song_is_far_off_is_the_least_squares_line():
    """Energies in a narrow band, each reference 0.02 above or below a line: no residual is
    far enough from the others to be down-weighted, so the Huber fit ends on the
    least-squares line, not on the Theil-Sen line it starts from."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0.4, 0.6, 40))
    y = 0.8 * x + 0.1 + rng.choice([-0.02, 0.02], 40)
    huber = fit_linear(x, y, method="huber")
    least_squares = fit_linear(x, y, method="linear")
    assert huber.slope == pytest.approx(least_squares.slope, abs=1e-9)
    assert huber.intercept == pytest.approx(least_squares.intercept, abs=1e-9)
    assert abs(fit_linear(x, y, method="theil_sen").slope - huber.slope) > 0.005


def test_values_apart_by_a_billionth_of_their_size_fit_as_one_value():
    """Loudness readings of about -14 LUFS that differ only in the ninth significant digit
    have no spread to fit a line through: every method fits an offset (a line would have a
    slope in the millions)."""
    x = -14.0 + np.linspace(0.0, 1e-8, 12)
    y = np.linspace(-13.0, -11.0, 12)
    for method in ("linear", "theil_sen", "huber"):
        c = fit_linear(x, y, method=method)
        assert c.method == "offset" and c.slope == 1.0, method
        assert c.intercept == pytest.approx(float(np.median(y - x))), method


def test_a_method_named_none_is_refused_even_for_values_without_spread():
    """"none" (the pass-through) is no method to fit: it is refused as unknown, also where
    the analyzer values have no spread and any real method would fit an offset."""
    for x in ([0.2, 0.4, 0.6], [0.4, 0.4, 0.4]):
        with pytest.raises(ValueError, match="unknown method 'none'"):
            fit_linear(x, [0.3, 0.5, 0.7], method="none")


def test_a_reference_holding_one_value_for_most_songs_fits_without_a_warning():
    """Ten songs whose reference holds one value for all but two, against analyzer values
    that tie in pairs: the Theil-Sen fit (and the calibration) raises no warning."""
    x = [0.3, 0.1, 0.1, 0.5, 0.5, 0.3, 0.1, 0.1, 0.5, 0.5]
    y = [0.3] * 8 + [0.4, 0.4]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = fit_linear(x, y, method="theil_sen")
        cal = fit_descriptor(x, y, descriptor="energy")
    assert np.isfinite([c.slope, c.intercept]).all()
    assert cal.n == 10 and cal.folds == 10


def test_an_energy_a_hair_above_zero_next_to_zero_fits_without_a_warning():
    """Energies of 0 and of the smallest float above it (a results file edited by hand)
    among ordinary ones: their pairwise slope overflows, but the robust fits and the
    calibration raise no warning and find a finite line."""
    rng = np.random.default_rng(15)
    x = np.r_[0.0, 5e-324, rng.uniform(0.2, 0.8, 18)]
    y = np.clip(0.5 * x + 0.2 + rng.normal(0, 0.02, 20), 0.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fits = [fit_linear(x, y, method=m) for m in ("theil_sen", "huber")]
        cal = fit_descriptor(x, y, descriptor="energy")
    for c in fits:
        assert c.slope == pytest.approx(0.5, abs=0.1), c.method
    assert cal.n == 20 and np.isfinite([cal.candidate.slope, cal.candidate.intercept]).all()


@pytest.mark.parametrize("method", ["theil_sen", "huber"])
def test_a_theil_sen_slope_gone_infinite_falls_back_to_a_clamped_offset(method):
    """Fifteen energies a hair above 0 (the smallest floats there are, from a results file
    edited by hand) whose references rise with them, and five ordinary ones: most pairwise
    slopes are infinite, so instead of an infinite line the Theil-Sen fit, and the Huber
    fit that starts from it, give an offset (slope 1, the median difference), clamped as
    asked, without a warning."""
    rng = np.random.default_rng(16)
    x = np.r_[np.arange(15) * 5e-324, rng.uniform(0.3, 0.8, 5)]
    y = np.r_[np.linspace(0.2, 0.5, 15), rng.uniform(0.2, 0.8, 5)]
    assert np.ptp(x) > 0.1  # an ordinary spread overall: not values without spread
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = fit_linear(x, y, method=method, low=0.0, high=1.0)
        fit_descriptor(x, y, descriptor="energy")
    assert c == LinearCorrection("offset", 1.0, float(np.median(y - x)), 0.0, 1.0)
    assert c.apply(0.5) == pytest.approx(0.5 + c.intercept) and c.apply(0.9) == 1.0


def test_two_songs_have_an_r2_too_few_to_fit_on():
    """r² is defined from two songs on: with two pairs (too few to fit) the raw values'
    r² is still reported."""
    assert r_squared([0.2, 0.6], [0.2, 0.6]) == 1.0
    assert r_squared([0.4, 0.4], [0.2, 0.6]) == 0.0
    cal = fit_descriptor([0.2, 0.6], [0.3, 0.5], descriptor="energy")
    assert cal.verdict == "too few" and not cal.kept
    assert cal.r2_before == pytest.approx(0.0, abs=1e-12)  # each 0.1 off, as the mean


def test_a_correction_clamped_on_one_side_only_leaves_the_other_open():
    """A correction with only an upper bound clamps what goes above it and nothing below;
    one with only a lower bound the reverse; a single value comes back as a plain float."""
    up = LinearCorrection("linear", 2.0, 0.0, None, 1.0)
    np.testing.assert_array_equal(up.apply([-0.5, 0.3, 0.8]), [-1.0, 0.6, 1.0])
    down = LinearCorrection("linear", 2.0, 0.0, 0.0, None)
    np.testing.assert_array_equal(down.apply([-0.5, 0.3, 0.8]), [0.0, 0.6, 1.6])
    value = up.apply(0.3)
    assert type(value) is float and value == pytest.approx(0.6)


def test_the_range_of_no_finite_value_is_none():
    """The fitted range of values with none finite, or of none at all, is None."""
    assert value_range([]) is None
    assert value_range([np.nan, np.inf]) is None
    assert value_range([0.4, np.nan, 0.2]) == (0.2, 0.4)
