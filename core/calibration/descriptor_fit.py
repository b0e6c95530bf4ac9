"""Per-descriptor corrections and the cross-validation every calibration figure rests on.

Every figure called "after" is measured on songs the correction was not fitted on:
k-fold cross-validation (:func:`cv_folds`: 10 folds; leave-one-out below 20 songs).  For a
numeric descriptor (:func:`fit_descriptor`) a median offset, ordinary least squares,
Theil-Sen and a Huber fit compete (:func:`fit_linear`); predictions are clamped to the
descriptor's range (:data:`DESCRIPTOR_RANGES`).

The choice among the four is itself part of what is measured: **nested** cross-validation
(:func:`nested_predict`) chooses the method inside each outer training set by an inner
:func:`inner_folds`-fold cross-validation and scores it on the outer fold, so the "after"
MAE is not flattered by having picked the luckiest method.  A correction is kept only when
that nested MAE passes :func:`core.calibration.verdict.keeps` (at least ``min_gain``, 1 %,
below the raw error) and its verdict (:mod:`core.calibration.verdict`) is neither ``no
relation`` nor, unless asked for, ``inverted``.  Each result carries a 90 % prediction
interval from the held-out residuals (:mod:`core.calibration.intervals`).

A few bad values (a 0 LUFS in the results, a typing slip in the sheet) can drive r² below
zero on their own, r² squaring their errors, while the MAE of the rest drops well.  Songs
whose held-out error lies more than :data:`OUTLIER_SPREADS` robust standard deviations
from the others' (:func:`outlying`) are named (:attr:`DescriptorCalibration.outliers`) and
the verdict is judged without them, as long as they are no more than
:data:`OUTLIER_MAX_SHARE` of the songs; the keep rule still reads the MAE of every song.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.calibration.intervals import PredictionInterval, interval_from_residuals
from core.calibration.verdict import (
    MIN_PAIRS,
    VERDICT_TEXT,
    descriptor_verdict,
    keeps,
    too_few_note,
)

__all__ = [
    "DESCRIPTOR_RANGES",
    "LINEAR_METHODS",
    "SCALE_METHOD",
    "scale_correction",
    "INNER_FOLDS",
    "inner_folds",
    "mae",
    "r_squared",
    "cv_folds",
    "cv_predict",
    "select_method",
    "nested_predict",
    "LinearCorrection",
    "fit_linear",
    "DescriptorCalibration",
    "fit_descriptor",
    "value_range",
    "OUTLIER_SPREADS",
    "OUTLIER_MAX_SHARE",
    "outlying",
    "OUTLIER_MIN_SPREAD",
    "value_step",
    "outlier_note",
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

#: What is applied, unfitted, to a descriptor whose reference column has a scale of its own
#: (a Mixed In Key energy level 1-10 against the analyzer's 0-1): the descriptor's range
#: stretched onto the reference's.  It is "the values as read" of such a column: the
#: figures before a fit and what stands when no correction is kept.
SCALE_METHOD = "scale"

#: Folds of the inner cross-validation that chooses a method inside each outer training set
#: (:func:`inner_folds`): 5, or 3 from :data:`LARGE_TRAINING_SET` songs on, where each fold
#: is large enough and the time matters.
INNER_FOLDS = 5
INNER_FOLDS_LARGE = 3
LARGE_TRAINING_SET = 500

#: A song whose held-out error lies more than this many robust standard deviations
#: (1.4826 times the median absolute deviation) from the median held-out error is
#: outlying: under normal errors one song in about 1.7 million lies that far.
OUTLIER_SPREADS = 5.0

#: Smallest robust standard deviation the outlying rule reads, as a share of the reference
#: values' standard deviation: where most held-out errors are equal (a spread of 0), a song
#: off by a hair is not outlying.  An error within 5 times this of the others' adds less than
#: 0.0025 / n to 1 - r\u00b2: it cannot be what drives r\u00b2 down.
OUTLIER_MIN_SPREAD = 0.01

#: Largest share of the songs set aside as outlying.  Up to it the median absolute
#: deviation is barely moved by the outlying songs themselves (its breakdown point is
#: 50 %); beyond it the bad values are not "a few" and the verdict stands on every song.
OUTLIER_MAX_SHARE = 0.2

_THEIL_SEN_MAX = 200  # Theil-Sen is O(n^2): fit on a fixed-seed subsample above this
_HUBER_START_MAX = 150  # the Theil-Sen start of a Huber fit needs less
_FLAT = 1e-9  # a spread of x below this (relative, from 1 up) is no spread: fit an offset
_HUBER_K = 1.345  # Huber's tuning constant, in robust standard deviations of the residuals


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
        if self.method == SCALE_METHOD:
            return (f"scale: y = {self.slope:.3g}x {sign} {abs(self.intercept):.3g} (the "
                    "analyzer's range stretched onto the reference's, nothing fitted)")
        return f"{self.method}: y = {self.slope:.3g}x {sign} {abs(self.intercept):.3g}"


def scale_correction(descriptor: str, reference_range) -> LinearCorrection:
    """The :data:`SCALE_METHOD` map of ``descriptor``'s range
    (:data:`DESCRIPTOR_RANGES`) onto ``reference_range`` (low, high), clamped to it."""
    lo, hi = DESCRIPTOR_RANGES[descriptor]
    low, high = (float(v) for v in reference_range[:2])
    slope = (high - low) / (hi - lo)
    return LinearCorrection(SCALE_METHOD, slope, low - slope * lo, low, high)


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
    # values apart by less than a float can hold next to them (1e-310 and 0) are one value:
    # a slope through them would be infinite
    flat = not np.ptp(x) > _FLAT * max(1.0, float(np.max(np.abs(x))))
    if method == "offset" or (flat and method != "none"):
        return LinearCorrection("offset", 1.0, float(np.median(y - x)), low, high)
    if method == "linear":
        slope, intercept = np.polyfit(x, y, 1)
    elif method == "theil_sen":
        xs, ys = x, y
        if x.size > _THEIL_SEN_MAX:
            pick = np.random.default_rng(seed).choice(x.size, _THEIL_SEN_MAX, replace=False)
            xs, ys = x[pick], y[pick]
        from scipy import stats  # (imported when first needed: the window starts sooner)

        slope, intercept = _theil_sen(stats, ys, xs)
    elif method == "huber":
        slope, intercept = _huber(x, y, seed=seed)
    else:
        raise ValueError(f"unknown method {method!r}; expected one of {LINEAR_METHODS}")
    if not (math.isfinite(slope) and math.isfinite(intercept)):
        return LinearCorrection("offset", 1.0, float(np.median(y - x)), low, high)
    return LinearCorrection(method, float(slope), float(intercept), low, high)


def _theil_sen(stats, y, x):
    """Theil-Sen slope and intercept.  SciPy also works out the slope's confidence
    interval, whose variance goes negative when many values tie (a reference column
    that holds one value for most songs): a warning about a figure not used here."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return stats.theilslopes(y, x, method="joint")[:2]


