"""The rules of agreement between an analyzer value and a reference value.

One home for every rule that says whether a tempo or a key agrees with the reference, and
for the names of the ways they disagree; the exports, the window's table and plots, the
calibration fits and the benchmarks all import them from here.

Tempo
    Two tempi agree when the analyzer's lies within :data:`TEMPO_TOLERANCE` (4 %) of the
    reference, or of a simple multiple of it.  :func:`tempo_relation` names the multiple:
    ``ok`` (x1), ``double`` (x2), ``half`` (x1/2), ``triple`` (x3), ``third`` (x1/3),
    ``three-halves`` (x3/2), ``two-thirds`` (x2/3), else ``wrong``.  For display the
    relations fall into four groups (:func:`tempo_group`): ``ok``, ``octave`` (double,
    half), ``metrical`` (triple, third, three-halves, two-thirds) and ``wrong``.
    Acc1 (:func:`acc1`) is the share of songs ``ok``; Acc2 (:func:`acc2`) also counts
    double, half, triple and third (the field's standard measures).

Key
    :func:`key_relation` names how an estimated key relates to the reference, in the
    MIREX categories ``same``, ``fifth``, ``relative``, ``parallel`` and ``other``;
    :func:`mirex_score` weighs them 1, 0.5, 0.3, 0.2 and 0.  A fifth counts in both
    directions (``mir_eval``'s ``allow_descending_fifths=True``).
    :func:`fifths_distance` counts the steps between two tonics around the circle of
    fifths.
"""

from __future__ import annotations

import math

import numpy as np

from core.io.keynotation import Key

__all__ = [
    "TEMPO_TOLERANCE",
    "TEMPO_FACTORS",
    "TEMPO_RELATIONS",
    "TEMPO_GROUPS",
    "ACC2_RELATIONS",
    "tempo_within",
    "tempo_relation",
    "tempo_group",
    "tempo_hits",
    "acc1",
    "acc2",
    "KEY_RELATIONS",
    "MIREX_WEIGHTS",
    "fifths_distance",
    "key_relation",
    "mirex_score",
    "key_scores",
]

#: Relative tolerance of tempo agreement (Acc1, Acc2 and every relation): 4 %.
TEMPO_TOLERANCE = 0.04

#: Tempo relations other than ``wrong``, in the order they are tried, with the factor
#: (analyzer / reference) each stands for.  No two overlap at the 4 % tolerance.
TEMPO_FACTORS = {
    "ok": 1.0,
    "double": 2.0,
    "half": 0.5,
    "triple": 3.0,
    "third": 1.0 / 3.0,
    "three-halves": 1.5,
    "two-thirds": 2.0 / 3.0,
}

#: Every tempo relation name, ``wrong`` last.
TEMPO_RELATIONS = (*TEMPO_FACTORS, "wrong")

#: Display group of each tempo relation.
TEMPO_GROUPS = {
    "ok": "ok",
    "double": "octave",
    "half": "octave",
    "triple": "metrical",
    "third": "metrical",
    "three-halves": "metrical",
    "two-thirds": "metrical",
    "wrong": "wrong",
}

#: Relations Acc2 counts as agreeing.
ACC2_RELATIONS = ("ok", "double", "half", "triple", "third")

#: Key relations (the MIREX categories), best first.
KEY_RELATIONS = ("same", "fifth", "relative", "parallel", "other")

#: MIREX weight of each key relation.
MIREX_WEIGHTS = {"same": 1.0, "fifth": 0.5, "relative": 0.3, "parallel": 0.2, "other": 0.0}


# ---------------------------------------------------------------------------- tempo

def tempo_within(est, ref, *, factor: float = 1.0, tolerance: float = TEMPO_TOLERANCE):
    """Whether ``est`` lies within ``tolerance`` of ``factor`` times ``ref``.

    The one comparison behind every tempo rule: ``|est - f ref| <= tolerance f ref``.

    Parameters
    ----------
    est, ref : float or array_like
        Analyzer and reference tempi (BPM); arrays broadcast.
    factor : float, optional
        The multiple of the reference compared with (1 for Acc1).
    tolerance : float, optional
        Relative tolerance (default :data:`TEMPO_TOLERANCE`).

    Returns
    -------
    bool or ndarray of bool
        False wherever a value is NaN.
    """
    target = factor * np.asarray(ref, float)
    out = np.abs(np.asarray(est, float) - target) <= tolerance * target
    return bool(out) if np.ndim(out) == 0 else out


