"""Fit corrections from analyzer values to reference values, judged by cross-validation.

Every figure called "after" is measured on songs the correction was not fitted on:
k-fold cross-validation (10 folds; leave-one-out below 20 songs).  A correction is kept only
when its cross-validated error is lower than the error of the raw analyzer values (by at
least ``min_gain``, 1 % by default); otherwise the descriptor passes through unchanged.

- Numeric descriptors (:func:`fit_descriptor`): a median offset, ordinary least squares,
  Theil-Sen and a Huber fit compete; predictions are clamped to the descriptor's range.
- Tempo (:func:`fit_tempo`): first an octave rule — no change, a fixed factor (x2, x1/2,
  x2/3, x3/2) or folding by octaves into a preferred range [low, high] — chosen by Acc1;
  then a linear correction fitted only on songs whose folded tempo already agrees with the
  reference within 8 %, so half/double reference rows cannot bend its slope.
- Key (:func:`fit_key`): a relation correction per analyzer mode (keep, relative, parallel,
  fifth up, fifth down) or a per-key majority map, chosen by MIREX weighted score, with a
  confusion map of analyzer key to reference key.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from core.io.keynotation import Key, key_relation, mirex_score, parse_key

__all__ = [
    "DESCRIPTOR_RANGES",
    "LINEAR_METHODS",
    "LinearCorrection",
    "DescriptorCalibration",
    "TempoRule",
    "TempoCalibration",
    "KeyCorrection",
    "KeyCalibration",
    "Calibration",
    "cv_folds",
    "fit_linear",
    "fit_descriptor",
    "fit_tempo",
    "fit_key",
    "fit_calibration",
    "acc1",
    "acc2",
    "mae",
    "r_squared",
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
_TEMPO_AGREE = 0.08  # songs within 8 % after the octave rule train the linear tempo fit
_OCTAVE_FACTORS = (2.0, 0.5, 2.0 / 3.0, 1.5)
_KEY_TRANSFORMS = ("keep", "relative", "parallel", "fifth_up", "fifth_down")


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


def acc1(est, ref, *, tolerance: float = 0.04) -> float:
    """Tempo Acc1: share of songs within ``tolerance`` (relative) of the reference BPM."""
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    if not est.size:
        return math.nan
    return float(np.mean(np.abs(est - ref) <= tolerance * ref))


def acc2(est, ref, *, tolerance: float = 0.04) -> float:
    """Tempo Acc2: like Acc1, also accepting x2, x1/2, x3 and x1/3 of the reference."""
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    if not est.size:
        return math.nan
    ok = np.zeros(est.shape, bool)
    for f in (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0):
        ok |= np.abs(est - f * ref) <= tolerance * f * ref
    return float(np.mean(ok))


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


def _cv_predict(n, folds, fit_predict):
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
        cal.cv_mae[m] = mae(_cv_predict(n, folds, fp), y)
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


# ---------------------------------------------------------------------------- tempo

@dataclass
class TempoRule:
    """An octave rule for tempo.

    ``kind`` is ``"none"``, ``"factor"`` (multiply every tempo by ``factor``) or ``"range"``
    (a preferred range [``low``, ``high``] BPM with ``high >= 2 low``: slower tempi are
    doubled and faster ones halved until they fall inside; tempi inside stay).
    """

    kind: str = "none"
    factor: float = 1.0
    low: float | None = None
    high: float | None = None

    def __post_init__(self):
        if self.kind not in ("none", "factor", "range"):
            raise ValueError(f"kind must be none, factor or range, got {self.kind!r}")
        if self.kind == "factor" and not self.factor > 0:
            raise ValueError(f"factor must be > 0, got {self.factor!r}")
        if self.kind == "range":
            if self.low is None or not self.low > 0:
                raise ValueError(f"low must be > 0 BPM, got {self.low!r}")
            if self.high is None:
                self.high = 2.0 * self.low
            if self.high < 2.0 * self.low - 1e-9:
                raise ValueError(f"high must be >= 2 * low, got low={self.low!r} "
                                 f"high={self.high!r}")

    def apply(self, bpm):
        """Tempo(s) after the rule (BPM); NaN and non-positive values pass through."""
        arr = np.asarray(bpm, float)
        if self.kind == "factor":
            out = arr * self.factor
        elif self.kind == "range":
            out = _fold(arr, self.low, self.high)
        else:
            out = arr
        return float(out) if np.ndim(out) == 0 else out

    def describe(self) -> str:
        """Short text such as ``"fold into 70-140 BPM"``."""
        if self.kind == "factor":
            return f"multiply by {self.factor:.4g}"
        if self.kind == "range":
            return f"fold into {self.low:g}-{self.high:g} BPM"
        return "none"


def _fold(arr, low, high):
    """Fold tempi by octaves into [low, high] (``high >= 2 low``); broadcasts low/high."""
    arr = np.asarray(arr, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.maximum(np.ceil(np.log2(low / arr) - 1e-12), 0.0)
        down = np.maximum(np.ceil(np.log2(arr / high) - 1e-12), 0.0)
        out = arr * np.exp2(up - down)
    return np.where(np.isfinite(out) & (arr > 0), out, arr)


_RANGES = np.array([(lo, hi) for lo in np.arange(40.0, 131.0, 2.0)
                    for hi in np.arange(80.0, 321.0, 5.0) if hi >= 2 * lo])


def _learn_tempo_rule(est, ref) -> TempoRule:
    """The octave rule with the best Acc1 (then Acc2) on these songs; ties favour no change,
    then the widest range (the fewest songs folded)."""
    best_rule, best = TempoRule(), (acc1(est, ref), acc2(est, ref))
    for f in _OCTAVE_FACTORS:
        s = (acc1(est * f, ref), acc2(est * f, ref))
        if s > best:
            best_rule, best = TempoRule("factor", f), s
    lo, hi = _RANGES[:, 0:1], _RANGES[:, 1:2]
    folded = _fold(est[None, :], lo, hi)
    hits = np.mean(np.abs(folded - ref[None, :]) <= 0.04 * ref[None, :], axis=1)
    top = hits.max()
    if top > best[0]:
        cand = _RANGES[hits == top]
        width = cand[:, 1] / cand[:, 0]
        widest = cand[width == width.max()]
        pick = widest[len(widest) // 2]
        best_rule = TempoRule("range", low=float(pick[0]), high=float(pick[1]))
    return best_rule


def _fit_tempo_linear(est_folded, ref, method, seed):
    agree = np.abs(est_folded - ref) <= _TEMPO_AGREE * ref
    low, high = DESCRIPTOR_RANGES["bpm"]
    if method == "none" or agree.sum() < 4:
        return LinearCorrection("none")
    return fit_linear(est_folded[agree], ref[agree], method=method, low=low, high=high,
                      seed=seed)


@dataclass
class TempoCalibration:
    """The calibration of tempo: an octave rule, then a linear correction.

    Scores ``acc1_*`` and ``acc2_*`` are shares 0-1, MAE in BPM; every "after" is
    cross-validated.  ``rule_kept`` and ``correction`` tell what is applied.
    """

    n: int
    rule: TempoRule
    correction: LinearCorrection
    acc1_before: float = math.nan
    acc2_before: float = math.nan
    acc1_after: float = math.nan
    acc2_after: float = math.nan
    mae_before: float = math.nan
    mae_after: float = math.nan
    mae_rule_only: float = math.nan
    r2_before: float = math.nan
    r2: float = math.nan
    n_agree: int = 0
    best_method: str = "none"
    cv_mae: dict = field(default_factory=dict)
    folds: int = 0
    note: str = ""

    def apply(self, bpm):
        """Calibrated tempo(s) in BPM."""
        return self.correction.apply(self.rule.apply(bpm))

    @property
    def kept(self) -> bool:
        """True when the rule or the correction changes anything."""
        return self.rule.kind != "none" or self.correction.method != "none"


def fit_tempo(est, ref, *, k: int = 10, seed: int = 0, min_gain: float = 0.01,
              methods=LINEAR_METHODS) -> TempoCalibration:
    """Calibrate tempo: learn the octave rule, then a guarded linear correction.

    Parameters
    ----------
    est, ref : array_like
        Analyzer and reference tempi (BPM); non-positive or NaN pairs are dropped.
    k, seed, min_gain, methods
        As in :func:`fit_descriptor`.

    Returns
    -------
    TempoCalibration
        The rule is kept only when it raises the cross-validated Acc1; the linear
        correction only when it lowers the cross-validated MAE by ``min_gain`` without
        lowering Acc1.
    """
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    ok = np.isfinite(est) & np.isfinite(ref) & (est > 0) & (ref > 0)
    est, ref = est[ok], ref[ok]
    n = int(est.size)
    cal = TempoCalibration(n, TempoRule(), LinearCorrection("none"))
    if n == 0:
        cal.note = "no pairs"
        return cal
    cal.acc1_before = cal.acc1_after = acc1(est, ref)
    cal.acc2_before = cal.acc2_after = acc2(est, ref)
    cal.mae_before = cal.mae_after = cal.mae_rule_only = mae(est, ref)
    cal.r2_before = cal.r2 = r_squared(est, ref)
    if n < 4:
        cal.note = f"too few pairs to fit ({n})"
        return cal
    folds = cv_folds(n, k=k, seed=seed)
    cal.folds = len(folds)

    first_rules: dict = {}

    def rule_only(train, test):
        rule = _learn_tempo_rule(est[train], ref[train])
        first_rules[train.tobytes()] = rule
        return rule.apply(est[test])

    pred_rule = _cv_predict(n, folds, rule_only)
    cv_acc1_rule = acc1(pred_rule, ref)
    rule_kept = cv_acc1_rule > cal.acc1_before
    if rule_kept:
        cal.rule = _learn_tempo_rule(est, ref)
        cal.acc1_after, cal.acc2_after = cv_acc1_rule, acc2(pred_rule, ref)
        cal.mae_rule_only = mae(pred_rule, ref)
    base_mae = cal.mae_rule_only

    fold_rules: dict = dict(first_rules)

    def learn_rule(train):
        if not rule_kept:
            return TempoRule()
        key = train.tobytes()
        if key not in fold_rules:
            fold_rules[key] = _learn_tempo_rule(est[train], ref[train])
        return fold_rules[key]

    preds = {}
    for m in methods:
        def fp(train, test, m=m):
            rule = learn_rule(train)
            corr = _fit_tempo_linear(rule.apply(est[train]), ref[train], m, seed)
            return corr.apply(rule.apply(est[test]))
        preds[m] = _cv_predict(n, folds, fp)
        cal.cv_mae[m] = mae(preds[m], ref)
    best = min(cal.cv_mae, key=lambda m: (cal.cv_mae[m], methods.index(m)))
    cal.best_method = best
    if (cal.cv_mae[best] < base_mae * (1.0 - min_gain)
            and acc1(preds[best], ref) >= cal.acc1_after):
        folded = cal.rule.apply(est)
        cal.correction = _fit_tempo_linear(folded, ref, best, seed)
        if acc1(cal.correction.apply(folded), ref) < acc1(folded, ref):
            cal.correction = LinearCorrection("none")  # would cost Acc1 on these songs
        if cal.correction.method != "none":
            cal.mae_after = cal.cv_mae[best]
            cal.acc1_after, cal.acc2_after = acc1(preds[best], ref), acc2(preds[best], ref)
    else:
        cal.mae_after = base_mae
    final = cal.apply(est)
    cal.n_agree = int(np.sum(np.abs(cal.rule.apply(est) - ref) <= _TEMPO_AGREE * ref))
    cal.r2 = r_squared(final, ref)
    if not cal.kept:
        cal.note = "neither an octave rule nor a linear correction helps under cross-validation"
    return cal


# ---------------------------------------------------------------------------- key

def _transform(key: Key, how: str) -> Key:
    if how == "relative":
        return key.relative()
    if how == "parallel":
        return key.parallel()
    if how == "fifth_up":
        return Key((key.tonic + 7) % 12, key.mode)
    if how == "fifth_down":
        return Key((key.tonic + 5) % 12, key.mode)
    return key


@dataclass
class KeyCorrection:
    """A key correction: a transform for keys the analyzer calls major, one for minor,
    and an optional per-key map (analyzer key name -> reference key name) applied first."""

    major: str = "keep"
    minor: str = "keep"
    mapping: dict = field(default_factory=dict)

    def apply(self, key: Key | None) -> Key | None:
        """The corrected key (``None`` stays ``None``)."""
        if key is None:
            return None
        if key.name in self.mapping:
            return parse_key(self.mapping[key.name])
        return _transform(key, self.major if key.mode == "major" else self.minor)

    @property
    def is_identity(self) -> bool:
        """True when nothing changes."""
        return self.major == "keep" and self.minor == "keep" and not self.mapping

    def describe(self) -> str:
        """Short text such as ``"minor: relative"``."""
        if self.mapping:
            return "map " + ", ".join(f"{a} -> {b}" for a, b in sorted(self.mapping.items()))
        bits = [f"{m}: {t}" for m, t in (("major", self.major), ("minor", self.minor))
                if t != "keep"]
        return "; ".join(bits) or "none"


def _key_scores(est, ref):
    if not est:
        return math.nan, math.nan
    exact = sum(e == r for e, r in zip(est, ref, strict=True)) / len(est)
    weighted = sum(mirex_score(e, r) for e, r in zip(est, ref, strict=True)) / len(est)
    return exact, weighted


_ALL_KEYS = [Key.from_index(i) for i in range(24)]
_MIREX_TABLE = np.array([[mirex_score(e, r) for r in _ALL_KEYS] for e in _ALL_KEYS])
_TRANSFORM_TABLE = {t: np.array([_transform(k, t).index for k in _ALL_KEYS])
                    for t in _KEY_TRANSFORMS}


def _learn_key_correction(est, ref, *, min_count: int = 3) -> KeyCorrection:
    """The correction with the best weighted score (then accuracy) on these pairs; ties
    favour no change."""
    e = np.array([k.index for k in est], int)
    r = np.array([k.index for k in ref], int)

    def score(table):
        t = table[e]
        return float(_MIREX_TABLE[t, r].mean()), float(np.mean(t == r))

    is_major = np.arange(24) < 12
    best, best_score = KeyCorrection(), score(np.arange(24))
    for tmaj in _KEY_TRANSFORMS:
        for tmin in _KEY_TRANSFORMS:
            table = np.where(is_major, _TRANSFORM_TABLE[tmaj], _TRANSFORM_TABLE[tmin])
            sc = score(table)
            if sc > best_score:
                best, best_score = KeyCorrection(tmaj, tmin), sc
    counts = np.zeros((24, 24), int)
    np.add.at(counts, (e, r), 1)
    table = np.arange(24)
    mapping = {}
    for i in range(24):
        total = counts[i].sum()
        j = int(counts[i].argmax())
        if j != i and total >= min_count and counts[i, j] > total / 2:
            mapping[_ALL_KEYS[i].name] = _ALL_KEYS[j].name
            table[i] = j
    if mapping and score(table) > best_score:
        best = KeyCorrection(mapping=mapping)
    return best


@dataclass
class KeyCalibration:
    """The calibration of key: accuracy (exact share) and MIREX weighted score, 0-1.

    ``confusion`` counts (analyzer key name, reference key name) pairs; "after" scores
    are cross-validated.
    """

    n: int
    correction: KeyCorrection
    accuracy_before: float = math.nan
    weighted_before: float = math.nan
    accuracy_after: float = math.nan
    weighted_after: float = math.nan
    confusion: dict = field(default_factory=dict)
    relations: dict = field(default_factory=dict)
    folds: int = 0
    note: str = ""

    def apply(self, key: Key | None) -> Key | None:
        """The calibrated key."""
        return self.correction.apply(key)

    @property
    def kept(self) -> bool:
        """True when the correction changes anything."""
        return not self.correction.is_identity


def fit_key(est, ref, *, k: int = 10, seed: int = 0) -> KeyCalibration:
    """Calibrate key.

    Parameters
    ----------
    est, ref : sequence of Key or None
        Analyzer and reference keys of the paired songs (pairs with a ``None`` are dropped).
    k, seed
        As in :func:`fit_descriptor`.

    Returns
    -------
    KeyCalibration
        The learned correction is kept only when it raises the cross-validated weighted
        score.
    """
    pairs = [(e, r) for e, r in zip(est, ref, strict=True) if e is not None and r is not None]
    est = [p[0] for p in pairs]
    ref = [p[1] for p in pairs]
    n = len(pairs)
    cal = KeyCalibration(n, KeyCorrection())
    cal.confusion = dict(Counter((e.name, r.name) for e, r in pairs))
    cal.relations = dict(Counter(key_relation(e, r) for e, r in pairs))
    if n == 0:
        cal.note = "no pairs"
        return cal
    cal.accuracy_before, cal.weighted_before = _key_scores(est, ref)
    cal.accuracy_after, cal.weighted_after = cal.accuracy_before, cal.weighted_before
    if n < 4:
        cal.note = f"too few pairs to fit ({n})"
        return cal
    folds = cv_folds(n, k=k, seed=seed)
    cal.folds = len(folds)
    pred: list = [None] * n
    for test in folds:
        test_set = set(test.tolist())
        train = [i for i in range(n) if i not in test_set]
        c = _learn_key_correction([est[i] for i in train], [ref[i] for i in train])
        for i in test:
            pred[i] = c.apply(est[i])
    cv_acc, cv_w = _key_scores(pred, ref)
    if cv_w > cal.weighted_before + 1e-12:
        cal.correction = _learn_key_correction(est, ref)
        cal.accuracy_after, cal.weighted_after = cv_acc, cv_w
    else:
        cal.note = "no key correction raises the cross-validated weighted score"
    return cal


# ---------------------------------------------------------------------------- all

@dataclass
class Calibration:
    """Calibrations of every descriptor present in both the results and the reference."""

    descriptors: dict = field(default_factory=dict)
    tempo: TempoCalibration | None = None
    key: KeyCalibration | None = None
    k: int = 10
    seed: int = 0
    min_gain: float = 0.01


def fit_calibration(values: dict, *, keys=None, k: int = 10, seed: int = 0,
                    min_gain: float = 0.01) -> Calibration:
    """Calibrate every descriptor at once.

    Parameters
    ----------
    values : dict of str to (array_like, array_like)
        Descriptor name -> (analyzer values, reference values) of the paired songs;
        ``"bpm"`` goes through :func:`fit_tempo`, the others through :func:`fit_descriptor`.
    keys : (sequence of Key, sequence of Key), optional
        Analyzer and reference keys for :func:`fit_key`.
    k, seed, min_gain
        As in :func:`fit_descriptor`.

    Returns
    -------
    Calibration
    """
    cal = Calibration(k=k, seed=seed, min_gain=min_gain)
    for name, (x, y) in values.items():
        if name == "bpm":
            cal.tempo = fit_tempo(x, y, k=k, seed=seed, min_gain=min_gain)
        else:
            cal.descriptors[name] = fit_descriptor(x, y, descriptor=name, k=k, seed=seed,
                                                   min_gain=min_gain)
    if keys is not None:
        cal.key = fit_key(keys[0], keys[1], k=k, seed=seed)
    return cal
