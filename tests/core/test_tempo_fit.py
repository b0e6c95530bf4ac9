"""Tempo calibration: the octave rule at its boundaries, cross-validated Acc1/Acc2, songs
without a tempo, the guarded linear fit."""

import warnings

import numpy as np
import pytest

from core.calibration.agreement import acc1, acc2, tempo_within
from core.calibration.profile import profile_from_calibration, profile_from_dict, profile_to_dict
from core.calibration.tempo_fit import (
    _RANGES,
    TEMPO_SLOPES,
    TempoRule,
    _fit_tempo_linear,
    _fold,
    _learn_tempo_rule,
    _range_hits,
    fit_tempo,
)
from core.calibration.verdict import TEMPO_NO_RELATION_ACC2


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
    return est, ref, halved


#: Songs the analyzer and the sheet agree on exactly, at tempi no octave rule moves: added to
#: a small set so it reaches the fewest songs a tempo calibration is fitted on (MIN_PAIRS).
AGREED = (95.0, 101.0, 108.0, 126.0, 137.0, 144.0, 160.0)


def _padded(est, ref, extra):
    """``est`` and ``ref`` with the first ``extra`` songs of :data:`AGREED` added."""
    more = list(AGREED[:extra])
    return np.array(list(est) + more), np.array(list(ref) + more)


def test_octave_rule_learned_on_planted_half_double_references():
    est, ref, halved = _tempo_set(0)
    cal = fit_tempo(est, ref)
    assert cal.rule.kind == "range" and 60 <= cal.rule.low <= 80
    assert cal.acc1_before == pytest.approx(36 / 60) == acc1(est, ref)
    assert cal.acc1_after == pytest.approx(50 / 60)  # held out
    folded = cal.rule.apply(est)
    doubled = folded[halved] == 2 * est[halved]
    assert doubled.sum() == 15 and np.all(est[halved][doubled] < cal.rule.low)


def test_a_rule_that_only_ties_under_cross_validation_is_not_kept():
    # One halved song (30 for 60 BPM): the range that doubles it is learned only when that
    # song is among the training songs, so held out it is never doubled: cross-validated
    # Acc1 ties the raw 5/6, although on the songs themselves the rule scores 6/6.
    est, ref = _padded([115.0, 172.0, 174.0, 72.0, 30.0, 114.0],
                       [115.0, 172.0, 174.0, 72.0, 60.0, 114.0], 4)
    assert acc1(TempoRule("range", low=40.0, high=320.0).apply(est), ref) == 1.0
    cal = fit_tempo(est, ref)
    assert cal.acc1_before == pytest.approx(9 / 10) and cal.acc1_after == pytest.approx(9 / 10)
    assert cal.rule.kind == "none" and not cal.kept
    assert cal.verdict == "tracks"


def test_a_rule_not_kept_folds_no_song_the_linear_correction_is_scored_on():
    # As above, with a song at three times the analyzer's tempo: held out while the halved
    # song trains, a fold's rule doubles it to another miss (66 for 99 BPM), so Acc1 still
    # ties and no rule is kept.  The linear candidates are then scored on the tempi as they
    # are (every other song is exact: each candidate is y = x, scoring the raw MAE); scored
    # on the folds' rules, an offset of 0 looked a third better and was kept.
    est, ref = _padded([115.0, 172.0, 174.0, 72.0, 30.0, 114.0, 33.0],
                       [115.0, 172.0, 174.0, 72.0, 60.0, 114.0, 99.0], 3)
    cal = fit_tempo(est, ref)
    assert cal.rule.kind == "none" and cal.acc1_after == cal.acc1_before == pytest.approx(8 / 10)
    assert cal.mae_before == pytest.approx(96 / 10)
    assert cal.cv_mae == {m: pytest.approx(96 / 10) for m in cal.cv_mae}
    assert cal.mae_nested == pytest.approx(96 / 10)
    assert not cal.kept and cal.verdict == "tracks" and cal.mae_after == cal.mae_before