def tempo_relation(est: float | None, ref: float | None, *,
                   tolerance: float = TEMPO_TOLERANCE) -> str:
    """How an analyzer tempo relates to the reference tempo.

    Parameters
    ----------
    est, ref : float or None
        Analyzer and reference tempo (BPM).
    tolerance : float, optional
        Relative tolerance (default :data:`TEMPO_TOLERANCE`).

    Returns
    -------
    str
        A name of :data:`TEMPO_RELATIONS`, or ``""`` when either tempo is missing, not
        finite or not positive.
    """
    if est is None or ref is None:
        return ""
    est, ref = float(est), float(ref)
    if not (math.isfinite(est) and math.isfinite(ref) and est > 0 and ref > 0):
        return ""
    for name, factor in TEMPO_FACTORS.items():
        if tempo_within(est, ref, factor=factor, tolerance=tolerance):
            return name
    return "wrong"


def tempo_group(relation: str) -> str:
    """Display group of a tempo relation: ``ok``, ``octave``, ``metrical`` or ``wrong``
    (``""`` for ``""``).

    Raises
    ------
    ValueError
        When ``relation`` is not a tempo relation.
    """
    if not relation:
        return ""
    try:
        return TEMPO_GROUPS[relation]
    except KeyError:
        raise ValueError(f"unknown tempo relation {relation!r}; expected one of "
                         f"{list(TEMPO_RELATIONS)}") from None


def tempo_hits(est: float | None, ref: float) -> tuple[bool, bool]:
    """(Acc1, Acc2) hits of one song: ``ok``, and one of :data:`ACC2_RELATIONS`.

    Parameters
    ----------
    est : float or None
        Analyzer tempo (BPM); ``None`` misses both.
    ref : float
        Reference tempo (BPM).
    """
    rel = tempo_relation(est, ref)
    return rel == "ok", rel in ACC2_RELATIONS


def _share_agreeing(est, ref, relations, tolerance) -> float:
    est, ref = np.asarray(est, float), np.asarray(ref, float)
    if not est.size:
        return math.nan
    ok = np.zeros(np.broadcast_shapes(est.shape, ref.shape), bool)
    for name in relations:
        ok |= tempo_within(est, ref, factor=TEMPO_FACTORS[name], tolerance=tolerance)
    return float(np.mean(ok))


def acc1(est, ref, *, tolerance: float = TEMPO_TOLERANCE) -> float:
    """Tempo Acc1: the share of songs within ``tolerance`` of the reference tempo.

    Parameters
    ----------
    est, ref : array_like
        Analyzer and reference tempi (BPM) of the same songs.
    tolerance : float, optional
        Relative tolerance (default :data:`TEMPO_TOLERANCE`).

    Returns
    -------
    float
        0-1; NaN for no songs.
    """
    return _share_agreeing(est, ref, ("ok",), tolerance)


def acc2(est, ref, *, tolerance: float = TEMPO_TOLERANCE) -> float:
    """Tempo Acc2: like :func:`acc1`, also accepting x2, x1/2, x3 and x1/3 the reference
    (:data:`ACC2_RELATIONS`)."""
    return _share_agreeing(est, ref, ACC2_RELATIONS, tolerance)


# ---------------------------------------------------------------------------- key

def fifths_distance(a: int, b: int) -> int:
    """Steps (0-6) between pitch classes ``a`` and ``b`` around the circle of fifths."""
    d = ((b - a) * 7) % 12
    return min(d, 12 - d)


def key_relation(estimate: Key, reference: Key) -> str:
    """How an estimated key relates to the reference key.

    Returns
    -------
    str
        One of :data:`KEY_RELATIONS`: ``same``; ``fifth`` (same mode, tonic a fifth up or
        down); ``relative`` (C major vs A minor); ``parallel`` (same tonic, other mode);
        else ``other``.
    """
    if estimate == reference:
        return "same"
    if estimate.mode == reference.mode:
        if (estimate.tonic - reference.tonic) % 12 in (5, 7):
            return "fifth"
        return "other"
    if estimate == reference.relative():
        return "relative"
    if estimate.tonic == reference.tonic:
        return "parallel"
    return "other"


def mirex_score(estimate: Key, reference: Key) -> float:
    """MIREX weighted key score of one song (:data:`MIREX_WEIGHTS`)."""
    return MIREX_WEIGHTS[key_relation(estimate, reference)]


def key_scores(est, ref) -> tuple[float, float]:
    """Accuracy (share of exact keys) and mean MIREX score of paired keys.

    Parameters
    ----------
    est, ref : sequence of Key
        Estimated and reference keys of the same songs.

    Returns
    -------
    (float, float)
        Both 0-1; NaN for no songs.

    Raises
    ------
    ValueError
        When the sequences differ in length.
    """
    est, ref = list(est), list(ref)
    if len(est) != len(ref):
        raise ValueError(f"need one reference key per estimate, got {len(est)} and "
                         f"{len(ref)}")
    if not est:
        return math.nan, math.nan
    exact = sum(e == r for e, r in zip(est, ref, strict=True)) / len(est)
    weighted = sum(mirex_score(e, r) for e, r in zip(est, ref, strict=True)) / len(est)
    return exact, weighted
