"""Single-descriptor corrections: robust fits, nested cross-validation, the keep rule at its
boundary, verdicts and intervals."""

import math
import warnings

import numpy as np
import pytest

from core.calibration.descriptor_fit import (
    INNER_FOLDS,
    INNER_FOLDS_LARGE,
    LARGE_TRAINING_SET,
    OUTLIER_MAX_SHARE,
    LinearCorrection,
    cv_folds,
    cv_predict,
    fit_descriptor,
    fit_linear,
    inner_folds,
    mae,
    nested_predict,
    outlying,
    r_squared,
    select_method,
    value_step,
)
from core.calibration.intervals import interval_from_residuals
from core.calibration.verdict import descriptor_verdict
from tests.core.test_descriptor_fit_parts import _by_hand_cv_mae


def test_cv_folds_leave_one_out_up_to_19_and_k_fold_from_20():
    assert len(cv_folds(19)) == 19 and all(len(f) == 1 for f in cv_folds(19))
    folds = cv_folds(20, k=10)
    assert len(folds) == 10 and all(len(f) == 2 for f in folds)
    assert sorted(np.concatenate(folds).tolist()) == list(range(20))
    assert len(cv_folds(2)) == 2
    with pytest.raises(ValueError, match="n=1"):
        cv_folds(1)
    with pytest.raises(ValueError, match="k must be"):
        cv_folds(30, k=1)
    assert [len(f) for f in cv_folds(25, k=2)] == [13, 12]


def test_cv_folds_repeat_with_a_seed_and_differ_between_seeds():
    a, b = cv_folds(50, seed=1), cv_folds(50, seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, cv_folds(50, seed=2), strict=True))


def test_measures():
    assert mae([1.0, 2.0], [2.0, 4.0]) == 1.5
    assert np.isnan(mae([], []))
    assert r_squared([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert r_squared([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]) == 0.0  # the mean: r² 0
    assert np.isnan(r_squared([1.0], [1.0]))
    assert np.isnan(r_squared([1.0, 2.0], [3.0, 3.0]))


def test_each_method_recovers_a_clean_line():
    x = np.linspace(0.0, 1.0, 30)
    y = 0.5 * x + 0.2
    for method in ("linear", "theil_sen", "huber"):
        c = fit_linear(x, y, method=method)
        assert c.slope == pytest.approx(0.5, abs=1e-9), method
        assert c.intercept == pytest.approx(0.2, abs=1e-9), method
    offset = fit_linear(x, x + 0.3, method="offset")
    assert (offset.slope, offset.intercept) == (1.0, pytest.approx(0.3))
    flat = fit_linear(np.full(5, 0.4), np.arange(5.0), method="linear")
    assert flat.method == "offset" and flat.intercept == pytest.approx(2.0 - 0.4)


def test_two_points_are_enough_for_a_line():
    # the smallest fit there is: two songs give the line through them
    for method in ("linear", "theil_sen", "huber"):
        c = fit_linear([0.2, 0.6], [0.3, 0.5], method=method)
        assert (c.method, c.slope, c.intercept) == (
            method, pytest.approx(0.5), pytest.approx(0.2)), method
    with pytest.raises(ValueError, match="at least 2 values, got 1, 1"):
        fit_linear([0.2], [0.3], method="linear")


def test_robust_fits_recover_a_line_despite_outliers():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 1.0, 80)
    y = 0.6 * x + 0.2 + rng.normal(0, 0.02, 80)
    y[:8] = rng.uniform(0.9, 1.0, 8)  # 10 % gross outliers
    ols = fit_linear(x, y, method="linear")
    assert abs(ols.slope - 0.6) > 0.1  # least squares is pulled away
    for method in ("theil_sen", "huber"):
        c = fit_linear(x, y, method=method)
        assert c.slope == pytest.approx(0.6, abs=0.05), method
        assert c.intercept == pytest.approx(0.2, abs=0.03), method


def test_huber_on_many_points_uses_a_subsampled_start_and_still_fits():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, 1000)
    y = 2.0 * x - 0.5 + rng.normal(0, 0.01, 1000)
    y[:50] += 3.0
    c = fit_linear(x, y, method="huber")
    assert c.slope == pytest.approx(2.0, abs=0.01) and c.intercept == pytest.approx(-0.5,
                                                                                   abs=0.01)
    # Theil-Sen on more than 200 points fits a fixed-seed subsample: the same line each time
    t = fit_linear(x, y, method="theil_sen")
    assert t.slope == pytest.approx(2.0, abs=0.02) and t.intercept == pytest.approx(-0.5,
                                                                                   abs=0.02)
    assert fit_linear(x, y, method="theil_sen") == t


