"""The verdict on each calibrated column, the keep rule, and their thresholds.

One home for the words and the numbers that say how far a calibration can be trusted; the
fits, the summary table, the plots, ``calibration.csv`` and the command line's report all
read them from here.

The keep rule (:func:`keeps`)
    A correction or a learned model is kept only when its cross-validated MAE is lower than
    the MAE of what it would replace by at least ``min_gain`` (1 % by default): an error
    equal to or a hair under the old one keeps nothing.

Verdicts (:data:`VERDICTS`), judged on cross-validated figures
    ``tracks``
        No correction is kept and the raw analyzer values already explain at least
        :data:`WEAK_R2` of the reference's variance (r² of the raw values used as
        predictions): the descriptor follows the reference as it is.
    ``calibrated``
        A correction (or a learned model) is kept and its cross-validated r² is at least
        :data:`WEAK_R2`.
    ``weak``
        What is applied (the kept correction, or the raw values) has an r² below
        :data:`WEAK_R2`: it predicts little more than the reference mean.  Shown in amber.
    ``inverted``
        The best correction has a negative slope (the descriptor runs against the
        reference) and explains at least :data:`NO_RELATION_R2` of the variance.  Shown in
        red; never kept unless the user asks for it (``keep_inverted``).
    ``no relation``
        Neither the raw values nor the best correction explains :data:`NO_RELATION_R2` of
        the variance under cross-validation; nothing is kept, even a flat line at the
        reference mean.
    ``too few``
        Fewer than :data:`MIN_PAIRS` paired songs: nothing is fitted or judged.

Tempo and key are judged on their own measures instead of r², which a few octave errors
in BPM would swamp:

- tempo (:func:`tempo_verdict`), on the cross-validated Acc1 and Acc2 of what is applied:
  ``no relation`` when Acc2 is below :data:`TEMPO_NO_RELATION_ACC2`, ``weak`` when Acc1 is
  below :data:`TEMPO_WEAK_ACC1`, else ``calibrated`` (an octave rule or correction kept) or
  ``tracks``;
- key (:func:`key_verdict`), on the cross-validated MIREX weighted score: ``no relation``
  below :data:`KEY_NO_RELATION_SCORE` (chance is about 0.1), ``weak`` below
  :data:`KEY_WEAK_SCORE`, else ``calibrated`` (a correction kept) or ``tracks``.
"""

from __future__ import annotations

import math

__all__ = [
    "MIN_PAIRS",
    "NO_RELATION_R2",
    "WEAK_R2",
    "VERDICTS",
    "VERDICT_TEXT",
    "keeps",
    "descriptor_verdict",
    "model_verdict",
    "KEY_NO_RELATION_SCORE",
    "KEY_WEAK_SCORE",
    "key_verdict",
    "TEMPO_NO_RELATION_ACC2",
    "TEMPO_WEAK_ACC1",
    "tempo_verdict",
    "too_few_note",
]

#: Fewest paired songs a correction (tempo rule, key map, descriptor correction) is fitted
#: on.  Below it nothing is fitted or kept and the verdict is ``too few``.  Ten, because a
#: kept correction must come with a bounded 90 % interval: a split-conformal interval of n
#: held-out residuals is bounded only from ``ceil((n + 1) * 0.9) <= n``, that is n >= 9
#: (:mod:`core.calibration.intervals`), and with n = 10 each held-out song is predicted by a
#: fit on 9 others.  With 4 pairs each held-out prediction came from 3 songs, the method
#: was chosen among four on those 3, and the interval of what was kept was unbounded.
MIN_PAIRS = 10

#: Cross-validated r² below which a column is judged to have no relation to SongCal's
#: values: the best fit predicts no better than the reference mean.
NO_RELATION_R2 = 0.05

#: Cross-validated r² below which what is applied "predicts little more than the reference
#: mean" (verdict ``weak``).
WEAK_R2 = 0.5

#: Tempo Acc2 below which the analyzer's tempi bear no relation to the reference.
TEMPO_NO_RELATION_ACC2 = 0.25

#: Tempo Acc1 below which the tempi applied are ``weak``.
TEMPO_WEAK_ACC1 = 0.5

#: MIREX weighted key score below which the analyzer's keys bear no relation to the
#: reference (guessing a key at random scores about 0.1).
KEY_NO_RELATION_SCORE = 0.15

#: MIREX weighted key score below which the keys applied are ``weak``.
KEY_WEAK_SCORE = 0.5

#: Every verdict, from the best news to the worst; ``too few`` last.
VERDICTS = ("tracks", "calibrated", "weak", "inverted", "no relation", "too few")

