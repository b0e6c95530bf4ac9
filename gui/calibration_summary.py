"""The calibration summary table: per descriptor the correction, n, r², MAE before and after
(cross-validated), tempo Acc1/Acc2 or key scores before and after, and whether it is kept.

The figures come from :meth:`core.calibration.session.CalibrationSession.summary`; this
module only formats them (units, places, colours) for the table and the status texts.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from core.calibration.summary import DescriptorSummary
from gui.column_help import MAE_HELP, R2_HELP
from gui.reference_columns import AGREEMENT_COLORS, UNITS

__all__ = [
    "DESCRIPTOR_TITLES",
    "CalibrationSummaryModel",
    "format_value",
    "unit_suffix",
    "score_text",
]

#: Display names of the reference descriptors.
DESCRIPTOR_TITLES = {
    "bpm": "Tempo",
    "energy": "Energy",
    "danceability": "Danceability",
    "valence": "Valence",
    "acousticness": "Acousticness",
    "loudness_lufs": "Loudness",
    "key": "Key",
}

_GREEN = QColor(AGREEMENT_COLORS["ok"]).darker(130)
_RED = QColor(AGREEMENT_COLORS["wrong"])
_GREY = QColor("#7f8c8d")


def _places(d: str) -> int:
    return 3 if d in ("bpm", "loudness_lufs") else 2


def format_value(v, descriptor: str = "", *, places: int | None = None) -> str:
    """A figure with a few significant digits (``"-"`` when missing or not finite).

    Parameters
    ----------
    v : float or None
    descriptor : str, optional
        Sets the number of significant digits (3 for tempo and loudness, else 2).
    places : int, optional
        Significant digits, overriding the descriptor's.
    """
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    p = places if places is not None else _places(descriptor)
    return f"{v:.{p}g}" if p > 0 else f"{v:.0f}"


def unit_suffix(descriptor: str) -> str:
    """``" BPM"``, ``" LUFS"``, or ``""`` for descriptors on 0-1."""
    unit = UNITS.get(descriptor, "")
    return f" {unit}" if unit and unit != "0-1" else ""


def score_text(s: DescriptorSummary) -> str:
    """Tempo Acc1/Acc2 or key MIREX/exact scores, ``before → after`` once fitted; empty for
    other descriptors."""
    def pair(before, after):
        return (f"{before:.2f} → {after:.2f}" if s.fitted
                else format_value(before, places=2))

    if s.descriptor == "bpm":
        if not s.n:
            return ""
        return (f"Acc1 {pair(s.acc1_before, s.acc1_after)}, "
                f"Acc2 {pair(s.acc2_before, s.acc2_after)}")
    if s.descriptor == "key":
        return (f"MIREX {pair(s.weighted_before, s.weighted_after)}, "
                f"exact {pair(s.accuracy_before, s.accuracy_after)}")
    return ""


class CalibrationSummaryModel(QAbstractTableModel):
    """The summary table: one row per descriptor
    (:class:`core.calibration.summary.DescriptorSummary`)."""

    HEADERS = ("Descriptor", "n", "Correction", "Kept", "r²", "MAE before", "MAE after (CV)",
               "Score before → after")
    #: Header tips: what each column means (Help > SongCal Guide says more).
    HEADER_TIPS = ("The reference column compared",
                   "Songs paired with the reference that have both values",
                   "The rule fitted from analyzer to reference",
                   "Whether the correction is used: only when it lowers the cross-validated "
                   "MAE",
                   R2_HELP, MAE_HELP, MAE_HELP,
                   "Tempo: Acc1 (within 4 %) and Acc2 (also x2, x1/2, x3, x1/3); key: MIREX "
                   "score (fifth 0.5, relative 0.3, parallel 0.2) and exact share")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[DescriptorSummary] = []

    def set_rows(self, rows: list[DescriptorSummary]) -> None:
        """Replace the lines (a handful; a reset is the simplest correct update)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary(self, row: int) -> DescriptorSummary:
        """The line at ``row``."""
        return self._rows[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.HEADER_TIPS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        s, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            d, unit = s.descriptor, unit_suffix(s.descriptor)
            return (
                DESCRIPTOR_TITLES.get(d, d),
                str(s.n),
                s.correction,
                "" if s.kept is None else ("yes" if s.kept else "no"),
                format_value(s.r2, places=3),
                "" if math.isnan(s.mae_before) else f"{format_value(s.mae_before, d)}{unit}",
                "" if math.isnan(s.mae_after) else f"{format_value(s.mae_after, d)}{unit}",
                score_text(s),
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            score = score_text(s) if col == 7 else ""
            return score or s.note or None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 6 and not math.isnan(s.mae_after) and not math.isnan(s.mae_before):
                if s.mae_after < s.mae_before:
                    return QBrush(_GREEN)
                if s.mae_after > s.mae_before:
                    return QBrush(_RED)
            if col == 3 and s.kept is not None:
                return QBrush(_GREEN if s.kept else _GREY)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 4, 5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