def test_unknown_method_and_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="unknown method 'cubic'"):
        fit_linear([1, 2, 3], [1, 2, 3], method="cubic")
    with pytest.raises(ValueError, match="at least 2"):
        fit_linear([1.0], [1.0], method="linear")
    with pytest.raises(ValueError, match="min_gain"):
        fit_descriptor([1, 2], [1, 2], descriptor="energy", min_gain=1.0)
    with pytest.raises(ValueError, match="min_gain"):
        fit_descriptor([1, 2], [1, 2], descriptor="energy", min_gain=-0.01)


def test_correction_is_clamped_to_the_descriptor_range():
    c = LinearCorrection("linear", 1.5, -0.2, 0.0, 1.0)
    assert c.apply(1.0) == 1.0 and c.apply(0.0) == 0.0 and c.apply(0.5) == pytest.approx(0.55)
    assert LinearCorrection().apply(5.0) == 5.0
    assert np.isnan(LinearCorrection("linear", 2.0, 0.0).apply(np.nan))
    assert LinearCorrection("offset", 1.0, -0.25).describe() == "offset: y = x - 0.25"
    assert LinearCorrection("huber", 0.5, 0.1).describe() == "huber: y = 0.5x + 0.1"


def test_a_correction_reads_a_list_of_values_with_none_for_a_missing_one():
    # a column of values as Python holds it; what is missing stays missing, as NaN
    for c, want in ((LinearCorrection("linear", 2.0, 1.0), [3.0, np.nan, 5.0]),
                    (LinearCorrection(), [1.0, np.nan, 2.0])):
        out = c.apply([1, None, 2])
        assert out.dtype == float
        np.testing.assert_array_equal(out, want)


def test_nested_cv_chooses_the_method_inside_each_training_set():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, 60)
    y = 0.7 * x + 0.1 + rng.normal(0, 0.03, 60)
    folds = cv_folds(60)
    nested = nested_predict(x, y, folds)
    # by hand: each fold's method chosen on its own training songs only
    by_hand = np.empty(60)
    for test in folds:
        train = np.setdiff1d(np.arange(60), test)
        m, scores = select_method(x[train], y[train], k=inner_folds(train.size))
        assert m == min(scores, key=scores.get)
        by_hand[test] = fit_linear(x[train], y[train], method=m).apply(x[test])
    assert np.array_equal(nested, by_hand)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert np.array_equal(cal.cv_pred, nested)
    assert cal.mae_cv == mae(nested, y)
    # the best of the four plain cross-validated errors is the optimistic one
    assert min(cal.cv_mae.values()) <= cal.mae_cv
    assert cal.mae_after == cal.mae_cv and cal.kept


def test_a_correction_just_under_the_min_gain_is_not_kept_and_just_over_is():
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 1, 60)
    y = 0.9 * x + 0.08 + rng.normal(0, 0.05, 60)
    free = fit_descriptor(x, y, descriptor="energy", min_gain=0.0)
    gain = 1.0 - free.mae_cv / free.mae_before  # what this correction achieves
    assert 0.02 < gain < 0.5
    kept = fit_descriptor(x, y, descriptor="energy", min_gain=gain - 1e-6)
    dropped = fit_descriptor(x, y, descriptor="energy", min_gain=gain + 1e-6)
    assert kept.kept and kept.mae_after == free.mae_cv
    assert not dropped.kept and dropped.mae_after == dropped.mae_before
    assert dropped.correction.method == "none"
    assert f"by {100 * (gain + 1e-6):g} %" in dropped.note