def _huber(x, y, *, seed=0):
    """Huber M-estimate of a line by iteratively reweighted least squares, from a
    Theil-Sen start, with the scale fixed at the start's robust residual spread."""
    xs, ys = x, y
    if x.size > _HUBER_START_MAX:
        pick = np.random.default_rng(seed).choice(x.size, _HUBER_START_MAX, replace=False)
        xs, ys = x[pick], y[pick]
    from scipy import stats

    slope, intercept = (float(v) for v in _theil_sen(stats, ys, xs))
    if not (np.isfinite(slope) and np.isfinite(intercept)):
        return slope, intercept  # a start gone infinite: the caller falls back to an offset
    resid = y - (slope * x + intercept)
    scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    if scale <= 0:
        return slope, intercept
    c = _HUBER_K * scale
    for _ in range(100):
        a = np.abs(y - (slope * x + intercept))
        w = np.minimum(1.0, c / np.maximum(a, 1e-300))
        sw = w.sum()
        mx, my = (w * x).sum() / sw, (w * y).sum() / sw
        sxx = (w * (x - mx) ** 2).sum()
        if sxx <= 0:
            break
        new_slope = float((w * (x - mx) * (y - my)).sum() / sxx)
        new_intercept = float(my - new_slope * mx)
        done = (abs(new_slope - slope) <= 1e-10 * (1 + abs(slope))
                and abs(new_intercept - intercept) <= 1e-10 * (1 + abs(intercept)))
        slope, intercept = new_slope, new_intercept
        if done:
            break
    return slope, intercept


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
        What to apply (method ``"none"`` when nothing is kept).
    candidate : LinearCorrection
        The best method fitted on every pair, kept or not (what ticking an ``inverted``
        descriptor keeps).
    best_method : str
        The method with the lowest cross-validated error on all pairs.
    verdict : str
        One of :data:`core.calibration.verdict.VERDICTS`.
    r2_before : float
        r² of the raw values used as predictions of the reference.
    r2_cv : float
        r² of the nested cross-validated predictions of the best correction.
    r2 : float
        r² of the applied values (corrected, in-sample; raw when nothing is kept).
    mae_before : float
        MAE of the raw analyzer values.
    mae_cv : float
        Nested cross-validated MAE of the best correction (kept or not).
    mae_after : float
        ``mae_cv`` when the correction is kept, else ``mae_before``.
    mae_fit : float
        In-sample MAE of what is applied (for comparison only).
    cv_mae : dict of str to float
        Cross-validated MAE of every method on all pairs (these chose ``best_method``;
        being the minimum of four, the best of them is optimistic: ``mae_cv`` is not).
    cv_pred : ndarray
        The nested cross-validated predictions, one per pair.
    interval_raw, interval_cv : PredictionInterval
        90 % intervals of the raw values and of the corrected values (from held-out
        residuals).
    folds : int
        Outer folds used.
    keep_inverted : bool
        Whether an ``inverted`` correction may be kept.
    note : str
        Why nothing was kept, when that is the case.
    fitted_range : (float, float) or None
        Lowest and highest analyzer value of the pairs (None without pairs): where the
        correction and its interval were measured.
    outliers : ndarray of int
        Positions (in the ``x`` and ``y`` given to :func:`fit_descriptor`) of the outlying
        songs (:func:`outlying`) the verdict was judged without; empty when there are none.
    r2_before_inliers, r2_cv_inliers : float
        ``r2_before`` and ``r2_cv`` without the outlying songs (NaN when there are none):
        the figures the verdict was judged on.
    reference_range : (float, float) or None
        The reference column's own scale when it is not the descriptor's (a Mixed In Key
        energy level 1-10): corrections predict it and are clamped to it, and the values
        as read are the descriptor's range stretched onto it (:func:`scale_correction`).
    """

    descriptor: str
    n: int
    correction: LinearCorrection
    candidate: LinearCorrection = field(default_factory=LinearCorrection)
    best_method: str = "none"
    verdict: str = "too few"
    r2_before: float = math.nan
    r2_cv: float = math.nan
    r2: float = math.nan
    mae_before: float = math.nan
    mae_cv: float = math.nan
    mae_after: float = math.nan
    mae_fit: float = math.nan
    cv_mae: dict = field(default_factory=dict)
    cv_pred: np.ndarray = field(default_factory=lambda: np.empty(0))
    interval_raw: PredictionInterval = field(default_factory=PredictionInterval)
    interval_cv: PredictionInterval = field(default_factory=PredictionInterval)
    folds: int = 0
    min_gain: float = 0.01
    keep_inverted: bool = False
    note: str = ""
    fitted_range: tuple | None = None
    outliers: np.ndarray = field(default_factory=lambda: np.empty(0, int))
    r2_before_inliers: float = math.nan
    r2_cv_inliers: float = math.nan
    reference_range: tuple | None = None
    _as_read: LinearCorrection = field(default_factory=LinearCorrection)
    _fit_r2: float = math.nan
    _fit_mae: float = math.nan

    @property
    def kept(self) -> bool:
        """True when a fitted correction is applied (not the values as read, nor their
        stretch onto a reference's own scale)."""
        return self.correction.method not in ("none", SCALE_METHOD)

    @property
    def keepable(self) -> bool:
        """True when the best correction passes the keep rule on its nested MAE (whatever
        its verdict)."""
        return self.folds > 0 and keeps(self.mae_cv, self.mae_before, self.min_gain)

    @property
    def interval(self) -> PredictionInterval:
        """The 90 % interval of what is applied."""
        return self.interval_cv if self.kept else self.interval_raw

    @property
    def outlier_note(self) -> str:
        """What the verdict left out, with r² with and without it (empty without
        outlying songs)."""
        return outlier_note(len(self.outliers), self.r2_cv_inliers, self.r2_cv)

    def set_keep_inverted(self, keep: bool) -> None:
        """Keep (or drop) the correction of an ``inverted`` descriptor that passes the keep
        rule; other descriptors are not changed."""
        self.keep_inverted = bool(keep)
        self._decide()

    def _decide(self) -> None:
        allowed = self.verdict in ("calibrated", "weak") or (
            self.verdict == "inverted" and self.keep_inverted)
        if self.keepable and allowed:
            self.correction, self.mae_after = self.candidate, self.mae_cv
            self.r2, self.mae_fit = self._fit_r2, self._fit_mae
            self.note = ""
            return
        self.correction, self.mae_after = self._as_read, self.mae_before
        self.r2, self.mae_fit = self.r2_before, self.mae_before
        if self.verdict in ("no relation", "inverted"):
            self.note = VERDICT_TEXT[self.verdict]
        elif self.mae_before == 0:
            self.note = (f"the values as read equal the reference on all {self.n} paired "
                         "songs (MAE 0): nothing to correct")
        else:
            self.note = (f"no correction lowers the nested cross-validated MAE by "
                         f"{100 * self.min_gain:g} % (best {self.best_method}: "
                         f"{self.mae_cv:.4g} vs {self.mae_before:.4g})")


def value_range(x) -> tuple[float, float] | None:
    """Lowest and highest finite value of ``x`` (None when there is none)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return (float(x.min()), float(x.max())) if x.size else None


def outlier_note(k: int, r2_without: float, r2_with: float) -> str:
    """What leaving ``k`` outlying songs out of a verdict changed (empty for none): the
    words the report, the window and the exports use for a correction and a learned model
    alike."""
    if not k:
        return ""
    return (f"{k} outlying song{'s' if k > 1 else ''} (held-out error more than "
            f"{OUTLIER_SPREADS:g} robust spreads from the others': a bad value in the "
            f"results or the sheet?) left out of the verdict: cross-validated r\u00b2 "
            f"{r2_without:.3g} without {'them' if k > 1 else 'it'}, {r2_with:.3g} with")


def value_step(values) -> float:
    """The coarsest of 1, 0.1, ... 1e-6 that every finite value is a whole multiple of: the
    step the values were written in (a sheet's 0.1 dB, Mixed In Key's whole levels); 0 when
    they are finer or there are none."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if not v.size:
        return 0.0
    for places in range(7):
        q = v * 10.0 ** places
        if np.all(np.abs(q - np.round(q)) <= 1e-6 + 1e-9 * np.abs(q)):
            return 10.0 ** -places
    return 0.0


def outlying(residuals, *, reference=None, resolution: float = 0.0) -> np.ndarray:
    """Which held-out errors lie more than :data:`OUTLIER_SPREADS` robust standard
    deviations from their median.

    The robust standard deviation is 1.4826 times the median absolute deviation, but never
    below a floor: :data:`OUTLIER_MIN_SPREAD` of the reference values' standard deviation,
    and ``resolution``.  Without it, where most errors are exactly equal (a spread of 0) any
    song off by one step of the sheet's rounding would be named.

    Parameters
    ----------
    residuals : array_like
        Held-out errors (prediction minus reference), finite.
    reference : array_like, optional
        The reference values the errors were measured against (sets the floor).
    resolution : float, optional
        The step the values are written in (:func:`value_step`): differences of a step or
        two are rounding, not bad values.

    Returns
    -------
    ndarray of bool
        All False when more than :data:`OUTLIER_MAX_SHARE` of the songs would be outlying,
        or fewer than :data:`core.calibration.verdict.MIN_PAIRS` would remain.
    """
    r = np.asarray(residuals, float)
    none = np.zeros(r.shape, bool)
    if r.size < MIN_PAIRS:
        return none
    dev = np.abs(r - np.median(r))
    spread = 1.4826 * float(np.median(dev))
    floor = max(float(resolution), 1e-9 * max(1.0, float(np.max(np.abs(r)))))
    if reference is not None and np.size(reference) > 1:
        floor = max(floor, OUTLIER_MIN_SPREAD * float(np.std(np.asarray(reference, float))))
    out = dev > OUTLIER_SPREADS * max(spread, floor)
    k = int(out.sum())
    if k > OUTLIER_MAX_SHARE * r.size or r.size - k < MIN_PAIRS:
        return none
    return out


def inner_folds(n_train: int) -> int:
    """Folds of the inner cross-validation for ``n_train`` training songs."""
    return INNER_FOLDS_LARGE if n_train >= LARGE_TRAINING_SET else INNER_FOLDS


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


def _method_cv(x, y, folds, methods, low, high, seed) -> dict:
    out = {}
    for m in methods:
        def fp(train, test, m=m):
            c = fit_linear(x[train], y[train], method=m, low=low, high=high, seed=seed)
            return c.apply(x[test])
        out[m] = mae(cv_predict(x.size, folds, fp), y)
    return out


def select_method(x, y, *, methods=LINEAR_METHODS, k: int = INNER_FOLDS, seed: int = 0,
                  low: float | None = None, high: float | None = None) -> tuple[str, dict]:
    """The method with the lowest cross-validated MAE on these pairs.

    Parameters
    ----------
    x, y : ndarray
        Analyzer and reference values (finite).
    methods : sequence of str, optional
        Candidates; on a tie the earlier one wins.
    k, seed : int, optional
        Folds and seed of the cross-validation (:func:`cv_folds`).
    low, high : float, optional
        Clamp range of the corrected values.

    Returns
    -------
    (str, dict of str to float)
        The chosen method and the cross-validated MAE of every method.
    """
    methods = tuple(methods)
    cv = _method_cv(x, y, cv_folds(x.size, k=k, seed=seed), methods, low, high, seed)
    return min(cv, key=lambda m: (cv[m], methods.index(m))), cv


def nested_predict(x, y, folds, *, methods=LINEAR_METHODS, k_inner: int | None = None,
                   seed: int = 0, low: float | None = None,
                   high: float | None = None) -> np.ndarray:
    """Nested cross-validated predictions of "choose the best method, then fit it".

    For each outer fold the method is chosen by :func:`select_method` on the other folds
    alone (an inner ``k_inner``-fold cross-validation; default :func:`inner_folds`), fitted
    on them, and applied to the fold.

    Parameters
    ----------
    x, y : ndarray
        Analyzer and reference values (finite).
    folds : sequence of ndarray of int
        Outer test folds (:func:`cv_folds`).
    methods, k_inner, seed, low, high
        As in :func:`select_method`.

    Returns
    -------
    ndarray, shape (n,)
    """
    def fp(train, test):
        k = k_inner if k_inner is not None else inner_folds(train.size)
        m, _ = select_method(x[train], y[train], methods=methods, k=k, seed=seed,
                             low=low, high=high)
        c = fit_linear(x[train], y[train], method=m, low=low, high=high, seed=seed)
        return c.apply(x[test])

    return cv_predict(x.size, folds, fp)


def fit_descriptor(x, y, *, descriptor: str, k: int = 10, seed: int = 0,
                   min_gain: float = 0.01, methods=LINEAR_METHODS,
                   keep_inverted: bool = False,
                   reference_range=None) -> DescriptorCalibration:
    """Calibrate one numeric descriptor.

    Parameters
    ----------
    x, y : array_like
        Analyzer and reference values of the paired songs (NaN pairs are dropped).
    descriptor : str
        Analyzer column name; sets the clamp range (:data:`DESCRIPTOR_RANGES`).
    k : int, optional
        Outer cross-validation folds (leave-one-out below 20 pairs).
    seed : int, optional
        Seed of the fold shuffle and of subsampling.
    min_gain : float, optional
        Relative drop of the nested cross-validated MAE a correction must reach to be kept.
    methods : sequence of str, optional
        Candidate methods (see :func:`fit_linear`).
    keep_inverted : bool, optional
        Keep the correction of an ``inverted`` descriptor when it passes the keep rule.
    reference_range : (float, float), optional
        The reference's own scale when it is not the descriptor's (low, high): the clamp
        range, and the values as read are stretched onto it for the figures "before"; an
        offset, which cannot cross from one scale to another, is not tried.

    Returns
    -------
    DescriptorCalibration
    """
    if not 0 <= min_gain < 1:
        raise ValueError(f"min_gain must be in [0, 1), got {min_gain!r}")
    methods = tuple(methods)
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    low, high = DESCRIPTOR_RANGES.get(descriptor, (None, None))
    as_read = LinearCorrection("none")
    if reference_range is not None and tuple(reference_range[:2]) != (low, high):
        as_read = scale_correction(descriptor, reference_range)
        low, high = as_read.low, as_read.high
        methods = tuple(m for m in methods if m != "offset") or ("linear",)
    n = int(x.size)
    cal = DescriptorCalibration(descriptor, n, as_read, min_gain=min_gain,
                                keep_inverted=keep_inverted, _as_read=as_read,
                                reference_range=None if as_read.method == "none"
                                else (low, high))
    if n == 0:
        cal.note = "no pairs"
        return cal
    cal.fitted_range = value_range(x)
    raw = np.asarray(as_read.apply(x), float)  # the values as read, on the reference's scale
    cal.mae_before = cal.mae_after = cal.mae_fit = mae(raw, y)
    cal.r2_before = cal.r2 = r_squared(raw, y)
    cal.interval_raw = interval_from_residuals(raw - y)
    if n < MIN_PAIRS:
        cal.note = too_few_note(n)
        return cal
    folds = cv_folds(n, k=k, seed=seed)
    cal.folds = len(folds)
    cal.cv_mae = _method_cv(x, y, folds, methods, low, high, seed)
    cal.best_method = min(cal.cv_mae, key=lambda m: (cal.cv_mae[m], methods.index(m)))
    cal.cv_pred = nested_predict(x, y, folds, methods=methods, seed=seed, low=low, high=high)
    cal.mae_cv = mae(cal.cv_pred, y)
    cal.r2_cv = r_squared(cal.cv_pred, y)
    cal.interval_cv = interval_from_residuals(cal.cv_pred - y)
    cal.candidate = fit_linear(x, y, method=cal.best_method, low=low, high=high, seed=seed)
    fitted = cal.candidate.apply(x)
    cal._fit_r2, cal._fit_mae = r_squared(fitted, y), mae(fitted, y)
    raw_r2, cv_r2 = cal.r2_before, cal.r2_cv
    out = outlying(cal.cv_pred - y, reference=y,
                   resolution=max(value_step(x), value_step(y)))
    if out.any():
        cal.outliers = np.flatnonzero(ok)[out]
        cal.r2_before_inliers = raw_r2 = r_squared(raw[~out], y[~out])
        cal.r2_cv_inliers = cv_r2 = r_squared(cal.cv_pred[~out], y[~out])
    cal.verdict = descriptor_verdict(n=n, kept=cal.keepable, slope=cal.candidate.slope,
                                     raw_r2=raw_r2, cv_r2=cv_r2)
    cal._decide()
    return cal
