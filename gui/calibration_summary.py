"""The calibration summary table: per column its verdict, the correction, n, r², MAE before
and after (nested cross-validated), the 90 % interval, the learned model, and tempo
Acc1/Acc2 or key scores before and after.

The figures come from :meth:`core.calibration.session.CalibrationSession.summary`; this
module only formats them (units, places, colours) for the table and the status texts.  The
verdict cell is coloured (:data:`VERDICT_COLORS`): green for ``tracks`` and
``calibrated``, amber for ``weak``, red for ``inverted``, grey for ``no relation``.  An
``inverted`` correction that passes the keep rule has a check box in the Kept column: ticking
it keeps the correction (:attr:`CalibrationSummaryModel.keepInvertedChanged`).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from core.calibration.summary import DescriptorSummary
from core.calibration.verdict import VERDICT_TEXT, WEAK_R2
from gui.column_help import MAE_HELP, R2_HELP
from gui.reference_columns import AGREEMENT_COLORS, UNITS

__all__ = [
    "DESCRIPTOR_TITLES",
    "VERDICT_COLORS",
    "VERDICT_LABELS",
    "CalibrationSummaryModel",
    "column_title",
    "format_value",
    "unit_suffix",
    "score_text",
    "verdict_color",
]

#: Display names of the reference descriptors (extra columns show their own name).
DESCRIPTOR_TITLES = {
    "bpm": "Tempo",
    "energy": "Energy",
    "danceability": "Danceability",
    "valence": "Valence",
    "acousticness": "Acousticness",
    "loudness_lufs": "Loudness",
    "key": "Key",
}

#: Colour of each verdict (:data:`core.calibration.verdict.VERDICTS`).
VERDICT_COLORS = {
    "tracks": AGREEMENT_COLORS["ok"],
    "calibrated": AGREEMENT_COLORS["ok"],
    "weak": AGREEMENT_COLORS["octave"],  # amber
    "inverted": AGREEMENT_COLORS["wrong"],  # red
    "no relation": "#7f8c8d",
    "too few": "#b0b7bd",
}

#: Verdict cell texts where the one word needs its reason beside it (short, so the summary
#: fits beside the plots; the tooltip says it whole).
VERDICT_LABELS = {
    "weak": f"weak (r² < {WEAK_R2:g})",
    "inverted": "inverted (slope < 0)",
}

# Text colours, at least 4.5:1 on the table's rows (white and the alternate grey) as WCAG
# asks of text: the state colours themselves are for fills and read 3.5-4.4:1 as text.
_GREEN = QColor("#17703d")
_RED = QColor("#b03a36")
_GREY = QColor("#5f6b6d")
_BOLD = QFont()
_BOLD.setBold(True)


def column_title(column: str) -> str:
    """Display name of a column: ``"Tempo"``, ``"Energy"``, or an extra column as named."""
    return DESCRIPTOR_TITLES.get(column, column.replace("_", " ").capitalize())


def verdict_color(verdict: str, *, alpha: int = 255) -> QColor | None:
    """The colour of a verdict (None for no verdict), with the given opacity 0-255."""
    hex_ = VERDICT_COLORS.get(verdict)
    if hex_ is None:
        return None
    c = QColor(hex_)
    c.setAlpha(alpha)
    return c


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
    """``" BPM"``, ``" LUFS"``, or ``""`` for descriptors on 0-1 and extra columns."""
    unit = UNITS.get(descriptor, "")
    return f" {unit}" if unit and unit != "0-1" else ""


def score_text(s: DescriptorSummary) -> str:
    """Tempo Acc1/Acc2 or key MIREX/exact scores, ``before → after`` once fitted; empty for
    other columns."""
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


def _learned_text(s: DescriptorSummary) -> str:
    m = s.learned
    if m is None:
        return ""
    if m.model is None:
        return "too few songs"
    kind = "ridge" if m.kind == "ridge" else "trees"
    k = len(m.outliers)
    return (f"{'kept' if m.kept else 'not kept'}: {kind}, MAE "
            f"{format_value(m.mae_cv, s.descriptor)}, r² {format_value(m.r2_cv, places=2)}"
            + (f" ({k} outlying)" if k else ""))


def _learned_tip(s: DescriptorSummary) -> str:
    m = s.learned
    if m is None or m.model is None:
        return m.note if m is not None else ""
    lines = [f"Learned model ({m.describe()}), nested cross-validated MAE "
             f"{format_value(m.mae_cv, s.descriptor)}, r² {format_value(m.r2_cv, places=3)}"]
    top = [f"  {a}: +{format_value(v, places=2)}" for a, v in m.importance[:6] if v > 0]
    if top:
        lines.append("Inputs that matter (MAE rise when shuffled):")
        lines += top
    if m.learning_curve:
        lines.append("Learning curve: " + ", ".join(
            f"{n} songs → {format_value(v, s.descriptor)}" for n, v in m.learning_curve))
    if m.outlier_note:
        lines.append(m.outlier_note)
    if m.note:
        lines.append(m.note)
    return "\n".join(lines)


class CalibrationSummaryModel(QAbstractTableModel):
    """The summary table: one row per column
    (:class:`core.calibration.summary.DescriptorSummary`)."""

    HEADERS = ("Column", "Verdict", "n", "Kept", "MAE before", "MAE after (CV)", "r² (CV)",
               "90 % interval", "Correction", "Learned model", "Score before → after")
    #: Header tips: what each column means (Help > SongCal Guide says more).
    HEADER_TIPS = ("The reference column compared",
                   "How far the analyzer can be trusted on this column once corrected",
                   "Songs paired with the reference that have both values",
                   "Whether the correction is used: only when it lowers the cross-validated "
                   "MAE (an inverted correction only when ticked)",
                   MAE_HELP, MAE_HELP, R2_HELP,
                   "Where 90 % of the reference values fall around a corrected value",
                   "The rule fitted from analyzer to reference",
                   "A model of several analyzer columns, kept only when it beats the "
                   "correction in nested cross-validation",
                   "Tempo: Acc1 (within 4 %) and Acc2 (also x2, x1/2, x3, x1/3); key: MIREX "
                   "score (fifth 0.5, relative 0.3, parallel 0.2) and exact share")
    #: Columns of the verdict, the Kept check box, the interval and the learned model.
    VERDICT_COL, KEPT_COL, INTERVAL_COL, LEARNED_COL = 1, 3, 7, 9
    _MAE_BEFORE, _MAE_AFTER, _R2, _CORRECTION, _SCORE = 4, 5, 6, 8, 10
    MAE_BEFORE_COL, R2_COL = _MAE_BEFORE, _R2

    #: ``(descriptor, keep)`` the user ticked (or unticked) an inverted correction.
    keepInvertedChanged = Signal(str, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[DescriptorSummary] = []
        self._hidden: tuple[int, ...] = ()

    def set_hidden_columns(self, columns) -> None:
        """Columns the view hides for want of room: the Column cell's tip gives their
        values instead."""
        self._hidden = tuple(sorted(columns))

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

    def flags(self, index):
        f = super().flags(index)
        if (index.isValid() and index.column() == self.KEPT_COL
                and self._rows[index.row()].inverted_keepable):
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):  # noqa: N802 - Qt API
        if (not index.isValid() or index.column() != self.KEPT_COL
                or role != Qt.ItemDataRole.CheckStateRole
                or not self._rows[index.row()].inverted_keepable):
            return False
        keep = Qt.CheckState(value) == Qt.CheckState.Checked
        self.keepInvertedChanged.emit(self._rows[index.row()].descriptor, keep)
        return True

    def _text(self, s: DescriptorSummary, col: int) -> str:
        d, unit = s.descriptor, unit_suffix(s.descriptor)
        if col == 0:
            return column_title(d) + (f" ({s.scale})" if s.scale else "")
        if col == self.VERDICT_COL:
            label = VERDICT_LABELS.get(s.verdict, s.verdict)
            return f"{label} ({len(s.outliers)} outlying)" if s.outliers else label
        if col == 2:
            return str(s.n) + (f" ({s.n_missing} no tempo)" if s.n_missing else "")
        if col == self.KEPT_COL:
            return "" if s.kept is None else ("yes" if s.kept else "no")
        if col == self._R2:
            return format_value(s.r2_cv if s.fitted else s.r2, places=3)
        if col in (self._MAE_BEFORE, self._MAE_AFTER):
            v = s.mae_before if col == self._MAE_BEFORE else s.mae_after
            return "" if math.isnan(v) else f"{format_value(v, d)}{unit}"
        if col == self.INTERVAL_COL:
            return s.interval
        if col == self._CORRECTION:
            return s.correction
        if col == self.LEARNED_COL:
            return _learned_text(s)
        return score_text(s)

    def _tooltip(self, s: DescriptorSummary, col: int) -> str | None:
        if col == self.VERDICT_COL and s.verdict:
            if s.outliers:  # the note begins with them
                return VERDICT_TEXT[s.verdict] + "\n" + s.note
            return VERDICT_TEXT[s.verdict]
        if col == self.KEPT_COL and s.inverted_keepable:
            return ("The correction runs against the reference (negative slope). Tick to "
                    "keep it anyway.")
        if col == self.INTERVAL_COL and s.interval:
            return ("About 90 % of reference values lie within this distance of a calibrated "
                    "value (from cross-validated residuals).")
        if col == self.LEARNED_COL:
            return _learned_tip(s) or None
        if col == 0 and self._hidden:
            shown = [f"{self.HEADERS[c]}: {self._text(s, c).replace(chr(10), '; ')}"
                     for c in self._hidden if self._text(s, c)]
            return "\n".join(shown + ([s.note] if s.note else [])) or None
        return (score_text(s) if col == self._SCORE else "") or s.note or None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        s, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(s, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(s, col)
        if role == Qt.ItemDataRole.CheckStateRole and col == self.KEPT_COL \
                and s.inverted_keepable:
            return Qt.CheckState.Checked if s.correction_kept else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.BackgroundRole and col == self.VERDICT_COL:
            color = verdict_color(s.verdict, alpha=110)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.FontRole and col == self.VERDICT_COL and s.verdict:
            return _BOLD
        if role == Qt.ItemDataRole.ForegroundRole:
            if (col == self._MAE_AFTER and not math.isnan(s.mae_after)
                    and not math.isnan(s.mae_before)):
                if s.mae_after < s.mae_before:
                    return QBrush(_GREEN)
                if s.mae_after > s.mae_before:
                    return QBrush(_RED)
            if col == self.KEPT_COL and s.kept is not None:
                return QBrush(_GREEN if s.kept else _GREY)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (2, self._MAE_BEFORE,
                                                                 self._MAE_AFTER, self._R2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
