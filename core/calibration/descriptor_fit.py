"""Per-descriptor corrections and the cross-validation every calibration figure rests on.

Every figure called "after" is measured on songs the correction was not fitted on:
k-fold cross-validation (:func:`cv_folds`: 10 folds; leave-one-out below 20 songs).  A
correction is kept only when its cross-validated error is lower than the error of the raw
analyzer values by at least ``min_gain`` (1 % by default); otherwise the descriptor passes
through unchanged.

For a numeric descriptor (:func:`fit_descriptor`) a median offset, ordinary least squares,
Theil-Sen and a Huber fit compete (:func:`fit_linear`); predictions are clamped to the
descriptor's range (:data:`DESCRIPTOR_RANGES`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

__all__ = [
    "DESCRIPTOR_RANGES",
    "LINEAR_METHODS",
    "mae",
    "r_squared",
    "cv_folds",
    "cv_predict",
    "LinearCorrection",
    "fit_linear",
    "DescriptorCalibration",
    "fit_descriptor",
]

#: Range each numeric descriptor is clamped to after correction (its unit in the name).
DESCRIPTOR_RANGES = {
    "bpm": (20.0, 320.0),
    "energy": (0.0, 1.0),
    "danceability": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "loudness_lufs": (-70.0, 10.0),
}

#: Correction methods tried for numeric descriptors, in order of preference on a tie.
LINEAR_METHODS = ("offset", "theil_sen", "huber", "linear")

_THEIL_SEN_MAX = 600  # Theil-Sen is O(n^2): fit on a fixed-seed subsample above this


# ---------------------------------------------------------------------------- measures

def mae(est, ref) -> float:
    """Mean absolute error (NaN for no pairs)."""
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    return float(np.mean(np.abs(est - ref))) if est.size else math.nan


def r_squared(est, ref) -> float:
    """Coefficient of determination of ``est`` as a prediction of ``ref`` (NaN if undefined)."""
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    if ref.size < 2:
        return math.nan
    ss_tot = float(np.sum((ref - ref.mean()) ** 2))
    if ss_tot == 0:
        return math.nan
    return 1.0 - float(np.sum((ref - est) ** 2)) / ss_tot



def cv_folds(n: int, *, k: int = 10, seed: int = 0) -> list[np.ndarray]:
    """Test-index arrays for k-fold cross-validation (leave-one-out when ``n < 20``).

    Parameters
    ----------
    n : int
        Number of samples.
    k : int, optional
        Folds when ``n >= 20``.
    seed : int, optional
        Seed of the shuffle, so results repeat.
    """
    if n < 2:
        raise ValueError(f"cross-validation needs at least 2 samples, got n={n!r}")
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k!r}")
    if n < 20:
        return [np.array([i]) for i in range(n)]
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(f) for f in np.array_split(order, min(k, n))]


# ---------------------------------------------------------------------------- numeric

@dataclass
class LinearCorrection:
    """``clamp(slope * x + intercept)``; method ``"none"`` passes values through."""

    method: str = "none"
    slope: float = 1.0
    intercept: float = 0.0
    low: float | None = None
    high: float | None = None

    def apply(self, x):
        """Corrected value(s); NaN stays NaN."""
        arr = np.asarray(x, float)
        if self.method == "none":
            out = arr
        else:
            out = self.slope * arr + self.intercept
            if self.low is not None or self.high is not None:
                out = np.clip(out, self.low if self.low is not None else -np.inf,
                              self.high if self.high is not None else np.inf)
        return float(out) if np.ndim(out) == 0 else out

    def describe(self) -> str:
        """Short text such as ``"theil_sen: y = 1.02x - 1.3"`` (``"none"`` for no change)."""
        if self.method == "none":
            return "none"
        sign = "-" if self.intercept < 0 else "+"
        if self.method == "offset":
            return f"offset: y = x {sign} {abs(self.intercept):.3g}"
        return f"{self.method}: y = {self.slope:.3g}x {sign} {abs(self.intercept):.3g}"


def fit_linear(x, y, *, method: str, low: float | None = None,
               high: float | None = None, seed: int = 0) -> LinearCorrection:
    """Fit ``y ~ slope * x + intercept`` with one method.

    Parameters
    ----------
    x, y : array_like
        Analyzer and reference values (same unit as the descriptor).
    method : str
        ``"offset"`` (slope 1, median difference), ``"linear"`` (least squares),
        ``"theil_sen"`` (median of pairwise slopes) or ``"huber"`` (Huber loss).
    low, high : float, optional
        Clamp range of the corrected values.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"need matching x and y with at least 2 values, got {x.size}, {y.size}")
    flat = np.ptp(x) == 0
    if method == "offset" or (flat and method != "none"):
        return LinearCorrection("offset", 1.0, float(np.median(y - x)), low, high)
    if method == "linear":
        slope, intercept = np.polyfit(x, y, 1)
    elif method == "theil_sen":
        xs, ys = x, y
        if x.size > _THEIL_SEN_MAX:
            pick = np.random.default_rng(seed).choice(x.size, _THEIL_SEN_MAX, replace=False)
            xs, ys = x[pick], y[pick]
        slope, intercept = stats.theilslopes(ys, xs, method="joint")[:2]
    elif method == "huber":
        slope, intercept = _huber(x, y, seed=seed)
    else:
        raise ValueError(f"unknown method {method!r}; expected one of {LINEAR_METHODS}")
    return LinearCorrection(method, float(slope), float(intercept), low, high)