def test_a_correction_that_is_up_to_1_percent_worse_is_not_kept():
    rng = np.random.default_rng(21)
    x = rng.uniform(0.1, 0.9, 60)
    y = x + rng.normal(0, 0.05, 60)  # nothing to learn
    cal = fit_descriptor(x, y, descriptor="valence")
    assert cal.mae_before < cal.mae_cv < 1.01 * cal.mae_before  # the trap: 0.97 % worse
    assert not cal.kept and cal.correction.method == "none"
    assert cal.mae_after == cal.mae_before and cal.verdict == "tracks"
    assert "nested cross-validated MAE by 1 %" in cal.note


def test_a_correction_less_than_1_percent_better_is_not_kept():
    rng = np.random.default_rng(11)
    x = rng.uniform(0.1, 0.9, 200)
    y = x + rng.normal(0, 0.05, 200)
    cal = fit_descriptor(x, y, descriptor="valence")
    assert 0.99 * cal.mae_before < cal.mae_cv < cal.mae_before  # 0.2 % better
    assert not cal.kept and cal.mae_after == cal.mae_before


def test_cross_validation_rejects_a_fit_that_only_helps_in_sample():
    rng = np.random.default_rng(7)
    x = rng.uniform(0.2, 0.8, 12)
    y = x + rng.normal(0, 0.05, 12)
    in_sample = mae(fit_linear(x, y, method="linear").apply(x), y)
    assert in_sample < mae(x, y)  # the trap is real
    cal = fit_descriptor(x, y, descriptor="valence")
    assert not cal.kept and cal.folds == 12  # leave-one-out
    assert cal.cv_mae["linear"] > cal.mae_before


def test_no_relation_keeps_nothing_not_even_a_flat_line():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 1, 60), rng.uniform(0, 1, 60)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.keepable  # a line near the mean does beat the raw values...
    assert cal.verdict == "no relation" and not cal.kept  # ...but predicts nothing
    assert cal.r2_cv < 0.05 and cal.r2_before < 0.05
    assert cal.mae_after == cal.mae_before and cal.interval is cal.interval_raw
    assert "no relation" in cal.note


def test_inverted_descriptor_is_not_kept_unless_asked():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, 120)
    y = np.clip(1.0 - x + rng.normal(0, 0.08, 120), 0, 1)
    cal = fit_descriptor(x, y, descriptor="acousticness")
    assert cal.verdict == "inverted" and cal.keepable and not cal.kept
    assert cal.candidate.slope == pytest.approx(-1.0, abs=0.1)
    assert cal.mae_after == cal.mae_before and "not kept unless you tick it" in cal.note
    cal.set_keep_inverted(True)
    assert cal.kept and cal.correction is cal.candidate and cal.mae_after == cal.mae_cv
    assert cal.mae_cv < 0.3 * cal.mae_before and cal.interval is cal.interval_cv
    cal.set_keep_inverted(False)
    assert not cal.kept and cal.mae_after == cal.mae_before
    asked = fit_descriptor(x, y, descriptor="acousticness", keep_inverted=True)
    assert asked.kept and asked.verdict == "inverted"


def test_weak_descriptor_is_kept_but_judged_weak():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 300)
    y = np.clip(0.5 + 0.25 * (x - 0.5) + rng.normal(0, 0.12, 300), 0, 1)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.kept and cal.verdict == "weak"
    assert 0.05 <= cal.r2_cv < 0.5


def test_raw_values_that_already_track_keep_nothing():
    rng = np.random.default_rng(8)
    x = rng.uniform(0, 1, 80)
    y = x + rng.normal(0, 0.03, 80)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert not cal.kept and cal.verdict == "tracks" and cal.r2_before > 0.9
    # nothing applied: the 90 % interval is that of the raw values, from all 80 songs
    assert cal.interval == interval_from_residuals(x - y) and cal.interval.n == 80
    assert 0 < cal.interval.halfwidth < 0.1