#: What each verdict says, in the words the window and the report use.
VERDICT_TEXT = {
    "tracks": "tracks the reference: no correction needed",
    "calibrated": "calibrated: a correction (or a learned model) is kept and the relation "
                  "is strong",
    "weak": "weak: predicts little more than the reference mean "
            f"(cross-validated r\u00b2 below {WEAK_R2:g})",
    "inverted": "inverted: the descriptor runs against the reference (negative slope); "
                "not kept unless you tick it",
    "no relation": "no relation: nothing predicts this column better than its mean "
                   f"(cross-validated r\u00b2 below {NO_RELATION_R2:g}); nothing kept",
    "too few": f"too few paired songs to judge (fewer than {MIN_PAIRS}); nothing kept",
}


def too_few_note(n: int) -> str:
    """Why nothing is fitted on ``n`` pairs (fewer than :data:`MIN_PAIRS`)."""
    return (f"too few pairs to fit ({n} < {MIN_PAIRS}): no correction is kept from fewer "
            f"than {MIN_PAIRS} paired songs")


def keeps(cv_mae: float, mae_before: float, min_gain: float) -> bool:
    """The keep rule: True when ``cv_mae`` is below ``mae_before * (1 - min_gain)``.

    Parameters
    ----------
    cv_mae : float
        Cross-validated MAE of the candidate (the column's unit).
    mae_before : float
        MAE of what the candidate would replace (raw values, or a simpler fit).
    min_gain : float
        Relative drop required, in [0, 1).

    Returns
    -------
    bool
        False when either error is NaN.
    """
    if not 0 <= min_gain < 1:
        raise ValueError(f"min_gain must be in [0, 1), got {min_gain!r}")
    return bool(cv_mae < mae_before * (1.0 - min_gain))


def _finite(v) -> float:
    return v if v is not None and math.isfinite(v) else -math.inf


def descriptor_verdict(*, n: int, kept: bool, slope: float, raw_r2: float,
                       cv_r2: float) -> str:
    """The verdict on one analyzer descriptor against its reference column.

    Parameters
    ----------
    n : int
        Paired songs with both values.
    kept : bool
        Whether the keep rule (:func:`keeps`) holds for the best correction.
    slope : float
        Slope of the best correction fitted on every pair (1 for an offset).
    raw_r2 : float
        r² of the raw analyzer values used as predictions of the reference.
    cv_r2 : float
        Cross-validated r² of the best correction.

    Returns
    -------
    str
        One of :data:`VERDICTS`.
    """
    if n < MIN_PAIRS:
        return "too few"
    raw, cv = _finite(raw_r2), _finite(cv_r2)
    if slope < 0 and cv >= NO_RELATION_R2:
        return "inverted"
    if max(raw, cv) < NO_RELATION_R2:
        return "no relation"
    if kept:
        return "calibrated" if cv >= WEAK_R2 else "weak"
    return "tracks" if raw >= WEAK_R2 else "weak"


def model_verdict(*, n: int, kept: bool, cv_r2: float) -> str:
    """The verdict on a learned model of a reference column.

    Returns
    -------
    str
        ``too few`` below :data:`MIN_PAIRS` songs; ``no relation`` below
        :data:`NO_RELATION_R2`; for a kept model ``calibrated`` from :data:`WEAK_R2` up,
        else ``weak``; ``""`` for a model that is not kept although it predicts something
        (the column's verdict is then its descriptor's).
    """
    if n < MIN_PAIRS:
        return "too few"
    cv = _finite(cv_r2)
    if cv < NO_RELATION_R2:
        return "no relation"
    if not kept:
        return ""
    return "calibrated" if cv >= WEAK_R2 else "weak"


def key_verdict(*, n: int, kept: bool, weighted: float) -> str:
    """The verdict on key from the cross-validated MIREX weighted score of what is applied
    (``kept`` a key correction or not)."""
    if n < MIN_PAIRS:
        return "too few"
    w = _finite(weighted)
    if w < KEY_NO_RELATION_SCORE:
        return "no relation"
    if w < KEY_WEAK_SCORE:
        return "weak"
    return "calibrated" if kept else "tracks"


def tempo_verdict(*, n: int, kept: bool, acc1: float, acc2: float) -> str:
    """The verdict on tempo from the cross-validated Acc1 and Acc2 (0-1) of what is applied
    (``kept`` an octave rule or a correction or not)."""
    if n < MIN_PAIRS:
        return "too few"
    if _finite(acc2) < TEMPO_NO_RELATION_ACC2:
        return "no relation"
    if _finite(acc1) < TEMPO_WEAK_ACC1:
        return "weak"
    return "calibrated" if kept else "tracks"
