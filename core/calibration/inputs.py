"""The per-song values a learned calibration model reads: SongCal's descriptors and its
song-level summaries, as one numeric matrix.

:data:`INPUT_COLUMNS` lists the results columns used (each in its own unit); ``mode_major``
is derived from the key (1 major, 0 minor).  A missing value is NaN: the models handle it
(:mod:`core.calibration.learned_model`).  Columns with no value at all, or one value for
every song, carry nothing and are left out of a fit (:func:`usable_inputs`).

Two song-level summaries a model could use are not in the results yet:
:data:`NOT_IN_RESULTS` names them.
"""

from __future__ import annotations

import numpy as np

from core.calibration.cells import result_key, result_number

__all__ = ["INPUT_COLUMNS", "DERIVED_INPUTS", "ALL_INPUTS", "NOT_IN_RESULTS", "input_matrix",
           "usable_inputs", "analyzed"]

#: Results columns a learned model reads, each in its own unit.
INPUT_COLUMNS = (
    "bpm",
    "bpm_confidence",
    "key_confidence",
    "loudness_lufs",
    "loudness_range_lu",
    "peak_dbfs",
    "energy",
    "danceability",
    "valence",
    "acousticness",
    "dynamic_range_db",
    "brightness_hz",
    "silence_ratio",
    "duration_s",
    "time_signature",
)

#: Inputs derived from other cells: ``mode_major`` is 1 for a major key, 0 for minor.
DERIVED_INPUTS = ("mode_major",)

#: Every input, in matrix column order.
ALL_INPUTS = INPUT_COLUMNS + DERIVED_INPUTS

#: Song-level summaries a model would use that the results do not hold yet.
NOT_IN_RESULTS = ("onset rate", "spectral flatness")


def _value(row: dict, name: str) -> float:
    if name == "mode_major":
        key = result_key(row)
        return np.nan if key is None else float(key.mode == "major")
    v = result_number(row, name)
    return np.nan if v is None else v


def input_matrix(rows, inputs=ALL_INPUTS) -> np.ndarray:
    """The inputs of every row as a float matrix (NaN where missing).

    Parameters
    ----------
    rows : sequence of dict
        Results rows (CSV text or typed values).
    inputs : sequence of str, optional
        Names from :data:`ALL_INPUTS` (a name the rows do not hold gives a NaN column).

    Returns
    -------
    ndarray, shape (len(rows), len(inputs))
    """
    out = np.full((len(rows), len(inputs)), np.nan)
    for i, row in enumerate(rows):
        for j, name in enumerate(inputs):
            out[i, j] = _value(row, name)
    return out


def usable_inputs(X: np.ndarray) -> list[int]:
    """Columns of ``X`` that vary across rows (at least two distinct finite values)."""
    keep = []
    for j in range(X.shape[1]):
        col = X[:, j]
        col = col[np.isfinite(col)]
        if col.size and np.ptp(col) > 0:
            keep.append(j)
    return keep


def analyzed(row: dict) -> bool:
    """True when a results row holds an analysis (status done, or no status given)."""
    status = row.get("status")
    return status in (None, "", "done")
