"""Learned multi-input calibration: predict a reference column from all of SongCal's
per-song values, chosen and scored by nested cross-validation.

Where one descriptor does not track a reference column, several may: :func:`fit_learned`
fits two kinds of model (:mod:`core.calibration.learned_model`) on every input of
:mod:`core.calibration.inputs`:

- ridge regression (scikit-learn ``RidgeCV``: the penalty chosen by its leave-one-out
  error from :data:`RIDGE_ALPHAS`);
- gradient-boosted trees (scikit-learn ``HistGradientBoostingRegressor``, small trees,
  stopped early on held-out songs).

The choice between them is made on songs the candidates were not fitted on: the training
songs are split (:data:`HOLDOUT` of them held out, fixed seed), both are fitted on the rest
and the one with the lower held-out MAE wins (ridge on a tie), then ridge is refitted on
every training song (the trees keep the held-out part as their stopping set).

**Nested** cross-validation scores that whole procedure: an outer :data:`OUTER_FOLDS`-fold
loop runs the choice and the fit inside each outer training set and predicts the outer
fold.  The resulting MAE (``mae_cv``) is what "after" means; its held-out residuals give
the 90 % interval (:mod:`core.calibration.intervals`) and the inputs that matter
(permutation importance on the outer folds: how much the MAE grows when one input is
shuffled, once per outer fold).  A learning curve repeats the procedure with the first
outer training sets cut to :data:`LEARNING_FRACTIONS` of their songs.

The model is kept only when its nested MAE passes
:func:`core.calibration.verdict.keeps` against both the raw analyzer values and the
single-descriptor correction (for an extra column, which has neither, against predicting
the reference's median), and its verdict is not ``no relation``.  Its verdict is judged as
a single descriptor's is (:func:`core.calibration.descriptor_fit.outlying`): songs whose
held-out error lies far from the others' are named and left out of the r\u00b2 the verdict
reads, while the keep rule still reads the MAE of every song.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV

from core.calibration.descriptor_fit import (
    cv_folds,
    cv_predict,
    mae,
    outlier_note,
    outlying,
    r_squared,
    value_range,
    value_step,
)
from core.calibration.inputs import usable_inputs
from core.calibration.intervals import PredictionInterval, interval_from_residuals
from core.calibration.learned_model import RidgeModel, TreeModel, tree_from_sklearn
from core.calibration.verdict import keeps, model_verdict

__all__ = ["MIN_SONGS", "OUTER_FOLDS", "HOLDOUT", "LEARNING_FRACTIONS", "RIDGE_ALPHAS",
           "TREE_SETTINGS", "LearnedCalibration", "fit_model", "fit_learned"]

#: Fewest paired songs a learned model is fitted on.
MIN_SONGS = 30
#: Outer folds of the nested cross-validation.
OUTER_FOLDS = 5
#: Share of a training set held out to choose the model kind and stop the boosting.
HOLDOUT = 0.2
#: Training-set sizes of the learning curve, as shares of each outer training set (the
#: full size is the nested result itself).
LEARNING_FRACTIONS = (0.25, 0.5)
#: Ridge penalties tried (on standardized inputs).
RIDGE_ALPHAS = tuple(float(a) for a in np.logspace(-3, 3, 13))
#: Settings of the boosted trees.
TREE_SETTINGS = {"max_iter": 200, "max_leaf_nodes": 8, "max_bins": 63,
                 "learning_rate": 0.3, "min_samples_leaf": 10, "early_stopping": True,
                 "n_iter_no_change": 6, "scoring": "loss"}
_LEARNING_CURVE_FOLDS = 2  # outer folds the smaller training sets are drawn from


@dataclass
class LearnedCalibration:
    """A learned model of one reference column and how far to trust it.

    Attributes
    ----------
    column : str
        The reference column (``"energy"``, ``"speech"``...).
    n : int
        Paired songs with a reference value.
    inputs : list of str
        Inputs the model reads (those that vary across the songs).
    model : RidgeModel or TreeModel or None
        Fitted on every paired song (kept or not); None when too few songs.
    kind : str
        ``"ridge"`` or ``"boosted_trees"`` (the final model's kind).
    chosen : dict of str to int
        How many outer folds chose each kind.
    kept : bool
        Whether the model is applied.
    verdict : str
        :func:`core.calibration.verdict.model_verdict` (``""`` for a model of an analyzer
        descriptor that is not kept: the descriptor's verdict stands).
    mae_cv, r2_cv : float
        Nested cross-validated MAE (the column's unit) and r².
    mae_raw, mae_single, mae_median : float
        MAE of the raw analyzer values, cross-validated MAE of the single-descriptor
        correction (NaN for an extra column), and cross-validated MAE of predicting the
        reference median.
    mae_compared : float
        ``mae_cv`` over the songs the raw values were measured on (all songs for an extra
        column): what the keep rule compares.
    importance : list of (str, float)
        Inputs by permutation importance, largest first: the rise of the held-out MAE
        when the input is shuffled.
    learning_curve : list of (int, float)
        (training songs, nested cross-validated MAE), smallest first.
    interval : PredictionInterval
        90 % interval from the nested held-out residuals.
    cv_pred : ndarray
        Nested cross-validated predictions, one per song.
    folds : int
    note : str
    input_ranges : dict of str to (float, float)
        Per input the model reads, its lowest and highest value over the songs it was
        fitted on (missing values left out).
    outliers : ndarray of int
        Positions (in the ``y`` given to :func:`fit_learned`) of the songs whose held-out
        error is outlying (:func:`core.calibration.descriptor_fit.outlying`): the verdict
        is judged without them.  Empty when there are none.
    r2_cv_inliers : float
        ``r2_cv`` without the outlying songs (NaN when there are none): what the verdict
        reads.
    """

    column: str
    n: int
    inputs: list = field(default_factory=list)
    model: RidgeModel | TreeModel | None = None
    kind: str = ""
    chosen: dict = field(default_factory=dict)
    kept: bool = False
    verdict: str = "too few"
    mae_cv: float = math.nan
    r2_cv: float = math.nan
    mae_raw: float = math.nan
    mae_single: float = math.nan
    mae_median: float = math.nan
    mae_compared: float = math.nan
    importance: list = field(default_factory=list)
    learning_curve: list = field(default_factory=list)
    interval: PredictionInterval = field(default_factory=PredictionInterval)
    cv_pred: np.ndarray = field(default_factory=lambda: np.empty(0))
    folds: int = 0
    note: str = ""
    inverted: bool = False
    input_ranges: dict = field(default_factory=dict)
    outliers: np.ndarray = field(default_factory=lambda: np.empty(0, int))
    r2_cv_inliers: float = math.nan

    @property
    def outlier_note(self) -> str:
        """What the verdict left out, with r\u00b2 with and without it (empty without
        outlying songs)."""
        return outlier_note(len(self.outliers), self.r2_cv_inliers, self.r2_cv)

    @property
    def r2_judged(self) -> float:
        """The r\u00b2 the verdict reads: without the outlying songs when there are some."""
        return self.r2_cv_inliers if len(self.outliers) else self.r2_cv

    def rejudge(self, *, mae_single: float, min_gain: float, inverted: bool = False) -> None:
        """Decide again whether the model is kept, against a new single-descriptor MAE
        (the user kept or dropped an inverted correction).

        Parameters
        ----------
        mae_single : float
            The single-descriptor correction's cross-validated MAE now.
        min_gain : float
        inverted : bool, optional
            The column's descriptor is ``inverted`` and the user has not kept it: nothing
            is applied to the column, this model included.
        """
        self.mae_single, self.inverted = mae_single, inverted
        self._judge(min_gain)

    def _judge(self, min_gain: float) -> None:
        if self.model is None:
            return
        others = [v for v in (self.mae_raw, self.mae_single) if math.isfinite(v)]
        others = others or [self.mae_median]
        passes = all(keeps(self.mae_compared, v, min_gain) for v in others)
        self.verdict = model_verdict(n=self.n, kept=passes, cv_r2=self.r2_judged)
        if not self.verdict and not any(math.isfinite(v) for v in (self.mae_raw,
                                                                    self.mae_single)):
            self.verdict = "weak"  # an extra column's only model, not good enough to keep
        self.kept = passes and self.verdict != "no relation" and not self.inverted
        if self.kept:
            self.note = ""
        elif self.inverted and passes:
            self.verdict = ""
            self.note = ("not kept: the descriptor runs against the reference; keep its "
                         "inverted correction to use this model")
        elif self.verdict == "no relation":
            self.note = "no relation: the model predicts no better than the reference mean"
        else:
            beaten = " and ".join(f"{v:.4g}" for v in others)
            self.note = (f"its nested cross-validated MAE {self.mae_compared:.4g} does not "
                         f"beat {beaten} by {100 * min_gain:g} %")

    def describe(self) -> str:
        """Short text such as ``"boosted trees on 15 inputs (top: energy, brightness_hz)"``."""
        if self.model is None:
            return "none"
        top = ", ".join(name for name, v in self.importance[:3] if v > 0)
        what = "ridge" if self.kind == "ridge" else "boosted trees"
        return f"{what} on {len(self.inputs)} inputs" + (f" (top: {top})" if top else "")


def _ridge(X, y, names, low, high) -> RidgeModel:
    fill = np.nanmedian(X, axis=0) if X.size else np.zeros(X.shape[1])
    fill = np.where(np.isfinite(fill), fill, 0.0)
    Z = np.where(np.isnan(X), fill, X)
    mean = Z.mean(axis=0)
    scale = Z.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    r = RidgeCV(alphas=RIDGE_ALPHAS).fit((Z - mean) / scale, y)
    return RidgeModel(tuple(names), fill, mean, scale, np.asarray(r.coef_, float),
                      float(r.intercept_), float(r.alpha_), low, high)


class _Boosted:
    """Fitted boosted trees: predicted by scikit-learn during cross-validation (quick);
    :meth:`export` gives the :class:`TreeModel` whose predictions are the same numbers."""

    kind = "boosted_trees"

    def __init__(self, h, names, low, high):
        self.h, self.names, self.low, self.high = h, tuple(names), low, high

    def predict(self, X) -> np.ndarray:
        out = self.h.predict(X)
        if self.low is not None or self.high is not None:
            out = np.clip(out, -np.inf if self.low is None else self.low,
                          np.inf if self.high is None else self.high)
        return out

    def export(self) -> TreeModel:
        trees = [tree_from_sklearn(p[0]) for p in self.h._predictors]
        return TreeModel(self.names, float(np.ravel(self.h._baseline_prediction)[0]), trees,
                         self.low, self.high)


def _trees(X_fit, y_fit, X_val, y_val, names, low, high, seed) -> _Boosted:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant column in a small fold
        h = HistGradientBoostingRegressor(random_state=seed, **TREE_SETTINGS)
        h.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
    return _Boosted(h, names, low, high)


def fit_model(X, y, names, *, low: float | None = None, high: float | None = None,
              seed: int = 0, export: bool = True):
    """Choose between ridge and boosted trees on held-out songs and fit the winner.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Inputs (NaN where missing).
    y : ndarray, shape (n,)
        Reference values (finite).
    names : sequence of str
        Input names.
    low, high : float, optional
        Clamp range of the predictions.
    seed : int, optional
        Seed of the hold-out split and of the trees.
    export : bool, optional
        Return the model in its saved form (:mod:`core.calibration.learned_model`); else
        an object with ``kind`` and ``predict`` only, quicker to predict with.

    Returns
    -------
    RidgeModel or TreeModel
    """
    n = y.size
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(int(round(HOLDOUT * n)), 2)
    val, fit = np.sort(order[:n_val]), np.sort(order[n_val:])
    ridge = _ridge(X[fit], y[fit], names, low, high)
    trees = _trees(X[fit], y[fit], X[val], y[val], names, low, high, seed)
    if mae(trees.predict(X[val]), y[val]) < mae(ridge.predict(X[val]), y[val]):
        return trees.export() if export else trees
    return _ridge(X, y, names, low, high)


def _permutation_rise(model, X, y, rng) -> np.ndarray:
    base = mae(model.predict(X), y)
    rise = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        Xp = X.copy()
        Xp[:, j] = X[rng.permutation(X.shape[0]), j]
        rise[j] = mae(model.predict(Xp), y) - base
    return rise


def fit_learned(X, y, names, *, column: str, mae_raw: float = math.nan,
                mae_single: float = math.nan, compare=None, low: float | None = None,
                high: float | None = None, k: int = OUTER_FOLDS, seed: int = 0,
                min_gain: float = 0.01, inverted: bool = False) -> LearnedCalibration:
    """Fit and judge a learned model of one reference column.

    Parameters
    ----------
    X : array_like, shape (n, p)
        SongCal's per-song values of the paired songs (NaN where missing).
    y : array_like, shape (n,)
        The reference column (rows with NaN are dropped).
    names : sequence of str
        Input names, one per column of ``X``.
    column : str
        The reference column's name.
    mae_raw, mae_single : float, optional
        MAE of the raw analyzer values and cross-validated MAE of the single-descriptor
        correction (NaN for an extra column).
    compare : array_like of bool, optional
        The songs (rows of ``X``) those two were measured on; default all.
    low, high : float, optional
        Clamp range of the predictions.
    k : int, optional
        Outer folds (at least 2).
    seed : int, optional
    min_gain : float, optional
        As in :func:`core.calibration.verdict.keeps`.
    inverted : bool, optional
        See :meth:`LearnedCalibration.rejudge`.

    Returns
    -------
    LearnedCalibration
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    ok = np.isfinite(y)
    compare = np.ones(y.size, bool) if compare is None else np.asarray(compare, bool)
    X, y, compare = X[ok], y[ok], compare[ok]
    n = int(y.size)
    cal = LearnedCalibration(column, n, mae_raw=mae_raw, mae_single=mae_single,
                             inverted=inverted)
    if n < MIN_SONGS:
        cal.note = f"too few songs for a learned model ({n} < {MIN_SONGS})"
        return cal
    cols = usable_inputs(X)
    if not cols:
        cal.note = "no input varies across the paired songs"
        return cal
    X = X[:, cols]
    cal.inputs = [names[j] for j in cols]
    cal.input_ranges = {name: value_range(X[:, j]) for j, name in enumerate(cal.inputs)}
    folds = cv_folds(n, k=k, seed=seed)
    cal.folds = len(folds)
    rng = np.random.default_rng(seed)
    chosen: Counter = Counter()
    rise = np.zeros(X.shape[1])

    def outer(train, test):
        model = fit_model(X[train], y[train], cal.inputs, low=low, high=high, seed=seed,
                          export=False)
        chosen[model.kind] += 1
        rise[:] += _permutation_rise(model, X[test], y[test], rng) * test.size / n
        return model.predict(X[test])

    cal.cv_pred = cv_predict(n, folds, outer)
    cal.chosen = dict(chosen)
    cal.mae_cv, cal.r2_cv = mae(cal.cv_pred, y), r_squared(cal.cv_pred, y)
    out = outlying(cal.cv_pred - y, reference=y, resolution=value_step(y))
    if out.any():
        cal.outliers = np.flatnonzero(ok)[out]
        cal.r2_cv_inliers = r_squared(cal.cv_pred[~out], y[~out])
    cal.mae_median = mae(cv_predict(n, folds, lambda tr, te: np.full(te.size,
                                                                     np.median(y[tr]))), y)
    cal.interval = interval_from_residuals(cal.cv_pred - y)
    order = np.argsort(-rise, kind="stable")
    cal.importance = [(cal.inputs[j], float(rise[j])) for j in order]
    cal.learning_curve = _learning_curve(X, y, folds, cal.inputs, low, high, seed)
    cal.learning_curve.append((int(round(n * (1 - 1 / len(folds)))), cal.mae_cv))
    cal.model = fit_model(X, y, cal.inputs, low=low, high=high, seed=seed)
    cal.kind = cal.model.kind
    cal.mae_compared = mae(cal.cv_pred[compare], y[compare]) if compare.any() else cal.mae_cv
    cal._judge(min_gain)
    return cal


def _learning_curve(X, y, folds, names, low, high, seed) -> list:
    """(training songs, MAE) of the same procedure trained on a share of each of the first
    outer training sets and scored on their outer folds."""
    n = y.size
    rng = np.random.default_rng(seed + 1)
    folds = folds[:_LEARNING_CURVE_FOLDS]
    out = []
    for frac in LEARNING_FRACTIONS:
        errors, sizes = [], []
        for test in folds:
            train = np.setdiff1d(np.arange(n), test)
            m = int(round(frac * train.size))
            if m < MIN_SONGS // 2:
                break
            sub = np.sort(rng.choice(train, size=m, replace=False))
            model = fit_model(X[sub], y[sub], names, low=low, high=high, seed=seed,
                              export=False)
            errors.append(np.abs(model.predict(X[test]) - y[test]))
            sizes.append(m)
        if len(errors) == len(folds):
            out.append((int(round(np.mean(sizes))), float(np.mean(np.concatenate(errors)))))
    return out