def test_too_few_pairs_at_the_boundary():
    three = fit_descriptor([0.1, 0.5, 0.9], [0.2, 0.5, 0.8], descriptor="energy")
    assert three.n == 3 and three.verdict == "too few" and three.folds == 0
    assert three.note == ("too few pairs to fit (3 < 10): no correction is kept from fewer "
                          "than 10 paired songs")
    x = np.linspace(0.1, 0.9, 10)
    nine = fit_descriptor(x[:9], 0.8 * x[:9] + 0.1, descriptor="energy")
    assert nine.n == 9 and nine.folds == 0 and nine.verdict == "too few" and not nine.kept
    ten = fit_descriptor(x, 0.8 * x + 0.1, descriptor="energy")
    assert ten.n == 10 and ten.folds == 10 and ten.verdict == "calibrated" and ten.kept
    nan = fit_descriptor([0.1, np.nan, 0.3], [0.2, 0.5, np.nan], descriptor="energy")
    assert nan.n == 1 and not nan.kept
    assert fit_descriptor([], [], descriptor="energy").note == "no pairs"


def test_a_kept_correction_reports_its_in_sample_r2_and_mae():
    rng = np.random.default_rng(12)
    x = rng.uniform(0.1, 0.9, 60)
    y = 0.7 * x + 0.2 + rng.normal(0, 0.02, 60)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.kept and cal.verdict == "calibrated"
    # the figures of the line fitted on every song, measured on those songs
    fitted = cal.correction.apply(x)
    assert cal.r2 == pytest.approx(r_squared(fitted, y)) and cal.r2 > 0.9
    assert cal.mae_fit == pytest.approx(mae(fitted, y)) and cal.mae_fit < 0.03


def test_interval_holds_about_90_percent_of_new_reference_values():
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 1, 2000)
    y = 0.8 * x + 0.1 + rng.normal(0, 0.05, 2000)
    cal = fit_descriptor(x[:1000], y[:1000], descriptor="energy")
    assert cal.kept
    lo, hi = cal.interval.bounds(cal.correction.apply(x[1000:]), low=0.0, high=1.0)
    inside = np.mean((y[1000:] >= lo) & (y[1000:] <= hi))
    assert 0.87 <= inside <= 0.93
    assert cal.interval.halfwidth == pytest.approx(1.645 * 0.05, rel=0.1)


def test_inner_folds_shrink_for_large_training_sets():
    assert inner_folds(LARGE_TRAINING_SET - 1) == INNER_FOLDS == 5
    assert inner_folds(LARGE_TRAINING_SET) == INNER_FOLDS_LARGE == 3


def test_cv_predict_fits_on_the_other_folds_only():
    seen = []

    def fp(train, test):
        seen.append((set(train.tolist()), set(test.tolist())))
        return np.full(test.size, float(len(train)))

    out = cv_predict(6, [np.array([0, 1]), np.array([2, 3, 4]), np.array([5])], fp)
    assert out.tolist() == [4.0, 4.0, 3.0, 3.0, 3.0, 5.0]
    assert all(not (tr & te) and (tr | te) == set(range(6)) for tr, te in seen)


def test_describe_texts():
    assert LinearCorrection().describe() == "none"
    assert LinearCorrection("offset", 1.0, 0.0).describe() == "offset: y = x + 0"
    assert LinearCorrection("offset", 1.0, 1.5).describe() == "offset: y = x + 1.5"
    assert LinearCorrection("linear", -0.8, 0.9).describe() == "linear: y = -0.8x + 0.9"
    assert LinearCorrection("theil_sen", 1.02, -1.3).describe() == \
        "theil_sen: y = 1.02x - 1.3"


