"""Tempo calibration: an octave rule learned from the reference, then a guarded linear fit.

:func:`fit_tempo` first learns an octave rule (:class:`TempoRule`) -- no change, a fixed
factor (x2, x1/2, x2/3, x3/2) or folding by octaves into a preferred range [low, high] --
chosen by Acc1 (:mod:`core.calibration.agreement`); then a linear correction
(:func:`core.calibration.descriptor_fit.fit_linear`) fitted only on songs whose folded tempo
already agrees with the reference within 8 %, so half/double reference rows cannot bend its
slope.  Both are kept only where cross-validation says they help.
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
    mae,
    r_squared,
)

__all__ = ["TempoRule", "TempoCalibration", "fit_tempo"]

_TEMPO_AGREE = 0.08  # songs within 8 % after the octave rule train the linear tempo fit
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
    hits = np.mean(tempo_within(folded, ref[None, :]), axis=1)
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

    def describe(self) -> str:
        """What is applied, e.g. ``"fold into 70-140 BPM; offset: y = x + 0.4"``
        (``"none"`` when nothing is)."""
        parts = [self.rule.describe()] if self.rule.kind != "none" else []
        if self.correction.method != "none":
            parts.append(self.correction.describe())
        return "; ".join(parts) or "none"


def fit_tempo(est, ref, *, k: int = 10, seed: int = 0, min_gain: float = 0.01,
              methods=LINEAR_METHODS) -> TempoCalibration:
    """Calibrate tempo: learn the octave rule, then a guarded linear correction.

    Parameters
    ----------
    est, ref : array_like
        Analyzer and reference tempi (BPM); non-positive or NaN pairs are dropped.
    k, seed, min_gain, methods
        As in :func:`core.calibration.descriptor_fit.fit_descriptor`.

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

    pred_rule = cv_predict(n, folds, rule_only)
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
        preds[m] = cv_predict(n, folds, fp)
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
    cal.n_agree = int(np.sum(tempo_within(cal.rule.apply(est), ref, tolerance=_TEMPO_AGREE)))
    cal.r2 = r_squared(final, ref)
    if not cal.kept:
        cal.note = "neither an octave rule nor a linear correction helps under cross-validation"
    return cal

