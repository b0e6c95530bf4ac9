"""Mixed In Key exports: how a reference sheet is known to be one.

Mixed In Key writes a song's energy as a whole-number level 1-10 (:data:`ENERGY_SCALE`)
where streaming-metrics sheets write 0-1 or percentages, so a sheet known to be its export
has its energy column read on that scale (:mod:`core.calibration.reference`).  A sheet is
known

- by its headers: one that only Mixed In Key's CSV export writes (``Key result``,
  ``Collection name``: :data:`HEADERS`); or
- by its shape, whatever its headers say (:func:`recognize`): a file-name column; no other
  columns than a Mixed In Key export holds (:data:`ROLES`, and columns of text such as a
  collection's name); at least :data:`CAMELOT_SHARE` of its keys in Camelot notation
  (``8A``, ``11B``); and at least :data:`LEVEL_SHARE` of its energies whole numbers 1-10,
  at least :data:`MIN_LEVELS` of them and not all 1 (an export with a cell of ``11`` or
  ``10.5`` is still one, that cell out of its range).  Rows that repeat the header or sum up
  the songs above are not counted (the caller leaves them out before).

A whole-number column 1-10 could also hold low percentages, so a sheet known by its shape
alone says so in its warnings (:meth:`Recognition.warning`), naming what it was known by.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.io.keynotation import from_camelot

__all__ = ["ENERGY_SCALE", "HEADERS", "ROLES", "CAMELOT_SHARE", "LEVEL_SHARE",
           "MIN_LEVELS", "Recognition",
           "is_level", "levels_1_to_10", "may_be_export", "recognize"]

#: Mixed In Key's energy level: (lowest, highest, name of the scale).
ENERGY_SCALE = (1.0, 10.0, "Mixed In Key 1\u201310")

#: Headers only Mixed In Key's CSV export writes, as
#: :func:`core.calibration.reference.normalize_header` spells them.
HEADERS = frozenset({"key result", "collection name"})

#: Roles of the columns a Mixed In Key export holds (see
#: :mod:`core.calibration.reference`): a sheet with any other (danceability, loudness, a
#: mode, an extra numeric column) is not known by its shape.
ROLES = frozenset({"file", "title", "artist", "key", "camelot", "bpm", "energy"})

#: Share of the key cells that must be Camelot codes for a sheet to be known by its shape.
CAMELOT_SHARE = 0.8

#: Share of the energy values that must be levels (whole numbers 1-10) for a sheet to be
#: known by its shape; the others are cells out of the export's range.
LEVEL_SHARE = 0.8

#: Fewest energy values a sheet is known by its shape from.
MIN_LEVELS = 3


@dataclass(frozen=True)
class Recognition:
    """Why a sheet is taken for a Mixed In Key export.

    Attributes
    ----------
    by : str
        ``"headers"`` or ``"shape"``.
    camelot, keys : int
        Key cells in Camelot notation, and key cells in all (0 when known by headers).
    levels, energies : int
        Energy values that are whole numbers 1-10, and energy values in all (0 when known by
        headers).
    """

    by: str
    camelot: int = 0
    keys: int = 0
    levels: int = 0
    energies: int = 0

    def warning(self, energy_header: str) -> str:
        """What the sheet's warnings say of it (empty when known by its headers, which
        leave no doubt)."""
        if self.by != "shape":
            return ""
        levels = (f"{self.levels} energies all" if self.levels == self.energies
                  else f"{self.levels} of {self.energies} energies")
        return (f"read as a Mixed In Key export by its shape (a file-name column, "
                f"{self.camelot} of {self.keys} keys in Camelot notation, {levels} "
                f"whole numbers 1-10), though no header says so: column "
                f"{energy_header!r} is read as its energy level 1-10 (if it holds "
                "percentages instead, write them with decimals or on 0-1)")


def is_level(value: float) -> bool:
    """Whether ``value`` is an energy level: a whole number 1-10."""
    return value == int(value) and 1 <= value <= 10


def levels_1_to_10(values) -> bool:
    """Whether ``values`` read as energy levels 1-10: whole numbers 1-10, at least
    :data:`MIN_LEVELS` of them, not all 1 (in a 0-1 descriptor's column of another sheet,
    a level or low percentages, which cannot be told apart)."""
    return (len(values) >= MIN_LEVELS and max(values) > 1
            and all(is_level(v) for v in values))


def may_be_export(headers, roles, extra=()) -> bool:
    """Whether a sheet's header (see :func:`recognize`) lets it be a Mixed In Key export:
    a header only it writes, or the columns of its shape.  A sheet that may not be one is
    not read further for it (a large sheet's cells are not gone through twice)."""
    roles = set(roles)
    return "energy" in roles and (any(h in HEADERS for h in headers) or (
        "file" in roles and roles <= ROLES and not extra))


def recognize(headers, roles, *, keys, energies, extra=()) -> Recognition | None:
    """Whether a reference sheet is a Mixed In Key export, and how it was known.

    Parameters
    ----------
    headers : sequence of str
        The sheet's header cells, normalized
        (:func:`core.calibration.reference.normalize_header`).
    roles : collection of str
        Roles the header gives columns (``"file"``, ``"energy"``...).
    keys : sequence of str
        The key column's cells that are not empty (the Camelot column's when the sheet has
        no key column).
    energies : sequence of float
        The energy column's cells that are numbers, as written (those of the rows that
        repeat the header or sum up the songs above left out).
    extra : collection of str, optional
        The sheet's extra numeric columns.

    Returns
    -------
    Recognition or None
        None when the sheet has no energy column (there is nothing to read on Mixed In
        Key's scale) or is not known as an export.
    """
    if not may_be_export(headers, roles, extra):
        return None
    if any(h in HEADERS for h in headers):
        return Recognition("headers")
    if not keys:
        return None
    camelot = sum(from_camelot(k) is not None for k in keys)
    energies = [float(v) for v in energies]
    levels = [v for v in energies if is_level(v)]
    if (camelot < CAMELOT_SHARE * len(keys) or len(levels) < LEVEL_SHARE * len(energies)
            or not levels_1_to_10(levels)):
        return None
    return Recognition("shape", camelot=camelot, keys=len(keys), levels=len(levels),
                       energies=len(energies))
