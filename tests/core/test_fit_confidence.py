"""The tempo confidence's fitting: its scores, the rows it reads and the logistic fit."""

import numpy as np
import pytest

from benchmarks.confidence import auc, brier
from benchmarks.fit_confidence import (
    CONFIDENCE_INPUTS,
    breakdown,
    confidence_inputs,
    decision_rows,
    fit_weights,
    predict,
)
from core.analysis.tempo import FEATURE_NAMES


def test_brier_is_the_mean_squared_gap_and_auc_the_chance_a_right_answer_ranks_higher():
    assert brier([1.0, 0.0, 0.5], [True, False, True]) == pytest.approx(0.25 / 3)
    assert brier([0.0], [True]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 0.0
    assert auc([0.5, 0.5, 0.5], [1, 0, 1]) == 0.5  # ties count half
    assert auc([0.9, 0.3, 0.6], [1, 0, 0]) == 1.0 and auc([0.7, 0.8, 0.6], [1, 0, 0]) == 0.5
    assert np.isnan(auc([0.2, 0.3], [1, 1]))


def _row(tempo_octave: float, periodicity: float, gate: float, steady: float) -> np.ndarray:
    """A candidate's features whose evidence is 0.1 but for the named entries."""
    n = len(FEATURE_NAMES) // 3
    ev = np.full(n, 0.1)
    ev[FEATURE_NAMES.index("log2 tempo")] = tempo_octave
    ev[FEATURE_NAMES.index("log2 tempo squared")] = tempo_octave ** 2
    ev[FEATURE_NAMES.index("onset periodicity")] = periodicity
    return np.concatenate([ev, gate * ev, steady * ev])


def test_the_inputs_read_the_chosen_tempo_its_margin_and_its_evidence():
    X = np.vstack([_row(0.5, 0.4, 0.75, 0.3), _row(-0.5, 0.2, 0.75, 0.3),
                   _row(0.52, 0.38, 0.75, 0.3)])
    prob = np.array([0.5, 0.2, 0.3])
    near = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=bool)  # 0 and 2 are one tempo
    x = confidence_inputs(X, near.astype(float) @ prob, near, 0)
    assert len(x) == len(CONFIDENCE_INPUTS)
    got = dict(zip(CONFIDENCE_INPUTS, x, strict=True))
    assert got["decision logit"] == pytest.approx(np.log(0.8 / 0.2))  # 0.5 + 0.3
    assert got["margin over the rival"] == pytest.approx(np.log(0.8 / 0.2))
    assert got["onset periodicity"] == pytest.approx(0.4)
    assert got["drum gate"] == pytest.approx(0.75) and got["steadiness"] == pytest.approx(0.3)
    assert (got["log2 tempo"], got["log2 tempo squared"]) == pytest.approx((0.5, 0.25))
    # a lone tempo has no rival: the margin is at its ceiling; certainty is clipped
    alone = confidence_inputs(X[:1], np.array([1.0]), np.ones((1, 1), bool), 0)
    assert alone[:2] == pytest.approx([np.log(1e4)] * 2, abs=1e-3)


def test_the_confidence_is_a_logistic_of_the_inputs():
    x = np.array([[1.0, 2.0], [0.0, 0.0]])
    w = np.array([-1.0, 0.5, 0.5])
    assert predict(w, x) == pytest.approx([1 / (1 + np.exp(-0.5)), 1 / (1 + np.exp(1.0))])


def test_the_fit_finds_the_logistic_the_outcomes_were_drawn_from():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6000, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, 3.0]
    truth = np.array([0.5, 1.5, -0.8, 2.0])
    right = rng.random(6000) < predict(truth, x)
    w = fit_weights(x, right, c=100.0)
    assert w == pytest.approx(truth, abs=0.15)
    assert brier(predict(w, x), right) < brier(np.full(6000, right.mean()), right)


def test_each_song_is_decided_as_the_analyzer_decides_and_scored_on_its_choice():
    # two tempos: 120 (candidates 0 and 2, within 4 %) and 60; 60 scores highest alone but
    # the two near 120 together outweigh it
    songs = [{"X": np.vstack([_row(0.0, 0.5, 1.0, 1.0), _row(-1.0, 0.3, 1.0, 1.0),
                              _row(0.02, 0.45, 1.0, 1.0)]),
              "cands": [120.0, 60.0, 121.5], "y": np.array([True, False, True])},
             {"X": None, "cands": [], "y": None}]
    logits = np.log([0.35, 0.4, 0.25])
    x, right, clarity = decision_rows(songs, lambda X: logits)
    assert x.shape == (1, len(CONFIDENCE_INPUTS)) and right.tolist() == [True]
    assert x[0, 0] == pytest.approx(np.log(0.6 / 0.4))
    assert x[0, 2] == pytest.approx(0.5)  # the chosen tempo's likelier candidate (0.35 > 0.25)
    assert clarity[0] == pytest.approx(0.6)  # periodicity over 0.3 counts as 1


def test_the_details_name_the_chosen_tempo_the_truth_and_the_songs_meter():
    songs = [{"X": np.vstack([_row(0.0, 0.5, 1.0, 1.0), _row(-1.0, 0.3, 1.0, 1.0)]),
              "cands": [120.0, 60.0], "y": np.array([False, True]), "bpm": 61.0,
              "subset": "drumless", "meter": "2/4", "style": "none"}]
    *_, more = decision_rows(songs, lambda X: np.log([0.7, 0.3]), details=True)
    assert more["bpm"].tolist() == [120.0] and more["truth"].tolist() == [61.0]
    assert more["subset"].tolist() == ["drumless"] and more["meter"].tolist() == ["2/4"]
    assert more["style"].tolist() == ["none"]


def test_the_breakdown_counts_each_meters_songs_and_names_how_the_wrong_ones_are_wrong():
    rows = {"subset": np.array(["drumless"] * 4 + ["clear"]),
            "meter": np.array(["6/8", "6/8", "2/4", "6/8", "2/4"]),
            "bpm": np.array([95.0, 63.0, 130.0, 100.0, 120.0]),
            "truth": np.array([63.4, 63.4, 65.0, 63.4, 120.0]),
            "right": np.array([False, True, False, False, True])}
    assert breakdown(rows, "meter") == [("clear", "2/4", 1, 1.0, {}),
                              ("drumless", "2/4", 1, 0.0, {"x2": 1}),
                              ("drumless", "6/8", 3, pytest.approx(1 / 3),
                               {"x3/2": 1, "other": 1})]
    rows["style"] = np.array(["none", "none", "reel", "none", "rock"])
    assert [r[:3] for r in breakdown(rows, "style")] == [("clear", "rock", 1),
                                                         ("drumless", "none", 3),
                                                         ("drumless", "reel", 1)]
