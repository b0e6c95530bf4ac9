"""Prediction intervals for calibrated values, from cross-validated residuals.

Split-conformal style: the residuals of predictions made for songs the model was not
fitted on (the cross-validation's held-out predictions) are the calibration set.  With n
such residuals, the half-width of a :data:`COVERAGE` (90 %) interval is the
``ceil((n + 1) * coverage)``-th smallest absolute residual; when that rank exceeds n the
interval is unbounded.  For songs like those of the reference sheet, about 90 % of
reference values then fall inside ``calibrated value +- half-width``.

Tempo errors are relative (a 2 % error means the same at 80 and at 160 BPM), so tempo
intervals are relative: the residuals are ``log(prediction / reference)`` and the interval
is ``[value * exp(-w), value * exp(w)]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["COVERAGE", "PredictionInterval", "conformal_halfwidth", "interval_from_residuals"]

#: Share of reference values a prediction interval is meant to hold.
COVERAGE = 0.9

_KINDS = ("absolute", "relative")


def conformal_halfwidth(residuals, *, coverage: float = COVERAGE) -> float:
    """Half-width of a split-conformal interval.

    Parameters
    ----------
    residuals : array_like
        Held-out residuals (prediction minus reference); NaN values are ignored.
    coverage : float, optional
        Target share of reference values inside the interval, in (0, 1).

    Returns
    -------
    float
        The ``ceil((n + 1) coverage)``-th smallest absolute residual; ``inf`` when that rank
        is beyond n (too few residuals for the coverage asked), NaN for no residuals.

    Raises
    ------
    ValueError
        When ``coverage`` is not in (0, 1).
    """
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1), got {coverage!r}")
    r = np.abs(np.asarray(residuals, float))
    r = np.sort(r[np.isfinite(r)])
    n = r.size
    if n == 0:
        return math.nan
    rank = math.ceil((n + 1) * coverage)
    return float(r[rank - 1]) if rank <= n else math.inf


@dataclass(frozen=True)
class PredictionInterval:
    """A prediction interval of constant half-width around each calibrated value.

    Attributes
    ----------
    kind : str
        ``"absolute"`` (value +- half-width, in the column's unit) or ``"relative"``
        (value times exp(+-half-width), for tempo).
    halfwidth : float
        Half-width (the column's unit, or log units for ``relative``).
    coverage : float
        Share of reference values the interval is meant to hold.
    n : int
        Held-out residuals it was measured on.
    """

    kind: str = "absolute"
    halfwidth: float = math.nan
    coverage: float = COVERAGE
    n: int = 0

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"interval kind must be one of {_KINDS}, got {self.kind!r}")

    def bounds(self, value, *, low: float | None = None, high: float | None = None):
        """Lower and upper bounds around ``value``, clamped to [low, high].

        Parameters
        ----------
        value : float or array_like
            Calibrated value(s); NaN gives NaN bounds.
        low, high : float, optional
            Range of the column (bounds are clipped to it).

        Returns
        -------
        (float, float) or (ndarray, ndarray)
            NaN bounds when the half-width is unknown or unbounded (too few songs): the
            column's whole range is no interval to write beside a value.
        """
        v = np.asarray(value, float)
        w = self.halfwidth
        if not 0 <= w < math.inf:  # NaN, or too few songs to bound it
            lo = hi = np.full_like(v, np.nan)
        elif self.kind == "relative":
            lo, hi = v * math.exp(-w), v * math.exp(w)
        else:
            lo, hi = v - w, v + w
        if low is not None or high is not None:
            lo = np.clip(lo, -np.inf if low is None else low, np.inf if high is None else high)
            hi = np.clip(hi, -np.inf if low is None else low, np.inf if high is None else high)
        if np.ndim(v) == 0:
            return float(lo), float(hi)
        return lo, hi

    def describe(self, *, places: int = 3) -> str:
        """Short text such as ``"+-0.062 (90 %)"`` or ``"x/÷ 1.03 (90 %)"``."""
        pct = f"{100 * self.coverage:g} %"
        if not self.halfwidth >= 0:
            return "unknown"
        if self.halfwidth == math.inf:
            return "too few songs"  # (for a {pct} interval; the column header says so)
        if self.kind == "relative":
            return f"\u00d7/\u00f7 {math.exp(self.halfwidth):.{places}g} ({pct})"
        return f"\u00b1{self.halfwidth:.{places}g} ({pct})"

    def to_dict(self) -> dict:
        """JSON-ready dict: an unknown half-width is ``None``, an unbounded one ``None``
        with ``"unbounded": true``."""
        w = self.halfwidth
        out = {"kind": self.kind, "halfwidth": w if math.isfinite(w) else None,
               "coverage": self.coverage, "n": self.n}
        if w == math.inf:
            out["unbounded"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PredictionInterval:
        """Inverse of :meth:`to_dict`.

        The half-width is a finite number >= 0, or ``None`` (unknown; unbounded with
        ``"unbounded": true``); ``n`` a whole number >= 0.  A NaN or infinite half-width, a
        ``true`` where a number belongs or a fractional or infinite ``n`` is refused: none
        of them is written by :meth:`to_dict`.

        Raises
        ------
        ValueError, TypeError
            When a field is malformed.
        """
        w = data.get("halfwidth")
        if w is None:
            w = math.inf if data.get("unbounded") else math.nan
        elif isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w):
            raise ValueError(f"interval half-width must be a finite number or null, "
                             f"got {w!r}")
        elif w < 0:
            raise ValueError(f"interval half-width must be >= 0, got {float(w)!r}")
        cov = data.get("coverage", COVERAGE)
        if isinstance(cov, bool) or not isinstance(cov, int | float) or not 0 < cov < 1:
            raise ValueError(f"interval coverage must be in (0, 1), got {cov!r}")
        n = data.get("n", 0)
        if isinstance(n, float) and n.is_integer():
            n = int(n)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"interval n must be a whole number >= 0, got {n!r}")
        return cls(str(data.get("kind", "absolute")), float(w), float(cov), n)


def interval_from_residuals(residuals, *, kind: str = "absolute",
                            coverage: float = COVERAGE) -> PredictionInterval:
    """The :class:`PredictionInterval` of held-out residuals (see
    :func:`conformal_halfwidth`); for ``relative`` pass log ratios."""
    r = np.asarray(residuals, float)
    n = int(np.isfinite(r).sum())
    return PredictionInterval(kind, conformal_halfwidth(r, coverage=coverage), coverage, n)
