"""What a calibration session shows: summaries of the sheet, the match, the key errors and
each descriptor's agreement before and after the fit.

The window's calibration tab, its status line and the command line's report read these
plain records; none of them computes an error measure of its own.

- :class:`ReferenceSummary` (:func:`reference_summary`): rows, descriptors and doubts of a
  reference sheet.
- :class:`MatchSummary` (:func:`match_summary`): counts of a match.
- :class:`KeyErrors` (:func:`key_errors`): key errors by circle-of-fifths distance and by
  relation (:mod:`core.calibration.agreement`).
- :class:`DescriptorSummary` (:func:`descriptor_summaries`): per column n, its verdict,
  r², MAE before and after (nested cross-validated), the 90 % interval, tempo Acc1/Acc2 and
  key scores, the correction and whether it is kept, and its learned model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.calibration.agreement import (
    KEY_RELATIONS,
    MIREX_WEIGHTS,
    acc1,
    acc2,
    fifths_distance,
    key_relation,
)
from core.calibration.descriptor_fit import DESCRIPTOR_RANGES, mae, r_squared, scale_correction
from core.calibration.fit import Calibration
from core.calibration.matching import MatchResult
from core.calibration.reference import ReferenceSheet

__all__ = [
    "ReferenceSummary",
    "reference_summary",
    "MatchSummary",
    "match_summary",
    "KeyErrors",
    "key_errors",
    "DescriptorSummary",
    "descriptor_summaries",
    "NOT_FITTED",
]

#: The correction text of a descriptor before any fit.
NOT_FITTED = "not fitted"


@dataclass
class ReferenceSummary:
    """What a loaded sheet holds, for a status line and a log.

    Attributes
    ----------
    name, path : str
        File name and full path.
    n_rows : int
        Rows imported.
    bad_rows : list of str
        Rows left out, each naming its row and column.
    descriptors : list of str
        Descriptors the sheet holds (``"bpm"``, ``"key"``, ``"energy"``...).
    warnings : list of str
        Doubts about the import (scales, implausible tempi).
    """

    name: str
    path: str
    n_rows: int
    bad_rows: list = field(default_factory=list)
    descriptors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.name}: {self.n_rows} rows ({', '.join(self.descriptors)})"
        if self.bad_rows:
            text += f", {len(self.bad_rows)} left out"
        return text


def reference_summary(sheet: ReferenceSheet) -> ReferenceSummary:
    """The :class:`ReferenceSummary` of a sheet."""
    return ReferenceSummary(sheet.name, sheet.path, len(sheet.rows),
                            [str(b) for b in sheet.bad_rows], list(sheet.descriptors),
                            list(sheet.warnings))


@dataclass
class MatchSummary:
    """Counts of a match of the results against the sheet."""

    n_songs: int
    n_rows: int
    n_matched: int
    n_manual: int
    n_ambiguous: int
    n_unmatched_songs: int
    n_unmatched_rows: int

    def __str__(self) -> str:
        return (f"{self.n_matched}/{self.n_songs} songs matched ({self.n_manual} by hand), "
                f"{self.n_unmatched_songs} unmatched ({self.n_ambiguous} ambiguous), "
                f"{self.n_unmatched_rows} reference "
                f"{'row' if self.n_unmatched_rows == 1 else 'rows'} unused")


def match_summary(match: MatchResult) -> MatchSummary:
    """The :class:`MatchSummary` of a match."""
    return MatchSummary(match.n_songs, match.n_rows, len(match.matches),
                        sum(1 for x in match.matches if x.method == "manual"),
                        len(match.ambiguous), len(match.unmatched_songs),
                        len(match.unmatched_rows))


@dataclass
class KeyErrors:
    """Key errors of paired songs.

    Attributes
    ----------
    same_mode, other_mode : ndarray of int, shape (7,)
        Songs by tonic distance 0-6 around the circle of fifths (analyzer tonic to reference
        tonic), for songs whose mode agrees with the reference and for those whose mode
        differs (a parallel key is distance 0 with the other mode, a relative key 3).
    relations : dict of str to int
        Songs per relation of :data:`core.calibration.agreement.KEY_RELATIONS`.
    """

    same_mode: np.ndarray
    other_mode: np.ndarray
    relations: dict

    @property
    def distance(self) -> np.ndarray:
        """Songs by tonic distance 0-6, whatever the mode."""
        return self.same_mode + self.other_mode

    @property
    def n(self) -> int:
        """Songs with both keys."""
        return int(self.distance.sum())

    @property
    def accuracy(self) -> float:
        """Share of songs in the reference key (NaN for none)."""
        return self.relations["same"] / self.n if self.n else math.nan

    @property
    def weighted(self) -> float:
        """Mean MIREX weighted score (NaN for none)."""
        if not self.n:
            return math.nan
        return sum(MIREX_WEIGHTS[r] * c for r, c in self.relations.items()) / self.n


def key_errors(est, ref) -> KeyErrors:
    """Tally the key errors of paired songs.

    Parameters
    ----------
    est, ref : sequence of Key
        Analyzer and reference keys of the same songs (both known).

    Returns
    -------
    KeyErrors
    """
    same = np.zeros(7, int)
    other = np.zeros(7, int)
    rel = dict.fromkeys(KEY_RELATIONS, 0)
    for e, r in zip(est, ref, strict=True):
        target = same if e.mode == r.mode else other
        target[fifths_distance(e.tonic, r.tonic)] += 1
        rel[key_relation(e, r)] += 1
    return KeyErrors(same, other, rel)


@dataclass
class DescriptorSummary:
    """One column's agreement with the reference, before and after the fit.

    Attributes
    ----------
    descriptor : str
        ``"bpm"``, ``"key"``, ``"energy"``... or an extra column of the sheet.
    n : int
        Paired songs with both values (for tempo: with a reference tempo; for an extra
        column: with a reference value).
    correction : str
        What is applied (``"theil_sen: y = 1.02x - 1.3"``, ``"fold into 70-140 BPM"``,
        ``"minor: relative"``, ``"boosted trees on 15 inputs"``, ``"none"``), or
        :data:`NOT_FITTED`.
    kept : bool or None
        Whether a correction or learned model is kept (None before fitting).
    r2 : float
        r² of the applied values (of the raw values before fitting); NaN for key.
    mae_before, mae_after : float
        MAE of the raw values and nested cross-validated MAE of what is applied, in the
        column's unit (NaN when unknown, and for key; for an extra column "before" is the
        error of predicting the reference median).
    acc1_before, acc1_after, acc2_before, acc2_after : float
        Tempo only: Acc1 and Acc2 (0-1), "after" cross-validated.
    accuracy_before, accuracy_after, weighted_before, weighted_after : float
        Key only: share of exact keys and MIREX weighted score (0-1), "after"
        cross-validated.
    folds : int
        Cross-validation folds of the fit (0 before fitting).
    note : str
        Why nothing was kept, or the cross-validated MAE of every method tried.
    verdict : str
        :data:`core.calibration.verdict.VERDICTS` (empty before fitting).
    r2_cv : float
        Cross-validated r² of the best correction (or learned model).
    interval : str
        The 90 % prediction interval of what is applied, e.g. ``"±0.062 (90 %)"``.
    inverted_keepable : bool
        An ``inverted`` correction that passes the keep rule: the user may keep it.
    correction_kept : bool
        Whether the descriptor's own correction is kept (``kept`` also counts a learned
        model).
    learned : LearnedCalibration or None
        The column's learned model (None when none was fitted).
    n_missing : int
        Tempo only: paired songs without an analyzer tempo (counted in ``n``).
    outliers : list of str
        The songs the verdict was judged without (outlying held-out errors), each with its
        two values; ``note`` then begins with what leaving them out changed.
    scale : str
        The name of the reference column's own scale when it is not the analyzer's
        (``"Mixed In Key 1-10"``; its figures are on that scale), else empty.
    """

    descriptor: str
    n: int
    correction: str = NOT_FITTED
    kept: bool | None = None
    r2: float = math.nan
    mae_before: float = math.nan
    mae_after: float = math.nan
    acc1_before: float = math.nan
    acc1_after: float = math.nan
    acc2_before: float = math.nan
    acc2_after: float = math.nan
    accuracy_before: float = math.nan
    accuracy_after: float = math.nan
    weighted_before: float = math.nan
    weighted_after: float = math.nan
    folds: int = 0
    note: str = ""
    verdict: str = ""
    r2_cv: float = math.nan
    interval: str = ""
    inverted_keepable: bool = False
    correction_kept: bool = False
    learned: object = None
    n_missing: int = 0
    outliers: list = field(default_factory=list)
    scale: str = ""

    @property
    def fitted(self) -> bool:
        """True once a fit covers this column."""
        return self.kept is not None

    @property
    def learned_kept(self) -> bool:
        """True when the column's learned model is applied."""
        return self.learned is not None and self.learned.kept


