"""Cells of a results row as the calibration reads them: numbers, keys, typed rows.

A results row comes from a results CSV (text cells, formula-like text neutralized) or from
``SongResult.to_row()`` (typed values); these helpers read both alike.
"""

from __future__ import annotations

from core.io.csvio import cell_number, unneutralize
from core.io.csvio import typed_row as _typed_row
from core.io.keynotation import Key, parse_key
from core.io.results import TEXT_COLUMNS

__all__ = ["typed_row", "result_number", "result_key"]


def typed_row(row: dict) -> dict:
    """A results row read from CSV with numbers as numbers and neutralized text restored."""
    return _typed_row(row, text_columns=TEXT_COLUMNS)


def result_number(row: dict, name: str) -> float | None:
    """A numeric cell of a results row as float (``None`` when empty or unreadable)."""
    return cell_number(row.get(name))


def result_key(row: dict) -> Key | None:
    """The key of a results row (``None`` when empty or unreadable)."""
    v = row.get("key")
    return parse_key(unneutralize(v)) if v not in (None, "") else None
