"""The keep rule, the verdict thresholds and the prediction intervals, at their boundaries."""

import math

import numpy as np
import pytest

from core.calibration.intervals import (
    PredictionInterval,
    conformal_halfwidth,
    interval_from_residuals,
)
from core.calibration.verdict import (
    KEY_NO_RELATION_SCORE,
    KEY_WEAK_SCORE,
    MIN_PAIRS,
    NO_RELATION_R2,
    TEMPO_NO_RELATION_ACC2,
    TEMPO_WEAK_ACC1,
    VERDICT_TEXT,
    VERDICTS,
    WEAK_R2,
    descriptor_verdict,
    keeps,
    key_verdict,
    model_verdict,
    tempo_verdict,
)


def test_keep_rule_at_its_boundary():
    assert keeps(0.98, 1.0, 0.01)
    assert keeps(0.9899999, 1.0, 0.01)
    assert not keeps(0.99, 1.0, 0.01)  # exactly 1 % lower is not enough
    assert not keeps(1.0, 1.0, 0.01)
    assert not keeps(1.005, 1.0, 0.01)  # worse by up to 1 %
    assert not keeps(1.0, 1.0, 0.0) and keeps(0.999999, 1.0, 0.0)
    assert not keeps(math.nan, 1.0, 0.01) and not keeps(0.5, math.nan, 0.01)
    for bad in (-0.01, 1.0):
        with pytest.raises(ValueError, match="min_gain"):
            keeps(0.5, 1.0, bad)


def test_thresholds_are_the_documented_ones():
    assert (MIN_PAIRS, NO_RELATION_R2, WEAK_R2) == (10, 0.05, 0.5)
    assert (KEY_NO_RELATION_SCORE, KEY_WEAK_SCORE) == (0.15, 0.5)
    assert set(VERDICT_TEXT) == set(VERDICTS)
    assert "predicts little more than the reference mean" in VERDICT_TEXT["weak"]


def test_the_fewest_pairs_a_correction_is_kept_from_bound_its_interval():
    # a kept correction comes with a 90 % interval of its held-out residuals: from
    # MIN_PAIRS songs on that interval is bounded (from 4 it was not: "too few songs")
    assert math.isfinite(conformal_halfwidth(np.ones(MIN_PAIRS)))
    assert math.isfinite(conformal_halfwidth(np.ones(MIN_PAIRS - 1)))
    assert conformal_halfwidth(np.ones(8)) == math.inf


def _v(**kw):
    base = {"n": 50, "kept": True, "slope": 1.0, "raw_r2": 0.0, "cv_r2": 0.7}
    base.update(kw)
    return descriptor_verdict(**base)


def test_descriptor_verdicts_at_their_boundaries():
    assert _v(n=MIN_PAIRS - 1) == "too few"
    assert _v(n=MIN_PAIRS) == "calibrated"
    assert _v(cv_r2=WEAK_R2) == "calibrated"
    assert _v(cv_r2=WEAK_R2 - 1e-9) == "weak"
    assert _v(cv_r2=NO_RELATION_R2) == "weak"
    assert _v(cv_r2=NO_RELATION_R2 - 1e-9) == "no relation"
    assert _v(cv_r2=NO_RELATION_R2 - 1e-9, raw_r2=NO_RELATION_R2) == "weak"
    assert _v(cv_r2=math.nan, raw_r2=math.nan) == "no relation"
    assert _v(slope=-1e-9) == "inverted"
    assert _v(slope=-0.5, cv_r2=NO_RELATION_R2) == "inverted"
    assert _v(slope=0.0) == "calibrated"
    assert _v(slope=-0.5, cv_r2=NO_RELATION_R2 - 1e-9) == "no relation"
    assert _v(kept=False, raw_r2=WEAK_R2) == "tracks"
    assert _v(kept=False, raw_r2=WEAK_R2 - 1e-9) == "weak"
    assert _v(kept=False, raw_r2=0.9, cv_r2=0.95) == "tracks"