def test_each_method_is_scored_on_the_clamped_values_it_would_apply():
    # Theil-Sen fits a fixed-seed subsample of a large set: the choice is reproducible.
    big = np.random.default_rng(4)
    bx = big.uniform(0, 1, 320)
    by = 0.8 * bx + 0.1 + big.standard_t(2, 320) * 0.05
    assert select_method(bx, by, k=5) == select_method(bx, by, k=5)
    # The analyzer reads energy far too high near the top: a line through the pairs
    # overshoots 1 and undershoots 0, so clamping to 0-1 changes every method's error.
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 1, 40)
    y = np.clip(1.6 * x - 0.3 + rng.normal(0, 0.02, 40), 0, 1)
    _, scores = select_method(x, y, k=5, low=0.0, high=1.0)
    for m, score in scores.items():
        assert score == _by_hand_cv_mae(x, y, cv_folds(40, k=5), m, low=0.0, high=1.0), m


def test_the_cross_validated_predictions_are_clamped_as_the_correction_is():
    # A line through these pairs overshoots 1 at the top: the held-out predictions behind
    # the MAE "after" and the interval stay on the 0-1 scale, as the applied values do.
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 1, 40)
    y = np.clip(1.6 * x - 0.3 + rng.normal(0, 0.02, 40), 0, 1)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.cv_pred.min() == 0.0 and cal.cv_pred.max() == 1.0
    assert cal.mae_after == mae(cal.cv_pred, y)


def test_ten_folds_unless_told_otherwise():
    rng = np.random.default_rng(10)
    x = rng.uniform(0, 1, 50)
    y = 0.8 * x + 0.1 + rng.normal(0, 0.02, 50)
    assert fit_descriptor(x, y, descriptor="energy").folds == 10
    assert fit_descriptor(x, y, descriptor="energy", k=5).folds == 5


def test_a_large_deck_chooses_each_method_with_fewer_inner_folds():
    # 560 songs: every outer training set holds more than LARGE_TRAINING_SET songs, so the
    # method is chosen by 3-fold inner cross-validation; offset and linear nearly tie, so
    # 5 inner folds would choose differently in some fold.
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 560)
    y = 1.01 * x + 0.02 + rng.normal(0, 0.05, 560)
    folds = cv_folds(560)
    methods = ("offset", "linear")

    def by_hand(k):
        out = np.empty(560)
        for test in folds:
            train = np.setdiff1d(np.arange(560), test)
            m, _ = select_method(x[train], y[train], methods=methods, k=k)
            out[test] = fit_linear(x[train], y[train], method=m).apply(x[test])
        return out

    nested = nested_predict(x, y, folds, methods=methods)
    assert np.array_equal(nested, by_hand(INNER_FOLDS_LARGE))
    assert not np.array_equal(nested, by_hand(INNER_FOLDS))