def _key_summary(cal: Calibration | None, ke: KeyErrors) -> DescriptorSummary:
    k = cal.key if cal is not None else None
    if k is None:
        return DescriptorSummary("key", ke.n, accuracy_before=ke.accuracy,
                                 weighted_before=ke.weighted)
    return DescriptorSummary("key", k.n, k.correction.describe(), k.kept,
                             accuracy_before=k.accuracy_before,
                             accuracy_after=k.accuracy_after,
                             weighted_before=k.weighted_before,
                             weighted_after=k.weighted_after, folds=k.folds, note=k.note,
                             verdict=k.verdict)


def _tempo_summary(t) -> DescriptorSummary:
    return DescriptorSummary(
        "bpm", t.n, t.describe(), t.kept, t.r2, t.mae_before, t.mae_after, t.acc1_before,
        t.acc1_after, t.acc2_before, t.acc2_after, folds=t.folds, note=t.note,
        verdict=t.verdict, r2_cv=t.r2_cv, interval=t.interval.describe(),
        n_missing=t.n_missing)


def _numeric_summary(c, m, outliers=()) -> DescriptorSummary:
    note = c.note or ("cross-validated MAE per method: " + ", ".join(
        f"{k} {v:.3g}" for k, v in c.cv_mae.items()))
    if c.outlier_note:
        note = "\n".join([c.outlier_note + ":", *(f"  {o}" for o in outliers), note])
    s = DescriptorSummary(c.descriptor, c.n, c.correction.describe(), c.kept, c.r2,
                          c.mae_before, c.mae_after, folds=c.folds, note=note,
                          verdict=c.verdict, r2_cv=c.r2_cv, interval=c.interval.describe(),
                          inverted_keepable=c.verdict == "inverted" and c.keepable,
                          correction_kept=c.kept, learned=m, outliers=list(outliers))
    if m is not None and m.kept:
        s.correction, s.kept, s.mae_after = f"learned: {m.describe()}", True, m.mae_cv
        s.interval, s.r2 = m.interval.describe(), m.r2_cv
    return s