def test_acc1_and_acc2_after_are_cross_validated_not_in_sample():
    est, ref = _padded([44.0, 156.0, 130.0, 71.0, 112.0, 117.0, 39.5, 148.0, 74.0],
                       [88.0, 156.0, 130.0, 71.0, 112.0, 117.0, 79.0, 148.0, 74.0], 1)
    cal = fit_tempo(est, ref)
    assert cal.rule.kind == "range"
    assert acc1(cal.apply(est), ref) == 1.0  # in-sample the rule fixes both halved songs
    assert cal.r2 == 1.0 and cal.r2_before < cal.r2_cv < 1.0  # r² in-sample, before, held out
    assert cal.acc1_before == pytest.approx(8 / 10)
    assert cal.acc1_after == pytest.approx(9 / 10)  # held out, one of them stays halved
    assert cal.acc2_after == pytest.approx(1.0) and cal.acc2_before == pytest.approx(1.0)


def test_songs_without_a_tempo_count_as_misses_not_dropped():
    rng = np.random.default_rng(5)
    ref = rng.uniform(90, 150, 50)
    est = ref * (1 + rng.normal(0, 0.004, 50))
    est[:2] = np.nan  # no beat found
    est[2] = 0.0
    cal = fit_tempo(est, ref)
    assert cal.n == 50 and cal.n_missing == 3
    assert cal.acc1_before == pytest.approx(47 / 50)
    assert cal.acc2_before == pytest.approx(47 / 50)
    assert cal.acc1_after <= 47 / 50  # a song with no tempo cannot be fixed
    assert cal.mae_before == pytest.approx(np.mean(np.abs(est[3:] - ref[3:])))
    none = fit_tempo([np.nan, np.nan], [100.0, 120.0])
    assert none.n == 2 and none.n_missing == 2 and none.acc1_before == 0.0
    assert "no paired song has an analyzer tempo" in none.note
    assert fit_tempo([120.0], [np.nan]).note == "no pairs"


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
    assert cal.n_agree == 49
    assert cal.mae_after == cal.mae_nested < 0.99 * cal.mae_rule_only
    assert cal.acc1_after == cal.acc1_before == pytest.approx(49 / 54)  # all but the halves


def test_a_sheet_with_one_tempo_for_every_song_does_not_flatten_every_tempo():
    # theil_sen fitted a slope of 0 on the songs near 120 BPM: every song came out at 120
    # BPM, and the profile written was refused by apply ("slope: must not be 0")
    rng = np.random.default_rng(1)
    est = rng.uniform(80, 170, 60)
    cal = fit_tempo(est, np.full(60, 120.0))
    assert TEMPO_SLOPES[0] <= cal.correction.slope <= TEMPO_SLOPES[1]
    assert cal.apply(160.0) > 150.0


def test_tempi_with_no_relation_to_the_reference_get_nothing_applied():
    # an offset fitted on the few songs near the sheet's one tempo was applied under the
    # verdict "no relation", whose text says nothing is kept
    rng = np.random.default_rng(1)
    est = rng.uniform(80, 170, 60)
    cal = fit_tempo(est, np.full(60, 120.0))
    assert cal.verdict == "no relation"
    assert not cal.kept and cal.describe() == "none" and "nothing kept" in cal.note
    assert (cal.acc1_after, cal.acc2_after, cal.mae_after) == (
        cal.acc1_before, cal.acc2_before, cal.mae_before)
    assert cal.apply(160.0) == 160.0


def test_a_tempo_correction_always_makes_a_profile_that_reads_back():
    from core.calibration.fit import Calibration

    rng = np.random.default_rng(3)
    est = rng.uniform(118, 122, 40)  # a narrow deck: the slope says little
    cal = fit_tempo(est, 120.0 + 0.2 * (est - 120.0) + rng.normal(0, 0.05, 40))
    assert TEMPO_SLOPES[0] <= cal.correction.slope <= TEMPO_SLOPES[1]
    whole = Calibration(tempo=cal)
    back = profile_from_dict(profile_to_dict(profile_from_calibration(whole)))
    assert back.tempo_correction.slope == cal.correction.slope


@pytest.mark.parametrize("slope", TEMPO_SLOPES)
def test_a_tempo_slope_at_either_end_of_the_allowed_range_is_kept(slope):
    # nine songs near 100 BPM, all within 8 % of a reference that runs exactly at the
    # slope's limit: the line is kept, not replaced by an offset
    est = np.arange(96.0, 105.0)
    ref = slope * est + 100.0 * (1.0 - slope)
    for method in ("theil_sen", "huber"):
        corr = _fit_tempo_linear(est, ref, method, 0)
        assert (corr.method, corr.slope) == (method, slope)
        assert corr.apply(104.0) == pytest.approx(100.0 + slope * 4.0)


