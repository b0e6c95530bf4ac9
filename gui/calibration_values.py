"""The calibrated values of every song, paired with the reference or not.

:class:`CalibratedValuesModel` shows, per song, its title and artist, whether it is paired
with a reference row, and per calibrated column the calibrated value; the tooltip of a
value gives its 90 % prediction interval and the analyzer's own value.  A key is spelled as
Settings > Key names asks (:meth:`CalibratedValuesModel.set_flat_keys`, as in the song
table); its tooltip gives both spellings, ``"A# minor (B\u266d minor)"``, and Ctrl+C in
:class:`CalibratedValuesTable` copies it as the calibrated export writes it (sharps).  A value computed
from a value outside the range the profile was fitted on (the rows' ``outside_fit`` cell,
:func:`core.calibration.applying.outside_fit`) is drawn in amber and its tooltip names the
value and the range.  The rows come from
:meth:`core.calibration.session.CalibrationSession.calibrated_rows` (the applied profile,
else the current fit).  A calibrated tempo or key is the analyzer's, corrected, even for a
song whose tempo or key the user set by hand (:mod:`core.calibration.applying`): the
tooltip of the cell then names the user's value too, with the song table's pencil, and the
analyzer's value the calibrated one came from.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QTableView

from core.calibration.applying import OUTSIDE_FIT, calibrated_columns
from core.calibration.cells import result_key, result_number
from core.io.keynotation import with_flats
from gui.calibration_summary import column_title, format_value, unit_suffix
from gui.formatting import spell_key
from gui.song_columns import COPY_ROLE
from gui.song_text import USER_MARK

__all__ = ["CalibratedValuesModel", "CalibratedValuesTable", "COPY_ROLE"]

_FIXED = ("#", "Title", "Artist", "Paired")
_AMBER = QColor("#8a5c00")  # amber dark enough for text on the rows: 5.4:1 or more
#: What a tip adds after a value the user set: why it is not the calibrated one.
_NOT_CALIBRATED = "set by hand; the calibration corrects the analyzer's value"


def _outside(row: dict) -> dict[str, list[str]]:
    """Calibrated column -> the values outside the fitted range it was computed from, read
    from the row's ``outside_fit`` cell (``"bpm;speech (duration_s)"``)."""
    out = {}
    for entry in str(row.get(OUTSIDE_FIT) or "").split(";"):
        if entry:
            column, _, inputs = entry.partition(" (")
            out[column] = inputs.rstrip(")").split(", ") if inputs else [column]
    return out