def test_model_and_key_verdicts_at_their_boundaries():
    assert model_verdict(n=MIN_PAIRS - 1, kept=True, cv_r2=0.9) == "too few"
    assert model_verdict(n=MIN_PAIRS, kept=True, cv_r2=0.9) == "calibrated"
    assert key_verdict(n=MIN_PAIRS, kept=False, weighted=1.0) == "tracks"
    assert tempo_verdict(n=MIN_PAIRS, kept=False, acc1=1.0, acc2=1.0) == "tracks"
    assert model_verdict(n=40, kept=True, cv_r2=WEAK_R2) == "calibrated"
    assert model_verdict(n=40, kept=False, cv_r2=0.9) == ""  # not applied: no verdict
    assert model_verdict(n=40, kept=False, cv_r2=NO_RELATION_R2) == ""
    assert model_verdict(n=40, kept=True, cv_r2=WEAK_R2 - 1e-9) == "weak"
    assert model_verdict(n=40, kept=True, cv_r2=NO_RELATION_R2 - 1e-9) == "no relation"
    assert key_verdict(n=3, kept=False, weighted=1.0) == "too few"
    assert key_verdict(n=MIN_PAIRS, kept=False, weighted=KEY_WEAK_SCORE) == "tracks"
    assert key_verdict(n=MIN_PAIRS, kept=True, weighted=KEY_WEAK_SCORE) == "calibrated"
    assert key_verdict(n=MIN_PAIRS, kept=True, weighted=KEY_WEAK_SCORE - 1e-9) == "weak"
    assert key_verdict(n=MIN_PAIRS, kept=False, weighted=KEY_NO_RELATION_SCORE) == "weak"
    assert key_verdict(n=MIN_PAIRS, kept=False, weighted=KEY_NO_RELATION_SCORE - 1e-9) == "no relation"
    assert (TEMPO_WEAK_ACC1, TEMPO_NO_RELATION_ACC2) == (0.5, 0.25)
    assert tempo_verdict(n=3, kept=True, acc1=1.0, acc2=1.0) == "too few"
    assert tempo_verdict(n=MIN_PAIRS, kept=True, acc1=TEMPO_WEAK_ACC1, acc2=1.0) == "calibrated"
    assert tempo_verdict(n=MIN_PAIRS, kept=False, acc1=TEMPO_WEAK_ACC1, acc2=1.0) == "tracks"
    assert tempo_verdict(n=MIN_PAIRS, kept=True, acc1=TEMPO_WEAK_ACC1 - 1e-9, acc2=1.0) == "weak"
    assert tempo_verdict(n=MIN_PAIRS, kept=False, acc1=0.0, acc2=TEMPO_NO_RELATION_ACC2) == "weak"
    assert tempo_verdict(n=MIN_PAIRS, kept=False, acc1=0.0,
                         acc2=TEMPO_NO_RELATION_ACC2 - 1e-9) == "no relation"


def test_conformal_rank_at_its_boundary():
    r = np.arange(1.0, 10.0)  # 9 residuals 1..9: rank ceil(10 * 0.9) = 9
    assert conformal_halfwidth(r) == 9.0
    assert conformal_halfwidth(r[:8]) == math.inf  # rank 9 > 8
    assert conformal_halfwidth(-np.arange(1.0, 20.0)) == 18.0  # rank ceil(20 * 0.9) = 18
    assert conformal_halfwidth(np.arange(1.0, 20.0), coverage=0.5) == 10.0
    assert math.isnan(conformal_halfwidth([]))
    assert conformal_halfwidth([np.nan, *range(1, 10)]) == 9.0
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match="coverage"):
            conformal_halfwidth(r, coverage=bad)