def test_songs_near_a_placeholder_tempo_are_counted_within_8_percent():
    # every song charted at 120 BPM: nothing is fitted, but the songs within 8 % of it are
    # counted as agreeing (5 % fast is outside Acc1's 4 % and inside 8 %)
    est = np.r_[np.full(4, 120.0), np.full(3, 126.0), np.full(3, 135.0), 60.0, 240.0]
    cal = fit_tempo(est, np.full(est.size, 120.0))
    assert "same reference tempo (120 BPM)" in cal.note and not cal.kept
    assert cal.n_agree == 7


def test_a_reference_tempo_of_zero_is_no_pair():
    # a row whose tempo reads as 0 states none: the pair is dropped, not counted as a miss
    rng = np.random.default_rng(2)
    ref = rng.uniform(90, 150, 20)
    est = ref * (1 + rng.normal(0, 0.004, 20))
    cal = fit_tempo(np.r_[est, 120.0, 100.0], np.r_[ref, 0.0, -5.0])
    assert cal.n == 20 and cal.n_missing == 0
    assert cal.acc1_before == pytest.approx(acc1(est, ref))


def test_linear_fit_trains_only_on_songs_agreeing_within_8_percent():
    rng = np.random.default_rng(7)
    ref = rng.uniform(90, 150, 40)
    est = ref * 1.05  # 5 % fast: inside 8 %, outside Acc1's 4 %
    est[:3] = ref[:3] * 1.079  # just inside 8 %
    est[3:6] = ref[3:6] * 1.081  # just outside
    cal = fit_tempo(est, ref)
    assert cal.n_agree == 37


def test_too_few_songs_at_the_boundary():
    three = fit_tempo([100.0, 50.0, 120.0], [100.0, 100.0, 120.0])
    assert three.folds == 0 and "too few" in three.note and three.verdict == "too few"
    nine = fit_tempo(*_padded([100.0, 50.0, 120.0, 60.0], [100.0, 100.0, 120.0, 120.0], 5))
    assert nine.folds == 0 and nine.verdict == "too few" and not nine.kept
    ten = fit_tempo(*_padded([100.0, 50.0, 120.0, 60.0], [100.0, 100.0, 120.0, 120.0], 6))
    assert ten.folds == 10 and ten.verdict != "too few"


def test_relative_interval_of_tempo():
    rng = np.random.default_rng(8)
    ref = rng.uniform(80, 160, 400)
    est = ref * np.exp(rng.normal(0, 0.02, 400))
    cal = fit_tempo(est, ref)
    assert cal.interval.kind == "relative"
    assert cal.interval.halfwidth == pytest.approx(1.645 * 0.02, rel=0.15)
    lo, hi = cal.interval.bounds(100.0)
    assert lo * hi == pytest.approx(100.0 ** 2)


def test_too_few_pairs_to_fit_still_get_their_scores_and_interval():
    cal = fit_tempo([100.0, 120.0, 90.0], [100.0, 130.0, 90.0])
    assert cal.note.startswith("too few pairs to fit (3 < 10)") and not cal.kept
    assert cal.acc1_before == pytest.approx(2 / 3) and cal.mae_before == pytest.approx(10 / 3)
    assert cal.interval.kind == "relative" and cal.interval.n == 3  # made of the three songs


def test_tempo_rule_validation_and_apply():
    assert TempoRule("range", low=70.0).apply(50.0) == 100.0
    assert TempoRule("range", low=70.0).high == 140.0
    assert TempoRule("range", low=60.0, high=180.0).apply(150.0) == 150.0
    assert TempoRule("range", low=60.0, high=180.0).apply(400.0) == 100.0
    assert TempoRule("range", low=60.0, high=120.0).apply(60.0) == 60.0  # edges stay
    assert TempoRule("range", low=60.0, high=120.0).apply(120.0) == 120.0
    assert TempoRule("factor", factor=0.5).apply(200.0) == 100.0
    assert np.isnan(TempoRule("range", low=70.0).apply(np.nan))
    assert TempoRule("range", low=70.0).apply(-5.0) == -5.0
    # so do 0 and infinity, quietly (no numpy warning on the command line)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = TempoRule("range", low=70.0).apply([0.0, np.inf, -5.0, 50.0])
    assert out.tolist() == [0.0, np.inf, -5.0, 100.0]
    assert TempoRule("range", low=70.0, high=140.0).describe() == "fold into 70-140 BPM"
    with pytest.raises(ValueError, match="high must be >= 2"):
        TempoRule("range", low=100.0, high=150.0)
    with pytest.raises(ValueError, match="kind"):
        TempoRule("stretch")
    with pytest.raises(ValueError, match="factor must be > 0, got 0.0"):
        TempoRule("factor", factor=0.0)
    # only a factor rule uses its factor: a range or no rule leaves that field alone
    assert TempoRule("range", low=70.0, factor=0.0).apply(50.0) == 100.0
    assert TempoRule("none", factor=-1.0).apply(50.0) == 50.0
    # whole numbers in, tempi (floats) out, whatever the rule
    for rule in (TempoRule(), TempoRule("factor", factor=0.5), TempoRule("range", low=70.0)):
        out = rule.apply([175, 45])
        assert out.dtype == np.float64, rule
    assert TempoRule("factor", factor=0.5).apply([175, 45]).tolist() == [87.5, 22.5]
    with pytest.raises(ValueError, match="low must be > 0 BPM, got 0.0"):
        TempoRule("range", low=0.0)