@pytest.mark.parametrize(("x", "y"), [
    ([0.3, 0.1, 0.1, 0.5, 0.5], [0.3] * 5),
    ([0.3, 0.1, 0.1, 0.5, 0.2, 0.2], [0.3, 0.3, 0.3, 0.3, 0.4, 0.4]),
])
def test_a_fit_on_values_that_mostly_tie_warns_of_nothing(x, y):
    """A reference column holding one value for most songs made SciPy warn "invalid value
    encountered in sqrt" (the Theil-Sen slope's interval, not used) in the middle of a fit."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.n == len(x)


def test_values_apart_by_less_than_a_float_can_hold_fit_as_one_value(recwarn):
    # energies of 1e-310 and below (a results file edited by hand: inside 0-1, so read)
    # made Theil-Sen's slope infinite and least squares fail to converge: calibrate
    # stopped with "SVD did not converge" and a traceback
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1e-310, 40)
    y = rng.uniform(0.2, 0.8, 40)
    for method in ("linear", "theil_sen", "huber"):
        c = fit_linear(x, y, method=method)
        assert c.method == "offset" and np.isfinite([c.slope, c.intercept]).all()
    cal = fit_descriptor(x, y, descriptor="energy")
    assert np.isfinite([cal.correction.slope, cal.correction.intercept]).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_values_equal_to_the_reference_are_said_to_need_no_correction():
    # every analyzer value equals the reference: the note said "best offset: 0 vs 0"
    x = np.linspace(0.1, 0.9, 12)
    cal = fit_descriptor(x, x.copy(), descriptor="energy")
    assert cal.verdict == "tracks" and not cal.kept and cal.mae_before == 0
    assert cal.note == ("the values as read equal the reference on all 12 paired songs "
                        "(MAE 0): nothing to correct")
    assert "vs" not in cal.note


def _loudness_with_zeros(zeros, n=34, seed=11):
    """Reference loudness (mastered loud: -8 +- 1.5 LUFS) and the analyzer's, 1.5 LU
    louder, with ``zeros`` songs read as 0 LUFS (a bad value in the results)."""
    rng = np.random.default_rng(seed)
    ref = rng.normal(-8.0, 1.5, n)
    est = ref + 1.5 + rng.normal(0, 0.3, n)
    est[:zeros] = 0.0
    return est, ref


def test_a_few_bad_values_are_named_and_left_out_of_the_verdict():
    # 3 of 34 songs read as 0 LUFS drove the cross-validated r² below zero: "no relation",
    # nothing kept, although the correction more than halves the MAE of every song
    est, ref = _loudness_with_zeros(3)
    cal = fit_descriptor(est, ref, descriptor="loudness_lufs")
    assert list(cal.outliers) == [0, 1, 2]
    assert cal.r2_cv < 0 < 0.75 < cal.r2_cv_inliers
    assert cal.verdict == "calibrated" and cal.kept
    assert cal.mae_after < 0.5 * cal.mae_before  # the keep rule reads every song
    assert cal.outlier_note.startswith("3 outlying songs (held-out error more than 5 robust")
    assert f"r\u00b2 {cal.r2_cv_inliers:.3g} without them, {cal.r2_cv:.3g} with" in \
        cal.outlier_note
    # positions are those of the values given, NaN pairs included
    gapped = fit_descriptor(np.r_[np.nan, est], np.r_[-9.0, ref], descriptor="loudness_lufs")
    assert list(gapped.outliers) == [1, 2, 3]
    clean = fit_descriptor(est[3:], ref[3:], descriptor="loudness_lufs")
    assert len(clean.outliers) == 0 and math.isnan(clean.r2_cv_inliers)
    assert clean.outlier_note == "" and clean.verdict == "calibrated"


def test_many_bad_values_are_no_outliers_and_the_verdict_stands_on_every_song():
    n = 30
    est, ref = _loudness_with_zeros(int(OUTLIER_MAX_SHARE * n) + 1, n=n)
    cal = fit_descriptor(est, ref, descriptor="loudness_lufs")
    assert len(cal.outliers) == 0 and cal.outlier_note == ""
    assert cal.verdict == descriptor_verdict(n=n, kept=cal.keepable, slope=cal.candidate.slope,
                                             raw_r2=cal.r2_before, cv_r2=cal.r2_cv)
    at_most = outlying(_loudness_with_zeros(int(OUTLIER_MAX_SHARE * n), n=n)[0]
                       - _loudness_with_zeros(0, n=n)[1] - 1.5)
    assert at_most.sum() == int(OUTLIER_MAX_SHARE * n)
    # no spread among the rest and nothing to scale by: any error apart from theirs is
    assert list(np.flatnonzero(outlying(np.r_[np.zeros(12), 0.01]))) == [12]
    assert not outlying(np.r_[np.zeros(8), 5.0]).any()  # too few songs to judge


def _equal_errors(n=30, *, steps=(), bad=()):
    """Energies written to 0.01 and a reference 0.1 above each exactly, so that most
    held-out errors are equal (a robust spread of 0); ``steps`` songs are one step (0.01)
    above that, ``bad`` songs 0.3 above (a real bad value)."""
    x = np.round(np.linspace(0.1, 0.8, n), 2)
    y = x + 0.1
    y[list(steps)] += 0.01
    y[list(bad)] += 0.3
    return x, np.round(y, 2)


def test_where_most_errors_are_equal_a_step_of_rounding_is_not_outlying_but_a_bad_value_is():
    x, y = _equal_errors(steps=(3, 11, 25))
    cal = fit_descriptor(x, y, descriptor="energy")
    assert np.median(np.abs(cal.cv_pred - y - np.median(cal.cv_pred - y))) < 1e-12
    # one step of the sheet's rounding: the errors' spread was 0, so these three were named
    assert len(cal.outliers) == 0 and cal.outlier_note == ""
    x, y = _equal_errors(steps=(3, 11, 25), bad=(17,))
    cal = fit_descriptor(x, y, descriptor="energy")
    assert list(cal.outliers) == [17]
    # the same with values finer than any step: a hair is judged against the reference's
    # spread (1 % of its standard deviation, times 5)
    errors = np.zeros(30)
    errors[[4, 9]] = [1e-4, -2e-4]
    ref = np.linspace(0.1, 0.9, 30)
    assert not outlying(errors, reference=ref).any()
    errors[20] = 0.2
    assert list(np.flatnonzero(outlying(errors, reference=ref))) == [20]
    # and against the step the values are written in
    assert not outlying(np.r_[np.zeros(12), 0.01], resolution=0.01).any()
    assert list(np.flatnonzero(outlying(np.r_[np.zeros(12), 0.06], resolution=0.01))) == [12]


def test_a_difference_within_the_sheets_rounding_is_not_outlying_though_the_analyzer_is_finer():
    """A sheet of whole dB against analyzer values to 0.01 dB: songs the analyzer reads
    0.3 dB higher are within the sheet's rounding (its step, not the analyzer's finer one,
    is what a difference is judged against)."""
    x = np.round(np.linspace(-20.0, -6.0, 30))
    y = x + 1.0
    x[[5, 14, 22]] += 0.3
    x[9] += 0.01
    cal = fit_descriptor(x, y, descriptor="loudness_lufs")
    assert len(cal.outliers) == 0 and cal.outlier_note == ""

def test_outlying_errors_are_judged_around_their_median_in_robust_standard_deviations():
    """Errors all about 5 above (a sheet offset): a song 45 above the others is outlying,
    judged from their median, not from zero; a song 10 median absolute deviations away
    (6.7 robust standard deviations: 1.4826 of them per deviation) is outlying too; and
    errors that differ only by a float's rounding are not."""
    assert list(np.flatnonzero(outlying(np.r_[5.0 + np.tile([-1.0, 0.0, 1.0], 6), 50.0]))) \
        == [18]
    errors = np.r_[[-1.0] * 7, [0.0] * 7, [1.0] * 7, 10.0]
    assert list(np.flatnonzero(outlying(errors))) == [21]
    assert not outlying(np.r_[[1000.0] * 12, 1000.0 + 1e-7]).any()


