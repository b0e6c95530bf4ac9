"""Reference and error cells of the song table, coloured by agreement with the reference.

Once a reference sheet is loaded, the song table shows, per descriptor the sheet holds, the
reference value and the error (analyzer minus reference); for tempo and key an agreement cell
too.  This module turns one results row and its matched :class:`core.calibration.reference.ReferenceRow`
into those cells; the table model only places them.

Agreement categories:

- tempo: ``"ok"`` (within 4 % of the reference), ``"octave"`` (within 4 % of x2 or x1/2),
  ``"other"``;
- key: ``"same"``, ``"fifth"``, ``"relative"``, ``"parallel"``, ``"other"`` (the MIREX
  categories of :func:`core.io.keynotation.key_relation`).

Green means agreement, amber a near miss (octave, fifth, relative, parallel), red a miss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtGui import QColor

from core.calibration.exports import result_key, result_number
from core.calibration.reference import REFERENCE_DESCRIPTORS
from core.io.keynotation import Key, fifths_distance, key_relation, mirex_score

__all__ = [
    "TEMPO_TOLERANCE",
    "AGREEMENT_COLORS",
    "AGREEMENT_LABELS",
    "UNITS",
    "ReferenceColumn",
    "Cell",
    "reference_columns",
    "reference_cells",
    "tempo_agreement",
    "key_agreement",
    "agreement_color",
]

#: Relative tolerance of tempo agreement (Acc1): 4 %.
TEMPO_TOLERANCE = 0.04

#: Colour of each agreement category (the same hues as the song states: green done,
#: amber stalled, red failed).
AGREEMENT_COLORS = {
    "ok": "#27ae60",
    "same": "#27ae60",
    "octave": "#f2a900",
    "fifth": "#f2a900",
    "relative": "#e08e0b",
    "parallel": "#c98a00",
    "other": "#d64541",
}

#: Text shown for each agreement category.
AGREEMENT_LABELS = {
    "ok": "ok",
    "octave": "octave",
    "other": "wrong",
    "same": "same",
    "fifth": "fifth",
    "relative": "relative",
    "parallel": "parallel",
}

#: Unit of each reference descriptor, for headers and axis labels.
UNITS = {
    "bpm": "BPM",
    "energy": "0-1",
    "danceability": "0-1",
    "valence": "0-1",
    "acousticness": "0-1",
    "loudness_lufs": "LUFS",
}

_NAMES = {
    "bpm": "BPM",
    "energy": "Energy",
    "danceability": "Dance",
    "valence": "Valence",
    "acousticness": "Acoustic",
    "loudness_lufs": "Loudness",
}
_DECIMALS = {"bpm": 1, "loudness_lufs": 1}


@dataclass(frozen=True)
class ReferenceColumn:
    """One extra column of the song table.

    Attributes
    ----------
    name : str
        Column id, as in the paired results export: ``"ref_bpm"``, ``"bpm_error"``,
        ``"bpm_agreement"``, ``"ref_key"``, ``"key_relation"``...
    header : str
        Header text with the unit, e.g. ``"Ref BPM"``, ``"Loudness err (LUFS)"``.
    descriptor : str
        ``"bpm"``, ``"key"``, ``"energy"``...
    kind : str
        ``"ref"``, ``"error"`` or ``"agreement"``.
    """

    name: str
    header: str
    descriptor: str
    kind: str


@dataclass(frozen=True)
class Cell:
    """What the table shows in one reference column of one song.

    Attributes
    ----------
    value : float, str or None
        Raw value (for sorting and copying); ``None`` when empty.
    text : str
        Display text.
    category : str
        Agreement category (empty when the cell carries none).
    color : QColor or None
        Background colour (translucent) for the category, ``None`` when none.
    tooltip : str
        Longer explanation (empty when none).
    """

    value: object = None
    text: str = ""
    category: str = ""
    color: QColor | None = None
    tooltip: str = ""


def agreement_color(category: str, *, alpha: int = 80) -> QColor | None:
    """Background colour of an agreement category (``None`` for an empty category).

    Parameters
    ----------
    category : str
        A key of :data:`AGREEMENT_COLORS`, or ``""``.
    alpha : int, optional
        Opacity 0-255 (translucent by default so the text stays readable).

    Raises
    ------
    ValueError
        When ``category`` is not known or ``alpha`` is out of range.
    """
    if not 0 <= alpha <= 255:
        raise ValueError(f"alpha must be 0-255, got {alpha!r}")
    if not category:
        return None
    if category not in AGREEMENT_COLORS:
        raise ValueError(f"unknown agreement category {category!r}; expected one of "
                         f"{sorted(AGREEMENT_COLORS)}")
    c = QColor(AGREEMENT_COLORS[category])
    c.setAlpha(alpha)
    return c


def tempo_agreement(est: float | None, ref: float | None) -> tuple[str, str]:
    """Agreement of an analyzer tempo with the reference.

    Parameters
    ----------
    est, ref : float or None
        Analyzer and reference tempo (BPM).

    Returns
    -------
    (str, str)
        Category (``"ok"``, ``"octave"``, ``"other"``; ``""`` when either is missing or not
        positive) and a short label (``"ok"``, ``"x2"``, ``"x1/2"``, ``"x1.07"``...).
    """
    if est is None or ref is None or not (est > 0 and ref > 0):
        return "", ""
    if not (math.isfinite(est) and math.isfinite(ref)):
        return "", ""
    ratio = est / ref
    if abs(ratio - 1.0) <= TEMPO_TOLERANCE:
        return "ok", "ok"
    if abs(ratio - 2.0) <= TEMPO_TOLERANCE * 2.0:
        return "octave", "x2"
    if abs(ratio - 0.5) <= TEMPO_TOLERANCE * 0.5:
        return "octave", "x1/2"
    return "other", f"x{ratio:.2f}"


def key_agreement(est: Key | None, ref: Key | None) -> str:
    """Relation of an analyzer key to the reference: ``"same"``, ``"fifth"``,
    ``"relative"``, ``"parallel"``, ``"other"``, or ``""`` when either is missing."""
    if est is None or ref is None:
        return ""
    return key_relation(est, ref)


def reference_columns(descriptors) -> list[ReferenceColumn]:
    """The extra columns for a sheet holding ``descriptors``.

    Parameters
    ----------
    descriptors : iterable of str
        What the sheet holds (:attr:`core.calibration.reference.ReferenceSheet.descriptors`):
        names of :data:`core.calibration.reference.REFERENCE_DESCRIPTORS` and ``"key"``.

    Returns
    -------
    list of ReferenceColumn
        For each numeric descriptor the reference and the error; for tempo also the
        agreement; for key the reference key and the relation.

    Raises
    ------
    ValueError
        When a descriptor is not one a reference sheet can hold.
    """
    wanted = list(descriptors)
    for d in wanted:
        if d not in REFERENCE_DESCRIPTORS and d != "key":
            raise ValueError(f"unknown reference descriptor {d!r}; expected one of "
                             f"{list(REFERENCE_DESCRIPTORS) + ['key']}")
    cols = []
    for d in REFERENCE_DESCRIPTORS:
        if d not in wanted:
            continue
        unit = UNITS[d]
        if d == "bpm":
            cols += [ReferenceColumn("ref_bpm", "Ref BPM", d, "ref"),
                     ReferenceColumn("bpm_error", "BPM err", d, "error"),
                     ReferenceColumn("bpm_agreement", "Tempo vs ref", d, "agreement")]
        else:
            name = _NAMES[d]
            suffix = f" ({unit})" if unit != "0-1" else ""
            cols += [ReferenceColumn(f"ref_{d}", f"Ref {name.lower()}{suffix}", d, "ref"),
                     ReferenceColumn(f"{d}_error", f"{name} err{suffix}", d, "error")]
    if "key" in wanted:
        cols += [ReferenceColumn("ref_key", "Ref key", "key", "ref"),
                 ReferenceColumn("key_relation", "Key vs ref", "key", "agreement")]
    return cols


def _fmt(d: str, v: float | None, *, signed: bool = False) -> str:
    if v is None:
        return ""
    places = _DECIMALS.get(d, 2)
    v = round(v, places) + 0.0  # no "-0.0" for an error that rounds to zero
    return f"{v:+.{places}f}" if signed else f"{v:.{places}f}"


def reference_cells(row: dict | None, ref, columns) -> dict[str, Cell]:
    """The cells of one song in the reference columns.

    Parameters
    ----------
    row : dict or None
        The song's results row (:data:`core.io.results.RESULT_COLUMNS`; a
        ``SongResult.to_row()``); ``None`` before the song is analyzed.
    ref : core.calibration.reference.ReferenceRow or None
        The matched reference row; ``None`` when the song has no match (every cell empty).
    columns : sequence of ReferenceColumn
        From :func:`reference_columns`.

    Returns
    -------
    dict of str to Cell
        Column name to cell; every column of ``columns`` is present.
    """
    out: dict[str, Cell] = {}
    if ref is None:
        return {c.name: Cell(tooltip="no reference row matched") for c in columns}
    row = row or {}
    for c in columns:
        d = c.descriptor
        if d == "key":
            out[c.name] = _key_cell(c, row, ref)
            continue
        y = ref.values.get(d)
        x = result_number(row, d)
        if c.kind == "ref":
            out[c.name] = Cell(y, _fmt(d, y), tooltip=f"reference row {ref.row}: "
                               f"{ref.title}" + (f" - {ref.artist}" if ref.artist else ""))
        elif c.kind == "error":
            err = None if x is None or y is None else x - y
            tip = "" if err is None else f"analyzer {_fmt(d, x)} - reference {_fmt(d, y)}"
            if d == "bpm" and err is not None and y:
                tip += f" ({100 * err / y:+.1f} %)"
            out[c.name] = Cell(err, _fmt(d, err, signed=True), tooltip=tip)
        else:  # tempo agreement
            cat, label = tempo_agreement(x, y)
            tip = ""
            if cat:
                tip = (f"analyzer {x:.1f} BPM / reference {y:.1f} BPM = {x / y:.3f}; "
                       f"within 4 % counts as ok, of x2 or x1/2 as an octave error")
            out[c.name] = Cell(label or None, label, cat, agreement_color(cat), tip)
    return out


def _key_cell(c: ReferenceColumn, row: dict, ref) -> Cell:
    rk = ref.key
    if c.kind == "ref":
        if rk is None:
            return Cell(tooltip="the reference row has no key")
        return Cell(rk.name, f"{rk.name} ({rk.camelot})")
    est = result_key(row)
    rel = key_agreement(est, rk)
    if not rel:
        return Cell()
    dist = fifths_distance(est.tonic, rk.tonic)
    tip = (f"analyzer {est.name} vs reference {rk.name}: {rel}, MIREX score "
           f"{mirex_score(est, rk):.1f}, {dist} step{'s' if dist != 1 else ''} apart on the "
           "circle of fifths")
    return Cell(rel, AGREEMENT_LABELS[rel], rel, agreement_color(rel), tip)
