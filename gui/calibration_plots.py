"""The plots of the calibration tab, each drawn from a calibration session.

- :class:`ScatterPanel`: analyzer (x) against reference (y) values of one descriptor for the
  paired songs (tempo points coloured by agreement), the identity line, the fitted
  correction and an applied profile, with the verdict in the title and a line of figures
  below; for an extra column of the sheet (no analyzer value), the learned model's
  cross-validated predictions against the reference.  The songs the verdict was judged
  without (outlying held-out errors) are drawn as crosses, listed in the legend and counted
  in the title; a reference on a scale of its own (a Mixed In Key energy level 1-10) is
  named so on its axis, each axis spanning its own values;
- :class:`TempoRatioPanel`: the histogram of log2(analyzer / reference) tempo (octave errors
  are peaks at -1 and +1), bars coloured by the agreement their ratio stands for;
- :class:`KeyErrorPanel`: key errors by circle-of-fifths distance (0-6) and by relation to
  the reference.

Plot items are created once and given new data with ``setData``/``setOpts``.  Curves and
points ask for antialiasing themselves, so no process-wide pyqtgraph option is touched.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.calibration.agreement import (
    KEY_RELATIONS,
    TEMPO_TOLERANCE,
    tempo_group,
    tempo_relation,
)
from core.calibration.descriptor_fit import DESCRIPTOR_RANGES
from core.calibration.verdict import VERDICT_TEXT
from gui.calibration_summary import (
    VERDICT_LABELS,
    column_title,
    format_value,
    unit_suffix,
    verdict_color,
)
from gui.formatting import plain_tip
from gui.plots import titled_plot
from gui.reference_columns import AGREEMENT_COLORS, UNITS

__all__ = ["ScatterPanel", "TempoRatioPanel", "KeyErrorPanel", "HIST_EDGES",
           "OUTLYING_LEGEND"]

#: Bin edges of the tempo-ratio histogram, in log2(analyzer / reference): 1/20 octave wide
#: (about 3.5 %), centred on 0 and on every octave, from a quarter to four times the
#: reference; values outside go to the end bins.
HIST_EDGES = np.round(np.arange(-2.275, 2.275 + 1e-9, 0.05), 6)

_BLUE = "#2f80ed"
_GREY = "#7f8c8d"
_PURPLE = "#8e44ad"
_MODE = "#9b8ec4"  # key errors whose mode differs from the reference
_OUTLYING = "#d35400"  # songs left out of the verdict
#: Legend text of the songs a verdict was judged without.
OUTLYING_LEGEND = "outlying songs (left out of the verdict)"
_DASH = Qt.PenStyle.DashLine
_DOT = Qt.PenStyle.DotLine
_BRUSHES: dict = {}  # point brush per agreement category, made once
#: Legend of the tempo scatter: one swatch per tempo group.
_TEMPO_LEGEND = (("ok", f"within {100 * TEMPO_TOLERANCE:g} %"), ("octave", "octave error (×2, ×½)"),
                 ("metrical", "metrical error (×3, ×⅓, ×3/2, ×⅔)"),
                 ("wrong", "other tempo error"))


def _plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    w = titled_plot(title, left, bottom)
    w.setMinimumHeight(160)
    return w


def _point_brush(category: str):
    brush = _BRUSHES.get(category)
    if brush is None:
        color = QColor(AGREEMENT_COLORS.get(category, _BLUE))
        color.setAlpha(190)
        brush = _BRUSHES[category] = pg.mkBrush(color)
    return brush


def _curve(apply, lo: float, hi: float):
    """x, y of ``apply`` over [lo, hi]; jumps (an octave-folding rule) broken with NaN.
    Empty when ``apply`` gives None (nothing to draw)."""
    x = np.linspace(lo, hi, 400)
    y = apply(x)
    if y is None:
        return [], []
    y = np.asarray(y, float)
    jumps = np.flatnonzero(np.abs(np.diff(y)) > 0.1 * max(hi - lo, 1e-9))
    if jumps.size:
        x = np.insert(x, jumps + 1, np.nan)
        y = np.insert(y, jumps + 1, np.nan)
    return x, y


def _weak_tip(method):
    """A point's hover text for pyqtgraph, ``method(x, y, data)``, holding its panel weakly:
    the panel owns the plot item that keeps the function, and a function holding the panel
    made a reference cycle that only the garbage collector frees."""
    ref = weakref.WeakMethod(method)

    def tip(x, y, data):
        tell = ref()
        return "" if tell is None else tell(x, y, data)

    return tip


def _layout(widget: QWidget, box) -> None:
    box.setContentsMargins(0, 0, 0, 0)
    widget.setLayout(box)


class ScatterPanel(QWidget):
    """Analyzer against reference values of one descriptor, with a line of figures."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = _plot("Analyzer vs reference", "reference", "analyzer")
        self.legend = self.plot.addLegend(offset=(8, 8), labelTextSize="8pt")
        self.identity_line = self.plot.plot(
            [], [], pen=pg.mkPen(_GREY, width=1.2, style=_DASH), name="identity (y = x)",
            antialias=True)
        self.correction_curve = self.plot.plot(
            [], [], pen=pg.mkPen(_BLUE, width=2), name="fitted correction", connect="finite",
            antialias=True)
        self.profile_curve = self.plot.plot(  # in the legend once a profile is applied
            [], [], pen=pg.mkPen(_PURPLE, width=1.5, style=_DOT), connect="finite",
            antialias=True)
        # hover a point: its song, and both values (data = the song's index in the session)
        self._tip_source = (None, "")
        self.scatter = pg.ScatterPlotItem(size=7, pen=pg.mkPen(None), antialias=True,
                                          hoverable=True, hoverSize=10,
                                          tip=_weak_tip(self._song_tip))
        self.plot.addItem(self.scatter)
        # the songs the verdict was judged without, drawn over the others as crosses
        self.outlying = pg.ScatterPlotItem(
            size=11, symbol="x", pen=pg.mkPen(_OUTLYING, width=1.5),
            brush=pg.mkBrush(_OUTLYING), antialias=True, hoverable=True, hoverSize=13,
            tip=_weak_tip(self._outlying_tip))
        self.plot.addItem(self.outlying)
        self._outlying_in_legend = False
        # legend swatches only (no data): one per point colour
        self._legend_songs = pg.ScatterPlotItem(size=8, pen=pg.mkPen(None),
                                                brush=_point_brush(""))
        self._legend_tempo = [
            (pg.ScatterPlotItem(size=8, pen=pg.mkPen(None), brush=_point_brush(group)), label)
            for group, label in _TEMPO_LEGEND]
        self._legend_mode = ""
        self._profile_in_legend = False
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        lay = QVBoxLayout()
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.info)
        _layout(self, lay)

    def clear(self) -> None:
        """Show nothing (no descriptor to show)."""
        for item in (self.identity_line, self.correction_curve, self.profile_curve):
            item.setData([], [])
        self.scatter.setData([], [])
        self.outlying.setData([], [])
        self._show_outlying_in_legend(False)
        self.info.setText("")

    def show_descriptor(self, session, d: str) -> None:
        """Draw column ``d`` of a :class:`core.calibration.session.CalibrationSession`
        (from the calibration only when it was fitted on the present results)."""
        unit = UNITS.get(d, "")
        title = column_title(d)
        cal = session.calibration if session.calibration_is_current else None
        learned = cal.learned.get(d) if cal is not None else None
        extra = d not in UNITS
        verdict = cal.verdict(d) if cal is not None else ""
        color = verdict_color(verdict)
        shown = (f' — <span style="color:{color.name()}"><b>'
                 f'{VERDICT_LABELS.get(verdict, verdict)}</b></span>' if color else "")
        what = ("learned model (cross-validated) vs reference" if extra
                else "analyzer vs reference")
        outlying = {i for i, _, _ in session.outlying_songs(d)}
        count = (f" — {len(outlying)} outlying song{'s' if len(outlying) > 1 else ''}"
                 if outlying else "")
        self.plot.setTitle(f"{title}: {what}{shown}{count}", size="10pt")
        self.plot.setAccessibleName(f"{title}: {what}"
                                    + (f", {VERDICT_LABELS.get(verdict, verdict)}"
                                       if color else "") + count.replace(" — ", ", "))
        scale = session.sheet.value_scales.get(d) if session.sheet is not None else None
        unit_text = f" ({unit})" if unit else ""
        self.plot.setLabel("bottom", (f"learned {title.lower()}" if extra
                                      else f"analyzer {title.lower()}") + unit_text)
        self.plot.setLabel("left", f"reference {title.lower()}"
                                   + (f" ({scale[2]})" if scale else unit_text))
        self._set_legend("tempo" if d == "bpm" else "songs")
        self._tip_source = (session, d)
        if extra:
            y, idx = session.reference_values(d)
            usable = (learned is not None and learned.model is not None
                      and learned.cv_pred.size == y.size)
            x = learned.cv_pred if usable else np.empty(0)
            y, idx = (y, idx) if x.size else (np.empty(0), np.empty(0, int))
        else:
            x, y, idx = session.pairs(d)
        if d == "bpm":
            brushes = [_point_brush(tempo_group(tempo_relation(a, b)))
                       for a, b in zip(x, y, strict=True)]
        else:
            brushes = [_point_brush("")] * len(x)
        apart = np.array([int(i) in outlying for i in idx], bool)
        self.scatter.setData(x=x[~apart], y=y[~apart],
                             brush=[b for b, a in zip(brushes, apart, strict=True) if not a],
                             data=np.asarray(idx)[~apart])
        self.outlying.setData(x=x[apart], y=y[apart], data=np.asarray(idx)[apart])
        self._show_outlying_in_legend(bool(apart.any()))
        if x.size:
            lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        else:
            lo, hi = DESCRIPTOR_RANGES.get(d, (0.0, 1.0))
        pad = 0.05 * max(hi - lo, 1e-6)
        lo, hi = lo - pad, hi + pad
        # a reference on a scale of its own: each axis spans its own values, and y = x
        # (which would compare 0-1 with 1-10) is not drawn
        y_lo, y_hi = lo, hi
        if scale is not None:
            lo, hi = (float(x.min()), float(x.max())) if x.size else DESCRIPTOR_RANGES[d]
            y_lo, y_hi = scale[:2]
            pad = 0.05 * max(hi - lo, 1e-6)
            lo, hi = lo - pad, hi + pad
            y_pad = 0.05 * (y_hi - y_lo)
            y_lo, y_hi = y_lo - y_pad, y_hi + y_pad
        self.identity_line.setData(*(([lo, hi], [lo, hi]) if scale is None else ([], [])))
        applied = session.applied
        self.correction_curve.setData(*_curve(
            lambda v: cal.apply(d, v) if cal is not None and cal.covers(d) else None, lo, hi))
        self.profile_curve.setData(*_curve(
            lambda v: applied.profile.apply_values(d, v) if applied is not None else None,
            lo, hi))
        self.plot.setXRange(lo, hi, padding=0)
        self.plot.setYRange(y_lo, y_hi, padding=0)
        text = self._text(cal, d, x.size)
        if verdict:
            text += f" Verdict: {VERDICT_TEXT[verdict]}."
        self.info.setText(text)

    def _song_tip(self, x: float, y: float, data) -> str:
        return plain_tip(self.point_tip(data, x, y))

    def _outlying_tip(self, x: float, y: float, data) -> str:
        return plain_tip(self.point_tip(data, x, y) + "\nOutlying: left out of the verdict")

    def point_tip(self, index, x: float, y: float) -> str:
        """The hover text of the point of song ``index``: title, artist, file and values."""
        session, d = self._tip_source
        row = {}
        if session is not None and index is not None and 0 <= int(index) < len(session.rows):
            row = session.rows[int(index)]
        who = " \u2014 ".join(str(v) for v in (row.get("title"), row.get("artist")) if v)
        unit = unit_suffix(d)
        return (f"{who or 'song ' + str(index)}\n"
                f"analyzer {format_value(x, d)}{unit}, reference {format_value(y, d)}{unit}")

    def _show_outlying_in_legend(self, show: bool) -> None:
        if show != self._outlying_in_legend:
            if show:
                self.legend.addItem(self.outlying, OUTLYING_LEGEND)
            else:
                self.legend.removeItem(self.outlying)
            self._outlying_in_legend = show

    def add_profile_to_legend(self) -> None:
        """List the applied profile's curve in the legend (once)."""
        if not self._profile_in_legend:
            self.legend.addItem(self.profile_curve, "applied profile")
            self._profile_in_legend = True

    def _text(self, cal, d: str, n: int) -> str:
        unit = unit_suffix(d)
        if cal is None:
            return f"{n} matched songs. Press Fit to fit a correction."
        if d == "bpm" and cal.tempo is not None:
            t = cal.tempo
            kept = t.describe() if t.kept else "none kept"
            missing = f" ({t.n_missing} without a tempo, counted as misses)" if t.n_missing                 else ""
            return (f"{t.n} songs{missing}. MAE {format_value(t.mae_before, d)} → "
                    f"{format_value(t.mae_after, d)}{unit}, Acc1 {t.acc1_before:.2f} → "
                    f"{t.acc1_after:.2f} (cross-validated, {t.folds} folds). "
                    f"Correction: {kept}.")
        dc = cal.descriptors.get(d)
        m = cal.learned.get(d)
        if dc is None:
            if m is None:
                return f"{n} matched songs; not in the last fit."
            return (f"{m.n} songs. Learned model MAE {format_value(m.mae_cv, d)} vs "
                    f"{format_value(m.mae_median, d)} for the reference median (nested "
                    f"cross-validated), r² {format_value(m.r2_cv, places=3)}: "
                    f"{'kept' if m.kept else 'not kept'}.")
        kept = "kept" if dc.kept else f"not kept ({dc.note})" if dc.note else "not kept"
        text = (f"{dc.n} songs. MAE {format_value(dc.mae_before, d)} → "
                f"{format_value(dc.mae_after, d)}{unit} (nested cross-validated, "
                f"{dc.folds} folds), r² {format_value(dc.r2_cv, places=3)}. Correction "
                f"{dc.candidate.describe() if dc.folds else dc.correction.describe()}: "
                f"{kept}.")
        if m is not None and m.kept:
            text += (f" A learned model is applied instead (MAE "
                     f"{format_value(m.mae_cv, d)}{unit}).")
        return text

    def _set_legend(self, mode: str) -> None:
        if mode == self._legend_mode:
            return
        self._legend_mode = mode
        for item, _label in self._legend_tempo:
            self.legend.removeItem(item)
        self.legend.removeItem(self._legend_songs)
        if mode == "tempo":
            for item, label in self._legend_tempo:
                self.legend.addItem(item, label)
        else:
            self.legend.addItem(self._legend_songs, "matched songs")


