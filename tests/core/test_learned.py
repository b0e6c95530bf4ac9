"""Learned multi-input calibration: nested cross-validation, the keep rule against the raw
values and the single-descriptor fit, and the plain-JSON models that reproduce their
predictions exactly."""

import json
import math
import re

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from core.calibration.descriptor_fit import fit_descriptor, mae
from core.calibration.inputs import ALL_INPUTS, NOT_IN_RESULTS, input_matrix, usable_inputs
from core.calibration.learned_fit import (
    MIN_SONGS,
    TREE_SETTINGS,
    LearnedCalibration,
    fit_learned,
    fit_model,
)
from core.calibration.learned_model import (
    RidgeModel,
    TreeModel,
    model_from_dict,
    tree_from_sklearn,
)

NAMES = ("energy", "brightness_hz", "loudness_lufs", "danceability", "valence",
         "acousticness")


def _planted(n, seed=0, *, noise=0.03):
    """Six inputs; the reference depends non-linearly on the first three."""
    rng = np.random.default_rng(seed)
    energy = rng.uniform(0, 1, n)
    bright = rng.uniform(800, 4000, n)
    lufs = rng.uniform(-20, -5, n)
    X = np.column_stack([energy, bright, lufs, rng.uniform(0, 1, (n, 3))])
    zb, zl = (bright - 2400) / 900, (lufs + 12.5) / 4.5
    y = (0.5 + 0.25 * np.tanh(3 * (energy - 0.5)) + 0.12 * np.sin(2 * zb) * zl
         + 0.08 * zl ** 2 + rng.normal(0, noise, n))
    return X, y


def test_planted_three_input_relation_is_learned_and_beats_every_single_fit():
    X, y = _planted(400)
    singles = [fit_descriptor(X[:, j], y, descriptor="speech") for j in range(X.shape[1])]
    best_single = min(s.mae_cv for s in singles)
    cal = fit_learned(X, y, NAMES, column="speech")
    assert cal.kept and cal.verdict == "calibrated" and cal.folds == 5 and cal.note == ""
    assert cal.mae_cv < 0.7 * best_single
    assert cal.mae_cv == mae(cal.cv_pred, y) and cal.mae_compared == cal.mae_cv
    assert {name for name, _ in cal.importance[:3]} == {"energy", "brightness_hz",
                                                        "loudness_lufs"}
    assert all(v < cal.importance[2][1] / 5 for _, v in cal.importance[3:])
    sizes = [s for s, _ in cal.learning_curve]
    errors = [e for _, e in cal.learning_curve]
    assert sizes == [80, 160, 320] and errors[0] > errors[-1]
    assert errors[-1] == cal.mae_cv
    assert sum(cal.chosen.values()) == 5 and cal.model.kind == cal.kind
    assert cal.describe().startswith(("boosted trees on 6 inputs", "ridge on 6 inputs"))


def test_learned_interval_holds_about_90_percent_of_new_songs():
    X, y = _planted(1200, seed=3)
    cal = fit_learned(X[:600], y[:600], NAMES, column="speech")
    pred = cal.model.predict(X[600:])
    lo, hi = cal.interval.bounds(pred)
    inside = np.mean((y[600:] >= lo) & (y[600:] <= hi))
    assert 0.85 <= inside <= 0.95


def test_no_relation_column_is_reported_and_not_kept():
    X, _ = _planted(300)
    y = np.random.default_rng(9).normal(50, 10, 300)
    cal = fit_learned(X, y, NAMES, column="popularity")
    assert cal.verdict == "no relation" and not cal.kept
    assert cal.r2_cv < 0.05 and "no relation" in cal.note
    assert cal.model is not None  # fitted and judged, just not applied


def test_kept_only_when_it_beats_both_the_raw_values_and_the_single_fit():
    X, y = _planted(300, seed=4)
    cal = fit_learned(X, y, NAMES, column="energy", mae_raw=1.0, mae_single=1.0)
    assert cal.kept and cal.verdict == "calibrated"
    m = cal.mae_cv
    # the keep rule at its boundary, against either error
    for raw, single, kept in ((m / 0.99 + 1e-9, 1.0, True), (m / 0.99 - 1e-9, 1.0, False),
                              (1.0, m / 0.99 - 1e-9, False), (1.0, m, False),
                              (1.0, m / 0.99 + 1e-9, True)):
        cal.mae_raw = raw
        cal.rejudge(mae_single=single, min_gain=0.01)
        assert cal.kept is kept and cal.mae_cv == m, (raw, single)
        assert (cal.note == "") is kept
    cal.mae_raw = 1.0
    cal.rejudge(mae_single=1.0, min_gain=1 - m / 1.0 + 1e-6)  # asking for more than it gives
    assert not cal.kept and "does not beat 1 and 1 by" in cal.note
    cal.rejudge(mae_single=1.0, min_gain=0.01, inverted=True)
    assert not cal.kept and cal.verdict == "" and "runs against the reference" in cal.note


