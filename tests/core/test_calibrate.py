"""Calibration maths: robust fits, honest cross-validation, the tempo octave rule, key maps."""

import numpy as np
import pytest

from core.calibration.agreement import acc1, acc2
from core.calibration.descriptor_fit import (
    LinearCorrection,
    cv_folds,
    fit_descriptor,
    fit_linear,
    mae,
)
from core.calibration.key_fit import KeyCorrection, fit_key
from core.calibration.tempo_fit import TempoRule, fit_tempo
from core.io.keynotation import Key


def test_acc1_and_acc2():
    ref = np.array([100.0, 100.0, 100.0, 100.0, 100.0])
    est = np.array([103.0, 105.0, 200.0, 50.0, 300.0])
    assert acc1(est, ref) == pytest.approx(0.2)
    assert acc2(est, ref) == pytest.approx(0.8)


def test_cv_folds_leave_one_out_below_20_and_k_fold_above():
    assert len(cv_folds(19)) == 19 and all(len(f) == 1 for f in cv_folds(19))
    folds = cv_folds(100, k=10)
    assert len(folds) == 10
    assert sorted(np.concatenate(folds).tolist()) == list(range(100))
    with pytest.raises(ValueError, match="n=1"):
        cv_folds(1)


def test_robust_fit_recovers_known_line_despite_outliers():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 1.0, 80)
    y = 0.6 * x + 0.2 + rng.normal(0, 0.02, 80)
    y[:8] = rng.uniform(0.9, 1.0, 8)  # 10 % gross outliers
    ols = fit_linear(x, y, method="linear")
    for method in ("theil_sen", "huber"):
        c = fit_linear(x, y, method=method)
        assert c.slope == pytest.approx(0.6, abs=0.05), method
        assert c.intercept == pytest.approx(0.2, abs=0.03), method
        assert abs(c.slope - 0.6) < abs(ols.slope - 0.6)
    cal = fit_descriptor(x, y, descriptor="energy")
    assert cal.kept and cal.correction.method in ("theil_sen", "huber", "offset")
    assert cal.correction.slope == pytest.approx(0.6, abs=0.05)
    assert cal.mae_after < cal.mae_before
    assert cal.cv_mae[cal.correction.method] == cal.mae_after


def test_correction_is_clamped_to_the_descriptor_range():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 40)
    y = np.clip(1.5 * x - 0.2 + rng.normal(0, 0.02, 40), 0, 1)
    cal = fit_descriptor(x, y, descriptor="danceability")
    out = cal.correction.apply(np.array([0.0, 1.0]))
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert cal.correction.apply(1.0) == 1.0


def test_cross_validation_rejects_a_fit_that_only_helps_in_sample():
    # The reference is the analyzer value plus noise: nothing to learn.  A line fitted on
    # all 12 songs still looks better on those songs; cross-validation must see through it.
    rng = np.random.default_rng(7)
    x = rng.uniform(0.2, 0.8, 12)
    y = x + rng.normal(0, 0.05, 12)
    in_sample = mae(fit_linear(x, y, method="linear").apply(x), y)
    assert in_sample < mae(x, y)  # the trap is real
    cal = fit_descriptor(x, y, descriptor="valence")
    assert not cal.kept
    assert cal.correction.method == "none"
    assert cal.mae_after == cal.mae_before
    assert cal.folds == 12  # leave-one-out
    assert cal.cv_mae["linear"] > cal.mae_before
    assert "cross-validated" in cal.note


def test_no_relation_keeps_nothing():
    rng = np.random.default_rng(1)
    cal = fit_descriptor(rng.uniform(0, 1, 60), rng.uniform(0, 1, 60), descriptor="energy")
    # A flat line at the mean can beat raw values here; it must not be a fake "slope".
    if cal.kept:
        assert abs(cal.correction.slope) < 0.3
    assert cal.mae_after <= cal.mae_before


def test_too_few_pairs_and_nan_pairs():
    cal = fit_descriptor([0.1, np.nan, 0.3], [0.2, 0.5, np.nan], descriptor="energy")
    assert cal.n == 1 and not cal.kept and "too few" in cal.note


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="unknown method 'cubic'"):
        fit_linear([1, 2, 3], [1, 2, 3], method="cubic")


def test_min_gain_is_checked():
    with pytest.raises(ValueError, match="min_gain"):
        fit_descriptor([1, 2], [1, 2], descriptor="energy", min_gain=1.5)


