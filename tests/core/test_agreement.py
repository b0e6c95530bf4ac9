"""The agreement rules: the 4 % tempo tolerance, tempo relation names, Acc1/Acc2, key
relations, the MIREX score and the circle-of-fifths distance."""

import math

import numpy as np
import pytest

from core.calibration.agreement import (
    ACC2_RELATIONS,
    KEY_RELATIONS,
    TEMPO_FACTORS,
    TEMPO_GROUPS,
    TEMPO_RELATIONS,
    TEMPO_TOLERANCE,
    acc1,
    acc2,
    fifths_distance,
    key_relation,
    key_scores,
    mirex_score,
    tempo_group,
    tempo_hits,
    tempo_relation,
    tempo_within,
)
from core.io.keynotation import Key


def test_the_tolerance_is_four_percent():
    assert TEMPO_TOLERANCE == 0.04


@pytest.mark.parametrize(("est", "expected"), [
    (104.0, "ok"), (96.0, "ok"),  # exactly 4 % off still agrees
    (104.01, "wrong"), (95.99, "wrong"),
    (208.0, "double"), (192.0, "double"), (208.1, "wrong"), (191.9, "wrong"),
    (52.0, "half"), (48.0, "half"), (52.1, "wrong"), (47.9, "wrong"),
])
def test_tempo_tolerance_boundaries(est, expected):
    assert tempo_relation(est, 100.0) == expected


@pytest.mark.parametrize("name", list(TEMPO_FACTORS))
def test_every_tempo_relation_is_named_within_the_tolerance(name):
    f = TEMPO_FACTORS[name]
    for ref in (60.0, 100.0, 174.0):
        assert tempo_relation(f * ref, ref) == name
        assert tempo_relation(f * ref * 1.039, ref) == name
        assert tempo_relation(f * ref * 0.961, ref) == name
        assert tempo_relation(f * ref * 1.041, ref) == "wrong"
        assert tempo_relation(f * ref * 0.959, ref) == "wrong"


def test_relation_names_and_groups_are_one_vocabulary():
    assert TEMPO_RELATIONS == ("ok", "double", "half", "triple", "third", "three-halves",
                               "two-thirds", "wrong")
    assert set(TEMPO_GROUPS) == set(TEMPO_RELATIONS)
    assert [tempo_group(r) for r in TEMPO_RELATIONS] == [
        "ok", "octave", "octave", "metrical", "metrical", "metrical", "metrical", "wrong"]
    assert tempo_group("") == ""
    with pytest.raises(ValueError, match="'x2'"):
        tempo_group("x2")


@pytest.mark.parametrize("est", [None, 0.0, -120.0, math.nan, math.inf])
def test_a_missing_or_impossible_tempo_has_no_relation(est):
    assert tempo_relation(est, 120.0) == ""
    assert tempo_relation(120.0, est) == ""
    assert tempo_hits(est, 120.0) == (False, False)


def test_tempo_hits_follow_acc1_and_acc2():
    assert ACC2_RELATIONS == ("ok", "double", "half", "triple", "third")
    assert tempo_hits(121.0, 120.0) == (True, True)
    for name in ("double", "half", "triple", "third"):
        assert tempo_hits(TEMPO_FACTORS[name] * 120.0, 120.0) == (False, True), name
    for name in ("three-halves", "two-thirds"):
        assert tempo_hits(TEMPO_FACTORS[name] * 120.0, 120.0) == (False, False), name
    assert tempo_hits(130.0, 120.0) == (False, False)


def test_acc1_and_acc2_on_arrays():
    ref = np.full(6, 100.0)
    est = np.array([103.0, 105.0, 200.0, 50.0, 300.0, 150.0])
    assert acc1(est, ref) == pytest.approx(1 / 6)
    assert acc2(est, ref) == pytest.approx(4 / 6)
    assert acc1(est, ref, tolerance=0.06) == pytest.approx(2 / 6)
    assert math.isnan(acc1([], [])) and math.isnan(acc2([], []))
    per_song = [tempo_hits(e, r) for e, r in zip(est, ref, strict=True)]
    assert acc1(est, ref) == np.mean([h[0] for h in per_song])
    assert acc2(est, ref) == np.mean([h[1] for h in per_song])


def test_tempo_within_broadcasts_and_refuses_nan():
    out = tempo_within(np.array([[100.0, 150.0]]), np.array([[100.0], [150.0]]))
    assert out.tolist() == [[True, False], [False, True]]
    assert tempo_within(200.0, 100.0, factor=2.0) is True
    assert tempo_within(math.nan, 100.0) is False
    # a missing value (None in a list of tempi) is NaN on either side: it agrees with nothing
    assert tempo_within([120.0, None, 90.0], [None, 100.0, 90.0]).tolist() == [False, False,
                                                                                 True]


C = Key(0, "major")


@pytest.mark.parametrize(("est", "relation", "score"), [
    (Key(0, "major"), "same", 1.0),
    (Key(7, "major"), "fifth", 0.5),  # up
    (Key(5, "major"), "fifth", 0.5),  # down
    (Key(9, "minor"), "relative", 0.3),
    (Key(0, "minor"), "parallel", 0.2),
    (Key(2, "major"), "other", 0.0),
    (Key(4, "minor"), "other", 0.0),
])
def test_key_relations_and_mirex_weights(est, relation, score):
    assert key_relation(est, C) == relation
    assert mirex_score(est, C) == score
    assert relation in KEY_RELATIONS


def test_a_minor_reference_has_its_own_relatives():
    am = Key(9, "minor")
    assert key_relation(Key(4, "minor"), am) == "fifth"
    assert key_relation(Key(0, "major"), am) == "relative"
    assert key_relation(Key(9, "major"), am) == "parallel"


def test_fifths_distance():
    assert fifths_distance(0, 0) == 0
    assert fifths_distance(0, 7) == fifths_distance(7, 0) == 1
    assert fifths_distance(0, 2) == 2
    assert fifths_distance(0, 9) == 3  # the relative minor's tonic
    assert fifths_distance(0, 6) == 6
    assert max(fifths_distance(0, pc) for pc in range(12)) == 6


def test_key_scores():
    est = [C, Key(7, "major"), Key(9, "minor"), Key(2, "major")]
    acc, weighted = key_scores(est, [C] * 4)
    assert acc == pytest.approx(0.25)
    assert weighted == pytest.approx((1.0 + 0.5 + 0.3 + 0.0) / 4)
    assert all(math.isnan(v) for v in key_scores([], []))
    with pytest.raises(ValueError, match="one reference key per estimate"):
        key_scores([C], [])
