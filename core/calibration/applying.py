"""Apply a calibration profile to results: calibrated values and 90 % intervals for every
song, paired with the reference or not.

For each numeric column of the profile (:attr:`CalibrationProfile.columns`) three columns
are added: ``<column>_calibrated`` and the bounds of its 90 % prediction interval,
``<column>_calibrated_low`` and ``<column>_calibrated_high``
(:mod:`core.calibration.intervals`).  The value comes from the column's learned model when
one is kept (it reads all of the song's values), else from the descriptor's correction
(tempo: the octave rule, then the correction), else it is the analyzer's own value.  For
key, ``key_calibrated`` and ``key_camelot_calibrated``.

A song that was not analyzed (failed, timed out, cancelled, still queued) gets empty
calibrated cells, as does a value the analyzer could not measure when no learned model
stands in for it.
"""

from __future__ import annotations

import math

import numpy as np

from core.calibration.cells import result_key, result_number
from core.calibration.descriptor_fit import DESCRIPTOR_RANGES
from core.calibration.inputs import ALL_INPUTS, analyzed, input_matrix
from core.calibration.profile import CalibrationProfile

__all__ = ["CALIBRATED_SUFFIXES", "calibrated_columns", "calibrated_values", "apply_profile"]

#: Suffixes of the columns added per numeric column: the value and the interval's bounds.
CALIBRATED_SUFFIXES = ("_calibrated", "_calibrated_low", "_calibrated_high")


def calibrated_columns(profile: CalibrationProfile) -> list[str]:
    """Columns :func:`apply_profile` adds, in order."""
    cols = []
    for c in profile.columns:
        cols += [c + s for s in CALIBRATED_SUFFIXES]
    if profile.key is not None:
        cols += ["key_calibrated", "key_camelot_calibrated"]
    return cols


def _range(profile: CalibrationProfile, column: str):
    model = profile.learned.get(column)
    if model is not None:
        return model.low, model.high
    if column == "bpm":
        return None, None
    return DESCRIPTOR_RANGES.get(column, (None, None))


def calibrated_values(profile: CalibrationProfile, rows, *, inputs=None) -> dict[str, tuple]:
    """Calibrated values and interval bounds of every numeric column for ``rows``.

    Parameters
    ----------
    profile : CalibrationProfile
    rows : sequence of dict
        Results rows (CSV text or typed values).
    inputs : ndarray, optional
        ``input_matrix(rows)`` (every input of :data:`core.calibration.inputs.ALL_INPUTS`)
        when the caller has it already.

    Returns
    -------
    dict of str to (ndarray, ndarray, ndarray)
        Column -> (values, lower bounds, upper bounds), NaN where there is no value.
    """
    rows = list(rows)
    done = np.array([analyzed(r) for r in rows], bool)
    if inputs is None and profile.learned:
        inputs = input_matrix(rows)
    out = {}
    for c in profile.columns:
        model = profile.learned.get(c)
        if model is not None:
            X = inputs[:, [ALL_INPUTS.index(name) for name in model.inputs]]
            usable = done & ~np.all(np.isnan(X), axis=1)
            value = np.full(len(rows), np.nan)
            if usable.any():
                value[usable] = model.predict(X[usable])
        else:
            raw = np.array([np.nan if (v := result_number(r, c)) is None else v
                            for r in rows], float)
            value = np.asarray(profile.apply_values(c, raw), float)
            value = np.where(done, value, np.nan)
        interval = profile.intervals.get(c)
        if interval is None:
            low = high = np.full(len(rows), np.nan)
        else:
            lo, hi = _range(profile, c)
            low, high = interval.bounds(value, low=lo, high=hi)
        out[c] = (value, np.asarray(low, float), np.asarray(high, float))
    return out


def _cell(v) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def apply_profile(profile: CalibrationProfile, rows, *, inputs=None) -> list[dict]:
    """Add calibrated columns (:func:`calibrated_columns`) to result rows.

    Parameters
    ----------
    profile : CalibrationProfile
    rows : iterable of dict
        Results rows (as read from a results CSV, or ``SongResult.to_row()``).
    inputs : ndarray, optional
        As in :func:`calibrated_values`.

    Returns
    -------
    list of dict
        New rows; a calibrated cell is ``None`` where there is no value.
    """
    rows = list(rows)
    values = calibrated_values(profile, rows, inputs=inputs)
    out = []
    for i, row in enumerate(rows):
        new = dict(row)
        for c, arrays in values.items():
            for suffix, arr in zip(CALIBRATED_SUFFIXES, arrays, strict=True):
                new[c + suffix] = _cell(arr[i])
        if profile.key is not None:
            fixed = profile.key.apply(result_key(row)) if analyzed(row) else None
            new["key_calibrated"] = fixed.name if fixed else None
            new["key_camelot_calibrated"] = fixed.camelot if fixed else None
        out.append(new)
    return out