def test_range_search_scores_every_range_as_folding_would():
    rng = np.random.default_rng(12)
    for _ in range(10):
        n = int(rng.integers(5, 200))
        ref = np.exp(rng.uniform(np.log(60), np.log(200), n))
        est = ref * rng.choice([0.5, 1.0, 2.0, 1 / 3, 3.0, 1.5], n) * (1 + rng.normal(0, 0.02, n))
        est[:3] = [40.0, 80.0, 130.0][: min(3, n)]  # tempi on the grid's edges
        folded = _fold(est[None, :], _RANGES[:, 0:1], _RANGES[:, 1:2])
        expected = np.mean(tempo_within(folded, ref[None, :]), axis=1)
        assert np.array_equal(_range_hits(est, ref), expected)


def test_acc1_and_acc2():
    ref = np.full(5, 100.0)
    est = np.array([103.0, 105.0, 200.0, 50.0, 300.0])
    assert acc1(est, ref) == pytest.approx(0.2)
    assert acc2(est, ref) == pytest.approx(0.8)


def test_describe_says_what_is_applied():
    from core.calibration.descriptor_fit import LinearCorrection
    from core.calibration.tempo_fit import TempoCalibration

    rule, corr = TempoRule("range", low=70.0, high=140.0), LinearCorrection("offset", 1.0, 0.4)
    assert TempoCalibration(9, rule, corr).describe() == \
        "fold into 70-140 BPM; offset: y = x + 0.4"
    assert TempoCalibration(9, rule, LinearCorrection()).describe() == "fold into 70-140 BPM"
    assert TempoCalibration(9, TempoRule(), corr).describe() == "offset: y = x + 0.4"
    assert TempoCalibration(9, TempoRule(), LinearCorrection()).describe() == "none"
    assert not TempoCalibration(9, TempoRule(), LinearCorrection()).kept
    assert TempoCalibration(9, TempoRule(), corr).kept and TempoCalibration(9, rule,
                                                                            corr).kept
    assert TempoRule("factor", factor=2 / 3).describe() == "multiply by 0.6667"
    assert TempoRule().describe() == "none"


def test_a_correction_that_lowers_the_error_but_costs_hits_is_not_kept():
    # Some songs exact, some 4-8 % fast, the rest far off: a linear correction fitted on the
    # near songs lowers the cross-validated MAE by more than the 1 % asked, but it moves
    # exact songs out of Acc1's 4 %, so it is refused and the raw Acc1 stands.  Enough songs
    # are exact for the tempi to bear a relation to the reference (Acc2 of 25 % or more):
    # below that the verdict "no relation" would refuse the correction whatever it costs.
    rng = np.random.default_rng(454)
    n = int(rng.integers(12, 40))
    ref = rng.uniform(80, 160, n)
    kind = rng.random(n)
    p1, p2 = rng.uniform(0.35, 0.6), rng.uniform(0.1, 0.4)
    ratio = np.where(kind < p1, 1 + rng.normal(0, 0.01, n),
                     np.where(kind < p1 + p2, rng.uniform(1.04, 1.079, n),
                              rng.uniform(0.6, 1.6, n)))
    est = ref * ratio
    cal = fit_tempo(est, ref)
    assert cal.rule.kind == "none" and cal.verdict != "no relation"
    assert acc2(est, ref) >= TEMPO_NO_RELATION_ACC2
    assert cal.mae_nested < 0.95 * cal.mae_rule_only  # the error alone would keep it
    assert cal.correction.method == "none" and not cal.kept
    assert cal.acc1_after == cal.acc1_before == pytest.approx(acc1(est, ref))