def test_an_extra_column_is_compared_with_its_median():
    X, y = _planted(200, seed=4)
    extra = fit_learned(X, y, NAMES, column="speech")
    assert extra.kept and extra.mae_cv < 0.99 * extra.mae_median
    assert extra.mae_median == pytest.approx(np.mean(np.abs(y - np.median(y))), rel=0.05)
    extra.mae_median = extra.mae_cv / 0.99 - 1e-9
    extra.rejudge(mae_single=math.nan, min_gain=0.01)
    assert not extra.kept and extra.verdict == "weak"  # an extra column's model not kept


def test_comparison_uses_the_songs_the_raw_values_were_measured_on():
    X, y = _planted(300, seed=5)
    compare = np.arange(300) % 3 != 0
    cal = fit_learned(X, y, NAMES, column="energy", compare=compare)
    assert cal.mae_compared == mae(cal.cv_pred[compare], y[compare]) != cal.mae_cv


def test_too_few_songs_at_the_boundary():
    X, y = _planted(MIN_SONGS, seed=6)
    few = fit_learned(X[:-1], y[:-1], NAMES, column="speech")
    assert few.model is None and few.n == MIN_SONGS - 1 and "too few" in few.note
    assert few.describe() == "none"
    assert not few.kept and few.verdict == "too few"
    enough = fit_learned(X, y, NAMES, column="speech")
    assert enough.model is not None and enough.n == MIN_SONGS
    flat = fit_learned(np.ones((40, 2)), np.arange(40.0), ("energy", "valence"), column="x")
    assert flat.model is None and "no input varies" in flat.note