class TempoRatioPanel(QWidget):
    """Histogram of log2(analyzer BPM / reference BPM) of the paired songs, and under it
    the tempo range of the settings that states the tempos as the reference does, when one
    does clearly better (:meth:`show_suggestion`)."""

    #: The floor (BPM) of the tempo range the user chose to analyze in.
    useRange = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = _plot("Tempo ratio analyzer / reference", "songs",
                          "log2(analyzer BPM / reference BPM)")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.05, brushes=[],
                                    pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        for pos, group in ((-1.0, "octave"), (0.0, "ok"), (1.0, "octave")):
            self.plot.addItem(pg.InfiniteLine(
                pos, angle=90, pen=pg.mkPen(AGREEMENT_COLORS[group], width=1, style=_DASH)))
        ticks = [(-2.0, "×¼\n-2"), (-1.0, "×½\n-1"), (math.log2(2 / 3), "×⅔"),
                 (0.0, "×1\n0"), (math.log2(1.5), "×1.5"), (1.0, "×2\n+1"), (2.0, "×4\n+2")]
        self.plot.getAxis("bottom").setTicks([ticks])
        self.plot.setXRange(HIST_EDGES[0], HIST_EDGES[-1], padding=0.02)
        self.plot.getAxis("bottom").setHeight(48)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getViewBox().setLimits(yMin=0)
        self.range_label = QLabel("")
        self.range_label.setWordWrap(True)
        self.range_label.setTextFormat(Qt.TextFormat.PlainText)
        self.range_button = QPushButton("")
        self.range_button.clicked.connect(self._use_range)
        self._suggestion = None
        row = QHBoxLayout()
        row.addWidget(self.range_label, 1)
        row.addWidget(self.range_button)
        lay = QVBoxLayout()
        lay.addWidget(self.plot)
        lay.addLayout(row)
        _layout(self, lay)
        self.show_suggestion(None)

    def show_suggestion(self, suggestion) -> None:
        """Offer a :class:`~core.calibration.tempo_range.RangeSuggestion` (None hides it)."""
        self._suggestion = suggestion
        self.range_label.setVisible(suggestion is not None)
        self.range_button.setVisible(suggestion is not None)
        if suggestion is None:
            return
        self.range_label.setText(suggestion.text())
        self.range_button.setText(f"Analyze in {suggestion.range_text}")
        self.range_button.setToolTip(
            f"Set Settings > Tempo range to {suggestion.range_text} and analyze every song "
            "again: the songs, their chunks and alternatives and every export state their "
            "tempo in that octave (the calibrated columns already do, by the octave rule)")

    def _use_range(self) -> None:
        if self._suggestion is not None:
            self.useRange.emit(self._suggestion.floor)

    def show_ratios(self, log2_ratios) -> None:
        """Draw the histogram of these log2 tempo ratios."""
        r = np.clip(np.asarray(log2_ratios, float), HIST_EDGES[0] + 1e-9, HIST_EDGES[-1] - 1e-9)
        counts, _ = np.histogram(r, bins=HIST_EDGES)
        centers = 0.5 * (HIST_EDGES[:-1] + HIST_EDGES[1:])
        keep = counts > 0
        xs, hs = centers[keep], counts[keep].astype(float)
        # a bin takes the colour its centre would have as a song's tempo ratio
        brushes = [pg.mkBrush(AGREEMENT_COLORS[tempo_group(tempo_relation(2.0 ** v, 1.0))])
                   for v in xs]
        self.bars.setOpts(x=xs, height=hs, width=0.05, brushes=brushes)
        top = float(hs.max()) if hs.size else 1.0
        self.plot.setYRange(0, top * 1.1 + 0.5, padding=0)

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Bin centres (log2 ratio) and counts of the histogram as drawn."""
        opts = self.bars.opts
        return np.asarray(opts["x"], float), np.asarray(opts["height"], float)


class KeyErrorPanel(QWidget):
    """Key errors by circle-of-fifths distance (stacked by mode) and by relation."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.distance_plot = _plot("Key error: circle-of-fifths distance", "songs",
                                   "tonic distance (steps on the circle of fifths)")
        legend = self.distance_plot.addLegend(offset=(-8, 8), labelTextSize="8pt")
        colors = [AGREEMENT_COLORS["same"], AGREEMENT_COLORS["fifth"]] + \
            [AGREEMENT_COLORS["other"]] * 5
        self.same_bars = pg.BarGraphItem(x=np.arange(7), height=np.zeros(7), width=0.7,
                                         brushes=[pg.mkBrush(c) for c in colors],
                                         pen=pg.mkPen(None))
        self.other_bars = pg.BarGraphItem(x=np.arange(7), y0=np.zeros(7), height=np.zeros(7),
                                          width=0.7, brush=pg.mkBrush(_MODE), pen=pg.mkPen(None))
        self.distance_plot.addItem(self.same_bars)
        self.distance_plot.addItem(self.other_bars)
        legend.addItem(pg.BarGraphItem(x=[], height=[], width=1,
                                       brush=pg.mkBrush(AGREEMENT_COLORS["same"])), "same mode")
        legend.addItem(self.other_bars, "mode differs")
        self.distance_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(7)]])
        self.distance_plot.setXRange(-0.6, 6.6, padding=0)
        n = len(KEY_RELATIONS)
        self.relation_plot = _plot("Key relation to reference", "songs", "")
        self.relation_bars = pg.BarGraphItem(
            x=np.arange(n), height=np.zeros(n), width=0.7,
            brushes=[pg.mkBrush(AGREEMENT_COLORS[r]) for r in KEY_RELATIONS],
            pen=pg.mkPen(None))
        self.relation_plot.addItem(self.relation_bars)
        self.relation_plot.getAxis("bottom").setTicks([list(enumerate(KEY_RELATIONS))])
        self.relation_plot.setXRange(-0.6, n - 0.4, padding=0)
        for p in (self.distance_plot, self.relation_plot):
            p.setMouseEnabled(x=False, y=False)
            p.getViewBox().setLimits(yMin=0)
        lay = QHBoxLayout()
        lay.addWidget(self.distance_plot, 4)
        lay.addWidget(self.relation_plot, 3)
        _layout(self, lay)

    def show_errors(self, key_errors) -> None:
        """Draw a :class:`core.calibration.summary.KeyErrors`."""
        same = key_errors.same_mode.astype(float)
        self.same_bars.setOpts(height=same)
        self.other_bars.setOpts(y0=same, height=key_errors.other_mode.astype(float))
        rel = key_errors.relations
        self.relation_bars.setOpts(height=np.array([rel[r] for r in KEY_RELATIONS], float))
        top = max(1, int(key_errors.distance.max()), max(rel.values()))
        self.distance_plot.setYRange(0, top * 1.1 + 0.5, padding=0)
        self.relation_plot.setYRange(0, top * 1.1 + 0.5, padding=0)