def _tempo_set(seed, n=60):
    rng = np.random.default_rng(seed)
    true = np.exp(rng.uniform(np.log(80), np.log(170), n))
    est = true * (1 + rng.normal(0, 0.005, n))
    fast = true > 120
    halved = fast & (rng.random(n) < 0.6)  # the analyzer halves many fast songs
    est[halved] /= 2
    ref = true.copy()
    planted = rng.choice(np.flatnonzero(~halved), 6, replace=False)
    ref[planted[:3]] /= 2  # a few reference rows at half ...
    ref[planted[3:]] *= 2  # ... and double tempo
    return est, ref, planted


def test_octave_rule_learned_on_planted_half_double_references():
    est, ref, _ = _tempo_set(0)
    cal = fit_tempo(est, ref)
    assert cal.rule.kind == "range"
    assert 60 <= cal.rule.low <= 80  # the halved songs (40-85 BPM) get doubled
    assert cal.acc1_after > cal.acc1_before + 0.15
    assert cal.acc2_after >= cal.acc2_before - 1e-9
    assert cal.mae_after < cal.mae_before
    assert cal.apply(70.0) == pytest.approx(140.0, rel=0.02) or cal.rule.low < 70


def test_octave_rule_never_lowers_acc1():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        true = rng.uniform(60, 180, 15)
        est = true * np.where(rng.random(15) < 0.3, 2.0, 1.0)
        cal = fit_tempo(est, true)
        assert cal.acc1_after >= cal.acc1_before


def test_half_tempo_references_do_not_bend_the_bpm_fit():
    rng = np.random.default_rng(5)
    true = rng.uniform(90, 150, 54)
    est = true * (1 + rng.normal(0, 0.004, 54))
    ref = 1.03 * true + rng.normal(0, 0.3, 54)  # the reference runs 3 % fast
    ref[:5] /= 2  # five half-tempo rows
    plain = np.polyfit(est, ref, 1)
    assert abs(np.polyval(plain, 100.0) - 103.0) > 3.0  # a plain fit is pulled down
    cal = fit_tempo(est, ref)
    assert cal.correction.method != "none"
    assert cal.apply(100.0) == pytest.approx(103.0, abs=0.6)
    assert cal.mae_after < cal.mae_before
    assert cal.acc1_after >= cal.acc1_before


def test_tempo_rule_validation_and_apply():
    assert TempoRule("range", low=70.0).apply(50.0) == 100.0
    assert TempoRule("range", low=60.0, high=180.0).apply(150.0) == 150.0
    assert TempoRule("range", low=60.0, high=180.0).apply(400.0) == 100.0
    assert TempoRule("factor", factor=0.5).apply(200.0) == 100.0
    with pytest.raises(ValueError, match="high must be >= 2"):
        TempoRule("range", low=100.0, high=150.0)
    with pytest.raises(ValueError, match="kind"):
        TempoRule("stretch")


def _keys(seed, n, p_fifth):
    rng = np.random.default_rng(seed)
    ref = [Key(int(rng.integers(12)), "major" if rng.random() < 0.5 else "minor")
           for _ in range(n)]
    est = [Key((k.tonic + 7) % 12, k.mode) if rng.random() < p_fifth else k for k in ref]
    return est, ref


def test_key_correction_learned_when_it_helps_under_cv():
    est, ref = _keys(0, 60, 0.8)  # an analyzer tuned a fifth too high
    cal = fit_key(est, ref)
    assert cal.kept
    assert cal.correction.apply(Key(7, "major")) == Key(0, "major")
    assert cal.accuracy_after > cal.accuracy_before + 0.2
    assert cal.weighted_after > cal.weighted_before
    assert sum(c for (a, b), c in cal.confusion.items() if a != b) == cal.relations["fifth"]


def test_key_correction_rejected_when_analyzer_is_mostly_right():
    est, ref = _keys(1, 40, 0.15)
    cal = fit_key(est, ref)
    assert not cal.kept
    assert cal.weighted_after == cal.weighted_before
    assert cal.relations["fifth"] >= 1 and cal.relations["same"] > 20


def test_key_correction_parts():
    c = KeyCorrection(major="keep", minor="relative")
    assert c.apply(Key(9, "minor")) == Key(0, "major")
    assert c.apply(Key(0, "major")) == Key(0, "major")
    assert c.apply(None) is None
    assert KeyCorrection(mapping={"A minor": "C major"}).apply(Key(9, "minor")) == Key(0, "major")


def test_linear_correction_none_passes_through():
    assert LinearCorrection().apply(5.0) == 5.0