def test_a_tempo_on_the_low_edge_of_a_range_stays_put():
    # Songs exactly at a range's lower bound (40, 80, 90, 100, 120 BPM: values of the
    # search grid) agree with the reference as they are; folding must not double them.
    est = np.array([40.0, 80.0, 90.0, 100.0, 120.0])
    hits = _range_hits(est, est.copy())
    folded = _fold(est[None, :], _RANGES[:, 0:1], _RANGES[:, 1:2])
    assert np.array_equal(hits, np.mean(tempo_within(folded, est[None, :]), axis=1))
    at_40 = (_RANGES[:, 0] == 40.0) & (_RANGES[:, 1] >= 120.0)
    assert np.all(hits[at_40] == 1.0)


def test_the_learned_range_scores_on_the_songs_what_the_search_found():
    # Correct tempi from 62 to 190 BPM, and slow songs the analyzer halved: the best
    # range doubles those without halving the fast songs, so it must reach past 190.
    rng = np.random.default_rng(21)
    ref = np.exp(rng.uniform(np.log(62), np.log(190), 80))
    est = ref * (1 + rng.normal(0, 0.005, 80))
    est[ref < 90] /= 2
    rule = _learn_tempo_rule(est, ref)
    assert rule.kind == "range" and rule.high >= 190
    assert acc1(rule.apply(est), ref) == _range_hits(est, ref).max() == 1.0


def test_between_octave_factors_equal_on_acc1_the_better_acc2_wins():
    # References over three octaves (no range folds most of them right): six songs read
    # at double, six at half and three at two thirds.  Halving and doubling each put six
    # on the reference; halving also leaves the three at a third of it, which Acc2 counts.
    ref = np.array([45.0, 60, 82, 110, 150, 205, 52, 70, 95, 128, 175, 240, 64, 90, 130])
    est = ref * np.array([2.0] * 6 + [0.5] * 6 + [2 / 3] * 3)
    assert acc1(est * 2, ref) == acc1(est * 0.5, ref) == 0.4
    assert acc2(est * 0.5, ref) == 0.6 > acc2(est * 2, ref)
    assert _range_hits(est, ref).max() == 0.4  # no range does better
    rule = _learn_tempo_rule(est, ref)
    assert (rule.kind, rule.factor) == ("factor", 0.5)


def test_every_reference_tempo_the_sheet_accepts_counts():
    # The sheet takes 1-1000 BPM; a 1 BPM reference is a miss, not a song left out.
    est = np.array([120.0, 100.0, 90.0, 80.0, 140.0])
    cal = fit_tempo(est, np.array([120.0, 100.0, 90.0, 80.0, 1.0]))
    assert cal.n == 5 and cal.acc1_before == pytest.approx(4 / 5)


def test_a_sheet_with_one_tempo_for_every_song_keeps_no_rule():
    # a sheet giving every song 120 BPM (a placeholder) against tempi spread over 70-170:
    # multiplying by 1.5 put two more songs on 120, so the rule was kept (verdict weak)
    # and the profile multiplied every later tempo by 1.5, more than doubling the error
    rng = np.random.default_rng(18)
    est = np.round(rng.uniform(70, 170, 40), 2)
    cal = fit_tempo(est, np.full(40, 120.0))
    assert not cal.kept and cal.describe() == "none"
    assert cal.apply(100.0) == 100.0
    assert (cal.acc1_after, cal.acc2_after, cal.mae_after) == (
        cal.acc1_before, cal.acc2_before, cal.mae_before)
    assert cal.verdict == "no relation"  # judged on the tempi as read: Acc2 0.025
    assert "same reference tempo (120 BPM)" in cal.note and "nothing kept" in cal.note


def test_one_reference_tempo_the_analyzer_agrees_with_tracks():
    # a set all at 128 BPM read right: nothing to keep, and the verdict says the tempi track
    rng = np.random.default_rng(3)
    est = 128.0 * (1 + rng.normal(0, 0.003, 12))
    cal = fit_tempo(est, np.full(12, 128.0))
    assert not cal.kept and cal.verdict == "tracks"
    assert cal.acc1_after == cal.acc1_before == 1.0