def test_the_outlying_rule_at_its_limits():
    """An error exactly 5 steps of the values from the others is not outlying, just beyond
    it is; more than a fifth of the songs apart are not "a few" (none named); a song is set
    aside only when 10 songs remain, as many as a verdict needs."""
    assert not outlying(np.r_[np.zeros(12), 5.0], resolution=1.0).any()
    assert list(np.flatnonzero(outlying(np.r_[np.zeros(12), 5.01], resolution=1.0))) == [12]
    base = np.tile([-1.0, 0.0, 1.0], 10)
    assert not outlying(np.r_[base, [50.0] * 8]).any()  # 8 of 38: 21 %
    assert not outlying(np.r_[base[:9], 50.0, 50.0]).any()  # 9 would remain
    assert list(np.flatnonzero(outlying(np.r_[base[:9], 0.5, 50.0]))) == [10]  # 10 remain
    assert value_step([1234.5, 20.0]) == pytest.approx(0.1)  # large values keep their step

def test_the_step_values_are_written_in():
    assert value_step([1, 4, 10]) == 1.0
    assert value_step([-8.2, -11.0, -6.5]) == pytest.approx(0.1)
    assert value_step([0.58, 0.7]) == pytest.approx(0.01)
    assert value_step([0.123456789]) == 0.0 and value_step([np.nan]) == 0.0
    assert value_step([0.000001, 2.5]) == pytest.approx(1e-6)
    assert value_step([0.1234567]) == 0.0  # finer than 1e-6: no step