def test_the_learning_curve_goes_down_to_half_the_fewest_songs_and_no_lower():
    # 75 songs: outer training sets of 60, a quarter of which is 15 = MIN_SONGS / 2
    X, y = _planted(75, seed=9)
    cal = fit_learned(X, y, NAMES, column="speech")
    assert [size for size, _ in cal.learning_curve] == [MIN_SONGS // 2, 30, 60]
    # 70 songs: a quarter of 56 is 14, too few for a point of the curve
    short = fit_learned(X[:70], y[:70], NAMES, column="speech")
    assert [size for size, _ in short.learning_curve] == [28, 56]


def test_rows_without_a_reference_value_are_dropped_and_missing_inputs_kept():
    X, y = _planted(200, seed=7)
    y[:10] = np.nan
    X[10:40, 0] = np.nan  # energy missing on 30 songs
    cal = fit_learned(X, y, NAMES, column="speech")
    assert cal.n == 190 and np.all(np.isfinite(cal.cv_pred))
    assert np.all(np.isfinite(cal.model.predict(X)))


def test_tree_model_reproduces_scikit_learn_and_survives_json_exactly():
    X, y = _planted(500, seed=8)
    X[::7, 1] = np.nan
    h = HistGradientBoostingRegressor(random_state=0, **TREE_SETTINGS)
    h.fit(X[:400], y[:400], X_val=X[400:], y_val=y[400:])
    model = TreeModel(NAMES, float(np.ravel(h._baseline_prediction)[0]),
                      [tree_from_sklearn(p[0]) for p in h._predictors])
    assert np.array_equal(model.predict(X), h.predict(X))
    back = model_from_dict(json.loads(json.dumps(model.to_dict())))
    assert isinstance(back, TreeModel) and np.array_equal(back.predict(X), model.predict(X))


def test_a_leaf_read_from_scikit_learn_has_no_children_in_the_saved_form():
    """scikit-learn keeps 0 (the root) in a leaf's unsigned child fields; a tree read from
    it gives a leaf the children -1 in the saved form (the profile).  They were written as
    4294967295: -1 wrapped around as an unsigned 32-bit number."""
    X, y = _planted(200, seed=3)
    h = HistGradientBoostingRegressor(random_state=0, max_iter=3, max_leaf_nodes=4,
                                      early_stopping=False)
    h.fit(X, y)
    saved = [tree_from_sklearn(p[0]).to_dict() for p in h._predictors]
    leaves = [(t["left"][i], t["right"][i], len(t["feature"])) for t in saved
              for i, f in enumerate(t["feature"]) if f == -1]
    assert len(leaves) == 3 * 4
    assert {(left, right) for left, right, _ in leaves} == {(-1, -1)}
    assert all(isinstance(v, int) for t in saved for v in t["left"] + t["right"])
    # nor a threshold: a leaf splits nothing
    assert {t["threshold"][i] for t in saved for i, f in enumerate(t["feature"])
            if f == -1} == {0.0}


def test_a_tree_that_splits_on_categories_is_refused():
    """The saved form has numeric thresholds only: a scikit-learn tree with a categorical
    split is refused by name rather than read as a threshold on the category code."""
    rng = np.random.default_rng(6)
    X = np.column_stack([rng.integers(0, 4, 200), rng.uniform(0, 1, 200)])
    y = np.where(X[:, 0] % 2 == 1, 1.0, 0.0) + 0.1 * X[:, 1]
    h = HistGradientBoostingRegressor(random_state=0, max_iter=2, categorical_features=[0],
                                      early_stopping=False)
    h.fit(X, y)
    with pytest.raises(ValueError, match=r"^categorical splits are not supported$"):
        tree_from_sklearn(h._predictors[0][0])


def test_trees_in_cross_validation_predict_what_their_saved_form_predicts_clamped():
    X, y = _planted(300, seed=8)
    quick = fit_model(X, y, NAMES, low=0.3, high=0.7, export=False)  # as in the folds
    assert quick.kind == "boosted_trees"
    pred = quick.predict(X)
    assert pred.min() == 0.3 and pred.max() == 0.7  # the planted values reach past both
    assert np.array_equal(pred, quick.export().predict(X))


def test_trees_clamped_at_one_end_only_predict_what_their_saved_form_predicts():
    X, y = _planted(300, seed=8)
    for low, high in ((None, 0.7), (0.3, None)):
        quick = fit_model(X, y, NAMES, low=low, high=high, export=False)
        assert quick.kind == "boosted_trees"
        pred = quick.predict(X)
        # the clamped end holds, the other is left open (the planted values reach past both)
        if high is not None:
            assert pred.max() == 0.7 and pred.min() < 0.3
        else:
            assert pred.min() == 0.3 and pred.max() > 0.7
        assert np.array_equal(pred, quick.export().predict(X))


def test_a_learned_fit_is_reproducible_and_clamps_its_held_out_predictions():
    X, y = _planted(150, seed=8)
    first = fit_learned(X, y, NAMES, column="energy", low=0.3, high=0.7)
    again = fit_learned(X, y, NAMES, column="energy", low=0.3, high=0.7)
    # the same songs give the same model, whichever kind wins
    assert first.kind == "boosted_trees"
    assert first.model.to_dict() == again.model.to_dict()
    assert np.array_equal(first.cv_pred, again.cv_pred)
    assert first.learning_curve == again.learning_curve  # each point as reproducible
    # the nested predictions behind the MAE and the interval are clamped as the model is
    # (the planted values reach past both ends)
    assert first.cv_pred.min() == 0.3 and first.cv_pred.max() == 0.7


def test_ridge_model_survives_json_exactly_and_clamps():
    X, y = _planted(200, seed=9)
    X[::5, 2] = np.nan
    model = fit_model(X[:, :1], y, NAMES[:1], low=0.3, high=0.7)
    assert isinstance(model, RidgeModel)  # one input: a line does as well as trees
    pred = model.predict(X[:, :1])
    assert pred.min() >= 0.3 and pred.max() <= 0.7
    back = model_from_dict(json.loads(json.dumps(model.to_dict())))
    assert np.array_equal(back.predict(X[:, :1]), pred)
    z = np.where(np.isnan(X[:, :1]), model.fill, X[:, :1])
    by_hand = np.clip(((z - model.mean) / model.scale) @ model.coef + model.intercept, 0.3, 0.7)
    assert np.array_equal(pred, by_hand)


def test_json_forms_hold_every_field():
    ridge = RidgeModel(("energy",), np.array([0.5]), np.array([0.4]), np.array([0.2]),
                       np.array([1.5]), 0.25, float("nan"), 0.0, 1.0)
    assert ridge.to_dict() == {"kind": "ridge", "format": 1, "inputs": ["energy"],
                               "fill": [0.5], "mean": [0.4], "scale": [0.2], "coef": [1.5],
                               "intercept": 0.25, "alpha": None, "low": 0.0, "high": 1.0}
    ridge.alpha = 10.0
    assert ridge.to_dict()["alpha"] == 10.0
    assert model_from_dict(ridge.to_dict()).alpha == 10.0
    assert math.isnan(model_from_dict({**ridge.to_dict(), "alpha": None}).alpha)
    for field, message in (("intercept", "'intercept' must be a finite number"),
                           ("alpha", "'alpha' must be a finite number or null")):
        edited = {**ridge.to_dict(), field: None if field == "intercept" else "x"}
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            model_from_dict(edited)
    with pytest.raises(ValueError, match="'intercept' must be a finite number"):
        model_from_dict({**ridge.to_dict(), "intercept": "0.25"})  # was read as a number
    constant = model_from_dict({**ridge.to_dict(), "low": 0.5, "high": 0.5})  # a constant column
    assert constant.predict(np.array([[0.9]])).tolist() == [0.5]
    tree = model_from_dict(_tree_dict())
    assert tree.to_dict() == _tree_dict()
    split = model_from_dict(_tree_dict(threshold=[None, None, None]))  # None: +infinity
    assert split.trees[0].threshold[0] == math.inf
    assert split.to_dict()["trees"][0]["threshold"][0] is None
    assert split.predict(np.array([[1e308], [np.nan]])).tolist() == [-0.5, -0.5]


def _tree_dict(**changes):
    """A one-split tree model; ``changes`` replace fields of the tree (of the model for
    ``baseline`` and ``trees``)."""
    model_fields = {k: changes.pop(k) for k in ("baseline", "trees") if k in changes}
    tree = {"feature": [0, -1, -1], "threshold": [0.5, None, None], "left": [1, -1, -1],
            "right": [2, -1, -1], "missing_left": [1, 0, 0], "value": [0.0, -1.0, 1.0]}
    tree.update(changes)
    return {"kind": "boosted_trees", "format": 1, "inputs": ["energy"], "baseline": 0.5,
            "trees": [tree], "low": None, "high": None, **model_fields}


def test_tree_walk_follows_thresholds_and_missing_values():
    model = model_from_dict(_tree_dict())
    X = np.array([[0.2], [0.5], [0.7], [np.nan]])
    assert model.predict(X).tolist() == [-0.5, -0.5, 1.5, -0.5]


def _ridge2():
    return RidgeModel(("energy", "valence"), np.array([0.5, 0.2]), np.array([0.4, 0.4]),
                      np.array([0.2, 0.2]), np.array([0.1, 0.2]), 0.5, 1.0, 0.0, 1.0)


def test_models_read_a_missing_input_given_as_none():
    # rows as Python lists: None is a missing value, as NaN is
    tree = model_from_dict(_tree_dict())
    assert tree.predict([[0.7], [None]]).tolist() == [1.5, -0.5]
    ridge = _ridge2()
    assert ridge.predict([[None, 0.6], [0.5, 0.2]]).tolist() == pytest.approx([0.75, 0.35])
    assert ridge.predict([[None, None]]).tolist() == pytest.approx([0.35])  # the fill values


def test_a_learned_model_is_described_by_its_kind_and_the_inputs_that_matter():
    cal = LearnedCalibration("speech", 80, inputs=["energy", "valence", "bpm"],
                             model=_ridge2(), kind="ridge",
                             importance=[("energy", 0.02), ("valence", 0.0), ("bpm", -0.001)])
    # an input whose shuffling does not raise the error is not one that matters
    assert cal.describe() == "ridge on 3 inputs (top: energy)"
    cal.model, cal.kind = model_from_dict(_tree_dict()), "boosted_trees"
    cal.importance = [("valence", 0.0), ("energy", 0.0), ("bpm", -0.001)]
    assert cal.describe() == "boosted trees on 3 inputs"


def test_a_learned_fit_reads_lists_with_none_for_missing_values():
    X, y = _planted(40, seed=2)
    X[::4, 1] = np.nan
    rows = [[None if math.isnan(v) else float(v) for v in r] for r in X]
    arrays = fit_learned(X, y, NAMES, column="speech")
    lists = fit_learned(rows, y.tolist(), NAMES, column="speech")
    assert lists.model.to_dict() == arrays.model.to_dict()
    assert np.array_equal(lists.cv_pred, arrays.cv_pred) and lists.n == 40
    right = model_from_dict(_tree_dict(missing_left=[0, 0, 0]))
    assert right.predict(np.array([[np.nan]])).tolist() == [1.5]


@pytest.mark.parametrize("change, message", [
    ({"kind": "forest"}, "unknown learned model kind"),
    ({"format": 2}, "format"),
    ({"inputs": ["onset_rate"]}, "does not measure"),
    ({"inputs": []}, "non-empty"),
    ({"baseline": float("nan")}, "baseline"),
    ({"baseline": "0.5"}, "'baseline' must be a finite number"),
    ({"baseline": None}, "'baseline' must be a finite number"),
    ({"low": True}, "'low' must be a finite number or null"),
    ({"low": 2.0, "high": 1.0}, "'low' must not be above 'high', got 2.0 and 1.0"),
    ({"format": True}, "format"),
    ({"trees": "x"}, "trees"),
])
def test_malformed_models_are_refused(change, message):
    data = _tree_dict()
    data.update(change)
    with pytest.raises(ValueError, match=message):
        model_from_dict(data)


@pytest.mark.parametrize("tree, message", [
    ({"left": [0, -1, -1]}, "point forward"),  # a node pointing at itself: no end
    ({"right": [3, -1, -1]}, "point forward"),
    ({"feature": [1, -1, -1]}, "does not have"),
    ({"value": [0.0, 1.0]}, "3 numbers"),
    ({"value": [0.0, None, 1.0]}, "finite"),
    ({"left": [1.5, -1, -1]}, "integers"),
    ({"feature": []}, "non-empty"),
])
def test_malformed_trees_are_refused(tree, message):
    with pytest.raises(ValueError, match=message):
        model_from_dict(_tree_dict(**tree))


def test_malformed_ridge_is_refused():
    good = {"kind": "ridge", "format": 1, "inputs": ["energy", "valence"], "fill": [0, 0],
            "mean": [0, 0], "scale": [1, 1], "coef": [1, 2], "intercept": 0.5,
            "alpha": None, "low": 0, "high": 1}
    assert model_from_dict(good).predict(np.array([[1.0, 1.0]])).tolist() == [1.0]
    for change, message in (({"scale": [1, 0]}, "positive"), ({"coef": [1]}, "2 numbers"),
                            ({"intercept": float("inf")}, "intercept"),
                            ({"low": float("nan")}, "low")):
        with pytest.raises(ValueError, match=message):
            model_from_dict({**good, **change})
    with pytest.raises(ValueError, match="2 input columns"):
        model_from_dict(good).predict(np.ones((3, 3)))


def test_inputs_from_results_rows():
    rows = [{"bpm": "120.5", "key": "A minor", "loudness_lufs": "'-14.5", "status": "done"},
            {"bpm": "", "key": "C major", "loudness_lufs": -7.0},
            {"key": ""}]
    X = input_matrix(rows, ("bpm", "loudness_lufs", "mode_major"))
    assert X[0].tolist() == [120.5, -14.5, 0.0]
    assert math.isnan(X[1, 0]) and X[1, 1:].tolist() == [-7.0, 1.0]
    assert np.all(np.isnan(X[2]))
    assert usable_inputs(X) == [1, 2]  # bpm has one value only
    assert "mode_major" in ALL_INPUTS and NOT_IN_RESULTS == ("onset rate", "spectral flatness")


def _ridge_dict(**changes):
    data = {"kind": "ridge", "format": 1, "inputs": ["energy", "valence"], "fill": [0, 0],
            "mean": [0, 0], "scale": [1, 1], "coef": [1, 2], "intercept": 0.5,
            "alpha": 2.0, "low": None, "high": None}
    data.update(changes)
    return data


@pytest.mark.parametrize("change, message", [
    ({"fill": [0]}, "'fill' must hold 2 numbers, got 1"),
    ({"mean": [0, 0, 0]}, "'mean' must hold 2 numbers, got 3"),
    ({"scale": [1]}, "'scale' must hold 2 numbers, got 1"),
    ({"coef": "12"}, "'coef' must be a list of numbers"),
    ({"scale": [1, -1]}, "'scale' must hold positive numbers"),
    ({"intercept": float("nan")}, "'intercept' must be a finite number"),
    ({"mean": [0, None]}, "'mean' holds a value that is not a finite number"),
    ({"high": float("inf")}, "'high' must be a finite number or null"),
    ({"coef": ["1", 2]}, "'coef' must be a list of numbers"),  # was read as 1.0
    ({"fill": [True, 0]}, "'fill' must be a list of numbers"),  # was read as 1.0
    ({"mean": [[0], 0]}, "'mean' must be a list of numbers"),
    ({"scale": ["x", 1]}, "'scale' must be a list of numbers"),
])
def test_each_ridge_field_is_checked(change, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        model_from_dict(_ridge_dict(**change))


def test_ridge_fields_are_read_as_written():
    m = model_from_dict(_ridge_dict(fill=[0.5, 0.25], mean=[1, 2], scale=[2, 4], low=0.0,
                                    high=3.0))
    assert m.fill.tolist() == [0.5, 0.25] and m.mean.tolist() == [1.0, 2.0]
    assert m.scale.tolist() == [2.0, 4.0] and m.coef.tolist() == [1.0, 2.0]
    assert (m.intercept, m.alpha, m.low, m.high) == (0.5, 2.0, 0.0, 3.0)
    assert m.predict(np.array([[np.nan, 6.0], [100.0, 100.0]])).tolist() == [
        pytest.approx(0.5 + (0.5 - 1) / 2 + 2 * (6 - 2) / 4), 3.0]


@pytest.mark.parametrize("data, message", [
    ([], "a learned model must be a JSON object"),
    (_ridge_dict(format=None), "learned model format None is not one this SongCal reads (1)"),
    (_ridge_dict(inputs="energy"), "'inputs' must be a non-empty list of input names"),
    (_ridge_dict(inputs=["energy", "tempo"]),
     "the model reads ['tempo'], which this SongCal does not measure"),
    (_tree_dict(baseline=float("inf")), "'baseline' must be a finite number"),
    (_tree_dict(trees=[[]]), "each tree must be a JSON object"),
    (_tree_dict(feature=[]), "a tree's node arrays must be non-empty"),
    (_tree_dict(threshold=[0.5, None]), "a tree's node arrays must be non-empty and of one length"),
    (_tree_dict(threshold=[float("-inf"), 0, 0]),
     "a tree holds a value or threshold that is not a number"),
])
def test_malformed_models_say_exactly_what_is_wrong(data, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        model_from_dict(data)


def test_tree_and_node_limits_at_their_boundaries(monkeypatch):
    import core.analysis.trees as lm

    monkeypatch.setattr(lm, "MAX_TREES", 2)
    monkeypatch.setattr(lm, "MAX_NODES", 6)
    tree = _tree_dict()["trees"][0]
    assert len(model_from_dict(_tree_dict(trees=[tree, tree])).trees) == 2  # 6 nodes
    with pytest.raises(ValueError, match="^'trees' must be a list of at most 2 trees$"):
        model_from_dict(_tree_dict(trees=[tree, tree, tree]))
    monkeypatch.setattr(lm, "MAX_NODES", 5)
    with pytest.raises(ValueError, match="^the trees hold more than 5 nodes$"):
        model_from_dict(_tree_dict(trees=[tree, tree]))
    assert len(model_from_dict(_tree_dict(trees=[{**tree, "feature": [-1], "threshold": [None],
                                                  "left": [-1], "right": [-1],
                                                  "missing_left": [0], "value": [2.0]},
                                                 tree])).trees) == 2  # 4 nodes


def test_trees_of_uneven_depth_and_clamped_predictions():
    # root: energy <= 0.5 -> leaf -1; else a second split at 0.8 -> leaves +1 / +3
    deep = _tree_dict(feature=[0, -1, 0, -1, -1], threshold=[0.5, None, 0.8, None, None],
                      left=[1, -1, 3, -1, -1], right=[2, -1, 4, -1, -1],
                      missing_left=[1, 0, 0, 0, 0], value=[0.0, -1.0, 0.0, 1.0, 3.0])
    model = model_from_dict(deep)
    X = np.array([[0.2], [0.7], [0.9], [np.nan]])
    assert model.predict(X).tolist() == [-0.5, 1.5, 3.5, -0.5]
    clamped = model_from_dict({**deep, "low": 0.0, "high": 2.0})
    assert clamped.predict(X).tolist() == [0.0, 1.5, 2.0, 0.0]
    assert model_from_dict({**deep, "trees": []}).predict(X).tolist() == [0.5] * 4


def _linear_with_slips(n=80, seed=4, slips=(5, 17, 40)):
    """A reference that is a plain line of two inputs, but for a few typing slips (a value
    written 1.0 too high where the rest spans about 0.9)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, 3))
    y = 0.6 * X[:, 0] + 0.3 * X[:, 1] + rng.normal(0, 0.05, n)
    y[list(slips)] += 1.0
    return X, y


def test_a_learned_model_is_judged_without_its_outlying_songs_as_a_correction_is():
    X, y = _linear_with_slips()
    cal = fit_learned(X, y, NAMES[:3], column="speech")
    # the three slips are named; over every song r² is below 0.5 (their squares rule it)
    assert sorted(cal.outliers.tolist()) == [5, 17, 40]
    assert cal.r2_cv < 0.5 < cal.r2_cv_inliers
    # the verdict reads the r² without them, as a single descriptor's does (it was "weak")
    assert cal.verdict == "calibrated" and cal.kept
    assert cal.outlier_note.startswith("3 outlying songs (held-out error more than 5 robust")
    assert f"r\u00b2 {cal.r2_cv_inliers:.3g} without them, {cal.r2_cv:.3g} with" in (
        cal.outlier_note)
    # no slips, nothing named
    clean = fit_learned(X, _linear_with_slips(slips=())[1], NAMES[:3], column="speech")
    assert not len(clean.outliers) and clean.outlier_note == ""
    assert clean.verdict == "calibrated"


def test_a_learned_models_errors_of_a_few_of_the_sheets_steps_are_not_outlying():
    # A sheet of whole levels 1-10 (as Mixed In Key writes energy): a song written two
    # levels off is within what the sheet's steps allow (five of them), as for a single
    # descriptor's correction, though the model's other errors are far smaller than a step.
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (60, 3))
    y = np.round(1 + 9 * (0.6 * X[:, 0] + 0.4 * X[:, 1]))
    y[7] += 2
    cal = fit_learned(X, y, NAMES[:3], column="mik_energy", low=1, high=10)
    assert abs(cal.cv_pred[7] - y[7]) > 1.5  # the slip stands out from the model's errors
    assert not len(cal.outliers) and cal.outlier_note == ""
    assert cal.verdict == "calibrated"


def _judged(*, mae_compared, r2_cv, mae_single=0.2, inverted=False, min_gain=0.01,
            importance=()):
    from core.calibration.learned_fit import LearnedCalibration

    cal = LearnedCalibration("energy", n=40, inputs=["a", "b", "c", "d"], model=object(),
                             kind="ridge", mae_raw=0.3, mae_compared=mae_compared,
                             r2_cv=r2_cv, importance=list(importance))
    cal.rejudge(mae_single=mae_single, min_gain=min_gain, inverted=inverted)
    return cal


def test_a_model_that_beats_the_errors_but_explains_nothing_is_not_kept_and_says_why():
    """Its nested MAE beats both others, but its held-out r² is below the no-relation
    line: not kept, and the note says what is wrong rather than quoting the MAE."""
    cal = _judged(mae_compared=0.1, r2_cv=0.01)
    assert (cal.kept, cal.verdict) == (False, "no relation")
    assert cal.note == "no relation: the model predicts no better than the reference mean"


def test_a_model_of_an_inverted_descriptor_names_the_inversion_only_when_it_passes():
    passes = _judged(mae_compared=0.1, r2_cv=0.6, inverted=True)
    assert not passes.kept and passes.verdict == ""
    assert passes.note == ("not kept: the descriptor runs against the reference; keep its "
                           "inverted correction to use this model")
    fails = _judged(mae_compared=0.25, r2_cv=0.6, inverted=True, min_gain=0.02)
    assert not fails.kept
    assert fails.note == ("its nested cross-validated MAE 0.25 does not beat 0.3 and 0.2 "
                          "by 2 %")


def test_a_model_is_described_by_its_three_strongest_inputs():
    cal = _judged(mae_compared=0.1, r2_cv=0.6,
                  importance=[("a", 0.5), ("b", 0.3), ("c", 0.1), ("d", 0.1)])
    assert cal.kept and cal.verdict == "calibrated"
    assert cal.describe() == "ridge on 4 inputs (top: a, b, c)"