class CalibratedValuesModel(QAbstractTableModel):
    """One row per song: its calibrated values (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[dict] = []
        self._paired: list[bool] = []
        self._columns: list[str] = []  # numeric columns, then "key" when present
        self._outside: list[dict] = []  # per row, column -> inputs outside the fitted range
        self._ranges: dict = {}
        self._scales: dict = {}  # column -> the sheet's own scale its values are on
        self.source = ""
        #: Keys shown with flats (Settings > Key names), as in the song table.
        self.flat_keys = False

    def set_flat_keys(self, flats: bool) -> None:
        """Spell the calibrated keys with flats (``True``) or sharps; only the display:
        the export and a copy of a cell keep the sharps."""
        if bool(flats) == self.flat_keys:
            return
        self.flat_keys = bool(flats)
        if "key" in self._columns and self._rows:
            col = len(_FIXED) + self._columns.index("key")
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col),
                                  [Qt.ItemDataRole.DisplayRole])

    def set_rows(self, rows, *, profile, paired, source: str = "") -> None:
        """Show ``rows`` (results rows with calibrated columns) of ``profile``.

        Parameters
        ----------
        rows : list of dict
        profile : CalibrationProfile or None
            What made the values (None: nothing to show).
        paired : sequence of bool
            Per row, whether the song is paired with a reference row.
        source : str, optional
            Where the values come from, for the caption (``"profile p.json"``).
        """
        self.beginResetModel()
        if profile is None:
            self._rows, self._paired, self._columns = [], [], []
            self._ranges, self._scales = {}, {}
        else:
            self._rows, self._paired = list(rows), list(paired)
            self._columns = list(profile.columns) + (["key"] if "key_calibrated" in
                                                     calibrated_columns(profile) else [])
            self._ranges = dict(profile.fitted_ranges)
            # a column fitted against a sheet's own scale (Mixed In Key's energy 1-10) holds
            # values on that scale: its header says so
            scores = profile.meta.get("scores")
            self._scales = {c: str(v["reference_scale"]) for c, v in (
                scores.items() if isinstance(scores, dict) else ())
                if isinstance(v, dict) and v.get("reference_scale")}
        self._outside = [_outside(r) for r in self._rows]
        self.source = source
        self.endResetModel()

    @property
    def columns(self) -> list[str]:
        """The calibrated columns shown, in order."""
        return list(self._columns)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(_FIXED) + len(self._columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section < len(_FIXED):
            return _FIXED[section]
        c = self._columns[section - len(_FIXED)]
        scale = self._scales.get(c)
        if scale:
            return f"{column_title(c)} ({scale}, calibrated)"
        return f"{column_title(c)}{unit_suffix(c)} (calibrated)"

    def outside(self, row: int, column: str) -> list[str]:
        """The values outside the fitted range that the calibrated value of ``column`` for
        song ``row`` was computed from (empty when none)."""
        return self._outside[row].get(column, [])

    def value(self, row: int, column: str):
        """The calibrated value of ``column`` for song ``row`` (None when empty)."""
        key = "key_calibrated" if column == "key" else f"{column}_calibrated"
        return self._rows[row].get(key)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        r, col = self._rows[index.row()], index.column()
        if col < len(_FIXED):
            if role != Qt.ItemDataRole.DisplayRole:
                return None
            return (str(index.row() + 1), r.get("title") or "", r.get("artist") or "",
                    "yes" if self._paired[index.row()] else "no")[col]
        c = self._columns[col - len(_FIXED)]
        v = self.value(index.row(), c)
        if role in (Qt.ItemDataRole.DisplayRole, COPY_ROLE):
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                return ""
            if c != "key":
                return format_value(v, c, places=4)
            # the export writes the key with sharps: so does a copy of the cell
            return spell_key(str(v), flats=self.flat_keys and role != COPY_ROLE)
        if role == Qt.ItemDataRole.ToolTipRole and c == "key" and v is not None:
            spelled = with_flats(v)  # a key with a sharp gives its flat spelling here
            tip = [spelled] if spelled != str(v) else []
            mine = result_key(r, column="key_user")
            if mine is not None:  # the analyzer's key was calibrated, as a tempo's is
                raw = result_key(r)
                if raw is not None:
                    tip.append(f"analyzer value: {spell_key(raw.name, flats=self.flat_keys)}")
                tip.append(f"your key: {spell_key(mine.name, flats=self.flat_keys)}"
                           f"{USER_MARK} ({_NOT_CALIBRATED})")
            return "\n".join(tip) or None
        if role == Qt.ItemDataRole.ToolTipRole and c != "key" and v is not None:
            lo, hi = r.get(f"{c}_calibrated_low"), r.get(f"{c}_calibrated_high")
            raw = result_number(r, c)
            tip = [f"{column_title(c)} calibrated: {format_value(v, c, places=4)}"]
            if lo is not None and hi is not None:
                tip.append(f"90 % interval: {format_value(lo, c, places=4)} to "
                           f"{format_value(hi, c, places=4)}{unit_suffix(c)}")
            if raw is not None:
                tip.append(f"analyzer value: {format_value(raw, c, places=4)}")
            mine = result_number(r, "bpm_user") if c == "bpm" else None
            if mine is not None:
                tip.append(f"your tempo: {format_value(mine, c, places=4)}{USER_MARK} "
                           f"({_NOT_CALIBRATED})")
            for name in self.outside(index.row(), c):
                tip.append(self._outside_tip(r, c, name))
            return "\n".join(tip)
        if role == Qt.ItemDataRole.ForegroundRole and self.outside(index.row(), c):
            return _AMBER
        if role == Qt.ItemDataRole.TextAlignmentRole and c != "key":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _outside_tip(self, row: dict, column: str, name: str) -> str:
        """One line of a tooltip: an input outside the range the column was fitted on."""
        low, high = self._ranges.get(column, {}).get(name, (None, None))
        x = result_number(row, name)
        fitted = (f"{format_value(low, name, places=4)} to {format_value(high, name, places=4)}"
                  f"{unit_suffix(name)}" if low is not None else "unknown")
        what = "analyzer value" if name == column else f"input {column_title(name)}"
        return (f"outside the fitted range: {what} {format_value(x, name, places=4)}, "
                f"the profile was fitted on {fitted} (the value is extrapolated)")


class CalibratedValuesTable(QTableView):
    """The table of calibrated values: Ctrl+C copies the current cell's :data:`COPY_ROLE`
    text (a key with sharps, as the export writes it, while the table shows flats)."""

    def keyPressEvent(self, event):  # noqa: N802 - Qt API
        if event.matches(QKeySequence.StandardKey.Copy):
            index = self.currentIndex()
            if index.isValid():
                text = index.data(COPY_ROLE)
                QGuiApplication.clipboard().setText("" if text is None else str(text))
                event.accept()
                return
        super().keyPressEvent(event)
