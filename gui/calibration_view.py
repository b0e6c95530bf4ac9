"""The calibration view: analyzer against reference, the fitted corrections, and the errors.

One widget over a :class:`gui.calibration_controller.CalibrationController`:

- a bar of actions (Load Reference..., Matches..., Fit, Export..., Apply profile...) and a
  status line;
- per descriptor, the scatter of analyzer (x) against reference (y) values of the matched
  songs, with the identity line and the fitted correction (tempo points coloured by
  agreement);
- a summary table: per descriptor the correction, n, r², MAE before and after (cross-
  validated), tempo Acc1 and key weighted score before and after, and whether it is kept;
- the tempo-ratio histogram on a log2 axis (octave errors are peaks at -1 and +1);
- key errors by circle-of-fifths distance (0-6) and by relation to the reference.

Plot items are created once and given new data with ``setData``/``setOpts``; a burst of
controller signals is folded into one redraw by a short timer.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.calibration.fit import DESCRIPTOR_RANGES
from gui.calibration_controller import KEY_RELATIONS, CalibrationController, is_reference_file
from gui.plots import titled_plot
from gui.reference_columns import AGREEMENT_COLORS, UNITS, tempo_agreement

__all__ = [
    "CalibrationView",
    "CalibrationSummaryModel",
    "SummaryRow",
    "summary_rows",
    "HIST_EDGES",
    "DESCRIPTOR_TITLES",
]

#: Bin edges of the tempo-ratio histogram, in log2(analyzer / reference): 1/20 octave wide
#: (about 3.5 %), centred on 0 and on every octave, from a quarter to four times the
#: reference; values outside go to the end bins.
HIST_EDGES = np.round(np.arange(-2.275, 2.275 + 1e-9, 0.05), 6)

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

_BLUE = "#2f80ed"
_GREEN = AGREEMENT_COLORS["ok"]
_AMBER = AGREEMENT_COLORS["octave"]
_RED = AGREEMENT_COLORS["other"]
_GREY = "#7f8c8d"
_AMBER_TEXT = "#a66f00"  # amber dark enough for text on a light background
_PURPLE = "#8e44ad"
_MODE = "#9b8ec4"  # key errors whose mode differs from the reference
_BRUSHES: dict = {}  # point brush per agreement category, made once
_DASH = Qt.PenStyle.DashLine
_DOT = Qt.PenStyle.DotLine


def _plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    w = titled_plot(title, left, bottom)
    w.setMinimumHeight(160)
    return w


def _unit(d: str) -> str:
    return UNITS.get(d, "")


def _fmt(v, places=3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{places}g}" if places > 0 else f"{v:.0f}"


def _places(d: str) -> int:
    return 3 if d in ("bpm", "loudness_lufs") else 2


# ------------------------------------------------------------------------ summary model

@dataclass
class SummaryRow:
    """One line of the summary table.

    Attributes
    ----------
    descriptor : str
        ``"bpm"``, ``"key"``, ``"energy"``...
    n : int
        Matched songs with both values.
    correction : str
        What is applied (``"theil_sen: y = 1.02 x - 1.3"``, ``"fold into 70-140 BPM"``,
        ``"minor: relative"``, ``"none"``), or ``"not fitted"``.
    r2 : float
        r² of the corrected values (of the raw ones before fitting).
    mae_before, mae_after : float
        MAE of the raw values and cross-validated MAE after correction (NaN when unknown).
    score : str
        Tempo Acc1 / key weighted score before -> after, empty for other descriptors.
    kept : bool or None
        Whether a correction is kept (None before fitting).
    note : str
        Why nothing was kept, and other details (tooltip).
    """

    descriptor: str
    n: int
    correction: str
    r2: float
    mae_before: float
    mae_after: float
    score: str
    kept: bool | None
    note: str = ""


def _linear_text(c) -> str:
    if c.method == "none":
        return "none"
    sign = "-" if c.intercept < 0 else "+"
    if c.method == "offset":
        return f"offset: y = x {sign} {abs(c.intercept):.3g}"
    return f"{c.method}: y = {c.slope:.3g}x {sign} {abs(c.intercept):.3g}"


def summary_rows(controller: CalibrationController) -> list[SummaryRow]:
    """The summary lines for the controller's sheet, match and calibration.

    Before a fit the lines show n, r² and MAE of the raw values; after it, the fit.
    """
    sheet = controller.sheet
    if sheet is None:
        return []
    cal = controller.calibration
    out = []
    for d in sheet.descriptors:
        if d == "key":
            ke = controller.key_errors()
            n, rel = ke.n, ke.relations
            k = cal.key if cal is not None else None
            if k is None:
                acc = rel["same"] / n if n else math.nan
                out.append(SummaryRow("key", n, "not fitted", math.nan, math.nan, math.nan,
                                      f"exact {_fmt(acc, 2)}", None))
            else:
                score = (f"MIREX {k.weighted_before:.2f} → {k.weighted_after:.2f}, "
                         f"exact {k.accuracy_before:.2f} → {k.accuracy_after:.2f}")
                out.append(SummaryRow("key", k.n, k.correction.describe(), math.nan,
                                      math.nan, math.nan, score, k.kept, k.note))
            continue
        if d == "bpm" and cal is not None and cal.tempo is not None:
            t = cal.tempo
            corr = t.rule.describe() if t.rule.kind != "none" else ""
            if t.correction.method != "none":
                corr = (corr + "; " if corr else "") + _linear_text(t.correction)
            score = (f"Acc1 {t.acc1_before:.2f} → {t.acc1_after:.2f}, "
                     f"Acc2 {t.acc2_before:.2f} → {t.acc2_after:.2f}")
            out.append(SummaryRow("bpm", t.n, corr or "none", t.r2, t.mae_before,
                                  t.mae_after, score, t.kept, t.note))
            continue
        if cal is not None and d in cal.descriptors:
            c = cal.descriptors[d]
            note = c.note or ("cross-validated MAE per method: " + ", ".join(
                f"{m} {v:.3g}" for m, v in c.cv_mae.items()))
            out.append(SummaryRow(d, c.n, _linear_text(c.correction), c.r2, c.mae_before,
                                  c.mae_after, "", c.kept, note))
            continue
        x, y, _ = controller.pairs(d)
        mae = float(np.mean(np.abs(x - y))) if x.size else math.nan
        r2 = math.nan
        if x.size >= 2 and np.ptp(y) > 0:
            r2 = 1.0 - float(np.sum((y - x) ** 2) / np.sum((y - y.mean()) ** 2))
        score = ""
        if d == "bpm" and x.size:
            score = f"Acc1 {np.mean(np.abs(x - y) <= 0.04 * y):.2f}"
        out.append(SummaryRow(d, int(x.size), "not fitted", r2, mae, math.nan, score, None))
    return out


class CalibrationSummaryModel(QAbstractTableModel):
    """The summary table: one row per descriptor (:class:`SummaryRow`)."""

    HEADERS = ("Descriptor", "n", "Correction", "Kept", "r²", "MAE before", "MAE after (CV)",
               "Score before → after")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[SummaryRow] = []

    def set_rows(self, rows: list[SummaryRow]) -> None:
        """Replace the lines (a handful; a reset is the simplest correct update)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary(self, row: int) -> SummaryRow:
        """The line at ``row``."""
        return self._rows[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        s, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            unit = _unit(s.descriptor)
            unit = f" {unit}" if unit and unit != "0-1" else ""
            p = _places(s.descriptor)
            return (
                DESCRIPTOR_TITLES.get(s.descriptor, s.descriptor),
                str(s.n),
                s.correction,
                "" if s.kept is None else ("yes" if s.kept else "no"),
                _fmt(s.r2, 3),
                "" if math.isnan(s.mae_before) else f"{_fmt(s.mae_before, p)}{unit}",
                "" if math.isnan(s.mae_after) else f"{_fmt(s.mae_after, p)}{unit}",
                s.score,
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 7 and s.score:
                return s.score
            return s.note or None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 6 and not math.isnan(s.mae_after) and not math.isnan(s.mae_before):
                if s.mae_after < s.mae_before:
                    return QBrush(QColor(_GREEN).darker(130))
                if s.mae_after > s.mae_before:
                    return QBrush(QColor(_RED))
            if col == 3 and s.kept is not None:
                return QBrush(QColor(_GREEN).darker(130) if s.kept else QColor(_GREY))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 4, 5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


# ------------------------------------------------------------------------ the view

def _correction_curve(controller: CalibrationController, d: str, lo: float, hi: float):
    """x, y of the fitted correction of ``d`` over [lo, hi] (None when nothing fitted);
    jumps of an octave-folding rule are broken with NaN."""
    cal = controller.calibration
    if cal is None:
        return None
    if d == "bpm":
        if cal.tempo is None:
            return None
        apply = cal.tempo.apply
    elif d in cal.descriptors:
        apply = cal.descriptors[d].correction.apply
    else:
        return None
    x = np.linspace(lo, hi, 400)
    y = np.asarray(apply(x), float)
    jumps = np.flatnonzero(np.abs(np.diff(y)) > 0.1 * max(hi - lo, 1e-9))
    if jumps.size:
        x = np.insert(x, jumps + 1, np.nan)
        y = np.insert(y, jumps + 1, np.nan)
    return x, y


def _profile_curve(summary, d: str, lo: float, hi: float):
    if summary is None:
        return None
    prof = summary.profile
    x = np.linspace(lo, hi, 400)
    if d == "bpm":
        if prof.tempo_rule is None:
            return None
        y = np.array([prof.apply_bpm(v) for v in x], float)
    elif d in prof.descriptors:
        y = np.asarray(prof.descriptors[d].apply(x), float)
    else:
        return None
    jumps = np.flatnonzero(np.abs(np.diff(y)) > 0.1 * max(hi - lo, 1e-9))
    if jumps.size:
        x = np.insert(x, jumps + 1, np.nan)
        y = np.insert(y, jumps + 1, np.nan)
    return x, y


class CalibrationView(QWidget):
    """The calibration tab of the window.

    Parameters
    ----------
    controller : CalibrationController
        Source of the sheet, the match and the calibration; the view asks it to load,
        fit, export and apply, and redraws on its signals.
    parent : QWidget, optional
    """

    def __init__(self, controller: CalibrationController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.setAcceptDrops(True)
        self._last_dir = ""

        # -- action bar
        self.load_button = QPushButton("Load Reference…")
        self.load_button.setToolTip("Read a reference sheet (CSV); you can also drop one here")
        self.match_button = QPushButton("Matches…")
        self.match_button.setToolTip("Pair unmatched songs with reference rows by hand")
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Fit a correction per descriptor (judged by "
                                   "cross-validation)")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write calibration.csv, the results with reference "
                                      "columns, the mismatches and a profile into a folder")
        self.apply_button = QPushButton("Apply profile…")
        self.apply_button.setToolTip("Apply a saved calibration profile to these results")
        self.descriptor_combo = QComboBox()
        self.descriptor_combo.setToolTip("Descriptor shown in the scatter")
        self.descriptor_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.status_label = QLabel("No reference sheet loaded. Load one, or drop a CSV here.")
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        for b in (self.load_button, self.match_button, self.fit_button, self.export_button,
                  self.apply_button):
            bar.addWidget(b)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Scatter:"))
        bar.addWidget(self.descriptor_combo)
        bar.addSpacing(12)
        bar.addWidget(self.status_label, 1)

        # -- scatter
        self.scatter_plot = _plot("Analyzer vs reference", "reference", "analyzer")
        self.scatter_legend = self.scatter_plot.addLegend(offset=(8, 8), labelTextSize="8pt")
        self.identity_line = self.scatter_plot.plot(
            [], [], pen=pg.mkPen(_GREY, width=1.2, style=_DASH), name="identity (y = x)")
        self.correction_curve = self.scatter_plot.plot(
            [], [], pen=pg.mkPen(_BLUE, width=2), name="fitted correction", connect="finite")
        self.profile_curve = self.scatter_plot.plot(  # in the legend once a profile is applied
            [], [], pen=pg.mkPen(_PURPLE, width=1.5, style=_DOT), connect="finite")
        self.scatter = pg.ScatterPlotItem(size=7, pen=pg.mkPen(None))
        self.scatter_plot.addItem(self.scatter)
        # legend swatches only (no data): one per point colour
        self._legend_songs = pg.ScatterPlotItem(size=8, pen=pg.mkPen(None),
                                                brush=self._agreement_brush(""))
        self._legend_tempo = [
            (pg.ScatterPlotItem(size=8, pen=pg.mkPen(None),
                                brush=self._agreement_brush(cat)), label)
            for cat, label in (("ok", "within 4 %"), ("octave", "octave error (×2, ×½)"),
                               ("other", "other tempo error"))]
        self._legend_mode = ""
        self._profile_in_legend = False
        self._stale = False
        self.scatter_info = QLabel("")
        self.scatter_info.setWordWrap(True)

        # -- summary
        self.summary_model = CalibrationSummaryModel(self)
        self.summary_table = QTableView()
        self.summary_table.setModel(self.summary_model)
        self.summary_table.verticalHeader().setVisible(False)
        self.summary_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.summary_table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.summary_table.setWordWrap(False)
        self.summary_table.setMinimumHeight(120)
        hh = self.summary_table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(True)
        self.summary_table.clicked.connect(self._on_summary_clicked)
        self.profile_label = QLabel("")
        self.profile_label.setWordWrap(True)

        # -- tempo ratio histogram
        self.hist_plot = _plot("Tempo ratio analyzer / reference", "songs",
                               "log2(analyzer BPM / reference BPM)")
        self.hist_bars = pg.BarGraphItem(x=[], height=[], width=0.05, brushes=[],
                                         pen=pg.mkPen(None))
        self.hist_plot.addItem(self.hist_bars)
        for pos, color in ((-1.0, _AMBER), (0.0, _GREEN), (1.0, _AMBER)):
            self.hist_plot.addItem(pg.InfiniteLine(pos, angle=90,
                                                   pen=pg.mkPen(color, width=1, style=_DASH)))
        ticks = [(-2.0, "×¼\n-2"), (-1.0, "×½\n-1"), (math.log2(2 / 3), "×⅔"),
                 (0.0, "×1\n0"), (math.log2(1.5), "×1.5"), (1.0, "×2\n+1"), (2.0, "×4\n+2")]
        self.hist_plot.getAxis("bottom").setTicks([ticks])
        self.hist_plot.setXRange(HIST_EDGES[0], HIST_EDGES[-1], padding=0.02)
        self.hist_plot.getAxis("bottom").setHeight(48)

        # -- key errors
        self.key_plot = _plot("Key error: circle-of-fifths distance", "songs",
                              "tonic distance (steps on the circle of fifths)")
        self.key_legend = self.key_plot.addLegend(offset=(-8, 8), labelTextSize="8pt")
        self.key_bars = pg.BarGraphItem(x=np.arange(7), height=np.zeros(7), width=0.7,
                                        brushes=self._distance_brushes(), pen=pg.mkPen(None))
        self.key_other_bars = pg.BarGraphItem(x=np.arange(7), y0=np.zeros(7),
                                              height=np.zeros(7), width=0.7,
                                              brush=pg.mkBrush(_MODE), pen=pg.mkPen(None))
        self.key_plot.addItem(self.key_bars)
        self.key_plot.addItem(self.key_other_bars)
        self.key_legend.addItem(pg.BarGraphItem(x=[], height=[], width=1,
                                                brush=pg.mkBrush(_GREEN)), "same mode")
        self.key_legend.addItem(self.key_other_bars, "mode differs")
        self.key_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(7)]])
        self.key_plot.setXRange(-0.6, 6.6, padding=0)
        self.relation_plot = _plot("Key relation to reference", "songs", "")
        rel_colors = [AGREEMENT_COLORS[r] for r in KEY_RELATIONS]
        self.relation_bars = pg.BarGraphItem(
            x=np.arange(len(KEY_RELATIONS)), height=np.zeros(len(KEY_RELATIONS)), width=0.7,
            brushes=[pg.mkBrush(c) for c in rel_colors], pen=pg.mkPen(None))
        self.relation_plot.addItem(self.relation_bars)
        self.relation_plot.getAxis("bottom").setTicks(
            [[(i, r) for i, r in enumerate(KEY_RELATIONS)]])
        self.relation_plot.setXRange(-0.6, len(KEY_RELATIONS) - 0.4, padding=0)
        for p in (self.hist_plot, self.key_plot, self.relation_plot):
            p.setMouseEnabled(x=False, y=False)
            p.getViewBox().setLimits(yMin=0)

        # -- layout: the scatter on the left; summary, tempo ratios and keys on the right
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(self.scatter_plot, 1)
        left_lay.addWidget(self.scatter_info)
        top_right = QWidget()
        tr_lay = QVBoxLayout(top_right)
        tr_lay.setContentsMargins(0, 0, 0, 0)
        tr_lay.addWidget(self.summary_table, 1)
        tr_lay.addWidget(self.profile_label)
        keys = QWidget()
        keys_lay = QHBoxLayout(keys)
        keys_lay.setContentsMargins(0, 0, 0, 0)
        keys_lay.addWidget(self.key_plot, 4)
        keys_lay.addWidget(self.relation_plot, 3)
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        for w in (top_right, self.hist_plot, keys):
            self.right_splitter.addWidget(w)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.right_splitter)
        self.splitter.setSizes([1000, 1000])  # scaled to the width: half and half
        self.right_splitter.setSizes([230, 330, 330])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.splitter, 1)

        # -- wiring
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(100)
        self._redraw.timeout.connect(self.refresh)
        self.load_button.clicked.connect(self.choose_reference)
        self.match_button.clicked.connect(self.open_match_dialog)
        self.fit_button.clicked.connect(controller.fit)
        self.export_button.clicked.connect(self.choose_export_folder)
        self.apply_button.clicked.connect(self.choose_profile)
        self.descriptor_combo.currentIndexChanged.connect(lambda _i: self.refresh_scatter())
        controller.referenceLoaded.connect(self._on_reference)
        controller.matched.connect(self._on_matched)
        controller.fitted.connect(lambda _c: self.schedule_refresh())
        controller.profileApplied.connect(self._on_profile)
        controller.exported.connect(self._on_exported)
        controller.failed.connect(self._on_failed)
        controller.busyChanged.connect(lambda _b: self._update_buttons())
        self._update_buttons()

    # -- public -------------------------------------------------------------------------
    def current_descriptor(self) -> str:
        """The descriptor shown in the scatter (empty when none)."""
        return self.descriptor_combo.currentData() or ""

    def set_descriptor(self, descriptor: str) -> None:
        """Show ``descriptor`` in the scatter.

        Raises
        ------
        ValueError
            When the sheet has no such numeric descriptor.
        """
        i = self.descriptor_combo.findData(descriptor)
        if i < 0:
            raise ValueError(f"no scatter for {descriptor!r}; available: "
                             f"{[self.descriptor_combo.itemData(j) for j in range(self.descriptor_combo.count())]}")
        self.descriptor_combo.setCurrentIndex(i)

    def schedule_refresh(self) -> None:
        """Redraw soon (several calls in a burst give one redraw); while the view is
        hidden, only remember to redraw when it is shown."""
        if not self.isVisible():
            self._stale = True
            self._update_buttons()
            return
        if not self._redraw.isActive():
            self._redraw.start()

    def showEvent(self, event):  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale:
            self.schedule_refresh()

    def refresh(self) -> None:
        """Redraw everything from the controller now."""
        self._redraw.stop()
        self._stale = False
        self.summary_model.set_rows(summary_rows(self.controller))
        self.refresh_scatter()
        self.refresh_histogram()
        self.refresh_keys()
        self._update_buttons()

    def refresh_scatter(self) -> None:
        """Set the scatter, the identity line and the correction of the chosen descriptor."""
        c = self.controller
        d = self.current_descriptor()
        if not d:
            for item in (self.identity_line, self.correction_curve, self.profile_curve):
                item.setData([], [])
            self.scatter.setData([], [])
            self.scatter_info.setText("")
            return
        unit = _unit(d)
        title = DESCRIPTOR_TITLES.get(d, d)
        self.scatter_plot.setTitle(f"{title}: analyzer vs reference", size="10pt")
        self.scatter_plot.setLabel("bottom", f"analyzer {title.lower()} ({unit})")
        self.scatter_plot.setLabel("left", f"reference {title.lower()} ({unit})")
        self._set_scatter_legend("tempo" if d == "bpm" else "songs")
        x, y, idx = c.pairs(d)
        if d == "bpm":
            brushes = [self._agreement_brush(tempo_agreement(a, b)[0]) for a, b in
                       zip(x, y, strict=True)]
        else:
            brushes = [self._agreement_brush("")] * len(x)
        self.scatter.setData(x=x, y=y, brush=brushes, data=idx)
        if x.size:
            lo = float(min(x.min(), y.min()))
            hi = float(max(x.max(), y.max()))
        else:
            lo, hi = DESCRIPTOR_RANGES.get(d, (0.0, 1.0))
        pad = 0.05 * max(hi - lo, 1e-6)
        lo, hi = lo - pad, hi + pad
        self.identity_line.setData([lo, hi], [lo, hi])
        curve = _correction_curve(c, d, lo, hi)
        self.correction_curve.setData(*(curve if curve is not None else ([], [])))
        prof = _profile_curve(c.profile_summary, d, lo, hi)
        self.profile_curve.setData(*(prof if prof is not None else ([], [])))
        self.scatter_plot.setXRange(lo, hi, padding=0)
        self.scatter_plot.setYRange(lo, hi, padding=0)
        self.scatter_info.setText(self._scatter_text(d, x.size))

    def refresh_histogram(self) -> None:
        """Set the tempo-ratio histogram."""
        r = self.controller.tempo_log2_ratios()
        r = np.clip(r, HIST_EDGES[0] + 1e-9, HIST_EDGES[-1] - 1e-9)
        counts, _ = np.histogram(r, bins=HIST_EDGES)
        centers = 0.5 * (HIST_EDGES[:-1] + HIST_EDGES[1:])
        keep = counts > 0
        xs, hs = centers[keep], counts[keep].astype(float)
        self.hist_bars.setOpts(x=xs, height=hs, width=0.05,
                               brushes=[self._ratio_brush(v) for v in xs])
        top = float(hs.max()) if hs.size else 1.0
        self.hist_plot.setYRange(0, top * 1.1 + 0.5, padding=0)

    def histogram_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Bin centres (log2 ratio) and counts of the histogram as drawn."""
        opts = self.hist_bars.opts
        return np.asarray(opts["x"], float), np.asarray(opts["height"], float)

    def refresh_keys(self) -> None:
        """Set the key-error bars (distance and relation)."""
        ke = self.controller.key_errors()
        same = ke.same_mode.astype(float)
        self.key_bars.setOpts(height=same)
        self.key_other_bars.setOpts(y0=same, height=ke.other_mode.astype(float))
        rel = ke.relations
        self.relation_bars.setOpts(height=np.array([rel[r] for r in KEY_RELATIONS], float))
        top = max(1, int(ke.distance.max()), max(rel.values()))
        self.key_plot.setYRange(0, top * 1.1 + 0.5, padding=0)
        self.relation_plot.setYRange(0, top * 1.1 + 0.5, padding=0)

    # -- dialogs --------------------------------------------------------------------------
    def choose_reference(self) -> None:
        """Ask for a reference sheet and load it."""
        path, _ = QFileDialog.getOpenFileName(self, "Load reference sheet", self._last_dir,
                                              "Reference sheets (*.csv *.tsv *.txt);;"
                                              "All files (*)")
        if path:
            self._last_dir = os.path.dirname(path)
            self.controller.load_reference(path)

    def choose_export_folder(self) -> None:
        """Ask for a folder and export the calibration into it."""
        folder = QFileDialog.getExistingDirectory(self, "Export calibration to folder",
                                                  self._last_dir)
        if folder:
            self._last_dir = folder
            self.controller.export(folder)

    def choose_profile(self) -> None:
        """Ask for a calibration profile and apply it."""
        path, _ = QFileDialog.getOpenFileName(self, "Apply calibration profile",
                                              self._last_dir,
                                              "Calibration profiles (*.json);;All files (*)")
        if path:
            self._last_dir = os.path.dirname(path)
            self.controller.apply_profile(path)

    def open_match_dialog(self):
        """Open the manual match dialog (non-modal); returns it."""
        from gui.match_dialog import MatchDialog

        dlg = getattr(self, "_match_dialog", None)
        if dlg is None:
            dlg = self._match_dialog = MatchDialog(self.controller, self)
        dlg.refresh()
        dlg.show()
        dlg.raise_()
        return dlg

    # -- drops ----------------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802 - Qt API
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if len(urls) == 1 and is_reference_file(urls[0].toLocalFile()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls and is_reference_file(urls[0].toLocalFile()):
            self.controller.load_reference(urls[0].toLocalFile())
            event.acceptProposedAction()

    # -- slots ----------------------------------------------------------------------------
    def _on_reference(self, summary) -> None:
        current = self.current_descriptor()
        self.descriptor_combo.blockSignals(True)
        self.descriptor_combo.clear()
        for d in summary.descriptors:
            if d != "key":
                self.descriptor_combo.addItem(DESCRIPTOR_TITLES.get(d, d), d)
        i = self.descriptor_combo.findData(current)
        self.descriptor_combo.setCurrentIndex(max(i, 0))
        self.descriptor_combo.blockSignals(False)
        text = f"Reference {summary}"
        if summary.warnings:
            text += f" - {len(summary.warnings)} warning(s)"
        self._set_status(text, level="warning" if summary.warnings or summary.bad_rows else "",
                         tooltip="\n".join(summary.warnings + summary.bad_rows[:20]))
        self.schedule_refresh()

    def _on_matched(self, summary) -> None:
        name = self.controller.sheet.name if self.controller.sheet else ""
        level = "warning" if summary.n_unmatched_songs > 0 else ""
        self._set_status(f"{name}: {summary}", level=level)
        self.schedule_refresh()

    def _on_profile(self, summary) -> None:
        bits = []
        for d, (n, before, after) in summary.mae.items():
            unit = _unit(d)
            unit = f" {unit}" if unit != "0-1" else ""
            p = _places(d)
            bits.append(f"{DESCRIPTOR_TITLES.get(d, d)} MAE {_fmt(before, p)} → "
                        f"{_fmt(after, p)}{unit} (n={n})")
        if not self._profile_in_legend:
            self.scatter_legend.addItem(self.profile_curve, "applied profile")
            self._profile_in_legend = True
        text = f"Profile {os.path.basename(summary.path)} applied"
        self.profile_label.setText(text + (": " + "; ".join(bits) if bits else "."))
        self.schedule_refresh()

    def _on_exported(self, paths: dict) -> None:
        folder = os.path.dirname(next(iter(paths.values()))) if paths else ""
        self._set_status(f"Exported {len(paths)} files to {folder}")

    def _on_failed(self, message: str) -> None:
        self._set_status(message, level="error")

    def _on_summary_clicked(self, index) -> None:
        d = self.summary_model.summary(index.row()).descriptor
        if self.descriptor_combo.findData(d) >= 0:
            self.set_descriptor(d)

    # -- helpers --------------------------------------------------------------------------
    def _set_status(self, text: str, *, level: str = "", tooltip: str = "") -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(tooltip or text)
        color = {"warning": _AMBER_TEXT, "error": _RED}.get(level)
        self.status_label.setStyleSheet(f"color: {color};" if color else "")

    def _update_buttons(self) -> None:
        c = self.controller
        ready = c.sheet is not None and bool(c.rows) and not c.busy
        self.fit_button.setEnabled(ready)
        self.export_button.setEnabled(ready)
        self.match_button.setEnabled(c.match is not None)
        self.apply_button.setEnabled(bool(c.rows) and not c.busy)
        self.load_button.setEnabled(not c.busy)

    def _scatter_text(self, d: str, n: int) -> str:
        cal = self.controller.calibration
        unit = _unit(d)
        unit = f" {unit}" if unit != "0-1" else ""
        p = _places(d)
        if cal is None:
            return f"{n} matched songs. Press Fit to fit a correction."
        if d == "bpm" and cal.tempo is not None:
            t = cal.tempo
            parts = [t.rule.describe()] if t.rule.kind != "none" else []
            if t.correction.method != "none":
                parts.append(_linear_text(t.correction))
            return (f"{t.n} songs. MAE {_fmt(t.mae_before, p)} → {_fmt(t.mae_after, p)}{unit}, "
                    f"Acc1 {t.acc1_before:.2f} → {t.acc1_after:.2f} (cross-validated, "
                    f"{t.folds} folds). Correction: {'; '.join(parts) or 'none kept'}.")
        dc = cal.descriptors.get(d)
        if dc is None:
            return f"{n} matched songs; not in the last fit."
        kept = "kept" if dc.kept else f"not kept ({dc.note})" if dc.note else "not kept"
        return (f"{dc.n} songs. MAE {_fmt(dc.mae_before, p)} → {_fmt(dc.mae_after, p)}{unit} "
                f"(cross-validated, {dc.folds} folds), r² {_fmt(dc.r2, 3)}. Correction "
                f"{_linear_text(dc.correction)}: {kept}.")

    def _set_scatter_legend(self, mode: str) -> None:
        if mode == self._legend_mode:
            return
        self._legend_mode = mode
        for item, _label in self._legend_tempo:
            self.scatter_legend.removeItem(item)
        self.scatter_legend.removeItem(self._legend_songs)
        if mode == "tempo":
            for item, label in self._legend_tempo:
                self.scatter_legend.addItem(item, label)
        else:
            self.scatter_legend.addItem(self._legend_songs, "matched songs")

    @staticmethod
    def _agreement_brush(category: str):
        brush = _BRUSHES.get(category)
        if brush is None:
            color = QColor(AGREEMENT_COLORS.get(category, _BLUE))
            color.setAlpha(190)
            brush = _BRUSHES[category] = pg.mkBrush(color)
        return brush

    @staticmethod
    def _ratio_brush(log2_ratio: float):
        # a bin takes the colour its centre would have as a song's tempo ratio
        cat, _ = tempo_agreement(2.0 ** log2_ratio, 1.0)
        return pg.mkBrush(AGREEMENT_COLORS[cat])

    @staticmethod
    def _distance_brushes():
        colors = [_GREEN, _AMBER] + [_RED] * 5
        return [pg.mkBrush(c) for c in colors]
