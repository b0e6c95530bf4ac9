"""How an analyzer tempo is scored against the sheet's (:mod:`core.calibration.agreement`):
Acc1 and Acc2 over tempi given as lists with gaps or against one reference tempo, and the
named relation of one tempo to another at tempi below 1 BPM and at another tolerance."""

from __future__ import annotations

import math

from core.calibration.agreement import acc1, acc2, tempo_relation


def test_a_missing_analyzer_tempo_given_as_none_is_a_miss():
    assert acc1([None, 120.0, 61.0], [120.0, 120.0, 120.0]) == 1 / 3
    assert acc2([None, 120.0, 61.0], [120.0, 120.0, 120.0]) == 2 / 3


def test_a_missing_reference_tempo_given_as_none_is_a_miss():
    assert acc1([120.0, 120.0], [None, 120.0]) == 0.5


def test_many_analyzer_tempi_score_against_one_reference_tempo():
    assert acc1([100.0, 200.0, 103.0], 100.0) == 2 / 3
    assert acc2([100.0, 200.0, 150.0], 100.0) == 2 / 3


def test_tempi_below_one_bpm_still_have_a_relation():
    # any positive tempo is a tempo: only missing, infinite, zero or negative ones are not
    assert tempo_relation(0.5, 0.5) == "ok"
    assert tempo_relation(0.5, 1.0) == "half"
    assert tempo_relation(0.0, 1.0) == tempo_relation(1.0, -1.0) == ""
    assert tempo_relation(math.inf, 120.0) == ""


def test_the_relation_is_named_at_the_tolerance_asked_for():
    # 110 BPM against 100: wrong at the default 4 %, the same tempo at 15 %
    assert tempo_relation(110.0, 100.0) == "wrong"
    assert tempo_relation(110.0, 100.0, tolerance=0.15) == "ok"
    assert tempo_relation(206.0, 100.0, tolerance=0.02) == "wrong"
    assert tempo_relation(206.0, 100.0) == "double"
