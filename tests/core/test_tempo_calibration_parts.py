"""The tempo calibration as a whole (:func:`core.calibration.tempo_fit.fit_tempo`): what its
figures count when some songs have no analyzer tempo, that the seed reaches every split and
every fit, and what is reported when a rule or a correction is kept and when nothing is."""

from __future__ import annotations

import numpy as np
import pytest

import core.calibration.tempo_fit as tempo_fit
from core.calibration.tempo_fit import fit_tempo

NEITHER = "neither an octave rule nor a linear correction helps under cross-validation"


def _halved_set(seed=1, n=60, bias=0.0):
    """Songs at 80-170 BPM; the analyzer halves about 60 % of those above 120 and reads
    the rest within 0.5 %, ``bias`` BPM fast."""
    rng = np.random.default_rng(seed)
    true = np.exp(rng.uniform(np.log(80), np.log(170), n))
    est = true * (1 + rng.normal(0, 0.005, n)) + bias
    halved = (true > 120) & (rng.random(n) < 0.6)
    est[halved] /= 2
    return est, true


def _with_untimed(est, ref, count=3):
    """The same songs and ``count`` more that the analyzer gave no tempo."""
    return np.r_[est, [np.nan] * count], np.r_[ref, 100.0 + 10.0 * np.arange(count)]


@pytest.mark.parametrize("bias", [0.0, 3.0], ids=["rule", "rule-and-offset"])
def test_songs_without_a_tempo_scale_every_score_after_the_fit(bias):
    # The folds are drawn over the songs that have a tempo, so the three untimed songs
    # change nothing but the share: each score after the fit is the timed songs' own
    # score times 60/63.
    est, ref = _halved_set(bias=bias)
    timed = fit_tempo(est, ref)
    cal = fit_tempo(*_with_untimed(est, ref))
    assert timed.kept and cal.rule == timed.rule
    assert cal.correction.method == timed.correction.method == ("offset" if bias else "none")
    assert cal.n == 63 and cal.n_missing == 3
    assert cal.acc1_after == pytest.approx(timed.acc1_after * 60 / 63, abs=1e-12)
    assert cal.acc2_after == pytest.approx(timed.acc2_after * 60 / 63, abs=1e-12)
    assert cal.acc1_after > cal.acc1_before


def test_a_rule_that_raises_acc1_only_once_the_untimed_songs_are_left_out_is_not_kept():
    # 37 songs, two read at half or double tempo, and more songs without a tempo than
    # with: the octave rule does not raise the cross-validated Acc1 of the timed songs,
    # so it is not kept, however many untimed songs weigh the scores down.
    rng = np.random.default_rng(0)
    n = int(rng.integers(12, 40))
    true = np.exp(rng.uniform(np.log(70), np.log(190), n))
    est = true * (1 + rng.normal(0, 0.01, n))
    k = int(rng.integers(1, 5))
    wrong = rng.choice(n, k, replace=False)
    est[wrong] *= rng.choice([0.5, 2.0], k)
    m = int(rng.integers(1, n))
    est, ref = np.r_[est, [np.nan] * m], np.r_[true, rng.uniform(80, 160, m)]
    cal = fit_tempo(est, ref)
    assert cal.rule.kind == "none"


def test_missing_values_given_as_none_are_songs_without_a_tempo_or_a_pair():
    est, ref = _halved_set(n=30)
    est_list, ref_list = [float(v) for v in est], [float(v) for v in ref]
    est_list[0] = None  # the analyzer found no tempo
    ref_list[1] = None  # the sheet has no tempo for this song: no pair
    cal = fit_tempo(est_list, ref_list)
    assert cal.n == 29 and cal.n_missing == 1


def test_a_very_slow_analyzer_tempo_is_a_tempo_not_a_missing_one():
    est, ref = _halved_set(n=30)
    est[0] = 0.5  # wildly wrong, but a reading: a miss, not a song without a tempo
    cal = fit_tempo(est, ref)
    assert cal.n == 30 and cal.n_missing == 0
    assert cal.fitted_range[0] == 0.5


def test_a_sheet_no_song_has_an_analyzer_tempo_for_says_so_in_full():
    cal = fit_tempo([np.nan, np.nan, 0.0], [100.0, 120.0, 90.0])
    assert cal.note == "no paired song has an analyzer tempo"
    assert cal.n_missing == 3 and cal.acc1_after == cal.acc2_after == 0.0


def test_the_seed_reaches_every_split_and_every_linear_fit(monkeypatch):
    seeds = []
    real_folds, real_linear = tempo_fit.cv_folds, tempo_fit._fit_tempo_linear

    def folds(n, *, k=10, seed="not given"):
        seeds.append(("folds", seed))
        return real_folds(n, k=k, seed=0 if seed == "not given" else seed)

    def linear(est, ref, method, seed):
        seeds.append(("linear", seed))
        return real_linear(est, ref, method, 0 if seed is None else seed)

    monkeypatch.setattr(tempo_fit, "cv_folds", folds)
    monkeypatch.setattr(tempo_fit, "_fit_tempo_linear", linear)
    est, ref = _halved_set(bias=3.0)
    cal = fit_tempo(est, ref, seed=7)
    assert cal.correction.method == "offset"
    kinds = {kind for kind, _ in seeds}
    assert kinds == {"folds", "linear"}
    assert all(seed == 7 for _, seed in seeds), sorted(set(seeds), key=str)


def test_a_kept_rule_reports_the_error_its_cross_validated_folds_leave():
    est, ref = _halved_set()
    cal = fit_tempo(est, ref)
    assert cal.rule.kind == "range" and cal.correction.method == "none"
    assert np.isfinite(cal.mae_rule_only) and cal.mae_rule_only < cal.mae_before / 2
    assert cal.mae_after == cal.mae_rule_only
    assert cal.verdict == "calibrated" and cal.note == ""


def test_a_kept_correction_is_scored_on_songs_the_folds_rule_has_folded():
    # The linear methods are compared on the songs as each fold's octave rule leaves
    # them: read as the analyzer gave them, the halved songs would cost every method
    # tens of BPM.
    est, ref = _halved_set(bias=3.0)
    cal = fit_tempo(est, ref)
    assert cal.rule.kind == "range" and cal.correction.method == "offset"
    assert cal.best_method == min(cal.cv_mae, key=cal.cv_mae.get) == "offset"
    assert max(cal.cv_mae.values()) < 7.0
    assert cal.mae_after == cal.mae_nested < cal.mae_rule_only
    assert np.isfinite(cal.r2_cv) and cal.r2_cv > 0
    assert cal.interval is not None and 0 < cal.interval.halfwidth < 0.05
    assert cal.verdict == "calibrated" and cal.note == ""


def test_a_fit_that_keeps_nothing_says_so():
    rng = np.random.default_rng(0)
    ref = rng.uniform(90, 150, 50)
    est = ref + rng.normal(0, 2, 50)  # right on average, at every tempo: nothing to gain
    cal = fit_tempo(est, ref)
    assert not cal.kept and cal.verdict == "tracks"
    assert cal.note == NEITHER

