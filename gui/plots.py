"""Live batch plots (pyqtgraph): songs done over time, analysis time vs budget, worker
timeline -- all of the current run (a second batch starts again from zero).

Plot items are created once; :meth:`BatchPlots.refresh` sets their data from a timer a few
times a second (and only while the plots are visible), without antialiasing (pyqtgraph's
process-wide default, :data:`gui.startup.PLOT_OPTIONS`).  The analysis times are drawn as
points coloured by the song's state (the table's colours; one legend line for them), on a
logarithmic time axis, so a 1-second song stays visible under a 10-minute budget.

The analysis times and the worker timeline show the last :data:`RECENT` attempts of the
run (the axes follow them): each refresh reads and draws what it shows, so a plot of every
song of a batch of thousands would cost the window more the longer the batch ran (at
10,000 songs, about 45 ms of the window's thread per refresh); the table has every song.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.batch.rules import SongState
from gui.song_paint import STATE_COLORS

__all__ = ["BatchPlots", "titled_plot", "RECENT"]

#: Attempts of the run shown in the analysis-time plot and the worker timeline: the last ones.
RECENT = 2000

_BRUSH = {s: pg.mkBrush(c) for s, c in STATE_COLORS.items()}
_PEN_NONE = pg.mkPen(None)


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above ``x`` (x > 0)."""
    exp = np.floor(np.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10 ** exp >= x:
            return float(m * 10 ** exp)
    return float(10 ** (exp + 1))


def _set_xy(item, x: np.ndarray, y: np.ndarray) -> None:
    """Give a plot data item new points, unless they are the ones it has (a state with no
    songs, or songs that ended, change rarely: setData is the costly part of a refresh)."""
    old = getattr(item, "_last_xy", None)
    if old is not None and old[0].shape == x.shape and np.array_equal(old[0], x) \
            and np.array_equal(old[1], y):
        return
    item._last_xy = (x, y)
    item.setData(x, y)


def _set_bars(item: pg.BarGraphItem, **opts) -> None:
    """Set bar data; an item without bars is hidden, so it costs nothing to paint."""
    first = next(iter(opts.values()))
    visible = len(first) > 0
    if visible or item.isVisible():
        item.setOpts(**opts)
    item.setVisible(visible)


class _Range:
    """Sets an axis range in coarse steps, so axes are not redrawn on every refresh."""

    def __init__(self, plot: pg.PlotWidget, axis: str, minimum: float):
        self.plot, self.axis, self.minimum = plot, axis, minimum
        self.top = None
        self.low = 0.0

    def fit(self, needed: float, low: float = 0.0) -> None:
        needed = max(self.minimum, float(needed) * 1.05)
        if self.top is None or needed > self.top or needed < self.top / 4 or low != self.low:
            self.top = _nice_ceiling(needed)
            self.low = low
            if self.axis == "x":
                self.plot.setXRange(low, self.top, padding=0.02)
            else:
                self.plot.setYRange(low, self.top, padding=0.02)


def _coarse_low(first: float, top: float) -> float:
    """Where an axis that shows the last attempts begins: 0 while they start near it, else
    the first one's place rounded down to a twentieth of ``top`` (so the axis moves in
    steps, not on every refresh)."""
    step = max(top, 1.0) / 20.0
    return float(np.floor(max(0.0, first) / step) * step)


def titled_plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    """A plot styled like every other plot of the window: title, axis labels with their
    units (no automatic SI prefix), a light grid, no context menu."""
    w = pg.PlotWidget()
    w.setTitle(title, size="10pt")
    # A plot is a picture to a screen reader: its title names it, its axes say what it shows.
    w.setAccessibleName(title)
    w.setAccessibleDescription(f"Plot of {left or 'values'} against {bottom or 'categories'}")
    w.setLabel("left", left)
    w.setLabel("bottom", bottom)
    w.showGrid(x=True, y=True, alpha=0.2)
    w.setMenuEnabled(False)
    w.setMinimumWidth(220)
    for side in ("left", "bottom"):
        w.getAxis(side).enableAutoSIPrefix(False)  # labels carry their own units
    return w


def _plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    w = titled_plot(title, left, bottom)
    w.disableAutoRange()  # ranges are set by the refresh, not on every setData
    return w


#: What the Batch Plots tab says before a batch has run.
NO_RUN = ("No batch has run yet: these plots follow the next one (songs finished over "
          "time, each song's analysis time against its budget, what each worker did).")


class BatchPlots(QWidget):
    """Three live plots of the running batch, side by side."""

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.setSpacing(2)
        #: Said above the empty plots until a batch has run.
        self.empty_label = QLabel(NO_RUN)
        self.empty_label.setWordWrap(True)
        self.empty_label.setContentsMargins(4, 2, 4, 0)
        outer.addWidget(self.empty_label)
        lay = QHBoxLayout()
        lay.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(lay, 1)
        self.done_plot = _plot("Songs finished", "songs", "time (s)")
        self.done_curve = self.done_plot.plot([], [], pen=pg.mkPen("#2f80ed", width=2),
                                              stepMode=None)
        self.total_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#999", style=pg.QtCore.Qt.PenStyle.DashLine))
        self.done_plot.addItem(self.total_line)

        self.budget_plot = _plot("Analysis time vs budget", "time (s, log scale)", "song #")
        self.budget_plot.setLogMode(y=True)
        self.budget_legend = self.budget_plot.addLegend(offset=(-4, 1), labelTextSize="8pt",
                                                        verSpacing=-9)
        self.budget_curve = self.budget_plot.plot([], [], pen=pg.mkPen("#f2a900", width=1.5),
                                                  name="budget")
        self.limit_curve = self.budget_plot.plot(
            [], [], pen=pg.mkPen("#a31515", width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
            name="hard limit")
        # One point item per state colour (one draw call each), coloured as in the table;
        # the legend names them once (a line per state would not fit a small plot).
        self.elapsed_points = {
            s: self.budget_plot.plot([], [], pen=None, symbol="o", symbolSize=6,
                                     symbolBrush=_BRUSH[s], symbolPen=pg.mkPen("#333", width=0.5))
            for s in _BRUSH}
        self.budget_legend.addItem(
            pg.ScatterPlotItem(size=7, brush=_BRUSH[SongState.DONE],
                               pen=pg.mkPen("#333", width=0.5)),
            "analysis time (coloured by state)")

        self.timeline_plot = _plot("Worker timeline", "", "time (s)")
        self.timeline_plot.invertY(True)
        self.segments = {s: pg.BarGraphItem(x0=[], y=[], width=[], height=0.7, brush=_BRUSH[s],
                                            pen=pg.mkPen("#ffffff", width=0.5)) for s in _BRUSH}
        self.stall_marks = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7,
                                           brush=_BRUSH[SongState.STALLED], pen=_PEN_NONE)
        for item in self.segments.values():
            self.timeline_plot.addItem(item)
        self.timeline_plot.addItem(self.stall_marks)
        lay.addWidget(self.done_plot, 1)
        lay.addWidget(self.budget_plot, 1)
        lay.addWidget(self.timeline_plot, 1)
        self._worker_ticks: list = []
        self._done_x = _Range(self.done_plot, "x", 5.0)
        self._done_y = _Range(self.done_plot, "y", 5.0)
        self._budget_x = _Range(self.budget_plot, "x", 5.0)
        self._budget_top = None
        self._timeline_x = _Range(self.timeline_plot, "x", 5.0)
        self._turn = 0

    @property
    def _parts(self) -> tuple:
        # made on each call: bound methods kept on the object would hold it in a reference
        # cycle that only the garbage collector frees
        return (self._refresh_done, self._refresh_budget, self._refresh_timeline)

    def refresh(self) -> None:
        """Set every plot's data from the engine now."""
        for part in self._parts:
            part()

    def refresh_next(self) -> None:
        """Set the data of the next plot in turn (call from a timer three times as often
        as each plot needs it): each plot then repaints in an event of its own, so the
        three repaints never add up to one long wait of the event loop."""
        self._parts[self._turn % len(self._parts)]()
        self._turn += 1

    def _refresh_done(self) -> None:
        eng = self.engine
        batch = eng.batch
        now = time.monotonic() - eng.epoch
        h = eng.history
        ran = bool(h.times) or eng.is_running
        if self.empty_label.isHidden() != ran:
            self.empty_label.setHidden(ran)
        if h.times:
            t = np.asarray(h.times + ([now] if eng.is_running else []))
            d = np.asarray(h.done + ([h.done[-1]] if eng.is_running else []))
            self.done_curve.setData(t, d)
        else:
            self.done_curve.setData([], [])
        self.total_line.setValue(len(batch.jobs))
        self._done_x.fit(now if eng.is_running or not h.times else h.times[-1])
        self._done_y.fit(len(batch.jobs))

    def _recent_jobs(self) -> list:
        """The songs of the last :data:`RECENT` attempts of the run, in batch order."""
        batch = self.engine.batch
        run_start = batch.run_started_at
        n = len(batch.jobs)
        ids = {s.job_id for s in self.engine.segments[-RECENT:] if 0 <= s.job_id < n}
        return [j for j in (batch.jobs[i] for i in sorted(ids))
                if j.started_at is not None and run_start is not None
                and j.started_at >= run_start]

    def _refresh_budget(self) -> None:
        batch = self.engine.batch
        jobs = self._recent_jobs()
        x = np.array([j.id + 1 for j in jobs], dtype=float)
        # at least 10 ms: a log axis has no zero (a song served from the store takes ~1 ms)
        elapsed = np.maximum(np.array([j.elapsed() for j in jobs], dtype=float), 0.01)
        states = np.array([j.state.value for j in jobs], dtype=object)
        for state, item in self.elapsed_points.items():
            sel = states == state.value
            _set_xy(item, x[sel], elapsed[sel])
        budgets = np.array([batch.budget(j) for j in jobs], dtype=float)
        _set_xy(self.budget_curve, x, budgets)
        limits = np.array([batch.hard_limit(j) for j in jobs], dtype=float)
        _set_xy(self.limit_curve, x, limits)
        self._budget_x.fit(len(batch.jobs) + 1, low=_coarse_low(x[0] - 1 if len(x) else 0.0,
                                                               len(batch.jobs) + 1))
        # From the shortest time to the hard limit, in coarse steps of the log axis, with
        # room above the lines for the legend (it would hide the budget line otherwise).
        base = batch.settings.budget_base_s if batch.jobs else 1.0
        high = float(np.log10(max(limits.max(initial=base), elapsed.max(initial=0.0), 1.0)))
        bottom = float(np.floor(np.log10(elapsed.min(initial=0.1)) - 0.3))
        box = self.budget_plot.getViewBox().boundingRect().height()
        legend = self.budget_legend.boundingRect().height() + 8.0
        share = min(0.5, legend / box) if box > legend else 0.5
        top = (high - share * bottom) / (1.0 - share)
        top = float(np.ceil(top * 4) / 4)
        if (top, bottom) != self._budget_top:
            self._budget_top = (top, bottom)
            self.budget_plot.setYRange(bottom, top, padding=0)

    def _refresh_timeline(self) -> None:
        eng = self.engine
        now = time.monotonic() - eng.epoch
        names = [s.name for s in eng.slots]
        segs = eng.segments[-RECENT:]
        for seg in segs:
            if seg.worker not in names:
                names.append(seg.worker)
        row = {n: i for i, n in enumerate(names)}
        x0 = np.array([s.start for s in segs], dtype=float)
        end = np.array([now if s.end is None else s.end for s in segs], dtype=float)
        y = np.array([row[s.worker] for s in segs], dtype=float)
        # A running segment is drawn as running; its stalled part is drawn on top.
        seg_states = np.array([s.state if s.end is not None else SongState.RUNNING.value
                               for s in segs], dtype=object)
        width = np.maximum(end - x0, 1e-3)
        for state, item in self.segments.items():
            sel = seg_states == state.value
            _set_bars(item, x0=x0[sel], y=y[sel], width=width[sel], height=0.7)
        st = np.array([s.stalled_at is not None for s in segs], dtype=bool)
        stalled_at = np.array([s.stalled_at if s.stalled_at is not None else 0.0 for s in segs],
                              dtype=float)
        _set_bars(self.stall_marks, x0=stalled_at[st], y=y[st],
                  width=np.maximum(end[st] - stalled_at[st], 1e-3), height=0.7)
        top = end.max(initial=0.0)
        self._timeline_x.fit(top, low=_coarse_low(x0.min(initial=0.0), top))
        ticks = [(i, n) for i, n in enumerate(names)]
        if ticks != self._worker_ticks:
            self._worker_ticks = ticks
            self.timeline_plot.getAxis("left").setTicks([ticks])
            self.timeline_plot.setYRange(-0.6, max(0, len(names) - 1) + 0.6, padding=0)
