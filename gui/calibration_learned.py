"""The learned model of one column: the inputs that matter and the learning curve.

:class:`LearnedPanel` draws, for a :class:`core.calibration.learned_fit.LearnedCalibration`,

- a bar per input: how much the nested cross-validated MAE grows when that input is
  shuffled (the inputs that matter), largest at the top;
- the learning curve: nested cross-validated MAE against the number of reference songs the
  model was trained on, with the single-descriptor correction's error as a dashed line --
  a curve still falling at the right says more reference rows would help.

Plot items are created once and given new data.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.calibration_summary import column_title, format_value, verdict_color
from gui.plots import titled_plot

__all__ = ["LearnedPanel"]

_BLUE = "#2f80ed"
_GREY = "#7f8c8d"
_TOP = 8  # inputs shown


class LearnedPanel(QWidget):
    """Inputs that matter and the learning curve of one learned model."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.importance_plot = titled_plot("Inputs that matter", "", "MAE rise when shuffled")
        self.importance_plot.setMinimumHeight(150)
        self.importance_bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[],
                                               brush=pg.mkBrush(_BLUE), pen=pg.mkPen(None))
        self.importance_plot.addItem(self.importance_bars)
        self.importance_plot.setMouseEnabled(x=False, y=False)
        self.curve_plot = titled_plot("Learning curve", "MAE (nested CV)", "reference songs")
        self.curve_plot.setMinimumHeight(150)
        self.curve = self.curve_plot.plot([], [], pen=pg.mkPen(_BLUE, width=2),
                                          symbol="o", symbolSize=6, symbolBrush=_BLUE,
                                          antialias=True)
        self.single_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(_GREY, width=1.2,
                                                                  style=Qt.PenStyle.DashLine))
        self.curve_plot.addItem(self.single_line)
        self.curve_plot.setMouseEnabled(x=False, y=False)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.importance_plot, 1)
        plots.addWidget(self.curve_plot, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.caption)
        lay.addLayout(plots, 1)
        self.show_model(None)

    def show_model(self, learned, *, unit: str = "", message: str = "") -> None:
        """Draw ``learned`` (a LearnedCalibration); with None, or a model that could not be
        fitted, hide the plots and say why (``message``, or the model's note)."""
        has_model = learned is not None and learned.model is not None
        self.importance_plot.setVisible(has_model)
        self.curve_plot.setVisible(has_model)
        if not has_model:
            self.importance_bars.setOpts(x0=[], y=[], width=[])
            self.importance_plot.getAxis("left").setTicks([[]])
            self.curve.setData([], [])
            self.single_line.hide()
            self.caption.setText(message if learned is None else
                                 f"Learned model of {column_title(learned.column)}: "
                                 f"{learned.note}")
            return
        top = [(name, v) for name, v in learned.importance[:_TOP]]
        ys = np.arange(len(top))[::-1].astype(float)
        widths = np.array([max(v, 0.0) for _, v in top], float)
        self.importance_bars.setOpts(x0=np.zeros(len(top)), y=ys, width=widths, height=0.6)
        self.importance_plot.getAxis("left").setTicks([[(y, name) for y, (name, _) in
                                                        zip(ys, top, strict=True)]])
        self.importance_plot.setYRange(-0.6, max(len(top) - 0.4, 0.6), padding=0)
        self.importance_plot.setXRange(0, max(float(widths.max(initial=0.0)), 1e-9) * 1.1,
                                       padding=0)
        sizes = np.array([n for n, _ in learned.learning_curve], float)
        errors = np.array([v for _, v in learned.learning_curve], float)
        self.curve.setData(sizes, errors)
        single = learned.mae_single if math.isfinite(learned.mae_single) else learned.mae_median
        if math.isfinite(single):
            self.single_line.setValue(single)
            self.single_line.show()
        else:
            self.single_line.hide()
        lo = min(float(errors.min(initial=single)), single) if errors.size else 0.0
        hi = max(float(errors.max(initial=single)), single) if errors.size else 1.0
        self.curve_plot.setYRange(lo * 0.9, hi * 1.1 + 1e-9, padding=0)
        state = "kept" if learned.kept else "not kept"
        color = verdict_color(learned.verdict)
        verdict = (f'<b style="color:{color.name()}">{learned.verdict}</b>, '
                   if color is not None else "")
        baseline = "single-descriptor fit" if math.isfinite(learned.mae_single) else \
            "reference median"
        self.caption.setText(
            f"Learned model of {column_title(learned.column)}: {learned.describe()}, "
            f"{verdict}{state}. Nested cross-validated MAE "
            f"{format_value(learned.mae_cv, learned.column)}{unit} (dashed: the "
            f"{baseline}, {format_value(single, learned.column)}{unit}).")
