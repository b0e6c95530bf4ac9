"""Cells of a results row as the calibration reads them: numbers, keys, typed rows.

A results row comes from a results CSV (text cells, formula-like text neutralized) or from
``SongResult.to_row()`` (typed values); these helpers read both alike.  A number outside
any value the analyzer can give (:data:`RESULT_RANGES`: a tempo of -120 or 1e308 in a file
edited by hand or written by another program) is read as no value, so that it takes no part
in a fit or a correction, as is a cell reading as NaN or an infinity; :func:`implausible_cells`
lists them all for a warning.
"""

from __future__ import annotations

import math

from core.io.csvio import cell_number, unneutralize
from core.io.csvio import typed_row as _typed_row
from core.io.keynotation import Key, parse_key
from core.io.results import TEXT_COLUMNS

__all__ = ["typed_row", "result_number", "result_key", "RESULT_RANGES", "implausible_cells"]

#: Values (inclusive) a numeric results column can hold; wider than anything the analyzer
#: writes (a float file may peak far above full scale), so only damage falls outside.
RESULT_RANGES = {
    "bpm": (1.0, 1000.0),
    "bpm_user": (1.0, 1000.0),
    "bpm_confidence": (0.0, 1.0),
    "key_confidence": (0.0, 1.0),
    "loudness_lufs": (-300.0, 200.0),
    "loudness_range_lu": (0.0, 300.0),
    "peak_dbfs": (-1000.0, 200.0),
    "energy": (0.0, 1.0),
    "danceability": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "dynamic_range_db": (0.0, 1000.0),
    "brightness_hz": (0.0, 1e6),
    "silence_ratio": (0.0, 1.0),
    "duration_s": (0.0, 1e7),
    "time_signature": (1.0, 64.0),
}


def typed_row(row: dict) -> dict:
    """A results row read from CSV with numbers as numbers and neutralized text restored."""
    return _typed_row(row, text_columns=TEXT_COLUMNS)


def result_number(row: dict, name: str) -> float | None:
    """A numeric cell of a results row as float (``None`` when empty, unreadable or outside
    :data:`RESULT_RANGES`)."""
    v = cell_number(row.get(name))
    lo, hi = RESULT_RANGES.get(name, (-math.inf, math.inf))
    return v if v is None or lo <= v <= hi else None


def implausible_cells(rows) -> list[str]:
    """The numeric cells of results ``rows`` that :func:`result_number` leaves out for being
    outside :data:`RESULT_RANGES`, each as ``"row 3 (Song title): bpm 1e+308"`` (rows
    counted from 1 under the header)."""
    out = []
    for i, row in enumerate(rows, start=1):
        for name in RESULT_RANGES:
            v = cell_number(row.get(name))
            if v is None:
                v = _non_finite(row.get(name))
            if v is not None and result_number(row, name) is None:
                label = unneutralize(str(row.get("title") or row.get("path") or ""))
                if len(label) > 60:  # cut to 60 characters, the cut marked
                    label = label[:59].rstrip() + "\u2026"
                out.append(f"row {i}{f' ({label})' if label else ''}: {name} {v:g}")
    return out


def _non_finite(value) -> float | None:
    """A cell that reads as NaN or an infinity (``nan``, ``inf``, or a number past the
    largest float, such as 1 followed by 400 zeros), else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value) if isinstance(value, (int, float)) else float(
            unneutralize(value).strip())
    except (ValueError, OverflowError):
        return None
    return None if math.isfinite(f) else f


def result_key(row: dict, *, column: str = "key") -> Key | None:
    """The key of a results row, the analyzer's (``column`` ``"key"``) or the user's
    (``"key_user"``); ``None`` when empty or unreadable."""
    v = row.get(column)
    return parse_key(unneutralize(v)) if v not in (None, "") else None