def _huber(x, y, *, seed=0):
    start = fit_linear(x, y, method="theil_sen", seed=seed)
    resid = y - (start.slope * x + start.intercept)
    scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    if scale <= 0:
        return start.slope, start.intercept
    sol = optimize.least_squares(lambda p: p[0] * x + p[1] - y, [start.slope, start.intercept],
                                 loss="huber", f_scale=1.345 * scale)
    return sol.x


@dataclass
class DescriptorCalibration:
    """The calibration of one numeric descriptor.

    Attributes
    ----------
    descriptor : str
        Analyzer column name.
    n : int
        Pairs with both values.
    correction : LinearCorrection
        What to apply (method ``"none"`` when no correction helped).
    best_method : str
        The candidate with the lowest cross-validated error (kept or not).
    r2_before, r2 : float
        r² of the raw values and of the corrected values (in-sample) against the reference.
    mae_before : float
        MAE of the raw analyzer values.
    mae_after : float
        Cross-validated MAE of the kept correction (equals ``mae_before`` when none is kept).
    mae_fit : float
        In-sample MAE of the kept correction (for comparison only).
    cv_mae : dict of str to float
        Cross-validated MAE of every candidate.
    folds : int
        Number of folds used.
    note : str
        Why nothing was kept, when that is the case.
    """

    descriptor: str
    n: int
    correction: LinearCorrection
    best_method: str = "none"
    r2_before: float = math.nan
    r2: float = math.nan
    mae_before: float = math.nan
    mae_after: float = math.nan
    mae_fit: float = math.nan
    cv_mae: dict = field(default_factory=dict)
    folds: int = 0
    note: str = ""

    @property
    def kept(self) -> bool:
        """True when a correction is applied."""
        return self.correction.method != "none"


def cv_predict(n: int, folds, fit_predict) -> np.ndarray:
    """Cross-validated predictions: each fold predicted by a fit on the other folds.

    Parameters
    ----------
    n : int
        Number of samples.
    folds : sequence of ndarray of int
        Test indices per fold (:func:`cv_folds`).
    fit_predict : callable
        ``fit_predict(train, test)`` fits on the ``train`` indices and returns the
        predictions for the ``test`` indices.

    Returns
    -------
    ndarray, shape (n,)
    """
    out = np.empty(n)
    for test in folds:
        train = np.setdiff1d(np.arange(n), test)
        out[test] = fit_predict(train, test)
    return out


def fit_descriptor(x, y, *, descriptor: str, k: int = 10, seed: int = 0,
                   min_gain: float = 0.01, methods=LINEAR_METHODS) -> DescriptorCalibration:
    """Calibrate one numeric descriptor.

    Parameters
    ----------
    x, y : array_like
        Analyzer and reference values of the paired songs (NaN pairs are dropped).
    descriptor : str
        Analyzer column name; sets the clamp range (:data:`DESCRIPTOR_RANGES`).
    k : int, optional
        Cross-validation folds (leave-one-out below 20 pairs).
    seed : int, optional
        Seed of the fold shuffle and of subsampling.
    min_gain : float, optional
        Relative drop of the cross-validated MAE a correction must reach to be kept.
    methods : sequence of str, optional
        Candidate methods (see :func:`fit_linear`).

    Returns
    -------
    DescriptorCalibration
    """
    if not 0 <= min_gain < 1:
        raise ValueError(f"min_gain must be in [0, 1), got {min_gain!r}")
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    low, high = DESCRIPTOR_RANGES.get(descriptor, (None, None))
    n = int(x.size)
    cal = DescriptorCalibration(descriptor, n, LinearCorrection("none"))
    if n == 0:
        cal.note = "no pairs"
        return cal
    cal.mae_before = cal.mae_after = mae(x, y)
    cal.r2_before = cal.r2 = r_squared(x, y)
    cal.mae_fit = cal.mae_before
    if n < 4:
        cal.note = f"too few pairs to fit ({n})"
        return cal
    folds = cv_folds(n, k=k, seed=seed)
    cal.folds = len(folds)
    for m in methods:
        def fp(train, test, m=m):
            c = fit_linear(x[train], y[train], method=m, low=low, high=high, seed=seed)
            return c.apply(x[test])
        cal.cv_mae[m] = mae(cv_predict(n, folds, fp), y)
    best = min(cal.cv_mae, key=lambda m: (cal.cv_mae[m], methods.index(m)))
    cal.best_method = best
    if not cal.cv_mae[best] < cal.mae_before * (1.0 - min_gain):
        cal.note = (f"no correction lowers the cross-validated MAE (best {best}: "
                    f"{cal.cv_mae[best]:.4g} vs {cal.mae_before:.4g})")
        return cal
    correction = fit_linear(x, y, method=best, low=low, high=high, seed=seed)
    fitted = correction.apply(x)
    if not mae(fitted, y) < cal.mae_before:
        cal.note = f"{best} does not lower the MAE on the fitted songs themselves"
        return cal
    cal.correction = correction
    cal.mae_after = cal.cv_mae[best]
    cal.mae_fit = mae(fitted, y)
    cal.r2 = r_squared(fitted, y)
    return cal

