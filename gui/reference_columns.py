"""Reference and error cells of the song table, coloured by agreement with the reference.

Once a reference sheet is loaded, the song table shows, per descriptor the sheet holds, the
reference value and the error (analyzer minus reference); for tempo and key an agreement cell
too.  This module turns one results row and its matched :class:`core.calibration.reference.ReferenceRow`
into those cells; the table model only places them.

The agreement cells speak the vocabulary of the paired export
(:mod:`core.calibration.agreement`): tempo ``ok``, ``double``, ``half``, ``triple``,
``third``, ``three-halves``, ``two-thirds`` or ``wrong``; key ``same``, ``fifth``,
``relative``, ``parallel`` or ``other``.  Green means agreement, amber a near miss (an
octave, a fifth, a relative or parallel key), orange a metrical tempo error (x3, x1/3,
x3/2, x2/3), red a miss.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor

from core.calibration.agreement import (
    TEMPO_FACTORS,
    TEMPO_GROUPS,
    TEMPO_TOLERANCE,
    fifths_distance,
    key_relation,
    mirex_score,
    tempo_relation,
)
from core.calibration.cells import result_key, result_number
from core.calibration.reference import REFERENCE_DESCRIPTORS

__all__ = [
    "GROUP_COLORS",
    "AGREEMENT_COLORS",
    "UNITS",
    "ReferenceColumn",
    "Cell",
    "reference_columns",
    "reference_cells",
    "agreement_color",
    "tempo_relation_text",
]

_GREEN, _AMBER, _RED = "#27ae60", "#f2a900", "#d64541"

#: Colour of each tempo display group (:data:`core.calibration.agreement.TEMPO_GROUPS`);
#: the same hues as the song states: green done, amber stalled, red failed.
GROUP_COLORS = {"ok": _GREEN, "octave": _AMBER, "metrical": "#e67e22", "wrong": _RED}

#: Colour of every agreement category: the tempo groups, the tempo relations (by group)
#: and the key relations.
AGREEMENT_COLORS = {
    **GROUP_COLORS,
    **{rel: GROUP_COLORS[group] for rel, group in TEMPO_GROUPS.items()},
    "same": _GREEN,
    "fifth": _AMBER,
    "relative": "#e08e0b",
    "parallel": "#c98a00",
    "other": _RED,
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


_FRACTIONS = {0.5: "\u00bd", 1 / 3: "\u2153", 1.5: "3/2", 2 / 3: "\u2154"}


def _times(factor: float) -> str:
    return "\u00d7" + _FRACTIONS.get(factor, f"{factor:g}")


def tempo_relation_text(relation: str) -> str:
    """What a tempo relation means, e.g. ``"within 4 % of ×2 the reference tempo"``.

    Raises
    ------
    KeyError
        When ``relation`` is not a tempo relation.
    """
    tol = f"{100 * TEMPO_TOLERANCE:g} %"
    if relation == "wrong":
        listed = ", ".join(_times(f) for f in TEMPO_FACTORS.values())
        return f"not within {tol} of {listed} the reference tempo"
    return f"within {tol} of {_times(TEMPO_FACTORS[relation])} the reference tempo"


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
            rel = tempo_relation(x, y)
            tip = ""
            if rel:
                tip = (f"analyzer {x:.1f} BPM / reference {y:.1f} BPM = {x / y:.3f}: "
                       f"{tempo_relation_text(rel)}")
            out[c.name] = Cell(rel or None, rel, rel, agreement_color(rel), tip)
    return out


def _key_cell(c: ReferenceColumn, row: dict, ref) -> Cell:
    rk = ref.key
    if c.kind == "ref":
        if rk is None:
            return Cell(tooltip="the reference row has no key")
        # the flat spelling too: a sheet that writes B\u266d minor is read as A# minor
        return Cell(rk.name, f"{rk.name} ({rk.camelot})",
                    tooltip=f"reference key {rk.both_names}, Camelot {rk.camelot}")
    est = result_key(row)
    if est is None or rk is None:
        return Cell()
    rel = key_relation(est, rk)
    dist = fifths_distance(est.tonic, rk.tonic)
    tip = (f"analyzer {est.both_names} vs reference {rk.both_names}: {rel}, MIREX score "
           f"{mirex_score(est, rk):.1f}, {dist} step{'s' if dist != 1 else ''} apart on the "
           "circle of fifths")
    return Cell(rel, rel, rel, agreement_color(rel), tip)
