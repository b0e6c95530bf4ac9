"""Key calibration: a relation correction per analyzer mode, or a per-key map.

:func:`fit_key` tries a transform for the keys the analyzer calls major and one for those it
calls minor (keep, relative, parallel, fifth up, fifth down), and a per-key majority map,
and keeps the one with the best MIREX weighted score (:mod:`core.calibration.agreement`)
only when it raises the cross-validated score.  It also counts the confusions (analyzer key
to reference key) and the relations of the pairs.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from core.calibration.agreement import key_relation, key_scores, mirex_score
from core.calibration.descriptor_fit import cv_folds
from core.calibration.verdict import (
    KEY_NO_RELATION_SCORE,
    MIN_PAIRS,
    key_verdict,
    too_few_note,
)
from core.io.keynotation import Key, parse_key

__all__ = ["KeyCorrection", "KeyCalibration", "fit_key"]

KEY_TRANSFORMS = ("keep", "relative", "parallel", "fifth_up", "fifth_down")


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


_ALL_KEYS = [Key.from_index(i) for i in range(24)]
_MIREX_TABLE = np.array([[mirex_score(e, r) for r in _ALL_KEYS] for e in _ALL_KEYS])
_TRANSFORM_TABLE = {t: np.array([_transform(k, t).index for k in _ALL_KEYS])
                    for t in KEY_TRANSFORMS}


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
    for tmaj in KEY_TRANSFORMS:
        for tmin in KEY_TRANSFORMS:
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
    verdict: str = "too few"
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
        As in :func:`core.calibration.descriptor_fit.fit_descriptor`.

    Returns
    -------
    KeyCalibration
        The learned correction is kept only when it raises the cross-validated weighted
        score, and not when the verdict is ``no relation`` nor when every paired song has
        the same reference key.
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
    cal.accuracy_before, cal.weighted_before = key_scores(est, ref)
    cal.accuracy_after, cal.weighted_after = cal.accuracy_before, cal.weighted_before
    if n < MIN_PAIRS:
        cal.note = too_few_note(n)
        return cal
    if len(set(ref)) == 1:
        # a map would send keys to the one key of the sheet (a placeholder, or a set in
        # one key): it learns the sheet, not the analyzer
        cal.verdict = key_verdict(n=n, kept=False, weighted=cal.weighted_before)
        cal.note = (f"every paired song has the same reference key ({ref[0].name}): a "
                    "correction learned from one key would send keys to it whatever they "
                    "are; nothing kept")
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
    cv_acc, cv_w = key_scores(pred, ref)
    if cv_w > cal.weighted_before + 1e-12:
        cal.correction = _learn_key_correction(est, ref)
        cal.accuracy_after, cal.weighted_after = cv_acc, cv_w
    else:
        cal.note = "no key correction raises the cross-validated weighted score"
    cal.verdict = key_verdict(n=n, kept=cal.kept, weighted=cal.weighted_after)
    if cal.verdict == "no relation" and cal.kept:
        # as for a descriptor: what bears no relation to the reference is not corrected
        cal.correction = KeyCorrection()
        cal.accuracy_after, cal.weighted_after = cal.accuracy_before, cal.weighted_before
        cal.note = (f"no relation: the cross-validated weighted score stays under "
                    f"{KEY_NO_RELATION_SCORE:g}; nothing kept")
    return cal