def _extra_summary(m, outliers=()) -> DescriptorSummary:
    note = m.note
    if m.outlier_note:
        note = "\n".join([m.outlier_note + ":", *(f"  {o}" for o in outliers), note])
    return DescriptorSummary(m.column, m.n, m.describe() if m.kept else "none", m.kept,
                             m.r2_cv, m.mae_median, m.mae_cv if m.kept else math.nan,
                             folds=m.folds, note=note, verdict=m.verdict, r2_cv=m.r2_cv,
                             interval=m.interval.describe() if m.kept else "", learned=m,
                             outliers=list(outliers))


def descriptor_summaries(descriptors, *, calibration: Calibration | None,
                         pairs: Callable, key_errors: KeyErrors | None = None,
                         counts: Callable | None = None,
                         outliers: Callable | None = None,
                         scales: dict | None = None) -> list[DescriptorSummary]:
    """One :class:`DescriptorSummary` per column, from the fit where it covers the
    column and from the raw pairs otherwise.

    Parameters
    ----------
    descriptors : iterable of str
        What the sheet holds, in display order (``"key"`` and extra columns included).
    calibration : Calibration or None
        The fitted calibration, if any.
    pairs : callable
        ``pairs(descriptor)`` -> (analyzer values, reference values) of the paired songs
        (for tempo, songs without an analyzer tempo as NaN).
    key_errors : KeyErrors, optional
        Key errors of the paired songs (needed when ``"key"`` is listed).
    counts : callable, optional
        ``counts(column)`` -> paired songs with a reference value (before a fit; default:
        the number of pairs).
    outliers : callable, optional
        ``outliers(column)`` -> the outlying songs of a fitted descriptor (or of an extra
        column's learned model), each named with its values
        (:attr:`DescriptorSummary.outliers`).
    scales : dict of str to (float, float, str), optional
        Column -> the reference's own scale where it is not the analyzer's
        (:attr:`core.calibration.reference.ReferenceSheet.value_scales`): before a fit the
        analyzer's values are stretched onto it, as the fit reads them as read.

    Returns
    -------
    list of DescriptorSummary
    """
    cal = calibration
    scales = scales or {}
    out = []
    for d in descriptors:
        if d == "key":
            if key_errors is None:
                raise ValueError("key_errors is needed to summarize the key")
            out.append(_key_summary(cal, key_errors))
        elif d == "bpm" and cal is not None and cal.tempo is not None:
            out.append(_tempo_summary(cal.tempo))
        elif cal is not None and d in cal.descriptors:
            c = cal.descriptors[d]
            named = outliers(d) if outliers is not None and len(c.outliers) else []
            out.append(_numeric_summary(c, cal.learned.get(d), named))
        elif cal is not None and d in cal.learned:
            m = cal.learned[d]
            named = outliers(d) if outliers is not None and len(m.outliers) else []
            out.append(_extra_summary(m, named))
        else:
            x, y = pairs(d)[:2]
            n = counts(d) if counts is not None else int(x.size)
            if d in scales and d in DESCRIPTOR_RANGES:
                x = np.asarray(scale_correction(d, scales[d]).apply(x), float)
            has = np.isfinite(x)
            s = DescriptorSummary(d, n, r2=r_squared(x[has], y[has]),
                                  mae_before=mae(x[has], y[has]))
            if d == "bpm":  # songs without a tempo count as misses
                s.acc1_before, s.acc2_before = acc1(x, y), acc2(x, y)
                s.n_missing = int((~has).sum())
            out.append(s)
    for s in out:
        s.scale = scales[s.descriptor][2] if s.descriptor in scales else ""
    return out
