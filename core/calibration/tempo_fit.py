"""Tempo calibration: an octave rule learned from the reference, then a guarded linear fit.

:func:`fit_tempo` first learns an octave rule (:class:`TempoRule`) -- no change, a fixed
factor (x2, x1/2, x2/3, x3/2) or folding by octaves into a preferred range [low, high] --
chosen by Acc1 (:mod:`core.calibration.agreement`); then a linear correction
(:func:`core.calibration.descriptor_fit.fit_linear`) fitted only on songs whose folded tempo
already agrees with the reference within 8 %, so half/double reference rows cannot bend its
slope; a method whose slope falls outside :data:`TEMPO_SLOPES` (a sheet stating every
song at one tempo gives a slope of 0: every song would come out at that tempo) is replaced
by the median offset, inside the cross-validation as on all songs.  Both are kept only where cross-validation says they help; the choice among the
linear methods is scored by nested cross-validation, its inner loop reusing the octave rule
learned on each outer training set.  Songs the analyzer gave no tempo stay in the counts
(as misses), so Acc1 and Acc2 are shares of every paired song with a reference tempo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.calibration.agreement import acc1, acc2, tempo_within
from core.calibration.descriptor_fit import (
    DESCRIPTOR_RANGES,
    LINEAR_METHODS,
    LinearCorrection,
    cv_folds,
    cv_predict,
    fit_linear,
    inner_folds,
    mae,
    r_squared,
    value_range,
)
from core.calibration.intervals import PredictionInterval, interval_from_residuals
from core.calibration.verdict import (
    MIN_PAIRS,
    TEMPO_NO_RELATION_ACC2,
    keeps,
    tempo_verdict,
    too_few_note,
)

__all__ = ["TEMPO_SLOPES", "TempoRule", "TempoCalibration", "fit_tempo"]

_TEMPO_AGREE = 0.08  # songs within 8 % after the octave rule train the linear tempo fit

#: Slopes a linear tempo correction may have: songs agreeing within 8 % say little more
#: than that, and a slope past these would change the tempi of songs outside the fitted
#: range by more than any octave rule (a profile refuses a slope that is not positive).
TEMPO_SLOPES = (0.5, 2.0)
_OCTAVE_FACTORS = (2.0, 0.5, 2.0 / 3.0, 1.5)


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
_LOWS, _LOW_OF = np.unique(_RANGES[:, 0], return_inverse=True)
_HIGHS, _HIGH_OF = np.unique(_RANGES[:, 1], return_inverse=True)
_MAX_FOLD = 12  # octaves of shift the search's bit masks hold (2**12: far beyond any tempo)


def _range_hits(est, ref) -> np.ndarray:
    """Acc1 of every range of ``_RANGES`` on these songs (all tempi positive).

    The same folding as :func:`_fold`: a song folded into [low, high] moves by ``up - down``
    octaves, ``up`` depending on ``low`` alone and ``down`` on ``high`` alone; whether each
    octave shift agrees with the reference is looked up in a bit mask per song.
    """
    k = np.arange(-_MAX_FOLD, _MAX_FOLD + 1)
    agree = tempo_within(est[None, :] * np.exp2(k)[:, None], ref[None, :])
    mask = (agree.astype(np.int64) << (k + _MAX_FOLD)[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.maximum(np.ceil(np.log2(_LOWS[:, None] / est[None, :]) - 1e-12), 0)
        down = np.maximum(np.ceil(np.log2(est[None, :] / _HIGHS[:, None]) - 1e-12), 0)
    shift = (up.astype(np.int64)[_LOW_OF] - down.astype(np.int64)[_HIGH_OF])
    hit = (mask[None, :] >> (np.clip(shift, -_MAX_FOLD, _MAX_FOLD) + _MAX_FOLD)) & 1
    far = np.abs(shift) > _MAX_FOLD
    if far.any():  # a tempo thousands of times off: folded one by one
        rows, songs = np.nonzero(far)
        folded = _fold(est[songs], _RANGES[rows, 0], _RANGES[rows, 1])
        hit[rows, songs] = tempo_within(folded, ref[songs])
    return hit.mean(axis=1)


def _learn_tempo_rule(est, ref) -> TempoRule:
    """The octave rule with the best Acc1 (then Acc2) on these songs; ties favour no change,
    then the widest range (the fewest songs folded)."""
    best_rule, best = TempoRule(), (acc1(est, ref), acc2(est, ref))
    for f in _OCTAVE_FACTORS:
        s = (acc1(est * f, ref), acc2(est * f, ref))
        if s > best:
            best_rule, best = TempoRule("factor", f), s
    hits = _range_hits(est, ref)
    top = hits.max()
    if top > best[0]:
        cand = _RANGES[hits == top]
        width = cand[:, 1] / cand[:, 0]
        widest = cand[width == width.max()]
        pick = widest[len(widest) // 2]
        best_rule = TempoRule("range", low=float(pick[0]), high=float(pick[1]))
    return best_rule


def _fit_tempo_linear(est_folded, ref, method, seed):
    agree = tempo_within(est_folded, ref, tolerance=_TEMPO_AGREE)
    low, high = DESCRIPTOR_RANGES["bpm"]
    if method == "none" or agree.sum() < 4:
        return LinearCorrection("none")
    corr = fit_linear(est_folded[agree], ref[agree], method=method, low=low, high=high,
                      seed=seed)
    if not TEMPO_SLOPES[0] <= corr.slope <= TEMPO_SLOPES[1]:
        corr = fit_linear(est_folded[agree], ref[agree], method="offset", low=low, high=high)
    return corr


@dataclass
class TempoCalibration:
    """The calibration of tempo: an octave rule, then a linear correction.

    Scores ``acc1_*`` and ``acc2_*`` are shares 0-1 of all ``n`` paired songs with a
    reference tempo, songs the analyzer gave no tempo counting as misses; MAE and r² are
    in BPM over the ``n - n_missing`` songs with a tempo.  Every "after" is
    cross-validated (nested for the choice of linear method).  ``rule_kept`` and
    ``correction`` tell what is applied.  ``fitted_range`` is the lowest and highest
    analyzer tempo of the paired songs that have one (None when none has).
    """

    n: int
    rule: TempoRule
    correction: LinearCorrection
    n_missing: int = 0
    acc1_before: float = math.nan
    acc2_before: float = math.nan
    acc1_after: float = math.nan
    acc2_after: float = math.nan
    mae_before: float = math.nan
    mae_after: float = math.nan
    mae_rule_only: float = math.nan
    r2_before: float = math.nan
    r2_cv: float = math.nan
    r2: float = math.nan
    n_agree: int = 0
    best_method: str = "none"
    cv_mae: dict = field(default_factory=dict)
    mae_nested: float = math.nan
    verdict: str = "too few"
    interval: PredictionInterval = field(
        default_factory=lambda: PredictionInterval("relative"))
    folds: int = 0
    note: str = ""
    fitted_range: tuple | None = None

    def apply(self, bpm):
        """Calibrated tempo(s) in BPM."""
        return self.correction.apply(self.rule.apply(bpm))

    @property
    def kept(self) -> bool:
        """True when the rule or the correction changes anything."""
        return self.rule.kind != "none" or self.correction.method != "none"

    def describe(self) -> str:
        """What is applied, e.g. ``"fold into 70-140 BPM; offset: y = x + 0.4"``
        (``"none"`` when nothing is)."""
        parts = [self.rule.describe()] if self.rule.kind != "none" else []
        if self.correction.method != "none":
            parts.append(self.correction.describe())
        return "; ".join(parts) or "none"


def _log_ratio(pred, ref):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.asarray(pred, float) / np.asarray(ref, float))


def fit_tempo(est, ref, *, k: int = 10, seed: int = 0, min_gain: float = 0.01,
              methods=LINEAR_METHODS) -> TempoCalibration:
    """Calibrate tempo: learn the octave rule, then a guarded linear correction.

    Parameters
    ----------
    est, ref : array_like
        Analyzer and reference tempi (BPM) of the paired songs.  Pairs without a usable
        reference tempo are dropped; songs whose analyzer tempo is missing (NaN, zero or
        negative) are counted in ``n`` and ``n_missing`` and score as misses in Acc1/Acc2.
    k, seed, min_gain, methods
        As in :func:`core.calibration.descriptor_fit.fit_descriptor`.

    Returns
    -------
    TempoCalibration
        The rule is kept only when it raises the cross-validated Acc1 (a tie keeps
        nothing); the linear correction only when its nested cross-validated MAE passes
        :func:`core.calibration.verdict.keeps` against the rule alone without lowering the
        cross-validated Acc1; neither when the verdict is ``no relation`` nor when every
        paired song has the same reference tempo.
    """
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    usable = np.isfinite(ref) & (ref > 0)
    est, ref = est[usable], ref[usable]
    has = np.isfinite(est) & (est > 0)
    n_all = int(ref.size)
    est, ref = est[has], ref[has]
    n = int(est.size)
    share = n / n_all if n_all else math.nan  # Acc over the songs with a tempo -> over all
    cal = TempoCalibration(n_all, TempoRule(), LinearCorrection("none"), n_missing=n_all - n)
    if n_all == 0:
        cal.note = "no pairs"
        return cal
    if n == 0:
        cal.acc1_before = cal.acc1_after = cal.acc2_before = cal.acc2_after = 0.0
        cal.note = "no paired song has an analyzer tempo"
        return cal
    cal.fitted_range = value_range(est)
    cal.acc1_before = cal.acc1_after = acc1(est, ref) * share
    cal.acc2_before = cal.acc2_after = acc2(est, ref) * share
    cal.mae_before = cal.mae_after = cal.mae_rule_only = cal.mae_nested = mae(est, ref)
    cal.r2_before = cal.r2 = cal.r2_cv = r_squared(est, ref)
    cal.interval = interval_from_residuals(_log_ratio(est, ref), kind="relative")
    if n < MIN_PAIRS:
        cal.note = too_few_note(n)
        return cal
    if np.all(ref == ref[0]):
        # one tempo for every song (a placeholder, or a set at one tempo): any rule or
        # offset that lands songs on it scores, and none says anything about the analyzer
        cal.verdict = tempo_verdict(n=n, kept=False, acc1=cal.acc1_before,
                                    acc2=cal.acc2_before)
        cal.n_agree = int(np.sum(tempo_within(est, ref, tolerance=_TEMPO_AGREE)))
        cal.note = (f"every paired song has the same reference tempo ({ref[0]:g} BPM): "
                    "a rule or a correction learned from one tempo cannot be told from one "
                    "that fits a placeholder; nothing kept")
        return cal
    folds = cv_folds(n, k=k, seed=seed)
    cal.folds = len(folds)

    rules: dict = {}

    def learn_rule(train):
        key = train.tobytes()
        if key not in rules:
            rules[key] = _learn_tempo_rule(est[train], ref[train])
        return rules[key]

    pred_rule = cv_predict(n, folds, lambda tr, te: learn_rule(tr).apply(est[te]))
    rule_kept = acc1(pred_rule, ref) * share > cal.acc1_before
    pred = est
    if rule_kept:
        cal.rule = _learn_tempo_rule(est, ref)
        cal.acc1_after, cal.acc2_after = acc1(pred_rule, ref) * share, acc2(pred_rule, ref) * share
        cal.mae_rule_only = mae(pred_rule, ref)
        pred = pred_rule
    base_mae = cal.mae_rule_only

    def fold_rule(train):
        return learn_rule(train) if rule_kept else TempoRule()

    def fit_predict(train, test, m):
        rule = fold_rule(train)
        corr = _fit_tempo_linear(rule.apply(est[train]), ref[train], m, seed)
        return corr.apply(rule.apply(est[test]))

    for m in methods:
        cal.cv_mae[m] = mae(cv_predict(n, folds, lambda tr, te, m=m: fit_predict(tr, te, m)),
                            ref)
    best = min(cal.cv_mae, key=lambda m: (cal.cv_mae[m], methods.index(m)))
    cal.best_method = best

    def nested(train, test):
        # the inner loop reuses the rule learned on the outer training songs
        rule = fold_rule(train)
        folded = rule.apply(est[train])
        inner = cv_folds(train.size, k=inner_folds(train.size), seed=seed)
        scores = {}
        for m in methods:
            def fp(tr, te, m=m):
                c = _fit_tempo_linear(folded[tr], ref[train][tr], m, seed)
                return c.apply(folded[te])
            scores[m] = mae(cv_predict(train.size, inner, fp), ref[train])
        choice = min(scores, key=lambda m: (scores[m], methods.index(m)))
        return _fit_tempo_linear(folded, ref[train], choice, seed).apply(rule.apply(est[test]))

    pred_nested = cv_predict(n, folds, nested)
    cal.mae_nested = mae(pred_nested, ref)
    correction = LinearCorrection("none")
    if keeps(cal.mae_nested, base_mae, min_gain) and acc1(pred_nested, ref) >= acc1(pred, ref):
        folded = cal.rule.apply(est)
        correction = _fit_tempo_linear(folded, ref, best, seed)
    if correction.method != "none":
        cal.correction = correction
        cal.mae_after = cal.mae_nested
        cal.acc1_after = acc1(pred_nested, ref) * share
        cal.acc2_after = acc2(pred_nested, ref) * share
        pred = pred_nested
    else:
        cal.mae_after = base_mae
    cal.n_agree = int(np.sum(tempo_within(cal.rule.apply(est), ref, tolerance=_TEMPO_AGREE)))
    cal.r2 = r_squared(cal.apply(est), ref)
    cal.r2_cv = r_squared(pred, ref)
    cal.interval = interval_from_residuals(_log_ratio(pred, ref), kind="relative")
    cal.verdict = tempo_verdict(n=n, kept=cal.kept, acc1=cal.acc1_after, acc2=cal.acc2_after)
    if cal.verdict == "no relation" and cal.kept:
        # as for a descriptor: what bears no relation to the reference is not corrected
        cal.rule, cal.correction = TempoRule(), LinearCorrection("none")
        cal.acc1_after, cal.acc2_after = cal.acc1_before, cal.acc2_before
        cal.mae_after = cal.mae_rule_only = cal.mae_before
        cal.r2 = cal.r2_cv = cal.r2_before
        cal.interval = interval_from_residuals(_log_ratio(est, ref), kind="relative")
        cal.n_agree = int(np.sum(tempo_within(est, ref, tolerance=_TEMPO_AGREE)))
        cal.note = (f"no relation: the tempi agree with the reference within an octave "
                    f"(Acc2) on fewer than {100 * TEMPO_NO_RELATION_ACC2:g} % of the songs; "
                    f"nothing kept")
        return cal
    if not cal.kept:
        cal.note = "neither an octave rule nor a linear correction helps under cross-validation"
    return cal