def test_interval_bounds_and_their_json_form():
    a = interval_from_residuals(np.linspace(-1, 1, 101))
    assert a.n == 101 and a.kind == "absolute" and a.halfwidth == pytest.approx(0.92)
    assert a.bounds(5.0) == (pytest.approx(4.08), pytest.approx(5.92))
    lo, hi = a.bounds(np.array([0.5, 0.95]), low=0.0, high=1.0)
    assert lo.tolist() == [0.0, pytest.approx(0.03)] and hi.tolist() == [1.0, 1.0]
    rel = PredictionInterval("relative", math.log(1.1))
    assert rel.bounds(110.0) == (pytest.approx(100.0), pytest.approx(121.0))
    assert rel.describe() == "×/÷ 1.1 (90 %)"
    assert a.describe() == "±0.92 (90 %)"
    assert all(math.isnan(v) for v in PredictionInterval().bounds(1.0))
    # too few songs to bound it: no bounds, not the column's whole range (nor 0 and inf)
    unbounded = PredictionInterval(kind="relative", halfwidth=math.inf, n=5)
    assert all(math.isnan(v) for v in unbounded.bounds(120.0, low=20.0, high=320.0))
    assert PredictionInterval().describe() == "unknown"
    assert PredictionInterval("absolute", math.inf).describe() == \
        "too few songs"
    for interval in (a, rel, PredictionInterval("absolute", math.inf, 0.9, 5),
                     PredictionInterval()):
        back = PredictionInterval.from_dict(interval.to_dict())
        assert back.kind == interval.kind and back.n == interval.n
        assert back.halfwidth == interval.halfwidth or (
            math.isnan(back.halfwidth) and math.isnan(interval.halfwidth))
    assert PredictionInterval.from_dict({"halfwidth": None, "unbounded": True}).halfwidth \
        == math.inf
    with pytest.raises(ValueError, match="kind"):
        PredictionInterval("sideways", 1.0)
    with pytest.raises(ValueError, match="half-width"):
        PredictionInterval.from_dict({"halfwidth": -1.0})
    with pytest.raises(ValueError, match="coverage"):
        PredictionInterval.from_dict({"halfwidth": 1.0, "coverage": 1.5})
    for cov in (0.0, 1.0):
        with pytest.raises(ValueError, match=f"^interval coverage must be in \\(0, 1\\), "
                                             f"got {cov}$"):
            PredictionInterval.from_dict({"halfwidth": 1.0, "coverage": cov})
    zero = PredictionInterval.from_dict({"halfwidth": 0.0})
    assert (zero.kind, zero.halfwidth, zero.coverage, zero.n) == ("absolute", 0.0, 0.9, 0)
    with pytest.raises(ValueError, match="^interval half-width must be >= 0, got -0.5$"):
        PredictionInterval.from_dict({"halfwidth": -0.5})


@pytest.mark.parametrize("field, message", [
    ({"halfwidth": math.nan}, "half-width must be a finite number or null, got nan"),
    ({"halfwidth": math.inf}, "half-width must be a finite number or null, got inf"),
    ({"halfwidth": True}, "half-width must be a finite number or null, got True"),
    ({"halfwidth": "0.1"}, "half-width must be a finite number or null"),
    ({"n": math.inf}, "n must be a whole number >= 0, got inf"),
    ({"n": 2.5}, "n must be a whole number >= 0, got 2.5"),
    ({"n": -3}, "n must be a whole number >= 0, got -3"),
    ({"n": "12"}, "n must be a whole number >= 0"),
    ({"coverage": True}, "coverage must be in"),
])
def test_an_interval_edited_by_hand_is_refused_not_read_as_unknown(field, message):
    # a NaN half-width read as "unknown" dropped the interval silently; an infinite n
    # raised OverflowError past the profile's checks
    with pytest.raises(ValueError, match=message):
        PredictionInterval.from_dict({"kind": "absolute", "halfwidth": 0.1, "n": 12, **field})
    assert PredictionInterval.from_dict({"halfwidth": 0.1, "n": 12.0}).n == 12
